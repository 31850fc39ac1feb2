import QtQuick
import ".."

// Goodbye, with the promise that nothing of the citizen stays on the kiosk.
Item {
    objectName: "thanksScreen"
    readonly property string spoken: vm.strings["thanks.title"] + " " + vm.strings["thanks.wiped"]
                                     + (vm.onlineUrl !== "" ? " " + vm.strings["thanks.online"] + " " + vm.strings["thanks.scan"] : "")
    Column {
        anchors.centerIn: parent
        spacing: Theme.px(36)
        width: Theme.px(1400)
        Text { anchors.horizontalCenter: parent.horizontalCenter; text: vm.strings["thanks.title"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(96); font.bold: true; color: Theme.heading; Accessible.role: Accessible.Heading; Accessible.name: text }
        Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap; text: vm.strings["thanks.wiped"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.text }
        // Next time, from home: the same service online, as a code for the phone.
        Row {
            visible: vm.onlineUrl !== ""
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: Theme.px(36)
            Rectangle {
                width: Theme.px(240); height: width; color: "#FFFFFF"; radius: Theme.px(12)
                border.width: Theme.px(2); border.color: Theme.border
                QrCode { objectName: "onlineQr"; anchors.centerIn: parent; side: Theme.px(220); source: vm.onlineQr; Accessible.name: vm.strings["thanks.scan"] }
            }
            Column {
                anchors.verticalCenter: parent.verticalCenter
                spacing: Theme.px(10)
                width: Theme.px(760)
                Text { width: parent.width; wrapMode: Text.WordWrap; text: vm.strings["thanks.online"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.muted }
                Text { text: vm.onlineUrl.replace("https://", ""); font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); font.bold: true; color: Theme.accent }
                Text { width: parent.width; wrapMode: Text.WordWrap; text: vm.strings["thanks.scan"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26); color: Theme.text }
            }
        }
        KioskButton { objectName: "newSessionButton"; anchors.horizontalCenter: parent.horizontalCenter; text: vm.strings["thanks.new"]; onClicked: vm.newSession() }
    }
}
