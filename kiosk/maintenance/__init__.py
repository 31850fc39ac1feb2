"""The technician's maintenance mode, without Qt: entry, audit, diagnostics, operations.

The screens live in :mod:`kiosk.ui` (``maintenance_viewmodel`` and the
``Maintenance*.qml`` screens); the fleet view's remote commands will call the
same :class:`~kiosk.maintenance.service.Maintenance` service.
"""
