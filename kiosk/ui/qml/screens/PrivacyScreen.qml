import QtQuick
import ".."

// Before any personal data is asked: what, where it goes, when it is erased.
Screen {
    objectName: "privacyScreen"
    title: vm.strings["privacy.title"]
    subtitle: vm.serviceTitle
    Column {
        width: parent.width
        spacing: Theme.px(32)
        Repeater {
            model: [
                { icon: "document", key: "privacy.what" },
                { icon: "building", key: "privacy.where" },
                { icon: "check", key: "privacy.erase" },
                { icon: "person", key: "privacy.person" }
            ]
            Row {
                width: parent.width
                spacing: Theme.px(32)
                Rectangle {
                    width: Theme.px(96); height: width; radius: width / 2; color: Theme.tint
                    Image { anchors.centerIn: parent; source: "../icons/" + modelData.icon + "-" + Theme.iconOnSurface + ".svg"; width: Theme.px(56); height: width; sourceSize.width: width; sourceSize.height: width }
                }
                Text {
                    width: parent.width - Theme.px(128)
                    anchors.verticalCenter: parent.verticalCenter
                    wrapMode: Text.WordWrap
                    text: vm.strings[modelData.key]
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); color: Theme.text
                }
            }
        }
    }
    KioskButton {
        objectName: "privacyAccept"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        icon: "check"
        text: vm.strings["privacy.accept"]
        onClicked: vm.acceptPrivacy()
    }
}
