import QtQuick
import QtQuick.Controls.Basic
import ".."

// What will be sent, one line per item, before the citizen confirms.
Screen {
    objectName: "reviewScreen"
    title: vm.strings["review.title"]
    subtitle: vm.serviceTitle
    Flickable {
        id: flick
        anchors.top: parent.top
        anchors.bottom: actions.top
        anchors.bottomMargin: Theme.px(24)
        width: parent.width
        contentHeight: rows.height
        clip: true
        ScrollBar.vertical: ScrollBar { width: Theme.px(16); policy: flick.contentHeight > flick.height ? ScrollBar.AlwaysOn : ScrollBar.AlwaysOff }
        Rectangle {
            width: parent.width - Theme.px(40)
            height: rows.height
            radius: Theme.px(16); color: Theme.surface
            border.width: Theme.px(2); border.color: Theme.border
            Column {
                id: rows
                width: parent.width
                Repeater {
                    model: vm.reviewRows
                    Rectangle {
                        width: rows.width; height: Math.max(Theme.px(84), value.implicitHeight + Theme.px(36))
                        color: "transparent"
                        Rectangle { visible: index > 0; width: parent.width - Theme.px(64); x: Theme.px(32); height: 1; color: Theme.border }
                        Text { x: Theme.px(40); width: parent.width * 0.38; anchors.verticalCenter: parent.verticalCenter; wrapMode: Text.WordWrap; text: modelData.label; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); color: Theme.muted }
                        Text { id: value; x: parent.width * 0.42; width: parent.width * 0.55; anchors.verticalCenter: parent.verticalCenter; wrapMode: Text.WordWrap; text: modelData.value; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; color: Theme.text }
                    }
                }
            }
        }
    }
    Row {
        id: actions
        anchors.bottom: parent.bottom
        anchors.right: parent.right
        spacing: Theme.px(24)
        Text {
            objectName: "saveError"
            visible: vm.saveError !== ""
            width: Theme.px(820); anchors.verticalCenter: parent.verticalCenter
            wrapMode: Text.WordWrap; text: vm.saveError
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26); font.bold: true; color: Theme.error
            Accessible.role: Accessible.AlertMessage; Accessible.name: text
        }
        Text {
            visible: vm.step === "submitting"
            anchors.verticalCenter: parent.verticalCenter
            text: vm.strings["review.saving"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.muted
        }
        KioskButton { objectName: "reviewEdit"; kind: "secondary"; text: vm.strings["review.edit"]; enabled: vm.step === "review"; onClicked: vm.edit() }
        KioskButton { objectName: "reviewConfirm"; icon: "check"; text: vm.strings["review.confirm"]; enabled: vm.step === "review" && !vm.busy; onClicked: vm.confirm() }
    }
}
