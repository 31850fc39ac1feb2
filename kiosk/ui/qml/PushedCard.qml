import QtQuick

// A link the agent put on the screen: its title, a QR code to take it home, the address.
Rectangle {
    id: root
    objectName: "pushedCard"
    height: content.height + Theme.px(64)
    radius: Theme.px(16)
    color: Theme.surface
    border.width: Theme.px(3); border.color: Theme.accent
    Column {
        id: content
        x: Theme.px(32); y: Theme.px(32)
        width: parent.width - Theme.px(64)
        spacing: Theme.px(20)
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: call.pushed.title || ""
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32); font.bold: true
            color: Theme.heading
            Accessible.role: Accessible.Heading; Accessible.name: text
        }
        Rectangle {
            visible: (call.pushed.qr || "") !== ""
            width: Theme.px(320); height: width; color: "#FFFFFF"
            anchors.horizontalCenter: parent.horizontalCenter
            QrCode {
                objectName: "pushedQr"
                anchors.centerIn: parent; side: Theme.px(296)
                source: call.pushed.qr || ""
                Accessible.name: vm.strings["call.qr_name"]
            }
        }
        Text {
            width: parent.width; wrapMode: Text.WrapAnywhere
            text: call.pushed.url || ""
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(24); color: Theme.text
        }
        KioskButton { objectName: "pushedCloseButton"; kind: "secondary"; text: vm.strings["common.close"]; onClicked: call.dismissPushed() }
    }
}
