import QtQuick

// One choice on the services screen: pictogram, title, one plain sentence, who does it.
Rectangle {
    id: root
    property string icon: "document"
    property string title: ""
    property string summary: ""
    property string footnote: ""
    property bool highlighted: false
    signal chosen()
    width: Theme.px(544); height: Theme.px(262)
    radius: Theme.px(20)
    color: tap.pressed ? Theme.pressedSurface : highlighted ? Theme.tint : Theme.surface
    border.width: highlighted ? Theme.px(4) : Theme.px(2)
    border.color: highlighted ? Theme.accent : Theme.border
    Accessible.role: Accessible.Button
    Accessible.name: root.title + ". " + root.summary + " " + root.footnote
    Accessible.onPressAction: root.chosen()
    Row {
        anchors.fill: parent
        anchors.margins: Theme.px(26)
        spacing: Theme.px(24)
        Rectangle {
            width: Theme.px(72); height: width; radius: width / 2
            color: root.highlighted ? Theme.surface : Theme.tint
            Image { anchors.centerIn: parent; source: "icons/" + root.icon + "-" + Theme.iconOnSurface + ".svg"; width: Theme.px(44); height: width; sourceSize.width: width; sourceSize.height: width }
        }
        Column {
            width: parent.width - Theme.px(96)
            spacing: Theme.px(8)
            // Two lines each at most, so the tile's owner below always shows.
            Text { width: parent.width; wrapMode: Text.WordWrap; maximumLineCount: 2; elide: Text.ElideRight; text: root.title; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; color: Theme.text }
            Text { width: parent.width; wrapMode: Text.WordWrap; maximumLineCount: 2; elide: Text.ElideRight; text: root.summary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(23); color: Theme.muted }
        }
    }
    Text {
        anchors.left: parent.left; anchors.right: parent.right; anchors.bottom: parent.bottom
        anchors.margins: Theme.px(28)
        elide: Text.ElideRight
        text: root.footnote
        font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(22); color: Theme.accent
    }
    MouseArea { id: tap; anchors.fill: parent; onClicked: root.chosen() }
}
