import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Window
import ".."

// The service's form, drawn from the catalogue, with errors next to each field.
Screen {
    objectName: "formScreen"
    title: vm.serviceTitle
    // In a life event's later request, what the citizen gave already is filled in.
    readonly property bool prefilled: vm.pathSteps.length > 0 && vm.pathSteps[0].state === "done"
    subtitle: vm.hasErrors ? vm.strings["form.fix_errors"]
            : prefilled ? vm.strings["path.prefilled"] : vm.strings["form.required_note"]
    Flickable {
        id: flick
        objectName: "formFlickable"
        anchors.top: parent.top
        anchors.bottom: next.top
        anchors.bottomMargin: Theme.px(20)
        width: parent.width
        contentHeight: fields.height
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar { width: Theme.px(16); policy: flick.contentHeight > flick.height ? ScrollBar.AlwaysOn : ScrollBar.AlwaysOff }
        // Keep the field being typed in visible: when it takes focus, and when the
        // keyboard opens and the view shrinks under it.
        function reveal() {
            const item = Window.activeFocusItem
            if (!item || !fields.contains(fields.mapFromItem(item, 0, 0))) return
            const top = fields.mapFromItem(item, 0, 0).y - Theme.px(100)  // its label and help too
            const bottom = top + item.height + Theme.px(80)
            if (top < contentY) contentY = Math.max(0, top)
            else if (bottom > contentY + height) contentY = Math.min(contentHeight - height, bottom - height)
        }
        onHeightChanged: Qt.callLater(reveal)
        Connections {
            target: flick.Window.window
            function onActiveFocusItemChanged() { Qt.callLater(flick.reveal) }
        }
        Flow {
            id: fields
            width: parent.width - Theme.px(40)
            spacing: Theme.px(40)
            Repeater {
                model: vm.fields
                // Two columns of short fields; dates and choices get the full width.
                FieldEditor {
                    field: modelData
                    width: ["date", "choice", "consent", "document", "signature"].includes(modelData.kind)
                           ? fields.width : (fields.width - fields.spacing) / 2
                }
            }
        }
    }
    KioskButton {
        id: next
        objectName: "formContinue"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        text: vm.strings["common.next"]
        onClicked: vm.submitForm()
    }
}
