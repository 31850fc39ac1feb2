"""The citizen-facing kiosk appliance: domain modules (Qt-free) and the Qt UI in ``kiosk.ui``."""
