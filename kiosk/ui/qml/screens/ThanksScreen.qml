import QtQuick
import ".."

// Goodbye, with the promise that nothing of the citizen stays on the kiosk.
Item {
    objectName: "thanksScreen"
    Column {
        anchors.centerIn: parent
        spacing: Theme.px(36)
        width: Theme.px(1400)
        Text { anchors.horizontalCenter: parent.horizontalCenter; text: vm.strings["thanks.title"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(96); font.bold: true; color: Theme.heading; Accessible.role: Accessible.Heading; Accessible.name: text }
        Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap; text: vm.strings["thanks.wiped"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.text }
        Column {
            visible: vm.onlineUrl !== ""
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: Theme.px(8)
            Text { anchors.horizontalCenter: parent.horizontalCenter; text: vm.strings["thanks.online"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.muted }
            Text { anchors.horizontalCenter: parent.horizontalCenter; text: vm.onlineUrl.replace("https://", ""); font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); font.bold: true; color: Theme.accent }
        }
        KioskButton { objectName: "newSessionButton"; anchors.horizontalCenter: parent.horizontalCenter; text: vm.strings["thanks.new"]; onClicked: vm.newSession() }
    }
}
