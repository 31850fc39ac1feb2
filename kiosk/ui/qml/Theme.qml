pragma Singleton
import QtQuick

// One place for colours and sizes. Sizes are designed for 1920x1080 and scaled
// by `s`; the smallest touch target (88 px there) stays above 15 mm on a 24" screen.
QtObject {
    property real s: 1.0
    readonly property color background: "#F3F5F8"
    readonly property color surface: "#FFFFFF"
    readonly property color primary: "#123C69"
    readonly property color primaryDark: "#0B2744"
    readonly property color accent: "#0B63B6"
    readonly property color accentPressed: "#084A88"
    readonly property color text: "#15202B"
    readonly property color muted: "#4B5767"
    readonly property color border: "#C5CFDB"
    readonly property color error: "#B3261E"
    readonly property color errorSurface: "#FCEEEE"
    readonly property color success: "#1B6E35"
    readonly property color successSurface: "#EAF5EE"
    readonly property color help: "#0E7C66"
    readonly property color helpPressed: "#0A5E4D"
    readonly property string fontFamily: "DejaVu Sans"
    readonly property int minTouch: px(88)

    function px(v) { return Math.round(v * s) }
}
