import QtQuick
import ".."

// Shown while nobody uses the kiosk: both languages at once, touch anywhere.
Rectangle {
    objectName: "attractScreen"
    color: Theme.primary
    MouseArea {
        objectName: "attractTouchArea"
        anchors.fill: parent
        onClicked: vm.start()
        Accessible.role: Accessible.Button
        Accessible.name: "Commencer / Start"
        Accessible.onPressAction: vm.start()
    }
    Column {
        anchors.centerIn: parent
        anchors.verticalCenterOffset: -Theme.px(40)
        spacing: Theme.px(36)
        Image {
            anchors.horizontalCenter: parent.horizontalCenter
            source: "../icons/building-" + Theme.iconOnPrimary + ".svg"
            width: Theme.px(150); height: width
            sourceSize.width: width; sourceSize.height: height
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: vm.siteName
            color: Theme.subtleOnPrimary
            font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34)
        }
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: Theme.px(64)
            Repeater {
                model: [["Bienvenue", "Faites vos démarches ici,\nou parlez à une personne"],
                        ["Welcome", "Do your paperwork here,\nor talk to a person"]]
                Column {
                    spacing: Theme.px(16)
                    width: Theme.px(640)
                    Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; text: modelData[0]; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(96); font.bold: true }
                    Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; text: modelData[1]; color: Theme.textOnPrimary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(34); lineHeight: 1.15 }
                }
            }
        }
        Rectangle {
            anchors.horizontalCenter: parent.horizontalCenter
            width: Theme.px(1120); height: Theme.px(150); radius: Theme.px(75)
            color: Theme.hc ? Theme.accent : "#FFFFFF"
            SequentialAnimation on opacity {
                loops: Animation.Infinite
                NumberAnimation { from: 1.0; to: 0.82; duration: 1400; easing.type: Easing.InOutQuad }
                NumberAnimation { from: 0.82; to: 1.0; duration: 1400; easing.type: Easing.InOutQuad }
            }
            Column {
                anchors.centerIn: parent
                Text { anchors.horizontalCenter: parent.horizontalCenter; text: "Touchez l'écran pour commencer"; color: Theme.hc ? Theme.textOnAccent : Theme.primary; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(40); font.bold: true }
                Text { anchors.horizontalCenter: parent.horizontalCenter; text: "Touch the screen to start"; color: Theme.hc ? Theme.textOnAccent : Theme.accent; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(32) }
            }
        }
    }
    // The technician's long press; a short tap here starts a visit as anywhere else.
    HiddenCorner { onTapped: vm.start() }
}
