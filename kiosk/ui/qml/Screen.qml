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
        // Within a life event: its requests, done, current and to come.
        Row {
            objectName: "pathSteps"
            visible: vm.pathSteps.length > 1
            spacing: Theme.px(12)
            Repeater {
                model: vm.pathSteps
                Rectangle {
                    height: Theme.px(52)
                    width: chip.implicitWidth + Theme.px(40)
                    radius: height / 2
                    color: modelData.state === "current" ? Theme.accent : Theme.surface
                    border.width: Theme.px(2)
                    border.color: modelData.state === "todo" ? Theme.border : Theme.accent
                    Accessible.role: Accessible.StaticText
                    Accessible.name: chip.text
                    Text {
                        id: chip
                        anchors.centerIn: parent
                        text: (modelData.state === "done" ? "✓ " : (index + 1) + ". ") + modelData.title
                        font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); font.bold: modelData.state === "current"
                        color: modelData.state === "current" ? Theme.textOnAccent : modelData.state === "done" ? Theme.accent : Theme.muted
                    }
                }
            }
        }
        Text {
            visible: root.subtitle !== "" && !Qt.inputMethod.visible
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
