import QtQuick

// The technician's way in: a long press (maint.holdMs) in the top-left corner.
// Nothing shows it, and screen readers skip it: a citizen's tap here is an
// ordinary tap (`tapped`), and only a hold that no citizen makes opens the PIN pad.
MouseArea {
    id: root
    objectName: "maintenanceCorner"
    signal tapped()
    anchors.left: parent.left
    anchors.top: parent.top
    width: Theme.px(160)
    height: Theme.px(160)
    pressAndHoldInterval: maint.holdMs
    Accessible.ignored: true
    onPressAndHold: maint.beginEntry()
    onClicked: root.tapped()
}
