import QtQuick
import ".."

// Diagnostics: each device with its self-test, network and sync, the system,
// and the technician's actions (out of service, log, restart).
Item {
    objectName: "maintenanceScreen"
    readonly property int gap: Theme.px(32)

    component Card: Rectangle {
        default property alias content: inner.data
        property string heading: ""
        height: inner.height + Theme.px(48)
        radius: Theme.px(16); color: Theme.surface
        border.width: Theme.px(2); border.color: Theme.border
        Column {
            id: inner
            anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
            anchors.margins: Theme.px(24)
            spacing: Theme.px(10)
            Text { visible: parent.parent.heading !== ""; text: parent.parent.heading; color: Theme.heading; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; Accessible.role: Accessible.Heading; Accessible.name: text }
        }
    }
    component Line: Text {
        width: parent.width; wrapMode: Text.WordWrap
        color: Theme.text; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24)
    }

    Row {
        anchors.fill: parent
        anchors.margins: parent.gap
        spacing: parent.gap

        // -- devices --
        Column {
            width: Theme.px(800)
            spacing: Theme.px(20)
            Repeater {
                model: maint.deviceNames
                Card {
                    objectName: "device_" + modelData
                    visible: maint.devices[modelData] !== undefined
                    width: parent.width
                    readonly property string device: modelData
                    readonly property var info: maint.devices[device] || ({ name: "", state: "", stateText: "", message: "", testLabel: "" })
                    readonly property var test: maint.tests[device] || ({})
                    Row {
                        width: parent.width
                        spacing: Theme.px(16)
                        Text { width: parent.width - badge.width - parent.spacing; text: info.name; color: Theme.heading; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true; anchors.verticalCenter: parent.verticalCenter }
                        Rectangle {
                            id: badge
                            width: stateText.implicitWidth + Theme.px(32); height: Theme.px(44); radius: height / 2
                            color: info.state === "ok" ? Theme.success : info.state === "degraded" ? Theme.help : Theme.error
                            Text { id: stateText; objectName: "deviceState_" + device; anchors.centerIn: parent; text: info.stateText; color: info.state === "ok" ? Theme.textOnSuccess : info.state === "degraded" ? Theme.textOnHelp : Theme.textOnError; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(22); font.bold: true }
                        }
                    }
                    Line { text: info.message }
                    Row {
                        width: parent.width
                        spacing: Theme.px(20)
                        KioskButton {
                            id: testButton
                            objectName: "selfTest_" + device
                            kind: "secondary"
                            fontSize: Theme.fpx(26)
                            enabled: test.state !== "running"
                            text: info.testLabel
                            onClicked: maint.runSelfTest(device)
                        }
                        Text {
                            objectName: "selfTestResult_" + device
                            anchors.verticalCenter: parent.verticalCenter
                            width: parent.width - testButton.width - frame.width - 2 * parent.spacing
                            wrapMode: Text.WordWrap
                            text: test.message || ""
                            color: test.state === "passed" ? Theme.success : test.state === "failed" ? Theme.error : Theme.muted
                            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); font.bold: test.state !== "running"
                        }
                        // The document camera's self-test frame, for the technician to judge.
                        Image {
                            id: frame
                            objectName: device === "document_camera" ? "cameraFrame" : ""
                            visible: device === "document_camera" && maint.cameraFrame !== ""
                            width: visible ? Theme.px(200) : 0; height: Theme.px(150)
                            fillMode: Image.PreserveAspectFit
                            source: device === "document_camera" ? maint.cameraFrame : ""
                            cache: false
                            Accessible.role: Accessible.Graphic
                            Accessible.name: info.testLabel
                        }
                    }
                }
            }
        }

        // -- network and sync --
        Column {
            width: Theme.px(520)
            spacing: Theme.px(20)
            Card {
                width: parent.width
                heading: maint.strings["maint.network"]
                Line { objectName: "backendLine"; text: maint.backendLine; font.bold: true }
                Repeater { model: maint.syncLines; Line { text: modelData } }
                Line { objectName: "syncMessage"; visible: text !== ""; text: maint.syncMessage; color: Theme.success }
                KioskButton { objectName: "syncNowButton"; kind: "secondary"; fontSize: Theme.fpx(26); text: maint.strings["maint.sync_now"]; onClicked: maint.syncNow() }
            }
            Card {
                objectName: "deadLetters"
                visible: maint.deadLetters.length > 0
                width: parent.width
                Repeater {
                    model: maint.deadLetters.slice(0, 4)
                    Line { text: modelData.when + " · " + modelData.kind + "\n" + modelData.reason; font.pixelSize: Theme.fpx(20) }
                }
            }
        }

        // -- system and actions --
        Column {
            width: parent.width - Theme.px(800) - Theme.px(520) - 2 * parent.spacing
            spacing: Theme.px(20)
            Card {
                width: parent.width
                heading: maint.strings["maint.system"]
                Repeater { model: maint.systemLines; Line { text: modelData } }
            }
            Rectangle {
                objectName: "outOfServiceBanner"
                visible: maint.outOfService
                width: parent.width; height: banner.implicitHeight + Theme.px(32); radius: Theme.px(12)
                color: Theme.error
                Text { id: banner; anchors.centerIn: parent; width: parent.width - Theme.px(32); wrapMode: Text.WordWrap; text: maint.strings["maint.is_out_of_service"]; color: Theme.textOnError; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); font.bold: true }
            }
            KioskButton { objectName: "outOfServiceToggle"; width: parent.width; kind: maint.outOfService ? "primary" : "danger"; fontSize: Theme.fpx(26); text: maint.outOfService ? maint.strings["maint.back_in_service"] : maint.strings["maint.out_of_service"]; onClicked: maint.toggleOutOfService() }
            KioskButton { objectName: "showLogsButton"; width: parent.width; kind: "secondary"; fontSize: Theme.fpx(26); text: maint.strings["maint.logs"]; onClicked: maint.showLogs() }
            KioskButton { objectName: "refreshButton"; width: parent.width; kind: "secondary"; fontSize: Theme.fpx(26); text: maint.strings["maint.refresh"]; onClicked: maint.refresh() }
            KioskButton { objectName: "restartButton"; width: parent.width; kind: "secondary"; fontSize: Theme.fpx(26); text: maint.strings["maint.restart"]; onClicked: maint.restart() }
        }
    }
}
