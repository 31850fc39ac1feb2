"""The maintenance screens' view model: PIN pad, diagnostics, self-tests, log viewer.

It holds the technician's session (who entered, what the screens show) and
forgets all of it on leaving, by the button or after inactivity, so the next
person at the kiosk finds the citizen's attract screen and nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, cast

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.catalogue import Site
from kiosk.i18n import LANGUAGES, Language, Strings
from kiosk.maintenance import presenter
from kiosk.maintenance.access import EntryAnswer, EntryOutcome, TechnicianGate
from kiosk.maintenance.diagnostics import DeviceName, DiagnosticsSnapshot
from kiosk.maintenance.notice import out_of_service_notice
from kiosk.maintenance.pin import MAX_PIN_DIGITS
from kiosk.maintenance.reachability import Reachability
from kiosk.maintenance.service import Maintenance
from kiosk.qr import qr_data_url
from offline_queue.status import SyncStatus
from peripherals.card import CardEvent, CardEventKind, CardReader
from peripherals.card.errors import CardError
from peripherals.health import SelfTestResult

log = logging.getLogger(__name__)
HOLD_TO_ENTER_MS = 3_000  # the hidden corner's long press: no citizen's tap lasts that long
TICK_MS = 1_000
DEVICES: tuple[DeviceName, ...] = ("card_reader", "printer", "document_camera")
Note = tuple[str, dict[str, object]]  # a text key and its values, shown in today's language


class MaintenanceViewModel(QObject):
    """State and actions of the technician's screens (``screen`` is "" while closed)."""

    changed = Signal()  # screen, language, PIN pad
    diagnosticsChanged = Signal()  # the snapshot's texts (lists are rebuilt: emitted sparingly)
    testsChanged = Signal()
    logChanged = Signal()
    serviceChanged = Signal()

    def __init__(
        self,
        maintenance: Maintenance,
        gate: TechnicianGate,
        card_reader: CardReader,
        strings: Strings,
        site: Site,
        *,
        default_language: Language,
        idle_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._maintenance = maintenance
        self._gate = gate
        self._card = card_reader
        self._strings = strings
        self._tables = {language: strings.table(language) for language in LANGUAGES}
        self._default_language = default_language
        self._idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._notice = {lang: out_of_service_notice(site, strings, lang) for lang in LANGUAGES}
        online = site.online_url
        self._online_qr = qr_data_url(online) if online else ""
        self._clear()
        card_reader.add_listener(self._on_card_event)
        maintenance.add_service_listener(lambda _: self.serviceChanged.emit())
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

    def _clear(self) -> None:
        """Forget the technician's session: nothing of it survives leaving."""
        self._screen = ""
        self._language: Language = self._default_language
        self._actor = ""
        self._digits = ""
        self._pin_note: Note | None = None  # rendered in the language of the moment
        self._checking = False
        self._lock_seconds = 0
        self._snapshot: DiagnosticsSnapshot | None = None
        # The last probe's answer, kept across the refreshes that do not probe (after each
        # sync attempt), and whether a probe is under way: what the back-end line says.
        self._reach: Reachability | None = None
        self._probing = False
        self._backend_line = ""
        self._tests: dict[str, SelfTestResult | None] = {}  # None: running
        self._camera_frame = ""
        self._sync_note = ""
        self._log_lines: list[str] | None = None
        self._last_activity = self._clock()

    # -- properties ----------------------------------------------------------
    screen = Property(str, lambda self: self._screen, notify=changed)
    language = Property(str, lambda self: self._language, notify=changed)
    strings = Property(dict, lambda self: self._tables[self._language], notify=changed)
    holdMs = Property(int, lambda self: HOLD_TO_ENTER_MS, constant=True)
    pinEnabled = Property(bool, lambda self: self._gate.pin_enabled, constant=True)
    cardsEnabled = Property(bool, lambda self: self._gate.cards_enabled, constant=True)
    pinLength = Property(int, lambda self: len(self._digits), notify=changed)
    pinMaxLength = Property(int, lambda self: MAX_PIN_DIGITS, constant=True)
    pinMessage = Property(str, lambda self: self._render(self._pin_note), notify=changed)
    checking = Property(bool, lambda self: self._checking, notify=changed)
    locked = Property(bool, lambda self: self._lock_seconds > 0, notify=changed)
    outOfService = Property(
        bool, lambda self: self._maintenance.out_of_service, notify=serviceChanged
    )
    notice = Property(dict, lambda self: dict(self._notice), constant=True)
    onlineQr = Property(str, lambda self: self._online_qr, constant=True)

    def _get_tests(self) -> dict[str, dict[str, str]]:
        shown = {}
        for device, result in self._tests.items():
            if result is None:
                shown[device] = {"state": "running", "message": self._text("maint.testing")}
                continue
            message = presenter.self_test_message(result, self._strings, self._language)
            shown[device] = {"state": "passed" if result.passed else "failed", "message": message}
        return shown

    tests = Property(dict, _get_tests, notify=testsChanged)
    cameraFrame = Property(str, lambda self: self._camera_frame, notify=testsChanged)
    backendLine = Property(str, lambda self: self._backend_line, notify=diagnosticsChanged)
    syncMessage = Property(
        str, lambda self: self._render((self._sync_note, {})), notify=diagnosticsChanged
    )

    def _get_log_text(self) -> str:
        if self._log_lines is None:
            return ""
        return "\n".join(self._log_lines) or self._text("maint.logs_empty")

    logText = Property(str, _get_log_text, notify=logChanged)

    def _get_title(self) -> str:
        snapshot = self._snapshot
        kiosk = snapshot.kiosk_id if snapshot is not None else ""
        return self._strings.text("maint.diag_title", self._language, kiosk=kiosk)

    title = Property(str, _get_title, notify=diagnosticsChanged)

    # The device cards are fixed (a constant model): a refresh changes their texts in
    # place instead of rebuilding them, so nothing moves under the technician's finger.
    deviceNames = Property(list, lambda self: list(DEVICES), constant=True)

    def _get_devices(self) -> dict[str, Any]:
        if self._snapshot is None:
            return {}
        rows = presenter.device_rows(self._snapshot, self._strings, self._language)
        return {row["device"]: dict(row) for row in rows}

    devices = Property(dict, _get_devices, notify=diagnosticsChanged)

    def _get_sync_lines(self) -> list[str]:
        if self._snapshot is None:
            return []
        now = datetime.now(UTC)
        return presenter.sync_lines(self._snapshot, self._strings, self._language, now)

    syncLines = Property(list, _get_sync_lines, notify=diagnosticsChanged)

    def _get_dead_letters(self) -> list[dict[str, Any]]:
        if self._snapshot is None:
            return []
        return cast(list[dict[str, Any]], presenter.dead_letter_rows(self._snapshot))

    deadLetters = Property(list, _get_dead_letters, notify=diagnosticsChanged)

    def _get_system_lines(self) -> list[str]:
        if self._snapshot is None:
            return []
        return presenter.system_lines(self._snapshot, self._strings, self._language)

    systemLines = Property(list, _get_system_lines, notify=diagnosticsChanged)

    # -- entry -----------------------------------------------------------------
    @Slot()
    def beginEntry(self) -> None:
        """The hidden gesture on the attract screen: the PIN pad opens."""
        if self._screen:
            return
        self._clear()
        self._screen = "pin"
        self._lock_seconds = self._gate.seconds_left()
        self._pin_note = self._entry_note()
        self._emit_all()

    @Slot(str)
    def pressDigit(self, digit: str) -> None:
        """A key of the PIN pad (only the count of digits is ever shown)."""
        if digit.isdigit() and len(digit) == 1 and len(self._digits) < MAX_PIN_DIGITS:
            self._digits += digit
            self.changed.emit()

    @Slot()
    def erase(self) -> None:
        """Take back the last digit."""
        self._digits = self._digits[:-1]
        self.changed.emit()

    @Slot()
    def submitPin(self) -> None:
        """Check the digits typed; they are forgotten at once, whatever the answer."""
        if self._checking or not self._digits or self._screen != "pin":
            return
        pin, self._digits = self._digits, ""
        self._checking = True
        self._pin_note = ("maint.checking", {})
        self.changed.emit()
        self._spawn(self._check_pin(pin))

    async def _check_pin(self, pin: str) -> None:
        try:
            answer = await self._gate.try_pin(pin)
        finally:
            self._checking = False
        self._answered(answer)

    def _on_card_event(self, event: CardEvent) -> None:
        if event.kind is CardEventKind.INSERTED and self._screen == "pin" and not self._checking:
            self._checking = True
            self._pin_note = ("maint.checking", {})
            self.changed.emit()
            self._spawn(self._check_card())

    async def _check_card(self) -> None:
        try:
            identity = await self._card.identify()
        except CardError as err:
            self._pin_note = (f"error.{err.code}", {})
            return
        finally:
            self._checking = False
            self.changed.emit()
        self._answered(self._gate.try_card(identity.uid))

    def _answered(self, answer: EntryAnswer) -> None:
        if self._screen != "pin":
            return  # the technician cancelled meanwhile
        if answer.granted:
            self._actor = answer.actor
            self._screen = "diagnostics"
            self._pin_note = None
            self.changed.emit()
            self.refresh()
            return
        self._lock_seconds = answer.seconds_left
        match answer.outcome:
            case EntryOutcome.REFUSED if answer.actor.startswith("card:"):
                self._pin_note = ("maint.card_refused", {})
            case EntryOutcome.REFUSED:
                self._pin_note = ("maint.pin_wrong", {"tries": answer.tries_before_lock})
            case _:
                self._pin_note = self._entry_note()
        self.changed.emit()

    def _entry_note(self) -> Note | None:
        if self._lock_seconds > 0:
            return ("maint.locked", {"seconds": self._lock_seconds})
        if not self._gate.pin_enabled:
            return ("maint.pin_disabled", {})
        return None

    # -- diagnostics -------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Read every state again and time a request to the back end."""
        if self._actor:
            self._spawn(self._refresh(probe=True))

    async def _refresh(self, *, probe: bool) -> None:
        snapshot = await self._maintenance.snapshot(probe_backend=False)
        self._snapshot = snapshot.model_copy(update={"backend": self._reach})
        if probe:
            self._probing = True
            self._backend_line = self._render_backend_line()
        self.diagnosticsChanged.emit()
        if not probe:
            return
        try:
            reach = await self._maintenance.probe_backend()
        finally:
            self._probing = False
        if self._snapshot is None:  # the technician left meanwhile: nothing to show it on
            return
        self._reach = reach
        self._snapshot = self._snapshot.model_copy(update={"backend": reach})
        self._backend_line = self._render_backend_line()
        self.diagnosticsChanged.emit()

    def _render_backend_line(self) -> str:
        """The back-end line in the language of the moment: the last probe's answer, or
        "checking" while a probe runs."""
        reach = None if self._probing else self._reach
        return presenter.backend_line(reach, self._strings, self._language)

    def on_sync_status(self, _status: SyncStatus) -> None:
        """A sync attempt ended: the open diagnostics show its outcome."""
        if self._screen == "diagnostics":
            self._spawn(self._refresh(probe=False))

    @Slot(str)
    def runSelfTest(self, device: str) -> None:
        """Run one device's self-test; its result (and a camera frame) shows on screen."""
        if not self._actor or device not in DEVICES:
            return
        if device in self._tests and self._tests[device] is None:
            return  # already running
        self._tests[device] = None
        self.testsChanged.emit()
        self._spawn(self._self_test(device))

    async def _self_test(self, device: DeviceName) -> None:
        result = await self._maintenance.self_test(device, self._actor)
        self._tests[device] = result
        if device == "document_camera" and result.artifact is not None:
            encoded = base64.b64encode(result.artifact).decode("ascii")
            self._camera_frame = f"data:image/jpeg;base64,{encoded}"
        self.testsChanged.emit()
        await self._refresh(probe=False)

    @Slot()
    def syncNow(self) -> None:
        """Ask for a sync attempt at once."""
        if self._actor:
            self._maintenance.sync_now(self._actor)
            self._sync_note = "maint.sync_requested"
            self.diagnosticsChanged.emit()

    @Slot()
    def toggleOutOfService(self) -> None:
        """Take the kiosk out of service, or put it back."""
        if self._actor:
            self._maintenance.set_out_of_service(not self._maintenance.out_of_service, self._actor)
            self._spawn(self._refresh(probe=False))

    @Slot()
    def showLogs(self) -> None:
        """The log viewer: the latest lines of the kiosk's log."""
        if not self._actor:
            return
        self._log_lines = self._maintenance.read_log(self._actor)
        self._screen = "logs"
        self.logChanged.emit()
        self.changed.emit()

    @Slot()
    def hideLogs(self) -> None:
        """Back from the log viewer (its text is dropped)."""
        if self._screen == "logs":
            self._log_lines = None
            self._screen = "diagnostics"
            self.logChanged.emit()
            self.changed.emit()

    @Slot()
    def restart(self) -> None:
        """Restart the app (systemd starts it again); the session ends first."""
        if self._actor:
            actor = self._actor
            self.leave()
            self._maintenance.request_restart(actor)

    # -- leaving -------------------------------------------------------------------
    @Slot()
    def toggleLanguage(self) -> None:
        """French or English on the technician's screens."""
        self._language = "en" if self._language == "fr" else "fr"
        if self._snapshot is not None:
            self._backend_line = self._render_backend_line()
        self._emit_all()

    @Slot()
    def leave(self) -> None:
        """Back to the attract screen, with nothing of the technician's session left."""
        self._end("button")

    @Slot()
    def userActivity(self) -> None:
        """Any touch: the technician is still there."""
        self._last_activity = self._clock()

    def check_idle(self, now: float | None = None) -> None:
        """Close maintenance mode after the inactivity timeout (run every second)."""
        moment = self._clock() if now is None else now
        if self._screen and moment - self._last_activity >= self._idle_timeout_s:
            log.info("maintenance mode closed after inactivity")
            self._end("timeout")

    def _end(self, reason: str) -> None:
        if not self._screen:
            return
        if self._actor:
            self._maintenance.leave(self._actor, reason)
        for task in list(self._tasks):
            task.cancel()
        self._clear()
        self._emit_all()

    # -- internals -------------------------------------------------------------------
    def _tick(self) -> None:
        self.check_idle()
        if self._screen == "pin" and self._lock_seconds > 0:
            self._lock_seconds = self._gate.seconds_left()
            if not self._checking:
                self._pin_note = self._entry_note()
            self.changed.emit()

    def _emit_all(self) -> None:
        self.changed.emit()
        self.diagnosticsChanged.emit()
        self.testsChanged.emit()
        self.logChanged.emit()

    def _render(self, note: Note | None) -> str:
        if note is None or not note[0]:
            return ""
        key, values = note
        return self._strings.text(key, self._language, **values)

    def _text(self, key: str, **values: object) -> str:
        return self._strings.text(key, self._language, **values)

    def stop(self) -> None:
        """No more ticks or background steps: the kiosk is shutting down."""
        self._ticker.stop()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("maintenance step failed", exc_info=task.exception())
