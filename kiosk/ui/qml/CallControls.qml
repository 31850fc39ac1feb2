import QtQuick

// Under the video: microphone, camera, hang up (wrapping when the call is docked narrow).
Flow {
    spacing: Theme.px(24)
    KioskButton {
        objectName: "microphoneButton"
        kind: call.microphoneMuted ? "primary" : "secondary"
        text: call.microphoneMuted ? vm.strings["call.microphone_on"] : vm.strings["call.microphone_off"]
        onClicked: call.toggleMicrophone()
    }
    KioskButton {
        objectName: "cameraButton"
        kind: call.cameraMuted ? "primary" : "secondary"
        text: call.cameraMuted ? vm.strings["call.camera_on"] : vm.strings["call.camera_off"]
        onClicked: call.toggleCamera()
    }
    KioskButton {
        objectName: "hangUpButton"
        kind: "danger"
        text: vm.strings["call.hang_up"]
        onClicked: call.hangUp()
    }
}
