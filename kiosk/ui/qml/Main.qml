import QtQuick
import QtQuick.Window
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings

// The kiosk window: header, the current step's screen, footer, and overlays.
Window {
    id: window
    objectName: "kioskWindow"
    width: 1920
    height: 1080
    visible: true
    title: "Visioguichet"
    color: Theme.background

    Binding { target: Theme; property: "s"; value: Math.min(window.width / 1920, window.height / 1080) }
    Binding { target: Theme; property: "highContrast"; value: vm.highContrast }
    Binding { target: Theme; property: "textScale"; value: vm.textScale }

    readonly property var screens: ({
        attract: "AttractScreen.qml", language: "LanguageScreen.qml", service: "ServiceScreen.qml",
        identify: "IdentifyScreen.qml", form: "FormScreen.qml", review: "ReviewScreen.qml",
        submitting: "ReviewScreen.qml", confirmation: "ConfirmationScreen.qml", thanks: "ThanksScreen.qml",
        privacy: "PrivacyScreen.qml", agent: "AgentScreen.qml", referral: "ReferralScreen.qml",
        feedback: "FeedbackScreen.qml", eservice: "EServiceScreen.qml", continue_at_home: "ContinueAtHomeScreen.qml"
    })
    // A person by video when the kiosk has a video counter, else where to find one.
    function askForPerson() { call.available ? callOverlay.open() : help.visible = true }

    Header {
        id: header
        visible: vm.step !== "attract"
        anchors.top: parent.top
        width: parent.width
    }
    Loader {
        id: screen
        objectName: "screenLoader"
        anchors.top: header.visible ? header.bottom : parent.top
        // The on-screen keyboard takes the footer's place while the citizen types.
        anchors.bottom: keyboard.active ? keyboard.top : footer.top
        width: parent.width
        // A new screen object per step: nothing typed on one step lingers in the next.
        // Out of service (a technician's choice): the attract screen says where else to go.
        source: vm.step === "attract" && maint.outOfService ? "screens/OutOfServiceScreen.qml"
                                                            : "screens/" + window.screens[vm.step]
        onLoaded: window.readScreen()
    }
    // Read aloud: the screen's own words (`spoken`), or its title and subtitle.
    function readScreen() {
        const item = screen.item
        if (!item || !speech.enabled) return
        speech.say(item.spoken !== undefined ? item.spoken : item.title + ". " + (item.subtitle || ""))
    }
    Connections {
        target: speech
        // Later, not now: a language switch reaches this before the texts are re-bound.
        function onChanged() { Qt.callLater(window.readScreen) }
    }
    Footer {
        id: footer
        visible: !(vm.step === "attract" && maint.outOfService)
        height: visible ? Theme.px(140) : 0
        anchors.bottom: parent.bottom
        width: parent.width
        onAttract: vm.step === "attract"
        showNavigation: vm.step !== "attract" && vm.step !== "thanks" && vm.step !== "submitting"
        onHelpRequested: window.askForPerson()
        onStartOverRequested: startOver.visible = true
    }
    CallOverlay {
        id: callOverlay
        anchors.top: header.visible ? header.bottom : parent.top
        anchors.bottom: parent.bottom
        anchors.right: parent.right
        // Over the coach's column only, while the agent watches the e-service page.
        docked: typeof share !== "undefined" && share.active
        width: docked ? Theme.px(532) : parent.width
    }
    // Narrower than the screen: a keyboard's height follows its width, and the field
    // being typed in must stay in view above it.
    Rectangle {
        visible: keyboard.active
        z: 9
        anchors.fill: keyboard
        anchors.leftMargin: -keyboard.x
        anchors.rightMargin: -keyboard.x
        color: "#1F2933"
    }
    InputPanel {
        id: keyboard
        objectName: "keyboard"
        readonly property string layoutLocale: VirtualKeyboardSettings.locale
        z: 10
        width: Math.min(parent.width, Theme.px(1240))
        x: (parent.width - width) / 2
        y: active ? parent.height - height : parent.height
        visible: active
    }
    // The keyboard's layout follows the citizen's language (AZERTY-free Canadian French).
    Binding { target: VirtualKeyboardSettings; property: "locale"; value: vm.language === "fr" ? "fr_CA" : "en_US" }
    Component.onCompleted: VirtualKeyboardSettings.activeLocales = ["fr_CA", "en_US"]
    // The function keys' grey gives white text 6.99:1; the high-contrast theme promises 7:1.
    Binding {
        when: keyboard.keyboard.style !== null
        target: keyboard.keyboard.style
        property: "highlightedKeyBackgroundColor"
        value: Theme.hc ? "#333333" : "#4f5b62"
    }
    // The privacy curtain: the agent saw the citizen step away; nothing of theirs shows
    // until they touch the screen (or the inactivity watch wipes the session).
    Rectangle {
        objectName: "privacyCurtain"
        visible: call.curtain
        anchors.fill: parent
        z: 20
        color: Theme.primary
        Column {
            anchors.centerIn: parent
            width: parent.width * 0.7
            spacing: Theme.px(32)
            Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap; text: vm.strings["curtain.title"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(56); font.bold: true; color: Theme.textOnPrimary; Accessible.role: Accessible.Heading; Accessible.name: text }
            Text { width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap; text: vm.strings["curtain.touch"]; font.family: Theme.fontFamily; font.pixelSize: Theme.fpx(36); color: Theme.textOnPrimary }
        }
        MouseArea {
            objectName: "curtainTouchArea"
            anchors.fill: parent
            Accessible.role: Accessible.Button
            Accessible.name: vm.strings["curtain.touch"]
            onClicked: call.liftCurtain()
        }
    }
    // The technician's screens cover the citizen's screens and overlays. They open only
    // from the attract screen, so never during a call: the privacy curtain stays on top.
    MaintenanceOverlay { anchors.fill: parent; z: 15 }
    HelpOverlay { id: help }
    ConfirmOverlay { id: startOver }
    TimeoutOverlay { id: timeout }

    Connections {
        target: vm
        function onPersonRequested() { window.askForPerson() }
        function onStepChanged() {
            if (vm.step === "attract") { help.visible = false; startOver.visible = false; callOverlay.visible = false }
        }
    }
}
