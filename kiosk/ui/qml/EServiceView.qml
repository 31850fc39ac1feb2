import QtQuick
import QtWebEngine

// The locked-down web view of one e-service. Made only when the citizen opens an
// e-service (the screen's Loader), so the kiosk's start never loads WebEngine.
// The rules are the view model's (eservice.allows): this file only applies them.
WebEngineView {
    id: view
    objectName: "eserviceView"
    // This citizen's off-the-record profile: gone, with everything in it, at the wipe.
    profile: eservice.profile
    // The citizen's text size, on the agency's pages too.
    zoomFactor: vm.textScale
    settings.pluginsEnabled: false
    settings.screenCaptureEnabled: false
    settings.localContentCanAccessFileUrls: false
    settings.localContentCanAccessRemoteUrls: false
    settings.playbackRequiresUserGesture: true
    settings.focusOnNavigationEnabled: true
    // The citizen's high contrast reaches the agency's pages as Chromium's forced dark mode
    // (light text on dark): not the kiosk's yellow-on-black, but far from dark-on-white.
    settings.forceDarkMode: Theme.hc
    // The sensitive-field finder and the coach's outline, in every page (main world, so
    // that the screen share's runJavaScript can call window.__vgSensitiveRects()).
    userScripts.collection: [{
        name: "visioguichet",
        sourceCode: eservice.pageScript,
        injectionPoint: WebEngineScript.DocumentReady,
        worldId: WebEngineScript.MainWorld,
        runsOnSubFrames: false
    }]

    property var pendingFileRequest: null
    property bool failed: false
    property bool loadedOnce: false

    url: eservice.startUrl
    Component.onCompleted: eservice.attachView(view)
    Component.onDestruction: {
        if (pendingFileRequest) pendingFileRequest.dialogReject()
        eservice.attachView(null)
    }

    function showing() { eservice.showing(view.url.toString(), view.title) }
    function highlight() {
        const selector = eservice.hint.selector || ""
        runJavaScript("window.__vgCoach && window.__vgCoach.highlight(" + JSON.stringify(selector) + ")")
    }

    // Nowhere outside the allow-list: the citizen is told, and stays on the page they were on.
    onNavigationRequested: (request) => {
        const target = request.url.toString()
        if (!eservice.allows(target)) {
            request.reject()
            // An embedded frame from elsewhere just stays empty: the citizen did nothing.
            if (request.isMainFrame) eservice.refuse(target)
        }
    }
    // New windows stay inside: the same view, if the address is allowed.
    onNewWindowRequested: (request) => {
        const target = request.requestedUrl.toString()
        if (eservice.allows(target)) view.url = request.requestedUrl
        else eservice.refuse(target)
    }
    onLoadingChanged: (info) => {
        if (info.status === WebEngineView.LoadSucceededStatus) {
            failed = false
            loadedOnce = true
            showing()
            highlight()
        } else if (info.status === WebEngineView.LoadFailedStatus && !loadedOnce) {
            failed = true
        }
    }
    onTitleChanged: showing()
    onUrlChanged: showing()
    // No file picker: the document camera gives the page its file.
    onFileDialogRequested: (request) => {
        request.accepted = true
        pendingFileRequest = request
        eservice.scanForPage(request.acceptedMimeTypes)
    }
    // window.print(): the page as PDF, to the kiosk printer.
    onPrintRequested: printToPdf(eservice.newPrintPath())
    onPdfPrintingFinished: (path, ok) => eservice.pagePrinted(path, ok)
    // No camera, microphone, location or notifications for the agency's pages.
    onPermissionRequested: (permission) => permission.deny()
    onContextMenuRequested: (request) => { request.accepted = true }
    Connections {
        target: eservice
        function onScanReady(path) {
            if (view.pendingFileRequest) view.pendingFileRequest.dialogAccept([path])
            view.pendingFileRequest = null
        }
        function onScanAbandoned() {
            if (view.pendingFileRequest) view.pendingFileRequest.dialogReject()
            view.pendingFileRequest = null
        }
        function onChanged() { view.highlight() }
        function onScriptRequested(id, script) {
            view.runJavaScript(script, (result) => eservice.scriptAnswered(id, JSON.stringify(result === undefined ? null : result)))
        }
    }
}
