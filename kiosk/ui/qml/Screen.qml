import QtQuick

// The frame of a journey screen: a title and the content below it.
Item {
    id: root
    property string title: ""
    property string subtitle: ""
    default property alias content: body.data

    Column {
        id: heading
        anchors.top: parent.top
        anchors.topMargin: Theme.px(48)
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.leftMargin: Theme.px(96)
        anchors.rightMargin: Theme.px(96)
        spacing: Theme.px(12)
        Text {
            objectName: "screenTitle"
            text: root.title
            width: parent.width
            wrapMode: Text.WordWrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fpx(52)
            font.bold: true
            color: Theme.text
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            visible: root.subtitle !== ""
            text: root.subtitle
            width: parent.width
            wrapMode: Text.WordWrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fpx(28)
            color: Theme.muted
        }
    }
    Item {
        id: body
        anchors.top: heading.bottom
        anchors.topMargin: Theme.px(36)
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.leftMargin: Theme.px(96)
        anchors.rightMargin: Theme.px(96)
        anchors.bottomMargin: Theme.px(24)
    }
}
