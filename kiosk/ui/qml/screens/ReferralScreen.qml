import QtQuick
import ".."

// A service done elsewhere: where to go and how, to keep on a phone.
Screen {
    objectName: "referralScreen"
    title: vm.strings["referral.title"]
    subtitle: vm.serviceTitle + (vm.referral.agency ? " · " + vm.referral.agency : "")
    Row {
        width: parent.width
        spacing: Theme.px(48)
        Column {
            width: parent.width - (qr.visible ? qr.width + parent.spacing : 0)
            spacing: Theme.px(28)
            Repeater {
                model: [ { label: "referral.where", value: "where", icon: "building" }, { label: "referral.how", value: "how", icon: "document" } ]
                Rectangle {
                    width: parent.width
                    height: card.height + Theme.px(56)
                    radius: Theme.px(20); color: Theme.surface
                    border.width: Theme.px(2); border.color: Theme.border
                    Column {
                        id: card
                        anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
                        anchors.margins: Theme.px(28)
                        spacing: Theme.px(10)
                        Text { text: vm.strings[modelData.label]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); font.bold: true; color: Theme.heading; Accessible.role: Accessible.Heading; Accessible.name: text }
                        Text { objectName: "referral_" + modelData.value; width: parent.width; wrapMode: Text.WordWrap; text: vm.referral[modelData.value] || ""; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); color: Theme.text }
                    }
                }
            }
        }
        Column {
            id: qr
            visible: vm.onlineQr !== ""
            width: Theme.px(320)
            spacing: Theme.px(12)
            Rectangle {
                width: parent.width; height: width; color: "#FFFFFF"; radius: Theme.px(12)
                QrCode { objectName: "referralQr"; anchors.centerIn: parent; side: Theme.px(296); source: vm.onlineQr; Accessible.name: vm.strings["referral.scan"] }
            }
            Text { width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter; text: vm.strings["referral.scan"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); color: Theme.muted }
        }
    }
    KioskButton {
        objectName: "referralDone"
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        icon: "check"
        text: vm.strings["referral.done"]
        onClicked: vm.finish()
    }
}
