import QtQuick

// The technician's screens, over everything (the citizen's screens stay below,
// on the attract screen). Touches never reach what is underneath.
Rectangle {
    id: root
    objectName: "maintenanceOverlay"
    visible: maint.screen !== ""
    color: Theme.background
    MouseArea { anchors.fill: parent; Accessible.ignored: true }
    readonly property var screens: ({ pin: "MaintenancePinScreen.qml", diagnostics: "MaintenanceScreen.qml", logs: "MaintenanceLogScreen.qml" })

    Rectangle {
        id: band
        width: parent.width
        height: Theme.px(128)
        color: Theme.primary
        Text {
            anchors.left: parent.left; anchors.leftMargin: Theme.px(48)
            anchors.verticalCenter: parent.verticalCenter
            width: parent.width - buttons.width - Theme.px(120)
            elide: Text.ElideRight
            text: maint.screen === "pin" ? maint.strings["maint.pin_title"] : maint.title
            color: Theme.textOnPrimary
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(44); font.bold: true
            Accessible.role: Accessible.Heading; Accessible.name: text
        }
        Row {
            id: buttons
            anchors.right: parent.right; anchors.rightMargin: Theme.px(32)
            anchors.verticalCenter: parent.verticalCenter
            spacing: Theme.px(20)
            KioskButton {
                objectName: "maintenanceLanguage"
                kind: "secondary"
                text: maint.strings["common.other_language"]
                Accessible.name: maint.strings["common.other_language_name"]
                onClicked: maint.toggleLanguage()
            }
            KioskButton {
                objectName: "leaveMaintenance"
                visible: maint.screen !== "pin"
                kind: "secondary"
                text: maint.strings["maint.leave"]
                onClicked: maint.leave()
            }
        }
    }
    Loader {
        anchors.top: band.bottom
        anchors.bottom: parent.bottom
        width: parent.width
        source: root.visible ? "screens/" + root.screens[maint.screen] : ""
    }
}
