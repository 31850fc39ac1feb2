"""Qt's Python bindings keep their references: a kiosk runs for days on them.

PySide6 6.12.0 lost one reference at every call of a Python slot from a signal:
after about a hundred citizen journeys the count of ``True`` ran out and the
kiosk aborted ("Fatal Python error: bool_dealloc"). pyproject.toml keeps
PySide6 below 6.12; this test says whether a newer one may be allowed.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

CALLS = 500


class _Emitter(QObject):
    fired = Signal()


def test_a_python_slot_called_from_a_signal_loses_no_reference(qapp: object) -> None:
    emitter = _Emitter()
    kept: list[bool] = []
    emitter.fired.connect(lambda: kept.append(True))
    before = sys.getrefcount(True)
    for _ in range(CALLS):
        emitter.fired.emit()
    assert len(kept) == CALLS
    assert sys.getrefcount(True) - before >= CALLS  # one per kept item, none lost
