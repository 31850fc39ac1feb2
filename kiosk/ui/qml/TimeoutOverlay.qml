import QtQuick

// "Are you still there?" with the seconds left before the session is erased.
Overlay {
    id: root
    objectName: "timeoutOverlay"
    visible: vm.countdown >= 0
    Column {
        x: Theme.px(64); y: Theme.px(56)
        width: root.cardWidth - Theme.px(128)
        spacing: Theme.px(28)
        Text {
            text: vm.strings["timeout.title"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(52); font.bold: true
            color: Theme.text
            Accessible.role: Accessible.AlertMessage; Accessible.name: text
        }
        Text {
            objectName: "countdownText"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["timeout.body"].replace("{seconds}", Math.max(vm.countdown, 0))
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34)
            color: Theme.text
        }
        Rectangle {
            width: parent.width; height: Theme.px(16); radius: height / 2; color: Theme.pressedSurface
            Rectangle { height: parent.height; radius: parent.radius; color: Theme.error
                        width: parent.width * Math.max(vm.countdown, 0) / vm.countdownTotal
                        Behavior on width { NumberAnimation { duration: 250 } } }
        }
        Row {
            spacing: Theme.px(24)
            KioskButton { objectName: "stillHereButton"; text: vm.strings["timeout.continue"]; icon: "check"; onClicked: vm.userActivity() }
            KioskButton { objectName: "timeoutEndButton"; kind: "secondary"; text: vm.strings["timeout.end"]; onClicked: vm.newSession() }
        }
    }
}
