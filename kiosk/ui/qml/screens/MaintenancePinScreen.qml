import QtQuick
import ".."

// The PIN pad: digits only, shown as dots; a technician card works too.
Item {
    id: pad
    objectName: "maintenancePinScreen"
    readonly property bool keysEnabled: maint.pinEnabled && !maint.locked && !maint.checking

    Column {
        anchors.top: parent.top
        anchors.topMargin: Theme.px(40)
        anchors.horizontalCenter: parent.horizontalCenter
        width: Theme.px(1100)
        spacing: Theme.px(24)
        Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap; visible: maint.pinEnabled; text: maint.strings["maint.pin_prompt"]; color: Theme.text; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34) }
        Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap; visible: maint.cardsEnabled; text: maint.strings["maint.card_prompt"]; color: Theme.muted; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28) }
        Row {
            objectName: "pinDots"
            anchors.horizontalCenter: parent.horizontalCenter
            height: Theme.px(40)
            spacing: Theme.px(20)
            Accessible.role: Accessible.StaticText
            Accessible.name: maint.strings["maint.pin_entered"].replace("{count}", maint.pinLength)
            Repeater {
                model: Math.max(6, maint.pinLength)
                Rectangle {
                    width: Theme.px(32); height: width; radius: width / 2
                    anchors.verticalCenter: parent.verticalCenter
                    color: index < maint.pinLength ? Theme.accent : "transparent"
                    border.width: Theme.px(3); border.color: Theme.accent
                }
            }
        }
        Text {
            objectName: "pinMessage"
            width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
            height: Math.max(implicitHeight, Theme.px(46))
            text: maint.pinMessage
            color: maint.checking ? Theme.muted : Theme.error
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true
        }
        Grid {
            anchors.horizontalCenter: parent.horizontalCenter
            columns: 3
            spacing: Theme.px(20)
            Repeater {
                model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "erase", "0", "enter"]
                KioskButton {
                    objectName: "pinKey_" + modelData
                    width: Theme.px(220); height: Theme.px(104)
                    enabled: pad.keysEnabled && (modelData !== "enter" || maint.pinLength > 0)
                    kind: modelData === "enter" ? "primary" : "secondary"
                    fontSize: modelData.length === 1 ? Theme.fpx(44) : Theme.fpx(30)
                    text: modelData === "erase" ? maint.strings["maint.erase"] : modelData === "enter" ? maint.strings["maint.enter"] : modelData
                    Accessible.name: modelData.length === 1 ? maint.strings["maint.digit"].replace("{digit}", modelData) : text
                    onClicked: modelData === "erase" ? maint.erase() : modelData === "enter" ? maint.submitPin() : maint.pressDigit(modelData)
                }
            }
        }
        KioskButton {
            objectName: "pinCancel"
            anchors.horizontalCenter: parent.horizontalCenter
            kind: "quiet"
            text: maint.strings["maint.cancel"]
            onClicked: maint.leave()
        }
    }
}
