import QtQuick

// Beside the video: who is talking, the conversation as captions, and quick replies
// for a citizen who cannot speak or hear well.
Column {
    id: root
    spacing: Theme.px(20)
    Text {
        objectName: "agentName"
        width: parent.width; wrapMode: Text.WordWrap
        text: vm.strings["call.with_agent"].replace("{agent}", call.agentName)
        font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); font.bold: true
        color: Theme.heading
        Accessible.role: Accessible.Heading; Accessible.name: text
    }
    Rectangle {
        width: parent.width
        height: root.height - y - replies.height - Theme.px(40)
        radius: Theme.px(12)
        color: Theme.surface
        border.width: Theme.px(2); border.color: Theme.border
        ListView {
            id: captions
            objectName: "captions"
            anchors.fill: parent; anchors.margins: Theme.px(20)
            clip: true
            spacing: Theme.px(14)
            model: call.captions
            onCountChanged: positionViewAtEnd()
            Accessible.role: Accessible.List
            Accessible.name: vm.strings["call.captions"]
            delegate: Text {
                required property var modelData
                width: captions.width
                wrapMode: Text.WordWrap
                text: (modelData.sender === "agent" ? call.agentName : vm.strings["call.you"]) + " : " + modelData.text
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30)
                font.bold: modelData.sender === "agent"
                color: modelData.sender === "agent" ? Theme.text : Theme.muted
                Accessible.role: Accessible.StaticText; Accessible.name: text
            }
            Text {
                visible: captions.count === 0
                width: parent.width; wrapMode: Text.WordWrap
                text: vm.strings["call.captions_empty"]
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26); color: Theme.muted
            }
        }
    }
    Flow {
        id: replies
        width: parent.width
        spacing: Theme.px(16)
        Repeater {
            model: ["yes", "no", "repeat", "cannot_hear"]
            KioskButton {
                required property string modelData
                objectName: "reply_" + modelData
                kind: "secondary"
                fontSize: Theme.fpx(28)
                text: vm.strings["call.reply_" + modelData]
                onClicked: call.sendChat(text)
            }
        }
    }
}
