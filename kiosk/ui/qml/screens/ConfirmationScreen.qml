import QtQuick
import ".."

// The reference number, large, and what happens next (sync and receipt).
Screen {
    objectName: "confirmationScreen"
    title: vm.strings["confirmation.title"]
    subtitle: vm.serviceTitle
    Column {
        width: parent.width
        spacing: Theme.px(36)
        Rectangle {
            width: parent.width; height: Theme.px(260)
            radius: Theme.px(20); color: Theme.successSurface
            border.width: Theme.px(3); border.color: Theme.success
            Column {
                anchors.centerIn: parent
                spacing: Theme.px(12)
                Text { anchors.horizontalCenter: parent.horizontalCenter; text: vm.strings["confirmation.reference"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); color: Theme.success }
                Text {
                    objectName: "referenceText"
                    anchors.horizontalCenter: parent.horizontalCenter
                    text: vm.reference
                    font.family: "DejaVu Sans Mono"; font.pixelSize: Theme.fpx(96); font.bold: true; font.letterSpacing: Theme.px(6)
                    color: Theme.text
                    Accessible.role: Accessible.StaticText
                    Accessible.name: vm.strings["confirmation.reference"] + " " + vm.reference.split("").join(" ")
                }
            }
        }
        Text {
            objectName: "syncStatus"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.synced ? vm.strings["confirmation.sent"] : vm.strings["confirmation.pending"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); color: Theme.text
        }
        Text {
            objectName: "printStatus"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.printState === "printing" ? vm.strings["confirmation.printing"]
                : vm.printState === "printed" ? vm.strings["confirmation.printed"]
                : vm.printState === "failed" ? vm.strings["confirmation.print_failed"] + " " + vm.printError : ""
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); font.bold: vm.printState === "failed"
            color: vm.printState === "failed" ? Theme.error : Theme.text
        }
    }
    KioskButton {
        objectName: "finishButton"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        icon: "check"
        text: vm.strings["confirmation.done"]
        onClicked: vm.finish()
    }
}
