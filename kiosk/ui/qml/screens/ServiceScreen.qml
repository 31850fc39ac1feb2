import QtQuick
import ".."

// The services of the site, as large tiles with a pictogram.
Screen {
    objectName: "serviceScreen"
    title: vm.strings["service.title"]
    Grid {
        anchors.horizontalCenter: parent.horizontalCenter
        columns: 3
        spacing: Theme.px(40)
        Repeater {
            model: vm.services
            Rectangle {
                objectName: "service_" + modelData.id
                width: Theme.px(530); height: Theme.px(480)
                radius: Theme.px(20)
                color: tap.pressed ? Theme.pressedSurface : Theme.surface
                border.width: Theme.px(2); border.color: Theme.border
                Accessible.role: Accessible.Button
                Accessible.name: modelData.title + ". " + modelData.summary
                Accessible.onPressAction: vm.chooseService(modelData.id)
                Column {
                    anchors.fill: parent
                    anchors.margins: Theme.px(40)
                    spacing: Theme.px(22)
                    Rectangle {
                        width: Theme.px(120); height: width; radius: width / 2; color: Theme.tint
                        Image { anchors.centerIn: parent; source: "../icons/" + modelData.icon + "-" + Theme.iconOnSurface + ".svg"; width: Theme.px(72); height: width; sourceSize.width: width; sourceSize.height: width }
                    }
                    Text { width: parent.width; wrapMode: Text.WordWrap; text: modelData.title; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(40); font.bold: true; color: Theme.text }
                    Text { width: parent.width; wrapMode: Text.WordWrap; text: modelData.summary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(27); color: Theme.muted; lineHeight: 1.1 }
                }
                Text { anchors.left: parent.left; anchors.bottom: parent.bottom; anchors.margins: Theme.px(40); text: modelData.agency; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(22); color: Theme.accent }
                MouseArea { id: tap; anchors.fill: parent; onClicked: vm.chooseService(modelData.id) }
            }
        }
    }
}
