import QtQuick

// Top band: the office, where the citizen is in the journey, and the language.
Rectangle {
    id: root
    height: band.height + (steps.visible ? stepBand.height : 0)
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
                source: "icons/building-white.svg"
                width: Theme.px(56); height: width
                sourceSize.width: width; sourceSize.height: height
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                objectName: "siteName"
                text: vm.siteName
                color: "white"
                font.family: Theme.fontFamily
                font.pixelSize: Theme.px(30)
                font.bold: true
                anchors.verticalCenter: parent.verticalCenter
            }
        }
    }

    Rectangle {
        id: stepBand
        visible: steps.visible
        anchors.top: band.bottom
        width: parent.width
        height: Theme.px(84)
        color: "#E4ECF5"
    }
    Row {
        id: steps
        visible: vm.stepNumber > 0
        anchors.centerIn: stepBand
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
                    color: parent.current ? Theme.primary : (parent.done ? Theme.success : "white")
                    border.color: parent.done ? Theme.success : Theme.primary; border.width: Theme.px(2)
                    anchors.verticalCenter: parent.verticalCenter
                    Text {
                        anchors.centerIn: parent
                        text: parent.parent.done ? "✓" : parent.parent.number
                        color: parent.parent.current || parent.parent.done ? "white" : Theme.primary
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.px(24); font.bold: true
                    }
                }
                Text {
                    text: vm.strings[modelData]
                    color: parent.current ? Theme.primary : Theme.muted
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.px(24)
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

    KioskButton {
        objectName: "languageButton"
        visible: vm.step !== "language"
        anchors.right: parent.right
        anchors.rightMargin: Theme.px(40)
        anchors.verticalCenter: band.verticalCenter
        kind: "secondary"
        icon: "language-blue"
        text: vm.strings["common.other_language"]
        Accessible.name: vm.strings["common.other_language_name"]
        onClicked: vm.toggleLanguage()
    }
}
