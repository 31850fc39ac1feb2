import QtQuick
import ".."

// The kiosk is out of service (a technician said so): where else a citizen can go,
// in both languages at once, as the attract screen. Only people who are really
// there are offered (the reception desk, the phone line), no video call.
Rectangle {
    id: root
    objectName: "outOfServiceScreen"
    color: Theme.primary
    readonly property var fr: maint.notice["fr"]
    readonly property var en: maint.notice["en"]
    readonly property string spoken: fr.title + ". " + fr.desk + ". " + en.title + ". " + en.desk
    // A touch does nothing here; it is not the start of a journey.
    MouseArea { anchors.fill: parent; Accessible.ignored: true }

    Row {
        anchors.top: parent.top
        anchors.topMargin: Theme.px(72)
        anchors.horizontalCenter: parent.horizontalCenter
        spacing: Theme.px(80)
        Repeater {
            model: [root.fr, root.en]
            Column {
                objectName: "outOfService_" + (index === 0 ? "fr" : "en")
                width: Theme.px(760)
                spacing: Theme.px(22)
                Text { width: parent.width; wrapMode: Text.WordWrap; text: modelData.title; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(56); font.bold: true; Accessible.role: Accessible.Heading; Accessible.name: text }
                Text { width: parent.width; wrapMode: Text.WordWrap; text: modelData.apology; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30) }
                Text { width: parent.width; wrapMode: Text.WordWrap; text: "• " + modelData.desk; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true }
                Text { width: parent.width; wrapMode: Text.WordWrap; text: "• " + modelData.phone; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30); font.bold: true }
                Text { visible: modelData.elsewhere_title !== ""; width: parent.width; text: modelData.elsewhere_title; color: Theme.subtleOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); font.bold: true; topPadding: Theme.px(12) }
                Repeater {
                    model: modelData.places
                    Column {
                        width: parent.width
                        spacing: Theme.px(4)
                        Text { width: parent.width; wrapMode: Text.WordWrap; text: modelData.name; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(28); font.bold: true }
                        Text { width: parent.width; wrapMode: Text.WordWrap; text: modelData.address; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(26) }
                        Text { visible: modelData.hours !== ""; width: parent.width; wrapMode: Text.WordWrap; text: modelData.hours; color: Theme.subtleOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24) }
                    }
                }
            }
        }
    }
    Row {
        visible: root.fr.online_url !== ""
        anchors.bottom: parent.bottom
        anchors.bottomMargin: Theme.px(56)
        anchors.horizontalCenter: parent.horizontalCenter
        spacing: Theme.px(40)
        Column {
            anchors.verticalCenter: parent.verticalCenter
            spacing: Theme.px(8)
            Text { anchors.right: parent.right; text: root.fr.online + " / " + root.en.online; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(30) }
            Text { objectName: "outOfServiceUrl"; anchors.right: parent.right; text: root.fr.online_url; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); font.bold: true }
        }
        Rectangle {
            width: Theme.px(220); height: width; color: "#FFFFFF"; radius: Theme.px(12)
            QrCode { objectName: "outOfServiceQr"; anchors.centerIn: parent; side: Theme.px(196); source: maint.onlineQr; Accessible.name: root.fr.online + " / " + root.en.online }
        }
    }
    HiddenCorner {}
}
