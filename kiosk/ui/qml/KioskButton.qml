import QtQuick

// A large touch button. `kind`: primary (main action), secondary (outlined),
// help (talk to a person), danger (erase), quiet (text only).
Rectangle {
    id: root
    property string text: ""
    property string kind: "primary"
    property string icon: ""
    property int fontSize: Theme.fpx(32)
    signal clicked()
    readonly property bool filled: kind === "primary" || kind === "help" || kind === "danger"
    readonly property color foreground: kind === "help" ? Theme.textOnHelp
                                      : kind === "danger" ? Theme.textOnError
                                      : filled ? Theme.textOnAccent : Theme.accent
    readonly property string iconColour: filled ? Theme.iconOnAccent : Theme.iconOnSurface

    readonly property int iconSpace: icon !== "" ? Theme.px(56) : 0
    implicitHeight: Math.max(Theme.minTouch, label.height + Theme.px(40))
    implicitWidth: Math.max(Theme.px(240), label.implicitWidth + iconSpace + Theme.px(72))
    radius: Theme.px(14)
    opacity: enabled ? 1.0 : 0.4
    color: {
        const pressed = area.pressed
        switch (kind) {
        case "primary": return pressed ? Theme.accentPressed : Theme.accent
        case "help": return pressed ? Theme.helpPressed : Theme.help
        case "danger": return pressed ? Theme.errorPressed : Theme.error
        case "quiet": return pressed ? Theme.pressedSurface : "transparent"
        default: return pressed ? Theme.pressedSurface : Theme.surface
        }
    }
    border.width: kind === "secondary" ? Theme.px(3) : 0
    border.color: Theme.accent

    Accessible.role: Accessible.Button
    Accessible.name: root.text
    Accessible.focusable: true
    Accessible.onPressAction: if (root.enabled) root.clicked()

    Row {
        id: content
        anchors.centerIn: parent
        spacing: Theme.px(16)
        Image {
            visible: root.icon !== ""
            source: root.icon !== "" ? "icons/" + root.icon + "-" + root.iconColour + ".svg" : ""
            width: Theme.px(40); height: width
            sourceSize.width: width; sourceSize.height: height
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            id: label
            text: root.text
            font.family: Theme.fontFamily
            font.pixelSize: root.fontSize
            font.bold: root.kind !== "quiet"
            color: root.foreground
            anchors.verticalCenter: parent.verticalCenter
            width: Math.min(implicitWidth, root.width - Theme.px(72) - root.iconSpace)
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
    MouseArea {
        id: area
        anchors.fill: parent
        onClicked: root.clicked()
    }
}
