import QtQuick
import QtQuick.Controls.Basic
import ".."

// Life events first (several requests across agencies, in one visit), then the
// site's services, as large tiles with a pictogram; scrolls if a site has many.
Screen {
    objectName: "serviceScreen"
    title: vm.strings["service.title"]
    Flickable {
        id: flick
        objectName: "serviceFlickable"
        anchors.fill: parent
        contentHeight: tiles.height
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar { width: Theme.px(16); policy: flick.contentHeight > flick.height ? ScrollBar.AlwaysOn : ScrollBar.AlwaysOff }
        Grid {
            id: tiles
            anchors.horizontalCenter: parent.horizontalCenter
            columns: 3
            spacing: Theme.px(32)
            Repeater {
                model: vm.lifeEvents
                ServiceTile {
                    objectName: "event_" + modelData.id
                    highlighted: true
                    icon: modelData.icon
                    title: modelData.title
                    summary: modelData.summary
                    footnote: vm.strings["service.event_steps"].replace("{n}", modelData.steps).replace("{agencies}", modelData.agencies)
                    onChosen: vm.chooseLifeEvent(modelData.id)
                }
            }
            Repeater {
                model: vm.services
                ServiceTile {
                    objectName: "service_" + modelData.id
                    icon: modelData.icon
                    title: modelData.title
                    summary: modelData.summary
                    footnote: modelData.agency + (modelData.channel === "agent_required" ? " · " + vm.strings["service.with_person"]
                                                : modelData.channel === "refer" ? " · " + vm.strings["service.elsewhere"]
                                                : modelData.channel === "eservice" ? " · " + vm.strings["service.online_here"] : "")
                    onChosen: vm.chooseService(modelData.id)
                }
            }
        }
    }
}
