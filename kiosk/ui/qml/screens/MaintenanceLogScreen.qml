import QtQuick
import QtQuick.Controls
import ".."

// The log viewer: the latest lines of the kiosk's log, newest at the bottom.
Item {
    objectName: "maintenanceLogScreen"
    Text {
        id: heading
        anchors.left: parent.left; anchors.leftMargin: Theme.px(32)
        anchors.verticalCenter: back.verticalCenter
        text: maint.strings["maint.logs_title"]
        color: Theme.heading; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); font.bold: true
        Accessible.role: Accessible.Heading; Accessible.name: text
    }
    KioskButton {
        id: back
        objectName: "hideLogsButton"
        anchors.right: parent.right; anchors.top: parent.top; anchors.margins: Theme.px(20)
        kind: "secondary"
        icon: "back"
        text: maint.strings["maint.back"]
        onClicked: maint.hideLogs()
    }
    Rectangle {
        anchors.fill: parent
        anchors.topMargin: Theme.px(140)
        anchors.margins: Theme.px(32)
        color: Theme.surface
        border.width: Theme.px(2); border.color: Theme.border
        radius: Theme.px(12)
        Flickable {
            id: view
            objectName: "logView"
            anchors.fill: parent
            anchors.margins: Theme.px(16)
            clip: true
            contentWidth: width
            contentHeight: log.height
            // The newest lines first in view, as `tail` shows them.
            onContentHeightChanged: contentY = Math.max(0, contentHeight - height)
            ScrollBar.vertical: ScrollBar { width: Theme.px(24); policy: ScrollBar.AlwaysOn }
            Text {
                id: log
                objectName: "logText"
                width: view.width - Theme.px(40)
                wrapMode: Text.WrapAnywhere
                textFormat: Text.PlainText
                text: maint.logText
                color: Theme.text
                font.family: "DejaVu Sans Mono"; font.pixelSize: Theme.fpx(20)
                lineHeight: 1.2  // room for underscores, which sit below the baseline
            }
        }
    }
}
