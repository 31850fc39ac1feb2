import QtQuick

// The agent's pointer: a pulsing ring where the agent clicked on the shared screen,
// with "The agent is showing you this" next to it, for about three seconds. Set
// spotX/spotY (in the parent's coordinates) and label, then bump generation.
Item {
    id: root
    objectName: "agentPointer"
    anchors.fill: parent
    property real spotX: 0
    property real spotY: 0
    property string label: ""
    property int generation: 0
    readonly property int showMs: 3000
    readonly property real ringSize: Math.max(72, Math.min(width, height) * 0.08)
    visible: false
    enabled: false  // never takes a touch: the citizen's screen works under it

    onGenerationChanged: {
        visible = true
        pulse.restart()
        hide.restart()
    }
    Timer { id: hide; interval: root.showMs; onTriggered: root.visible = false }

    Rectangle {
        id: ring
        objectName: "agentPointerRing"
        width: root.ringSize; height: width; radius: width / 2
        x: root.spotX - width / 2; y: root.spotY - height / 2
        color: "transparent"
        border.width: Math.max(6, width / 10); border.color: "#E8590C"
        Accessible.role: Accessible.Indicator
        Accessible.name: root.label
        Rectangle {  // the exact spot
            anchors.centerIn: parent
            width: parent.width / 5; height: width; radius: width / 2
            color: "#E8590C"
        }
        SequentialAnimation on scale {
            id: pulse
            running: false
            loops: 3
            NumberAnimation { from: 1.0; to: 1.35; duration: 450; easing.type: Easing.OutQuad }
            NumberAnimation { from: 1.35; to: 1.0; duration: 450; easing.type: Easing.InQuad }
        }
    }
    Rectangle {
        objectName: "agentPointerLabel"
        color: "#1F2933"; radius: 12
        width: caption.implicitWidth + 32; height: caption.implicitHeight + 20
        // Beside the ring, kept inside the screen.
        x: Math.max(0, Math.min(root.width - width, ring.x + ring.width + 12))
        y: Math.max(0, Math.min(root.height - height, ring.y + ring.height / 2 - height / 2))
        Text {
            id: caption
            anchors.centerIn: parent
            text: root.label
            color: "#FFFFFF"; font.pixelSize: 28; font.bold: true
            Accessible.role: Accessible.StaticText; Accessible.name: text
        }
    }
}
