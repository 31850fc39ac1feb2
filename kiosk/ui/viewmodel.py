"""The view model the QML screens bind to: one per kiosk, living on the UI thread.

It turns citizen gestures into :class:`~kiosk.journey.Journey` steps, runs the
slow parts (card read, receipt) as asyncio tasks on the shared loop, and
exposes plain data from :mod:`kiosk.presenters` to QML.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk import presenters
from kiosk.i18n import LANGUAGES, Language, Strings
from kiosk.journey import (
    VISIBLE_STEPS,
    InactivityWatch,
    Journey,
    JourneyError,
    Step,
)
from kiosk.qr import qr_data_url
from kiosk.reference import new_reference
from kiosk.scanning import ScanError, scan_page
from kiosk.service_events import EventKind, ServiceEventLog
from kiosk.submission import SubmissionDesk
from offline_queue.analytics import FeedbackReason
from offline_queue.outbox import Outbox, OutboxFullError
from offline_queue.schemas import TransactionRecord
from offline_queue.sync import SyncStatus
from peripherals.card import CardEvent, CardEventKind, CardReader
from peripherals.card.errors import CardError
from peripherals.card.simulator import SimulatedCardReader

if TYPE_CHECKING:
    from peripherals.camera.protocol import DocumentCamera

log = logging.getLogger(__name__)
TICK_MS = 250  # countdown refresh; a quarter second reads as smooth seconds
TEXT_SCALES = (1.0, 1.2, 1.4)  # beyond 1.4 the two-column form no longer fits 1080p
SCANNING = "scanning"


class KioskViewModel(QObject):
    """State and actions of the citizen UI."""

    stepChanged = Signal()
    languageChanged = Signal()
    fieldsChanged = Signal()
    identityChanged = Signal()
    outcomeChanged = Signal()
    countdownChanged = Signal()
    errorsChanged = Signal()
    displayChanged = Signal()
    scanChanged = Signal()
    personRequested = Signal()  # a screen's own "talk to a person" (the footer has one too)

    def __init__(
        self,
        journey: Journey,
        strings: Strings,
        desk: SubmissionDesk,
        card_reader: CardReader,
        outbox: Outbox,
        *,
        reference_prefix: str,
        inactivity: InactivityWatch,
        thank_you_s: float,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = date.today,
        events: ServiceEventLog | None = None,
        document_camera: Callable[[], DocumentCamera] | None = None,
    ) -> None:
        super().__init__()
        self._journey = journey
        self._strings = strings
        self._tables = {language: strings.table(language) for language in LANGUAGES}
        self._desk = desk
        self._card = card_reader
        self._outbox = outbox
        self._prefix = reference_prefix
        self._watch = inactivity
        self._thank_you_s = thank_you_s
        self._clock = clock
        self._today = today
        self._tasks: set[asyncio.Task[None]] = set()
        self._events = events
        self._camera = document_camera  # built on first use (it loads OpenCV)
        self._scans: dict[str, str] = {}  # field id -> "scanning", or the error shown
        self._reset_outcome()
        self._countdown = -1
        self._high_contrast = False
        self._text_scale_index = 0
        self._card.add_listener(self._on_card_event)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self._wipe_hooks: list[Callable[[], None]] = []
        self._someone_attends: Callable[[], bool] = lambda: False
        self._thanks_timer = QTimer(self)
        self._thanks_timer.setSingleShot(True)
        self._thanks_timer.timeout.connect(self.newSession)

    def add_wipe_hook(self, hook: Callable[[], None]) -> None:
        """Also run ``hook`` when the session is wiped (the call overlay forgets its call)."""
        self._wipe_hooks.append(hook)

    def keep_alive_while(self, someone_attends: Callable[[], bool]) -> None:
        """No inactivity wipe while ``someone_attends()``: a citizen on a call rarely touches."""
        self._someone_attends = someone_attends

    def _reset_outcome(self) -> None:
        self._identity_error = ""
        self._card_reading = False
        self._busy = False
        self._save_error = ""
        self._outbox_key = ""
        self._synced = False
        self._print_state = ""  # "", "printing", "printed", "failed"
        self._print_error = ""
        self._record: TransactionRecord | None = None

    # -- properties --------------------------------------------------------
    def _get_step(self) -> str:
        return self._journey.step.value

    step = Property(str, _get_step, notify=stepChanged)

    def _get_language(self) -> str:
        return self._journey.session.language

    language = Property(str, _get_language, notify=languageChanged)

    def _get_strings(self) -> dict[str, str]:
        # Every text binding on screen reads this: hand out a table built once.
        return self._tables[self._journey.session.language]

    strings = Property(dict, _get_strings, notify=languageChanged)

    def _get_step_number(self) -> int:
        return self._journey.step_number

    stepNumber = Property(int, _get_step_number, notify=stepChanged)
    stepCount = Property(int, lambda self: len(VISIBLE_STEPS), constant=True)

    def _get_can_go_back(self) -> bool:
        return self._journey.can_go_back and not self._busy

    canGoBack = Property(bool, _get_can_go_back, notify=stepChanged)

    def _get_site(self) -> str:
        return self._journey.catalogue.site.name(self._journey.session.language)

    siteName = Property(str, _get_site, notify=languageChanged)

    def _get_help(self) -> dict[str, str]:
        site = self._journey.catalogue.site
        lang = self._journey.session.language
        return {"desk": site.help_desk(lang), "phone": site.help_phone}

    helpContact = Property(dict, _get_help, notify=languageChanged)

    def _get_services(self) -> list[dict[str, Any]]:
        lang = self._journey.session.language
        return cast(list[dict[str, Any]], presenters.service_tiles(self._journey.catalogue, lang))

    services = Property(list, _get_services, notify=languageChanged)

    def _get_life_events(self) -> list[dict[str, Any]]:
        lang = self._journey.session.language
        tiles = presenters.life_event_tiles(self._journey.catalogue, lang)
        return cast(list[dict[str, Any]], tiles)

    lifeEvents = Property(list, _get_life_events, notify=languageChanged)

    def _get_path_steps(self) -> list[dict[str, Any]]:
        steps = presenters.path_steps(self._journey.catalogue, self._journey.session)
        return cast(list[dict[str, Any]], steps)

    pathSteps = Property(list, _get_path_steps, notify=fieldsChanged)

    def _get_referral(self) -> dict[str, str]:
        if self._journey.session.service_id is None:
            return {}
        return presenters.referral(self._journey.catalogue, self._journey.service, self._lang)

    referral = Property(dict, _get_referral, notify=fieldsChanged)

    def _get_feedback_reasons(self) -> list[dict[str, Any]]:
        reasons = presenters.feedback_reasons(self._strings, self._lang)
        return cast(list[dict[str, Any]], reasons)

    feedbackReasons = Property(list, _get_feedback_reasons, notify=languageChanged)

    def _get_service_title(self) -> str:
        if self._journey.session.service_id is None:
            return ""
        return self._journey.service.title(self._journey.session.language)

    serviceTitle = Property(str, _get_service_title, notify=fieldsChanged)

    def _get_online_url(self) -> str:
        if self._journey.session.service_id is None:
            return ""
        return self._journey.service.online_url or ""

    onlineUrl = Property(str, _get_online_url, notify=fieldsChanged)

    def _get_online_qr(self) -> str:
        url = self._get_online_url()
        return qr_data_url(url) if url else ""

    onlineQr = Property(str, _get_online_qr, notify=fieldsChanged)

    def _get_fields(self) -> list[dict[str, Any]]:
        if self._journey.session.service_id is None:
            return []
        rows = presenters.form_fields(self._journey.service, self._journey.session, self._today())
        return cast(list[dict[str, Any]], rows)

    fields = Property(list, _get_fields, notify=fieldsChanged)

    def _get_errors(self) -> dict[str, str]:
        lang = self._journey.session.language
        return {
            field: self._strings.text(key, lang)
            for field, key in self._journey.session.errors.items()
        }

    errors = Property(dict, _get_errors, notify=errorsChanged)

    def _get_has_errors(self) -> bool:
        return bool(self._journey.session.errors)

    hasErrors = Property(bool, _get_has_errors, notify=errorsChanged)

    def _get_review(self) -> list[dict[str, Any]]:
        if self._journey.step not in (Step.REVIEW, Step.SUBMITTING):
            return []
        rows = presenters.review_rows(self._journey.service, self._journey.session, self._strings)
        return cast(list[dict[str, Any]], rows)

    reviewRows = Property(list, _get_review, notify=fieldsChanged)

    identityError = Property(str, lambda self: self._identity_error, notify=identityChanged)
    cardReading = Property(bool, lambda self: self._card_reading, notify=identityChanged)
    simulatedCard = Property(
        bool, lambda self: isinstance(self._card, SimulatedCardReader), constant=True
    )
    busy = Property(bool, lambda self: self._busy, notify=outcomeChanged)
    saveError = Property(str, lambda self: self._save_error, notify=outcomeChanged)
    reference = Property(
        str, lambda self: self._journey.session.reference or "", notify=outcomeChanged
    )
    synced = Property(bool, lambda self: self._synced, notify=outcomeChanged)
    printState = Property(str, lambda self: self._print_state, notify=outcomeChanged)
    printError = Property(str, lambda self: self._print_error, notify=outcomeChanged)
    countdown = Property(int, lambda self: self._countdown, notify=countdownChanged)
    countdownTotal = Property(int, lambda self: int(self._watch.countdown_s), constant=True)

    highContrast = Property(bool, lambda self: self._high_contrast, notify=displayChanged)
    textScale = Property(
        float, lambda self: TEXT_SCALES[self._text_scale_index], notify=displayChanged
    )

    # -- actions -------------------------------------------------------------
    @Slot()
    def toggleContrast(self) -> None:
        """High-contrast colours on or off, for this citizen only."""
        self._high_contrast = not self._high_contrast
        self.displayChanged.emit()

    @Slot()
    def cycleTextSize(self) -> None:
        """Larger text, in steps, then back to normal."""
        self._text_scale_index = (self._text_scale_index + 1) % len(TEXT_SCALES)
        self.displayChanged.emit()

    @Slot()
    def start(self) -> None:
        """Touch on the attract screen."""
        self._journey.start()
        self._note(EventKind.SESSION_STARTED)
        self._emit_all()

    @Slot(str)
    def chooseLanguage(self, language: str) -> None:
        """Language picked on the language screen."""
        self._journey.choose_language(_language(language))
        self._emit_all()

    @Slot()
    def toggleLanguage(self) -> None:
        """The language button present on every screen."""
        other: Language = "en" if self._journey.session.language == "fr" else "fr"
        self._journey.set_language(other)
        self._identity_error = ""
        self._emit_all()

    @Slot(str)
    def chooseService(self, service_id: str) -> None:
        """A service tile was touched."""
        self._journey.choose_service(service_id)
        self._note_service_started()
        self._identity_error = ""
        self._emit_all()
        if self._journey.step is Step.IDENTIFY and self._card.card_present:
            self._spawn(self._read_card())

    @Slot(str)
    def chooseLifeEvent(self, event_id: str) -> None:
        """A life event tile was touched: its first service starts."""
        self._journey.choose_life_event(event_id)
        self._note_service_started()
        self._identity_error = ""
        self._emit_all()

    @Slot()
    def acceptPrivacy(self) -> None:
        """The citizen read the privacy notice and continues."""
        self._journey.accept_privacy()
        self._emit_all()
        if self._journey.step is Step.IDENTIFY and self._card.card_present:
            self._spawn(self._read_card())

    @Slot()
    def leaveEService(self) -> None:
        """The citizen closed the e-service's web view: how to carry on at home comes next."""
        self._journey.leave_eservice()
        self._emit_all()

    @Slot()
    def askForPerson(self) -> None:
        """A screen's call to a person (e.g. a service only an agent handles)."""
        self.personRequested.emit()

    @Slot(int, str)
    def giveFeedback(self, score: int, reason: str) -> None:
        """The satisfaction answer (``score`` 0 skips it; ``reason`` may be empty)."""
        why = FeedbackReason(reason) if reason else None
        self._journey.give_feedback(score or None, why)
        if score:
            self._note(EventKind.SATISFACTION, score=score, reason=why)
        if self._get_online_url():
            self._note(EventKind.ONLINE_HANDOFF)  # the thank-you screen shows its QR
        self._emit_all()
        self._thanks_timer.start(int(self._thank_you_s * 1000))

    scans = Property(dict, lambda self: dict(self._scans), notify=scanChanged)

    @Slot(str)
    def scanDocument(self, field_id: str) -> None:
        """The citizen laid a page under the camera and asked for it to be scanned."""
        if self._camera is None or self._scans.get(field_id) == SCANNING:
            return
        self._scans[field_id] = SCANNING
        self.scanChanged.emit()
        self._spawn(self._scan(field_id, self._camera()))

    async def _scan(self, field_id: str, camera: DocumentCamera) -> None:
        try:
            jpeg = await scan_page(camera)
        except ScanError as failure:
            self._scans[field_id] = self._strings.text(failure.key, self._lang)
        else:
            if self._journey.step is Step.FORM:
                self._journey.attach_document(field_id, jpeg)
            self._scans.pop(field_id, None)
            self.fieldsChanged.emit()
            self.errorsChanged.emit()
        finally:
            self.scanChanged.emit()

    @Slot(str, str)
    def sign(self, field_id: str, png_data_url: str) -> None:
        """The citizen's signature, drawn on the screen (a canvas's PNG data URL)."""
        prefix = "data:image/png;base64,"
        if not png_data_url.startswith(prefix):
            return
        try:
            png = base64.b64decode(png_data_url.removeprefix(prefix), validate=True)
            self._journey.attach_signature(field_id, png)
        except (ValueError, JourneyError):
            log.warning("a signature could not be kept", exc_info=True)
            return
        self.fieldsChanged.emit()
        self.errorsChanged.emit()

    @Slot(str)
    def submitFileNumber(self, typed: str) -> None:
        """The citizen typed their file number and continued."""
        error = self._journey.identify_with_file_number(typed)
        self._identity_error = self._strings.text(error, self._lang) if error else ""
        self._emit_all()

    @Slot()
    def insertDemoCard(self) -> None:
        """Demo only: put the sample card in the simulated reader."""
        if isinstance(self._card, SimulatedCardReader) and not self._card.card_present:
            self._card.insert()

    @Slot(str, str)
    def setField(self, field_id: str, value: str) -> None:
        """A field changed; only its error line updates, so typing keeps its focus."""
        had_error = field_id in self._journey.session.errors
        shown_before = self._shown_fields()
        self._journey.set_value(field_id, value)
        if had_error and field_id not in self._journey.session.errors:
            self.errorsChanged.emit()
        if self._shown_fields() != shown_before:
            self.fieldsChanged.emit()  # an answer opened (or closed) a later step

    def _shown_fields(self) -> list[str]:
        session = self._journey.session
        return [f.id for f in self._journey.service.fields if f.shown(session.values)]

    @Slot()
    def submitForm(self) -> None:
        """Continue from the form: errors show, or the review opens."""
        self._journey.submit_form()
        self._emit_all()

    @Slot()
    def edit(self) -> None:
        """Back from review to the form, values kept."""
        self._journey.edit()
        self._emit_all()

    @Slot()
    def back(self) -> None:
        """One step back."""
        if self._journey.can_go_back and not self._busy:
            self._journey.back()
            self._identity_error = ""
            self._emit_all()

    @Slot()
    def confirm(self) -> None:
        """The citizen confirmed: save durably, then print."""
        if self._busy:
            return
        record = self._journey.confirm(new_reference(self._prefix))
        self._busy = True
        self._save_error = ""
        self._emit_all()
        try:
            self._outbox_key = self._desk.save(
                self._journey.session.id, record, self._journey.attachments()
            )
        except Exception as err:
            # Whatever broke, the citizen was promised nothing; a full disk has
            # its own message, as an agent can take over until it is freed.
            log.exception("saving the transaction failed")
            key = "review.disk_full" if isinstance(err, OutboxFullError) else "review.save_failed"
            self._journey.save_failed()
            self._busy = False
            self._save_error = self._strings.text(key, self._lang)
            self._emit_all()
            return
        self._record = record
        self._journey.saved()
        # Repeat contacts are counted by a keyed hash of the file number, never the number.
        file_hash = self._events.file_hash(record.file_number) if self._events else None
        self._note(EventKind.SERVICE_COMPLETED, file_hash=file_hash)
        self._busy = False
        self._print_state = "printing"
        self._emit_all()
        self._spawn(self._print(record))

    @Slot()
    def finish(self) -> None:
        """Done with this service: the life event's next service, or the feedback question."""
        self._journey.finish()
        if self._journey.step is not Step.FEEDBACK:
            self._note_service_started()  # the life event's next request
        self._reset_outcome()  # the next service has its own reference and receipt
        self._emit_all()

    @Slot()
    def newSession(self) -> None:
        """Wipe the session (thanks, start over, timeout)."""
        self._thanks_timer.stop()
        for task in list(self._tasks):
            task.cancel()
        for hook in self._wipe_hooks:
            hook()
        self._journey.wipe()
        self._scans.clear()
        self.scanChanged.emit()
        self._reset_outcome()
        self._countdown = -1
        # The next citizen starts from the standard display.
        self._high_contrast = False
        self._text_scale_index = 0
        self.displayChanged.emit()
        self._emit_all()
        self.countdownChanged.emit()

    @Slot()
    def userActivity(self) -> None:
        """Any touch or key: the citizen is there."""
        self._watch.touch(self._clock())
        if self._countdown != -1:
            self._countdown = -1
            self.countdownChanged.emit()

    def on_sync_status(self, _status: SyncStatus) -> None:
        """Sync progressed: the confirmation may now say "sent"."""
        if self._outbox_key and not self._synced:
            state = self._outbox.state_of(self._outbox_key)
            if state is not None and state.value == "acknowledged":
                self._synced = True
                self.outcomeChanged.emit()

    # -- internals -----------------------------------------------------------
    def _note(self, kind: EventKind, **codes: object) -> None:
        """Count a moment of the visit for the agency (codes only, nobody's data)."""
        if self._events is None:
            return
        session = self._journey.session
        service = self._journey.service if session.service_id is not None else None
        self._events.record(
            kind,
            session.id,
            language=session.language if self._journey.step is not Step.LANGUAGE else None,
            agency_id=service.agency if service else None,
            service_id=service.id if service else None,
            life_event_id=session.life_event_id,
            **codes,
        )

    def note_escalation(self) -> None:
        """The citizen asked for a person (a call was requested): counted with the step."""
        self._note(EventKind.ESCALATED, step=self._journey.step.value)

    def _note_service_started(self) -> None:
        self._note(EventKind.SERVICE_STARTED, step=self._journey.step.value)

    @property
    def _lang(self) -> Language:
        return self._journey.session.language

    def _emit_all(self) -> None:
        self.stepChanged.emit()
        self.languageChanged.emit()
        self.fieldsChanged.emit()
        self.identityChanged.emit()
        self.outcomeChanged.emit()
        self.errorsChanged.emit()

    def _tick(self) -> None:
        if self._journey.step is Step.ATTRACT:
            return
        now = self._clock()
        if self._someone_attends():
            self.userActivity()
            return
        if self._watch.expired(now):
            log.info("session abandoned: wiped after inactivity")
            self._note(EventKind.SESSION_ABANDONED, step=self._journey.step.value)
            self.newSession()
            return
        left = self._watch.seconds_left(now)
        shown = -1 if left is None else int(left + 0.999)
        if shown != self._countdown:
            self._countdown = shown
            self.countdownChanged.emit()

    def _on_card_event(self, event: CardEvent) -> None:
        if event.kind is CardEventKind.INSERTED and self._journey.step is Step.IDENTIFY:
            self.userActivity()
            self._spawn(self._read_card())

    async def _read_card(self) -> None:
        self._card_reading = True
        self._identity_error = ""
        self.identityChanged.emit()
        try:
            holder = await self._card.read_holder()
        except CardError as err:
            self._identity_error = self._strings.text(f"error.{err.code}", self._lang)
        else:
            if self._journey.step is Step.IDENTIFY:
                self._journey.identify_with_card(holder)
        finally:
            self._card_reading = False
        self._emit_all()

    async def _print(self, record: TransactionRecord) -> None:
        outcome = await self._desk.print_receipt(record)
        self._print_state = "printed" if outcome.printed else "failed"
        if outcome.error_code:
            self._print_error = self._strings.text(outcome.error_code, self._lang)
        self.outcomeChanged.emit()

    def stop(self) -> None:
        """No more ticks or timers: the kiosk is shutting down."""
        self._ticker.stop()
        self._thanks_timer.stop()
        for task in list(self._tasks):
            task.cancel()

    async def settle(self) -> None:
        """Let background steps (a card read, a receipt) finish, e.g. before shutdown."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background step failed", exc_info=task.exception())


def _language(value: str) -> Language:
    if value not in ("fr", "en"):
        raise JourneyError(f"unknown language {value!r}")
    return cast(Language, value)
