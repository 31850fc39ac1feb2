import QtQuick

// How to reach a person right now. The citizen's session is kept meanwhile.
Overlay {
    id: root
    objectName: "helpOverlay"
    Column {
        x: Theme.px(64); y: Theme.px(56)
        width: root.cardWidth - Theme.px(128)
        spacing: Theme.px(28)
        Row {
            spacing: Theme.px(24)
            Rectangle {
                width: Theme.px(88); height: width; radius: width / 2; color: Theme.help
                Image { anchors.centerIn: parent; source: "icons/person-" + Theme.iconOnAccent + ".svg"; width: Theme.px(52); height: width; sourceSize.width: width; sourceSize.height: width }
            }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                text: vm.strings["help.title"]
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(48); font.bold: true
                color: Theme.text
                Accessible.role: Accessible.Heading; Accessible.name: text
            }
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["help.desk"].replace("{desk}", vm.helpContact.desk)
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.text
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["help.phone"].replace("{phone}", vm.helpContact.phone)
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.text
        }
        Text {
            visible: vm.step !== "attract"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["help.resume"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); color: Theme.muted
        }
        KioskButton { objectName: "helpCloseButton"; text: vm.strings["common.close"]; onClicked: root.visible = false }
    }
}
