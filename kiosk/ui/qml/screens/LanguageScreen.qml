import QtQuick
import ".."

// The first choice, asked in both languages.
Item {
    objectName: "languageScreen"
    readonly property string spoken: "Choisissez votre langue : français ou anglais. Choose your language: French or English."
    Column {
        anchors.centerIn: parent
        spacing: Theme.px(56)
        Column {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: Theme.px(8)
            Text { anchors.horizontalCenter: parent.horizontalCenter; text: "Choisissez votre langue"; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(56); font.bold: true; color: Theme.text; Accessible.role: Accessible.Heading; Accessible.name: text }
            Text { anchors.horizontalCenter: parent.horizontalCenter; text: "Choose your language"; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(44); color: Theme.muted }
        }
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: Theme.px(56)
            KioskButton { objectName: "languageFr"; text: "Français"; fontSize: Theme.fpx(48); implicitWidth: Theme.px(560); implicitHeight: Theme.px(220); onClicked: vm.chooseLanguage("fr") }
            KioskButton { objectName: "languageEn"; text: "English"; fontSize: Theme.fpx(48); implicitWidth: Theme.px(560); implicitHeight: Theme.px(220); onClicked: vm.chooseLanguage("en") }
        }
    }
}
