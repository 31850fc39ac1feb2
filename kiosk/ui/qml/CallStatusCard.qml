import QtQuick

// Everything but the live call: the offer to call (with consent to share answers),
// the queue with an honest estimate, connecting, and how the call ended.
Rectangle {
    id: root
    signal closeRequested()
    height: content.height + Theme.px(112)
    radius: Theme.px(20)
    color: Theme.surface
    border.width: Theme.hc ? Theme.px(3) : 0
    border.color: Theme.border

    readonly property string phase: call.phase
    readonly property string title: {
        switch (phase) {
        case "idle": return vm.strings["call.title"]
        case "requesting": return vm.strings["call.requesting"]
        case "queued": return call.position <= 1 ? vm.strings["call.next_in_line"]
                                                 : vm.strings["call.queued"].replace("{position}", call.position)
        case "connecting": return vm.strings["call.connecting"].replace("{agent}", call.agentName)
        case "callback_booked": return vm.strings["call.callback_booked_title"]
        case "ended": return vm.strings["call.ended"]
        default: return vm.strings["call.failed"]
        }
    }
    readonly property string body: {
        switch (phase) {
        case "idle": return vm.strings["call.intro"]
        case "queued": return call.waitMinutes > 0 ? vm.strings["call.wait"].replace("{minutes}", call.waitMinutes)
                                                   : vm.strings["call.wait_soon"]
        case "callback_booked": return vm.strings["call.callback_booked"].replace("{slot}", call.callbackBooked)
                                                                       .replace("{reference}", call.callbackReference)
        case "ended": return vm.strings["call.ended_body"]
        case "failed": return call.errorText
        default: return vm.strings["call.stay_near"]
        }
    }

    Column {
        id: content
        x: Theme.px(64); y: Theme.px(56)
        width: root.width - Theme.px(128)
        spacing: Theme.px(28)
        Row {
            spacing: Theme.px(24)
            width: parent.width
            Rectangle {
                width: Theme.px(88); height: width; radius: width / 2; color: Theme.help
                Image { anchors.centerIn: parent; source: "icons/person-" + Theme.iconOnAccent + ".svg"; width: Theme.px(52); height: width; sourceSize.width: width; sourceSize.height: width }
            }
            Text {
                objectName: "callTitle"
                width: parent.width - Theme.px(112)
                anchors.verticalCenter: parent.verticalCenter
                wrapMode: Text.WordWrap
                text: root.title
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(46); font.bold: true
                color: Theme.text
                Accessible.role: Accessible.Heading; Accessible.name: text
            }
        }
        Text {
            objectName: "callBody"
            width: parent.width; wrapMode: Text.WordWrap
            text: root.body
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); color: Theme.text
            Accessible.role: Accessible.StaticText; Accessible.name: text
        }
        Text {
            visible: root.phase === "idle" && vm.step !== "attract"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["call.share_question"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.muted
        }
        Flow {
            width: parent.width
            spacing: Theme.px(24)
            KioskButton {
                objectName: "callShareButton"
                visible: root.phase === "idle" && vm.step !== "attract"
                kind: "help"; icon: "person"
                text: vm.strings["call.call_and_share"]
                onClicked: call.call(true)
            }
            KioskButton {
                objectName: "callButton"
                visible: root.phase === "idle"
                kind: vm.step === "attract" ? "help" : "secondary"
                icon: vm.step === "attract" ? "person" : ""
                text: vm.step === "attract" ? vm.strings["call.call"] : vm.strings["call.call_without_sharing"]
                onClicked: call.call(false)
            }
            KioskButton {
                objectName: "leaveQueueButton"
                visible: root.phase === "requesting" || root.phase === "queued" || root.phase === "connecting"
                kind: "secondary"
                text: vm.strings["call.leave_queue"]
                onClicked: call.hangUp()
            }
            KioskButton {
                objectName: "callCloseButton"
                visible: root.phase === "idle" || root.phase === "ended" || root.phase === "failed"
                         || root.phase === "callback_booked"
                kind: root.phase === "idle" ? "quiet" : "primary"
                text: vm.step === "attract" || root.phase === "idle" ? vm.strings["common.close"]
                                                                    : vm.strings["call.back_to_paperwork"]
                onClicked: root.closeRequested()
            }
        }
        // Always another way to a person, in case the video cannot help.
        Text {
            visible: root.phase !== "ended" && root.phase !== "callback_booked"
            width: parent.width; wrapMode: Text.WordWrap
            text: vm.strings["call.other_ways"].replace("{desk}", vm.helpContact.desk).replace("{phone}", vm.helpContact.phone)
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26); color: Theme.muted
        }
    }
}
