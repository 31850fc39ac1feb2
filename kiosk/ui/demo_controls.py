"""Keys that play the simulated devices, for demonstrations and manual testing.

Only installed when a device is simulated (never on a kiosk with real
hardware), so a citizen's keyboard cannot reach them in production:

- F2: insert the sample card, or pull it out if one is in the reader
- F3: unplug the card reader, or plug it back in
- F4: empty the printer's paper tray, or refill it
- F5: take the printer offline, or bring it back
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

from peripherals.card import CardReader, SimulatedCardReader
from peripherals.printer import Printer, SimulatedPrinter

log = logging.getLogger(__name__)
REFILL_SHEETS = 200


class DemoControls(QObject):
    """An application-wide key filter driving the simulators' failure knobs."""

    def __init__(self, card_reader: CardReader, printer: Printer) -> None:
        super().__init__()
        self._actions: dict[int, Callable[[], str]] = {}
        if isinstance(card_reader, SimulatedCardReader):
            self._actions[Qt.Key.Key_F2] = lambda: _toggle_card(card_reader)
            self._actions[Qt.Key.Key_F3] = lambda: _toggle_reader(card_reader)
        if isinstance(printer, SimulatedPrinter):
            self._actions[Qt.Key.Key_F4] = lambda: _toggle_paper(printer)
            self._actions[Qt.Key.Key_F5] = lambda: _toggle_printer(printer)

    @property
    def active(self) -> bool:
        """Whether any simulated device is there to play."""
        return bool(self._actions)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        action = self._actions.get(event.key())
        if action is None or event.isAutoRepeat():
            return False
        log.info("demo control: %s", action())
        return True


def _toggle_card(reader: SimulatedCardReader) -> str:
    if reader.card_present:
        reader.remove()
        return "card pulled out"
    reader.insert()
    return "sample card inserted"


def _toggle_reader(reader: SimulatedCardReader) -> str:
    if reader.health().usable:
        reader.unplug()
        return "card reader unplugged"
    reader.plug_in()
    return "card reader plugged back in"


def _toggle_paper(printer: SimulatedPrinter) -> str:
    if printer.paper_left == 0:
        printer.refill(REFILL_SHEETS)
        return f"printer refilled with {REFILL_SHEETS} sheets"
    printer.refill(0)
    return "printer out of paper"


def _toggle_printer(printer: SimulatedPrinter) -> str:
    offline = printer.health().code == "printer.offline"
    printer.set_offline(not offline)
    return "printer back online" if offline else "printer offline"
