import QtQuick
import ".."

// One optional question: a score from 1 to 5, and why, picked rather than typed.
Screen {
    id: root
    objectName: "feedbackScreen"
    title: vm.strings["feedback.title"]
    subtitle: vm.strings["feedback.subtitle"]
    property int score: 0
    property string reason: ""
    Column {
        width: parent.width
        spacing: Theme.px(40)
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: Theme.px(24)
            Repeater {
                model: 5
                KioskButton {
                    readonly property int value: index + 1
                    objectName: "score_" + value
                    kind: root.score === value ? "primary" : "secondary"
                    implicitWidth: Theme.px(300); implicitHeight: Theme.px(150)
                    fontSize: Theme.fpx(30)
                    text: value + "\n" + vm.strings["feedback.score." + value]
                    onClicked: root.score = value
                }
            }
        }
        Text {
            visible: root.score > 0
            text: vm.strings["feedback.why"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); font.bold: true; color: Theme.text
        }
        Flow {
            visible: root.score > 0
            width: parent.width
            spacing: Theme.px(20)
            Repeater {
                model: vm.feedbackReasons
                KioskButton {
                    objectName: "reason_" + modelData.id
                    kind: root.reason === modelData.id ? "primary" : "secondary"
                    fontSize: Theme.fpx(28)
                    text: modelData.label
                    onClicked: root.reason = root.reason === modelData.id ? "" : modelData.id
                }
            }
        }
    }
    Row {
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        spacing: Theme.px(24)
        KioskButton { objectName: "feedbackSkip"; kind: "quiet"; text: vm.strings["feedback.skip"]; onClicked: vm.giveFeedback(0, "") }
        KioskButton { objectName: "feedbackSend"; enabled: root.score > 0; icon: "check"; text: vm.strings["feedback.send"]; onClicked: vm.giveFeedback(root.score, root.reason) }
    }
}
