pragma Singleton
import QtQuick

// One place for colours and sizes. Sizes are designed for 1920x1080 and scaled
// by `s`; the smallest touch target (88 px there) stays above 15 mm on a 24" screen.
// `highContrast` and `textScale` are the citizen's choices, reset for the next one.
QtObject {
    property real s: 1.0
    property bool highContrast: false
    property real textScale: 1.0
    readonly property bool hc: highContrast

    readonly property color background: hc ? "#000000" : "#F3F5F8"
    readonly property color surface: hc ? "#000000" : "#FFFFFF"
    readonly property color primary: hc ? "#000000" : "#123C69"
    readonly property color textOnPrimary: "#FFFFFF"
    readonly property color subtleOnPrimary: hc ? "#FFFFFF" : "#C9DAEE"
    readonly property color accent: hc ? "#FFE14D" : "#0B63B6"
    readonly property color accentPressed: hc ? "#FFF3A6" : "#084A88"
    readonly property color textOnAccent: hc ? "#000000" : "#FFFFFF"
    readonly property color text: hc ? "#FFFFFF" : "#15202B"
    readonly property color heading: hc ? "#FFFFFF" : "#123C69"
    readonly property color muted: hc ? "#E6E6E6" : "#4B5767"
    readonly property color border: hc ? "#FFFFFF" : "#C5CFDB"
    readonly property color pressedSurface: hc ? "#333333" : "#E3E8EF"
    readonly property color tint: hc ? "#000000" : "#E6EEF8"
    readonly property color stepBand: hc ? "#000000" : "#E4ECF5"
    readonly property color error: hc ? "#FF9E97" : "#B3261E"
    readonly property color errorPressed: hc ? "#FFC9C4" : "#8C1D18"
    readonly property color textOnError: hc ? "#000000" : "#FFFFFF"
    readonly property color success: hc ? "#8DF5A8" : "#1B6E35"
    readonly property color textOnSuccess: hc ? "#000000" : "#FFFFFF"
    readonly property color successSurface: hc ? "#000000" : "#EAF5EE"
    readonly property color help: hc ? "#5CF2CF" : "#0E7C66"
    readonly property color helpPressed: hc ? "#A8FBE6" : "#0A5E4D"
    readonly property color textOnHelp: hc ? "#000000" : "#FFFFFF"
    readonly property color scrim: hc ? "#D9000000" : "#99101A26"
    // Icon files come in colours: blue/white normally, yellow/black in high contrast.
    readonly property string iconOnSurface: hc ? "yellow" : "blue"
    readonly property string iconOnAccent: hc ? "black" : "white"
    readonly property string iconOnPrimary: "white"
    readonly property string fontFamily: "DejaVu Sans"
    readonly property int minTouch: px(88)

    function px(v) { return Math.round(v * s) }
    // Text sizes follow the citizen's text-size choice; boxes grow with their text.
    function fpx(v) { return Math.round(v * s * textScale) }
}
