import QtQuick

// A modal card over a dimmed screen; touches outside do not reach the screen below.
Rectangle {
    id: root
    default property alias content: card.data
    property int cardWidth: Theme.px(1100)
    anchors.fill: parent
    color: Theme.scrim
    visible: false
    MouseArea { anchors.fill: parent }
    Rectangle {
        id: card
        anchors.centerIn: parent
        width: root.cardWidth
        height: childrenRect.height + Theme.px(96)
        radius: Theme.px(20)
        color: Theme.surface
        border.width: Theme.hc ? Theme.px(3) : 0
        border.color: Theme.border
    }
}
