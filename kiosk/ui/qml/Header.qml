import QtQuick

// Top band: the office, where the citizen is in the journey, and the language.
Rectangle {
    id: root
    height: band.height + (stepBand.visible ? stepBand.height : 0)
    color: Theme.primary

    Item {
        id: band
        width: parent.width
        height: Theme.px(120)


        Row {
            anchors.left: parent.left
            anchors.leftMargin: Theme.px(48)
            anchors.verticalCenter: parent.verticalCenter
            spacing: Theme.px(20)
            Image {
                source: "icons/building-" + Theme.iconOnPrimary + ".svg"
                width: Theme.px(56); height: width
                sourceSize.width: width; sourceSize.height: height
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                objectName: "siteName"
                text: vm.siteName
                color: Theme.textOnPrimary
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fpx(30)
                font.bold: true
                anchors.verticalCenter: parent.verticalCenter
            }
        }
    }

    Rectangle {
        visible: Theme.hc
        anchors.bottom: band.bottom
        width: parent.width; height: Theme.px(2); color: Theme.border
    }
    Rectangle {
        id: stepBand
        // While the on-screen keyboard is up, the field being typed in needs the room.
        visible: vm.stepNumber > 0 && !Qt.inputMethod.visible
        anchors.top: band.bottom
        width: parent.width
        height: Theme.px(84)
        color: Theme.stepBand
        Row {
            id: steps
            anchors.centerIn: parent
            spacing: Theme.px(14)
            Accessible.role: Accessible.StaticText
            Accessible.name: vm.strings["common.step"].replace("{n}", vm.stepNumber).replace("{total}", vm.stepCount)
            Repeater {
                model: ["step.service", "step.identify", "step.form", "step.review"]
                Row {
                    spacing: Theme.px(10)
                    readonly property int number: index + 1
                    readonly property bool current: number === vm.stepNumber
                    readonly property bool done: number < vm.stepNumber
                    Rectangle {
                        width: Theme.px(44); height: width; radius: width / 2
                        color: parent.current ? Theme.accent : (parent.done ? Theme.success : Theme.surface)
                        border.color: parent.done ? Theme.success : (Theme.hc ? Theme.text : Theme.primary); border.width: Theme.px(2)
                        anchors.verticalCenter: parent.verticalCenter
                        Text {
                            anchors.centerIn: parent
                            text: parent.parent.done ? "✓" : parent.parent.number
                            color: parent.parent.current ? Theme.textOnAccent : parent.parent.done ? Theme.textOnSuccess : Theme.text
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.fpx(24); font.bold: true
                        }
                    }
                    Text {
                        text: vm.strings[modelData]
                        color: parent.current ? Theme.text : Theme.muted
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.fpx(24)
                        font.bold: parent.current
                        anchors.verticalCenter: parent.verticalCenter
                    }
                    Rectangle {
                        visible: index < 3
                        width: Theme.px(48); height: Theme.px(3); color: Theme.border
                        anchors.verticalCenter: parent.verticalCenter
                    }
                }
            }
        }
    }
    Row {
        anchors.right: parent.right
        anchors.rightMargin: Theme.px(40)
        anchors.verticalCenter: band.verticalCenter
        spacing: Theme.px(16)
        KioskButton {
            objectName: "textSizeButton"
            kind: "secondary"
            text: "Aa"
            implicitWidth: Theme.minTouch + Theme.px(24)
            Accessible.name: vm.strings["common.text_size"]
            onClicked: vm.cycleTextSize()
        }
        KioskButton {
            objectName: "readAloudButton"
            visible: speech.available
            kind: speech.enabled ? "primary" : "secondary"
            text: vm.strings["common.read_aloud"]
            Accessible.name: vm.strings["common.read_aloud_name"]
            onClicked: speech.toggle()
        }
        KioskButton {
            objectName: "contrastButton"
            kind: "secondary"
            text: "◐"
            fontSize: Theme.px(40)
            implicitWidth: Theme.minTouch + Theme.px(24)
            Accessible.name: vm.strings["common.contrast"]
            onClicked: vm.toggleContrast()
        }
    KioskButton {
        objectName: "languageButton"
        visible: vm.step !== "language"
        kind: "secondary"
        icon: "language"
        text: vm.strings["common.other_language"]
        Accessible.name: vm.strings["common.other_language_name"]
        onClicked: vm.toggleLanguage()
    }
    }
}
