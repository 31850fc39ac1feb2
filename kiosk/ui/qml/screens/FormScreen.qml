import QtQuick
import QtQuick.Controls.Basic
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
        Flow {
            id: fields
            width: parent.width - Theme.px(40)
            spacing: Theme.px(40)
            Repeater {
                model: vm.fields
                // Two columns of short fields; dates and choices get the full width.
                FieldEditor {
                    field: modelData
                    width: modelData.kind === "date" || modelData.kind === "choice"
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
