import QtQuick
import QtQuick.Controls.Basic

// One form field, drawn for its kind. `field` is a row from vm.fields.
Column {
    id: root
    property var field
    readonly property string error: vm.errors[field.id] || ""
    width: parent ? parent.width : 0
    spacing: Theme.px(10)

    Text {
        text: root.field.label
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fpx(30)
        font.bold: true
        color: Theme.text
        width: parent.width
        wrapMode: Text.WordWrap
    }
    Text {
        visible: root.field.help !== ""
        text: root.field.help
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fpx(24)
        color: Theme.muted
        width: parent.width
        wrapMode: Text.WordWrap
    }
    Loader {
        width: parent.width
        sourceComponent: root.field.kind === "choice" ? choiceEditor
                       : root.field.kind === "date" ? dateEditor
                       : root.field.kind === "consent" ? consentEditor
                       : root.field.kind === "document" ? documentEditor
                       : root.field.kind === "signature" ? signatureEditor : textEditor
    }
    Row {
        visible: root.error !== ""
        spacing: Theme.px(12)
        Rectangle {
            width: Theme.px(34); height: width; radius: width / 2; color: Theme.error
            Text { anchors.centerIn: parent; text: "!"; color: Theme.textOnError; font.bold: true; font.pixelSize: Theme.fpx(24) }
        }
        Text {
            objectName: "error_" + root.field.id
            text: root.error
            color: Theme.error
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fpx(26)
            font.bold: true
            Accessible.role: Accessible.AlertMessage
            Accessible.name: text
        }
    }

    Component {
        id: documentEditor
        // The page under the document camera: scanned on request, shown, sent with the form.
        Row {
            readonly property string scan: vm.scans[root.field.id] || ""
            readonly property bool scanning: scan === "scanning"
            spacing: Theme.px(28)
            Rectangle {
                width: Theme.px(180); height: Theme.px(240)
                color: Theme.surface; radius: Theme.px(8)
                border.width: Theme.px(2); border.color: Theme.border
                Image {
                    objectName: "scanPreview_" + root.field.id
                    anchors.fill: parent; anchors.margins: Theme.px(6)
                    fillMode: Image.PreserveAspectFit
                    source: root.field.preview
                    cache: false  // a citizen's page or signature must not outlive their screen
                    // The box less its margins, as numbers: a size that follows the layout asks
                    // for the page twice and Qt keeps the first (see QrCode.qml).
                    sourceSize.width: Theme.px(168); sourceSize.height: Theme.px(228)
                    Accessible.role: Accessible.Graphic
                    Accessible.name: root.field.preview !== "" ? vm.strings["form.scanned"] : vm.strings["form.scan_hint"]
                }
                Image {
                    visible: root.field.preview === ""
                    anchors.centerIn: parent
                    source: "icons/document-" + Theme.iconOnSurface + ".svg"
                    width: Theme.px(72); height: width; sourceSize.width: width; sourceSize.height: width
                }
            }
            Column {
                anchors.verticalCenter: parent.verticalCenter
                spacing: Theme.px(16)
                width: root.width - Theme.px(208)
                Text {
                    objectName: "scanStatus_" + root.field.id
                    width: parent.width; wrapMode: Text.WordWrap
                    text: parent.parent.scanning ? vm.strings["form.scanning"]
                        : parent.parent.scan !== "" ? parent.parent.scan
                        : root.field.preview !== "" ? vm.strings["form.scanned"] : vm.strings["form.scan_hint"]
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26)
                    font.bold: parent.parent.scan !== "" && !parent.parent.scanning
                    color: parent.parent.scan !== "" && !parent.parent.scanning ? Theme.error : Theme.text
                }
                KioskButton {
                    objectName: "scan_" + root.field.id
                    enabled: !parent.parent.scanning
                    kind: root.field.preview !== "" ? "secondary" : "primary"
                    icon: "document"
                    text: root.field.preview !== "" ? vm.strings["form.scan_again"] : vm.strings["form.scan"]
                    onClicked: vm.scanDocument(root.field.id)
                }
            }
        }
    }

    Component {
        id: signatureEditor
        // A finger on the pad: strokes drawn as they come, kept as a PNG once the
        // citizen says so; "Clear" starts again.
        Column {
            id: pad
            spacing: Theme.px(16)
            property var strokes: []
            property int strokeCount: 0  // a pushed stroke does not notify; this does
            property bool signed: root.field.preview !== ""
            Rectangle {
                width: Math.min(root.width, Theme.px(900)); height: Theme.px(260)
                color: "#FFFFFF"; radius: Theme.px(10)
                border.width: Theme.px(2); border.color: Theme.border
                Image {
                    visible: pad.signed && pad.strokeCount === 0
                    anchors.fill: parent
                    source: root.field.preview
                    cache: false  // a citizen's page or signature must not outlive their screen
                    fillMode: Image.PreserveAspectFit
                }
                Canvas {
                    id: canvas
                    objectName: "signaturePad_" + root.field.id
                    anchors.fill: parent
                    Accessible.role: Accessible.Graphic
                    Accessible.name: root.field.label
                    onPaint: {
                        const ctx = getContext("2d")
                        ctx.clearRect(0, 0, width, height)
                        ctx.strokeStyle = "#15202B"; ctx.lineWidth = Theme.px(5); ctx.lineCap = "round"
                        for (const stroke of pad.strokes) {
                            ctx.beginPath()
                            stroke.forEach((p, i) => i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y))
                            ctx.stroke()
                        }
                    }
                }
                MouseArea {
                    anchors.fill: parent
                    preventStealing: true  // a stroke is not a scroll of the form
                    onPressed: (mouse) => { pad.strokes.push([{ x: mouse.x, y: mouse.y }]); pad.strokeCount += 1; canvas.requestPaint() }
                    onPositionChanged: (mouse) => { pad.strokes[pad.strokes.length - 1].push({ x: mouse.x, y: mouse.y }); canvas.requestPaint() }
                }
            }
            Row {
                spacing: Theme.px(20)
                KioskButton {
                    objectName: "signatureClear_" + root.field.id
                    kind: "secondary"
                    text: vm.strings["form.signature_clear"]
                    onClicked: { pad.strokes = []; pad.strokeCount = 0; canvas.requestPaint() }
                }
                KioskButton {
                    objectName: "signatureKeep_" + root.field.id
                    enabled: pad.strokeCount > 0
                    icon: "check"
                    text: vm.strings["form.signature_keep"]
                    onClicked: { vm.sign(root.field.id, canvas.toDataURL("image/png")); pad.strokes = []; pad.strokeCount = 0 }
                }
            }
            Text {
                visible: pad.signed
                text: vm.strings["form.signature_kept"]
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26); color: Theme.text
            }
        }
    }

    Component {
        id: consentEditor
        // A large box to tick: the label above says what the citizen agrees to.
        Row {
          KioskButton {
            property bool given: root.field.value === "yes"
            objectName: "consent_" + root.field.id
            kind: given ? "primary" : "secondary"
            icon: given ? "check" : ""
            text: vm.strings["form.consent_given"]
            Accessible.role: Accessible.CheckBox
            Accessible.checkable: true
            Accessible.checked: given
            Accessible.name: root.field.label
            onClicked: { given = !given; vm.setField(root.field.id, given ? "yes" : ""); speech.say(root.field.label) }
          }
        }
    }

    Component {
        id: textEditor
        TextField {
            objectName: "field_" + root.field.id
            text: root.field.value
            maximumLength: root.field.maxLength
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fpx(34)
            // The theme's colours, not the control style's dark text (unreadable on black).
            color: Theme.text
            selectionColor: Theme.accent
            selectedTextColor: Theme.textOnAccent
            placeholderTextColor: Theme.muted
            height: Theme.px(96)
            leftPadding: Theme.px(24)
            inputMethodHints: root.field.kind === "phone" ? Qt.ImhDialableCharactersOnly
                            : root.field.kind === "email" ? Qt.ImhEmailCharactersOnly
                            : root.field.kind === "postal_code" ? (Qt.ImhUppercaseOnly | Qt.ImhNoPredictiveText)
                            : Qt.ImhNone
            Accessible.name: root.field.label
            // Read aloud (when the citizen turned it on): what to type here, and how.
            onActiveFocusChanged: if (activeFocus) speech.say(root.field.label + ". " + root.field.help)
            background: Rectangle {
                radius: Theme.px(10)
                color: Theme.surface
                border.width: parent.activeFocus ? Theme.px(4) : Theme.px(2)
                border.color: root.error !== "" ? Theme.error : (parent.activeFocus ? Theme.accent : Theme.border)
            }
            onTextEdited: vm.setField(root.field.id, text)
        }
    }

    Component {
        id: choiceEditor
        Flow {
            spacing: Theme.px(16)
            property string selected: root.field.value
            Repeater {
                model: root.field.choices
                KioskButton {
                    objectName: "choice_" + root.field.id + "_" + modelData.value
                    kind: parent.selected === modelData.value ? "primary" : "secondary"
                    icon: parent.selected === modelData.value ? "check" : ""
                    text: modelData.label
                    fontSize: Theme.fpx(28)
                    Accessible.role: Accessible.RadioButton
                    Accessible.checked: parent.selected === modelData.value
                    onClicked: { parent.selected = modelData.value; vm.setField(root.field.id, modelData.value); speech.say(root.field.label + ": " + modelData.label) }
                }
            }
        }
    }

    Component {
        id: dateEditor
        Row {
            id: picker
            spacing: Theme.px(24)
            property date current: initialDate()
            function initialDate() {
                if (root.field.value !== "") return new Date(root.field.value + "T12:00:00")
                const today = new Date(); today.setHours(12)
                if (root.field.minDate !== "") {
                    const min = new Date(root.field.minDate + "T12:00:00")
                    if (min > today) return min
                }
                return today
            }
            function iso(d) {
                return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0")
            }
            function shift(days, months) {
                const d = new Date(current)
                if (months !== 0) d.setMonth(d.getMonth() + months)
                d.setDate(d.getDate() + days)
                current = d
                vm.setField(root.field.id, iso(d))
            }
            Component.onCompleted: vm.setField(root.field.id, iso(current))
            Repeater {
                model: [
                    { part: "day", label: vm.strings["form.day"], text: picker.current.getDate(), days: 1, months: 0 },
                    { part: "month", label: vm.strings["form.month"], text: picker.current.toLocaleDateString(Qt.locale(vm.language === "fr" ? "fr_CA" : "en_CA"), "MMMM"), days: 0, months: 1 },
                    { part: "year", label: vm.strings["form.year"], text: picker.current.getFullYear(), days: 0, months: 12 }
                ]
                Rectangle {
                    width: Theme.px(modelData.part === "month" ? 420 : 300); height: Theme.px(104)
                    radius: Theme.px(10); color: Theme.surface
                    border.width: Theme.px(2); border.color: root.error !== "" ? Theme.error : Theme.border
                    Accessible.role: Accessible.SpinBox
                    Accessible.name: modelData.label + " " + modelData.text
                    KioskButton {
                        objectName: "date_" + root.field.id + "_" + modelData.part + "_minus"
                        anchors.left: parent.left; anchors.verticalCenter: parent.verticalCenter
                        anchors.leftMargin: Theme.px(6)
                        implicitWidth: Theme.minTouch; kind: "quiet"; text: "−"; fontSize: Theme.fpx(44)
                        Accessible.name: modelData.label + " −"
                        onClicked: picker.shift(-modelData.days, -modelData.months)
                    }
                    Column {
                        anchors.centerIn: parent
                        Text { anchors.horizontalCenter: parent.horizontalCenter; text: modelData.label; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(20); color: Theme.muted }
                        Text { anchors.horizontalCenter: parent.horizontalCenter; text: modelData.text; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); font.bold: true; color: Theme.text }
                    }
                    KioskButton {
                        objectName: "date_" + root.field.id + "_" + modelData.part + "_plus"
                        anchors.right: parent.right; anchors.verticalCenter: parent.verticalCenter
                        anchors.rightMargin: Theme.px(6)
                        implicitWidth: Theme.minTouch; kind: "quiet"; text: "+"; fontSize: Theme.fpx(44)
                        Accessible.name: modelData.label + " +"
                        onClicked: picker.shift(modelData.days, modelData.months)
                    }
                }
            }
        }
    }
}
