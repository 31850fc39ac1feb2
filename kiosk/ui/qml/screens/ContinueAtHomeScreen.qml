import QtQuick
import ".."

// After the web view: the same online service as a code for the phone, to finish at home.
Screen {
    objectName: "continueAtHomeScreen"
    title: vm.strings["continue.title"]
    subtitle: vm.serviceTitle
    readonly property string spoken: title + ". " + vm.strings["continue.how"]
    Row {
        anchors.horizontalCenter: parent.horizontalCenter
        spacing: Theme.px(64)
        Rectangle {
            visible: eservice.continueQr !== ""
            width: Theme.px(380); height: width; color: "#FFFFFF"; radius: Theme.px(12)
            border.width: Theme.px(2); border.color: Theme.border
            QrCode {
                objectName: "continueQr"
                anchors.centerIn: parent; side: Theme.px(352)
                source: eservice.continueQr
                Accessible.name: vm.strings["continue.how"]
            }
        }
        Column {
            width: Theme.px(860)
            spacing: Theme.px(28)
            Text {
                objectName: "continueHow"
                width: parent.width; wrapMode: Text.WordWrap
                text: vm.strings["continue.how"]
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); color: Theme.text
            }
            Text {
                objectName: "continueUrl"
                width: parent.width; wrapMode: Text.WrapAnywhere
                text: eservice.continueUrl.replace(/^https?:\/\//, "")
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); font.bold: true; color: Theme.accent
            }
        }
    }
    KioskButton {
        objectName: "continueDone"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        icon: "check"
        text: vm.strings["continue.done"]
        onClicked: vm.finish()
    }
}
