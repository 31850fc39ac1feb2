import QtQuick
import Visio

// "Talk to a person": from asking, through the queue, to the video call and its end.
// It covers the journey below it, which stays as it was: the citizen comes back to
// their paperwork after the call.
Rectangle {
    id: root
    objectName: "callOverlay"
    color: Theme.background
    visible: false
    MouseArea { anchors.fill: parent }  // touches never reach the screen below

    readonly property bool live: call.phase === "connected" || call.phase === "reconnecting"
    // Beside an e-service page shared with the agent: the citizen goes on using the page,
    // the call narrowed to a column (Main.qml narrows the overlay).
    property bool docked: false

    Rectangle {
        id: shareNotice
        objectName: "shareNotice"
        visible: root.docked
        x: Theme.px(16); y: Theme.px(16)
        width: parent.width - Theme.px(32)
        height: visible ? noticeText.height + Theme.px(24) : 0
        radius: Theme.px(10)
        color: Theme.surface
        border.width: Theme.px(2); border.color: Theme.accent
        Text {
            id: noticeText
            anchors.centerIn: parent
            width: parent.width - Theme.px(24)
            wrapMode: Text.WordWrap
            text: vm.strings["share.notice"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); font.bold: true
            color: Theme.text
            Accessible.role: Accessible.StaticText; Accessible.name: text
        }
    }

    function open() { visible = true }
    function close() { call.close(); visible = false }

    // The remote video always exists, so the view model can hold its sink from the start.
    Rectangle {
        id: videoFrame
        visible: root.live
        x: root.docked ? Theme.px(16) : Theme.px(40)
        y: root.docked ? shareNotice.y + shareNotice.height + Theme.px(16) : Theme.px(32)
        width: root.docked ? parent.width - Theme.px(32)
                           : Math.min(parent.width * 0.64, (parent.height - Theme.px(64)) * 16 / 9)
        height: width * 9 / 16
        color: "#000000"
        radius: Theme.px(12)
        VideoView {
            id: remoteVideo
            objectName: "remoteVideo"
            anchors.fill: parent
            anchors.margins: Theme.px(4)
            Accessible.role: Accessible.Animation
            Accessible.name: vm.strings["call.video_name"].replace("{agent}", call.agentName)
        }
        Rectangle {
            objectName: "reconnectingBanner"
            visible: call.phase === "reconnecting" || call.quality !== "full"
            // Docked, the video is small: a slimmer banner leaves the agent's face visible.
            anchors { left: parent.left; right: parent.right; bottom: parent.bottom
                      margins: root.docked ? Theme.px(8) : Theme.px(16) }
            height: bannerText.height + (root.docked ? Theme.px(12) : Theme.px(32))
            radius: Theme.px(10)
            color: Theme.surface
            Text {
                id: bannerText
                anchors.centerIn: parent
                width: parent.width - Theme.px(48)
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: call.phase === "reconnecting" ? vm.strings["call.reconnecting"]
                                                    : call.quality === "full" ? "" : vm.strings["call.quality_" + call.quality]
                font.family: Theme.fontFamily; font.pixelSize: root.docked ? Theme.fpx(20) : Theme.fpx(30); font.bold: true
                color: Theme.text
                Accessible.role: Accessible.AlertMessage; Accessible.name: text
            }
        }
    }

    CallLivePanel {
        id: panel
        visible: root.live
        anchors { left: videoFrame.right; right: parent.right; top: parent.top; bottom: parent.bottom
                  leftMargin: Theme.px(32); rightMargin: Theme.px(40); topMargin: Theme.px(32); bottomMargin: Theme.px(32) }
        states: State {
            when: root.docked
            AnchorChanges { target: panel; anchors.left: root.left; anchors.top: controls.bottom }
            PropertyChanges { target: panel; anchors.leftMargin: Theme.px(16); anchors.rightMargin: Theme.px(16)
                              anchors.topMargin: Theme.px(20); anchors.bottomMargin: Theme.px(16) }
        }
    }
    CallControls {
        id: controls
        visible: root.live
        anchors { left: videoFrame.left; top: videoFrame.bottom; topMargin: root.docked ? Theme.px(16) : Theme.px(28) }
        width: videoFrame.width
    }

    CallStatusCard {
        visible: !root.live && call.phase !== "callback"
        anchors.centerIn: parent
        width: Math.min(parent.width - Theme.px(160), Theme.px(1300))
        onCloseRequested: root.close()
    }
    CallbackPicker {
        visible: call.phase === "callback"
        anchors.fill: parent
        onCloseRequested: root.close()
    }
    // Over the conversation, not the agent's face: the citizen keeps eye contact.
    PushedCard {
        visible: root.live && call.pushed.title !== undefined
        anchors { left: panel.left; right: panel.right; top: panel.top }
    }
}
