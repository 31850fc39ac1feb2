import QtQuick

// "Erase everything and start over?" so a mistaken touch loses nothing.
Overlay {
    id: root
    objectName: "startOverOverlay"
    cardWidth: Theme.px(1000)
    Column {
        x: Theme.px(64); y: Theme.px(56)
        width: root.cardWidth - Theme.px(128)
        spacing: Theme.px(40)
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["cancel.title"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(46); font.bold: true; color: Theme.text
            Accessible.role: Accessible.Heading; Accessible.name: text
        }
        Row {
            spacing: Theme.px(24)
            KioskButton { objectName: "startOverNoButton"; text: vm.strings["cancel.no"]; onClicked: root.visible = false }
            KioskButton { objectName: "startOverYesButton"; kind: "danger"; text: vm.strings["cancel.yes"]; onClicked: { root.visible = false; vm.newSession() } }
        }
    }
}
