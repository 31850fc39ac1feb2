import QtQuick
import ".."

// A service the kiosk cannot complete alone: the way forward is a person.
Screen {
    objectName: "agentScreen"
    title: vm.strings["agent.title"]
    subtitle: vm.serviceTitle
    Column {
        width: parent.width
        spacing: Theme.px(48)
        Text {
            width: parent.width
            wrapMode: Text.WordWrap
            text: vm.strings["agent.body"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.text
        }
        KioskButton {
            objectName: "agentCallButton"
            kind: "help"
            icon: "person"
            fontSize: Theme.fpx(40)
            implicitHeight: Theme.px(160)
            text: vm.strings["agent.call"]
            onClicked: vm.askForPerson()
        }
    }
    KioskButton {
        objectName: "agentNext"
        visible: vm.pathSteps.length > 0
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        kind: "secondary"
        text: vm.strings["agent.next"]
        onClicked: vm.finish()
    }
}
