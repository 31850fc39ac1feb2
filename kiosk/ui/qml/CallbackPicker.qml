import QtQuick

// No agent now: the citizen picks a time and types the number to be called on.
Item {
    id: root
    signal closeRequested()
    property int chosen: -1

    Column {
        x: Theme.px(64); y: Theme.px(40)
        width: parent.width * 0.55
        spacing: Theme.px(24)
        Text {
            objectName: "callbackTitle"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["call.callback_title"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(44); font.bold: true
            color: Theme.heading
            Accessible.role: Accessible.Heading; Accessible.name: text
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["call.callback_body"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.text
        }
        Flow {
            width: parent.width
            spacing: Theme.px(16)
            Repeater {
                model: call.callbackSlots.slice(0, 8)
                KioskButton {
                    required property var modelData
                    objectName: "slot_" + modelData.index
                    kind: root.chosen === modelData.index ? "primary" : "secondary"
                    fontSize: Theme.fpx(26)
                    width: (parent.width - Theme.px(16)) / 2
                    text: modelData.label
                    onClicked: root.chosen = modelData.index
                }
            }
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["call.other_ways"].replace("{desk}", vm.helpContact.desk).replace("{phone}", vm.helpContact.phone)
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26); color: Theme.muted
        }
    }
    Column {
        anchors { right: parent.right; rightMargin: Theme.px(64); top: parent.top; topMargin: Theme.px(40) }
        width: parent.width * 0.33
        spacing: Theme.px(16)
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["call.phone_label"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; color: Theme.text
        }
        Rectangle {
            width: parent.width; height: Theme.px(96); radius: Theme.px(12)
            color: Theme.surface; border.width: Theme.px(3); border.color: Theme.accent
            Text {
                objectName: "phoneDisplay"
                anchors.centerIn: parent
                text: call.phone
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(44); font.bold: true; color: Theme.text
                Accessible.role: Accessible.EditableText; Accessible.name: vm.strings["call.phone_label"] + " " + text
            }
        }
        Grid {
            columns: 3
            spacing: Theme.px(12)
            Repeater {
                model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0"]
                KioskButton {
                    required property string modelData
                    objectName: "key_" + modelData
                    kind: "secondary"
                    width: (root.width * 0.33 - Theme.px(24)) / 3
                    text: modelData === "back" ? vm.strings["call.key_erase"] : modelData
                    onClicked: call.pressKey(modelData)
                }
            }
        }
        KioskButton {
            objectName: "bookCallbackButton"
            width: parent.width
            enabled: root.chosen >= 0 && call.phone.length >= 10
            text: vm.strings["call.book"]
            onClicked: call.bookCallback(root.chosen)
        }
        KioskButton {
            objectName: "callbackCloseButton"
            width: parent.width
            kind: "quiet"
            text: vm.strings["common.close"]
            onClicked: root.closeRequested()
        }
    }
}
