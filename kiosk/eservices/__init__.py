"""Agency e-services in the kiosk's locked-down web view: the rules, without Qt.

What may be opened (an allow-list of origins per e-service), what the coach says
on which page, and how an e-service is described in the catalogue. The web view
itself (Qt WebEngine) lives in ``kiosk.ui.eservice_viewmodel`` and its QML
screens; everything it decides is asked of this package, so it is tested here
without a browser.
"""
