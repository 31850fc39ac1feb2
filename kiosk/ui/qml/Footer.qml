import QtQuick

// Bottom band, the same on every screen: back, start over, and a person.
Rectangle {
    id: root
    signal helpRequested()
    signal startOverRequested()
    property bool showNavigation: true
    property bool onAttract: false
    height: Theme.px(140)
    color: onAttract ? Theme.primary : Theme.surface
    Rectangle { visible: !root.onAttract; anchors.top: parent.top; width: parent.width; height: Theme.px(2); color: Theme.border }

    Row {
        anchors.left: parent.left
        anchors.leftMargin: Theme.px(48)
        anchors.verticalCenter: parent.verticalCenter
        spacing: Theme.px(24)
        visible: root.showNavigation
        KioskButton {
            objectName: "backButton"
            visible: vm.canGoBack
            kind: "secondary"
            icon: "back"
            text: vm.strings["common.back"]
            onClicked: vm.back()
        }
        KioskButton {
            objectName: "startOverButton"
            kind: "quiet"
            text: vm.strings["common.start_over"]
            onClicked: root.startOverRequested()
        }
    }
    KioskButton {
        objectName: "helpButton"
        anchors.right: parent.right
        anchors.rightMargin: Theme.px(48)
        anchors.verticalCenter: parent.verticalCenter
        kind: "help"
        icon: "person"
        text: vm.strings["common.help"]
        onClicked: root.helpRequested()
    }
}
