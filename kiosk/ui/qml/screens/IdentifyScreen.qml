import QtQuick
import QtQuick.Controls.Basic
import ".."

// Identify with the card (nothing to type), or type the file number.
Screen {
    objectName: "identifyScreen"
    title: vm.strings["identify.title"]
    subtitle: vm.serviceTitle
    Row {
        anchors.fill: parent
        spacing: Theme.px(48)
        Rectangle {
            width: (parent.width - Theme.px(48) * 2 - Theme.px(80)) / 2
            height: Theme.px(560)
            radius: Theme.px(20); color: Theme.surface
            border.width: Theme.px(2); border.color: Theme.border
            Column {
                anchors.fill: parent; anchors.margins: Theme.px(48)
                spacing: Theme.px(28)
                Image { source: "../icons/card-" + Theme.iconOnSurface + ".svg"; width: Theme.px(110); height: width; sourceSize.width: width; sourceSize.height: width }
                Text { width: parent.width; wrapMode: Text.WordWrap; text: vm.strings["identify.card"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(40); font.bold: true; color: Theme.text }
                Text { width: parent.width; wrapMode: Text.WordWrap; text: vm.cardReading ? vm.strings["identify.reading"] : vm.strings["identify.card_hint"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); color: Theme.muted }
                KioskButton {
                    objectName: "demoCardButton"
                    visible: vm.simulatedCard
                    kind: "secondary"; fontSize: Theme.fpx(24)
                    text: vm.strings["identify.demo_card"]
                    onClicked: vm.insertDemoCard()
                }
            }
        }
        Text {
            width: Theme.px(80); height: Theme.px(560)
            horizontalAlignment: Text.AlignHCenter; verticalAlignment: Text.AlignVCenter
            text: vm.strings["identify.or"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); color: Theme.muted
        }
        Rectangle {
            width: (parent.width - Theme.px(48) * 2 - Theme.px(80)) / 2
            height: Theme.px(560)
            radius: Theme.px(20); color: Theme.surface
            border.width: Theme.px(2); border.color: Theme.border
            Column {
                anchors.fill: parent; anchors.margins: Theme.px(48)
                spacing: Theme.px(24)
                Text { width: parent.width; wrapMode: Text.WordWrap; text: vm.strings["identify.type"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(40); font.bold: true; color: Theme.text }
                Text { text: vm.strings["identify.file_number"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); color: Theme.muted }
                TextField {
                    id: fileNumber
                    objectName: "fileNumberField"
                    width: parent.width; height: Theme.px(100)
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(44); font.letterSpacing: Theme.px(4)
                    color: Theme.text; selectionColor: Theme.accent; selectedTextColor: Theme.textOnAccent
                    leftPadding: Theme.px(24)
                    maximumLength: 16
                    inputMethodHints: Qt.ImhDigitsOnly
                    Accessible.name: vm.strings["identify.file_number"]
                    background: Rectangle {
                        radius: Theme.px(10); color: Theme.surface
                        border.width: parent.activeFocus ? Theme.px(4) : Theme.px(2)
                        border.color: vm.identityError !== "" ? Theme.error : (parent.activeFocus ? Theme.accent : Theme.border)
                    }
                    onAccepted: vm.submitFileNumber(text)
                }
                KioskButton {
                    objectName: "fileNumberContinue"
                    text: vm.strings["common.next"]
                    enabled: fileNumber.text.length > 0
                    onClicked: vm.submitFileNumber(fileNumber.text)
                }
            }
        }
    }
    Text {
        objectName: "identityError"
        visible: vm.identityError !== ""
        anchors.bottom: parent.bottom
        width: parent.width; wrapMode: Text.WordWrap
        text: vm.identityError
        font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; color: Theme.error
        Accessible.role: Accessible.AlertMessage; Accessible.name: text
    }
}
