import QtQuick
import ".."

// An agency's online service, in the kiosk's locked-down web view, with the coach
// beside it: the next step, "teach me", a person by video, and "I'm done".
Item {
    id: root
    objectName: "eserviceScreen"
    readonly property string title: vm.serviceTitle
    readonly property var hint: eservice.hint
    readonly property bool hasHint: hint.text !== undefined
    readonly property string coachText: hasHint ? (eservice.teaching && hint.explain ? hint.explain : hint.text)
                                                : vm.strings["eservice.coach_none"]
    readonly property string spoken: vm.serviceTitle + ". " + coachText
    // The hint is read aloud as the citizen reaches each page (when read-aloud is on).
    onCoachTextChanged: if (speech.enabled) speech.say(coachText)

    Rectangle {
        id: frame
        objectName: "eserviceFrame"
        anchors.left: parent.left
        anchors.top: parent.top
        anchors.bottom: parent.bottom
        anchors.right: coach.left
        anchors.margins: Theme.px(16)
        color: "#FFFFFF"
        border.width: Theme.px(2)
        border.color: Theme.border
        Loader {
            id: web
            objectName: "eserviceLoader"
            anchors.fill: parent
            anchors.margins: Theme.px(2)
            source: "../EServiceView.qml"
        }
        // Until the first page shows, or when the site does not answer.
        Rectangle {
            anchors.fill: parent
            visible: !web.item || !web.item.loadedOnce
            color: Theme.surface
            Column {
                anchors.centerIn: parent
                width: parent.width * 0.7
                spacing: Theme.px(32)
                Text {
                    objectName: "eserviceStatus"
                    width: parent.width
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.WordWrap
                    text: web.item && web.item.failed ? vm.strings["eservice.load_failed"] : vm.strings["eservice.loading"]
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.text
                }
                KioskButton {
                    objectName: "eserviceRetry"
                    visible: !!web.item && web.item.failed
                    anchors.horizontalCenter: parent.horizontalCenter
                    text: vm.strings["eservice.retry"]
                    onClicked: web.item.reload()
                }
            }
        }
    }

    Rectangle {
        id: coach
        objectName: "coachPanel"
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.bottom: parent.bottom
        anchors.margins: Theme.px(16)
        width: Theme.px(500)
        radius: Theme.px(20)
        color: Theme.surface
        border.width: Theme.px(2)
        border.color: Theme.border
        Column {
            anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
            anchors.margins: Theme.px(28)
            spacing: Theme.px(20)
            Text {
                width: parent.width; wrapMode: Text.WordWrap
                text: vm.serviceTitle
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; color: Theme.heading
                Accessible.role: Accessible.Heading; Accessible.name: text
            }
            Text {
                text: vm.strings["eservice.coach_title"]
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); font.bold: true; color: Theme.muted
            }
            Text {
                objectName: "coachHint"
                width: parent.width; wrapMode: Text.WordWrap
                text: root.coachText
                font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.text
            }
            KioskButton {
                objectName: "coachTeach"
                visible: root.hasHint && root.hint.explain !== ""
                width: parent.width
                kind: "secondary"
                text: eservice.teaching ? vm.strings["eservice.teach_off"] : vm.strings["eservice.teach_me"]
                onClicked: eservice.toggleTeaching()
            }
            KioskButton {
                objectName: "coachListen"
                visible: speech.available
                width: parent.width
                kind: "secondary"
                text: vm.strings["eservice.listen"]
                // Turning the voice on reads the screen, the hint included.
                onClicked: speech.enabled ? speech.say(root.coachText) : speech.toggle()
            }
        }
        Column {
            anchors.left: parent.left; anchors.right: parent.right; anchors.bottom: parent.bottom
            anchors.margins: Theme.px(28)
            spacing: Theme.px(20)
            KioskButton {
                objectName: "eserviceHelp"
                width: parent.width
                kind: "help"
                icon: "person"
                text: vm.strings["eservice.ask_help"]
                onClicked: vm.askForPerson()
            }
            KioskButton {
                objectName: "eserviceDone"
                width: parent.width
                icon: "check"
                text: vm.strings["eservice.done"]
                onClicked: vm.leaveEService()
            }
        }
    }

    // Printing from the page: where the sheet is, or why not.
    Rectangle {
        objectName: "eservicePrint"
        visible: eservice.printState !== ""
        anchors.horizontalCenter: frame.horizontalCenter
        anchors.bottom: frame.bottom
        anchors.bottomMargin: Theme.px(32)
        width: printText.implicitWidth + Theme.px(64)
        height: printText.implicitHeight + Theme.px(40)
        radius: Theme.px(16)
        color: eservice.printState === "failed" ? Theme.error : Theme.primary
        Text {
            id: printText
            anchors.centerIn: parent
            text: eservice.printState === "printing" ? vm.strings["eservice.printing"]
                : eservice.printState === "printed" ? vm.strings["eservice.printed"]
                : vm.strings["eservice.print_failed"]
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28)
            color: eservice.printState === "failed" ? Theme.textOnError : Theme.textOnPrimary
        }
    }

    // A refused address or download: said plainly, with the way back.
    Rectangle {
        objectName: "eserviceNotice"
        visible: eservice.notice !== ""
        anchors.fill: frame
        color: Theme.scrim
        MouseArea { anchors.fill: parent }
        Rectangle {
            anchors.centerIn: parent
            width: Math.min(parent.width - Theme.px(96), Theme.px(1000))
            height: noticeColumn.height + Theme.px(96)
            radius: Theme.px(20)
            color: Theme.surface
            border.width: Theme.px(2); border.color: Theme.border
            Column {
                id: noticeColumn
                anchors.centerIn: parent
                width: parent.width - Theme.px(96)
                spacing: Theme.px(36)
                Text {
                    objectName: "eserviceNoticeText"
                    width: parent.width; wrapMode: Text.WordWrap
                    text: eservice.notice
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); color: Theme.text
                    Accessible.role: Accessible.AlertMessage; Accessible.name: text
                }
                KioskButton {
                    objectName: "eserviceNoticeBack"
                    anchors.horizontalCenter: parent.horizontalCenter
                    icon: "back"
                    text: vm.strings["eservice.back_to_service"]
                    onClicked: eservice.dismissNotice()
                }
            }
        }
    }

    // A page's file input: the document camera, never a file picker.
    Rectangle {
        objectName: "scanOverlay"
        visible: eservice.scanState !== ""
        anchors.fill: frame
        color: Theme.scrim
        MouseArea { anchors.fill: parent }
        Rectangle {
            anchors.centerIn: parent
            width: Math.min(parent.width - Theme.px(96), Theme.px(1000))
            height: scanColumn.height + Theme.px(96)
            radius: Theme.px(20)
            color: Theme.surface
            border.width: Theme.px(2); border.color: Theme.border
            Column {
                id: scanColumn
                anchors.centerIn: parent
                width: parent.width - Theme.px(96)
                spacing: Theme.px(28)
                readonly property bool scanning: eservice.scanState === "scanning"
                Text {
                    text: vm.strings["eservice.scan_title"]
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(40); font.bold: true; color: Theme.heading
                    Accessible.role: Accessible.Heading; Accessible.name: text
                }
                Text {
                    width: parent.width; wrapMode: Text.WordWrap
                    text: vm.strings["eservice.scan_how"]
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); color: Theme.text
                }
                Text {
                    objectName: "scanStatus"
                    width: parent.width; wrapMode: Text.WordWrap
                    text: scanColumn.scanning ? vm.strings["eservice.scanning"] : eservice.scanState
                    font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true
                    color: scanColumn.scanning ? Theme.accent : Theme.error
                }
                Row {
                    spacing: Theme.px(24)
                    KioskButton {
                        objectName: "scanAgain"
                        visible: !scanColumn.scanning
                        text: vm.strings["eservice.scan_again"]
                        onClicked: eservice.scanForPage(web.item && web.item.pendingFileRequest ? web.item.pendingFileRequest.acceptedMimeTypes : [])
                    }
                    KioskButton {
                        objectName: "scanCancel"
                        kind: "secondary"
                        text: vm.strings["eservice.cancel"]
                        onClicked: eservice.cancelScan()
                    }
                }
            }
        }
    }
}
