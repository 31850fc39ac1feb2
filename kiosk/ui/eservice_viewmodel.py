"""The e-service screen's view model: the locked-down web view, its coach, scans and prints.

The rules (allow-list, coach hints) come from :mod:`kiosk.eservices`; this module
applies them to Qt WebEngine. Each citizen session gets its own off-the-record
profile (cookies, storage, cache and history in memory only), made when the
citizen first opens an e-service and destroyed after the web view at the wipe,
so the next citizen can neither read nor go "back" into the previous one's pages.
Qt WebEngine is imported only then: a kiosk whose citizens never open an
e-service never loads it.

For the screen share (and whoever else watches the web view), QML context
property ``eservice`` offers:

- ``currentUrl`` and ``currentTitle`` (notify ``pageChanged``): the page shown;
- ``eserviceItem`` (notify ``itemChanged``): the ``WebEngineView`` QML item, to
  ``grabToImage`` it (None while no e-service is open);
- ``pageScript``: JavaScript injected into every page (main world), which defines
  ``window.__vgSensitiveRects()`` returning ``{rects: [{x, y, w, h}], devicePixelRatio,
  viewport: {w, h}, scroll: {x, y}}``: the fields an agent must not see
  (``input[type=password]``, autocomplete ``cc-number``/``cc-csc``/``cc-exp*``,
  anything ``data-vg-sensitive``), in CSS px relative to the viewport. Its
  ``devicePixelRatio`` includes the view's ``zoomFactor`` (the citizen's text size):
  CSS px x devicePixelRatio = device pixels of the view (its item pixels times the
  screen's own ratio, 1 on the kiosk); ``sensitive_rects()`` calls it from Python;
- ``run_javascript(script)``: any script's JSON-able result, from Python;
- ``openUrl(url)``: show ``url`` in the web view if the allow-list lets it (an agent
  pushing a link); returns whether it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.eservices.policy import origin_of
from kiosk.eservices.scans import file_for_input
from kiosk.i18n import Strings
from kiosk.journey import Journey, Step
from kiosk.qr import qr_data_url
from kiosk.scanning import ScanError, scan_page
from peripherals.printer.errors import PrinterError

if TYPE_CHECKING:
    from PySide6.QtWebEngineQuick import QQuickWebEngineDownloadRequest, QQuickWebEngineProfile

    from kiosk.eservices.model import EService
    from peripherals.camera.protocol import DocumentCamera
    from peripherals.printer import Printer

log = logging.getLogger(__name__)
PAGE_SCRIPT = (Path(__file__).parents[1] / "eservices" / "page_script.js").read_text("utf-8")
ACCEPT_LANGUAGE = {"fr": "fr-CA,fr;q=0.9,en;q=0.5", "en": "en-CA,en;q=0.9,fr;q=0.5"}
SCANNING = "scanning"
SCRIPT_TIMEOUT_S = 5.0  # a page busy for longer is not one to wait on


class EServiceViewModel(QObject):
    """State and gestures of the e-service screen (see the module docstring)."""

    changed = Signal()  # the e-service, the language, the coach's hint, teach-me
    pageChanged = Signal()
    itemChanged = Signal()
    profileChanged = Signal()
    noticeChanged = Signal()  # a refused address or download
    scanChanged = Signal()
    printChanged = Signal()
    scanReady = Signal(str)  # the scanned file's path, for the page's file input
    scanAbandoned = Signal()  # no file for the page: the input gets none
    scriptRequested = Signal(int, str)  # the view runs it and answers scriptAnswered(id, json)

    def __init__(
        self,
        journey: Journey,
        strings: Strings,
        printer: Printer,
        document_camera: Callable[[], DocumentCamera],
        *,
        work_root: Path | None = None,
    ) -> None:
        super().__init__()
        self._journey = journey
        self._strings = strings
        self._printer = printer
        self._camera = document_camera
        self._work_root = work_root
        self._workdir: Path | None = None  # this citizen's scans and prints; gone at the wipe
        self._files = 0
        self._profile: QQuickWebEngineProfile | None = None
        self._retired: list[QQuickWebEngineProfile] = []
        self._item: QObject | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._scripts: dict[int, asyncio.Future[Any]] = {}
        self._script_ids = itertools.count(1)
        self._reset_page()

    def _reset_page(self) -> None:
        self._url = ""
        self._title = ""
        self._teaching = False
        self._notice = ""
        self._scan = ""  # "", "scanning" or the error shown
        self._print_state = ""  # "", "printing", "printed", "failed"

    # -- the e-service ------------------------------------------------------
    @property
    def _eservice(self) -> EService | None:
        if self._journey.session.service_id is None:
            return None
        return self._journey.service.eservice

    def _lang_text(self, key: str, **values: object) -> str:
        return self._strings.text(key, self._journey.session.language, **values)

    # Notified only as an e-service opens: the view's url binding is read once, then the
    # citizen moves the page (a binding re-read on every hint change would reload it).
    startUrl = Property(
        str, lambda self: self._eservice.start_url if self._eservice else "", notify=profileChanged
    )
    pageScript = Property(str, lambda self: PAGE_SCRIPT, constant=True)

    def _get_continue_url(self) -> str:
        if self._journey.session.service_id is None:
            return ""
        return self._journey.service.continue_at_home_url or ""

    continueUrl = Property(str, _get_continue_url, notify=changed)
    continueQr = Property(
        str,
        lambda self: qr_data_url(self._get_continue_url()) if self._get_continue_url() else "",
        notify=changed,
    )

    @Slot(str, result=bool)
    def allows(self, url: str) -> bool:
        """Whether the web view may show ``url`` (navigation, new window, pushed link)."""
        eservice = self._eservice
        return eservice is not None and eservice.allow_list.allows(url)

    @Slot(str)
    def refuse(self, url: str) -> None:
        """The page tried to leave the e-service's sites: tell the citizen, stay where they are."""
        # The origin only: an address's path and query may name the citizen.
        log.info(
            "e-service: refused %s, outside the allow-list", origin_of(url) or "a non-web address"
        )
        self._notice = self._lang_text("eservice.refused")
        self.noticeChanged.emit()

    @Slot()
    def dismissNotice(self) -> None:
        """ "Back to the service" on the refusal message."""
        self._notice = ""
        self.noticeChanged.emit()

    notice = Property(str, lambda self: self._notice, notify=noticeChanged)

    @Slot(str, result=bool)
    def openUrl(self, url: str) -> bool:
        """Show ``url`` (e.g. a link an agent pushes) if the allow-list lets it."""
        if self._item is None or not self.allows(url):
            return False
        self._item.setProperty("url", url)
        return True

    # -- the page -----------------------------------------------------------
    @Slot(str, str)
    def showing(self, url: str, title: str) -> None:
        """The web view shows ``url`` (titled ``title``): the coach follows."""
        if (url, title) == (self._url, self._title):
            return
        hint_before = self._hint_for(self._url)
        if url != self._url and self._print_state in ("printed", "failed"):
            self._set_print("")  # the news of the last print goes with its page
        self._url, self._title = url, title
        self._journey.session.eservice_page = (title, url) if url else None
        self.pageChanged.emit()
        if self._hint_for(url) is not hint_before:
            self.changed.emit()

    currentUrl = Property(str, lambda self: self._url, notify=pageChanged)
    currentTitle = Property(str, lambda self: self._title, notify=pageChanged)

    @Slot(QObject)
    def attachView(self, item: QObject | None) -> None:
        """The web view item (QML calls this as it is made and, with None, as it goes)."""
        self._item = item
        self.itemChanged.emit()
        if item is None:
            self._url, self._title = "", ""
            self._release_retired()

    eserviceItem = Property(QObject, lambda self: self._item, notify=itemChanged)

    async def run_javascript(self, script: str, timeout_s: float = SCRIPT_TIMEOUT_S) -> Any:
        """The JSON-able result of ``script`` run in the page (main world).

        RuntimeError when no page is shown; TimeoutError when the page does not answer.
        """
        if self._item is None:
            raise RuntimeError("no e-service page is shown")
        script_id = next(self._script_ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._scripts[script_id] = answer
        try:
            self.scriptRequested.emit(script_id, script)
            async with asyncio.timeout(timeout_s):
                return await answer
        finally:
            self._scripts.pop(script_id, None)

    @Slot(int, str)
    def scriptAnswered(self, script_id: int, result_json: str) -> None:
        """The view ran script ``script_id``; its result, as JSON."""
        answer = self._scripts.get(script_id)
        if answer is not None and not answer.done():
            answer.set_result(json.loads(result_json) if result_json else None)

    async def sensitive_rects(self) -> dict[str, Any] | None:
        """``window.__vgSensitiveRects()`` of the page shown (see the module docstring)."""
        found = await self.run_javascript(
            "window.__vgSensitiveRects ? window.__vgSensitiveRects() : null"
        )
        return found if isinstance(found, dict) else None

    # -- the coach ----------------------------------------------------------
    def _hint_for(self, url: str) -> object:
        eservice = self._eservice
        return eservice.hint_for(url) if eservice is not None and url else None

    def _get_hint(self) -> dict[str, Any]:
        eservice = self._eservice
        hint = eservice.hint_for(self._url) if eservice is not None and self._url else None
        if hint is None:
            return {}
        language = self._journey.session.language
        return {
            "text": hint.text(language),
            "explain": hint.explain(language) if hint.explain else "",
            "selector": hint.selector or "",
        }

    hint = Property(dict, _get_hint, notify=changed)
    teaching = Property(bool, lambda self: self._teaching, notify=changed)

    @Slot()
    def toggleTeaching(self) -> None:
        """ "Teach me": the coach explains the step instead of only naming it."""
        self._teaching = not self._teaching
        self.changed.emit()

    def language_changed(self) -> None:
        """The citizen switched language: hints, and the language the sites are asked for."""
        if self._profile is not None:
            self._profile.setHttpAcceptLanguage(ACCEPT_LANGUAGE[self._journey.session.language])
        if self._notice:
            self._notice = self._lang_text("eservice.refused")
            self.noticeChanged.emit()
        self.changed.emit()

    def step_changed(self) -> None:
        """The journey moved: a new e-service opens with a fresh page state."""
        if self._journey.step is Step.ESERVICE and self._item is None:
            self._reset_page()
            self.profileChanged.emit()
            self.changed.emit()
            self.pageChanged.emit()

    # -- the profile --------------------------------------------------------
    def _get_profile(self) -> QObject | None:
        # Made as the first web view asks for it (no signal from here: a binding reads it).
        if self._profile is None and self._journey.step is Step.ESERVICE:
            self._profile = self._new_profile()
        return self._profile

    profile = Property(QObject, _get_profile, notify=profileChanged)

    def _new_profile(self) -> QQuickWebEngineProfile:
        from PySide6.QtWebEngineQuick import QQuickWebEngineProfile

        # No storage name: off the record; cookies, storage, cache and history in memory.
        profile = QQuickWebEngineProfile(self)
        assert profile.isOffTheRecord()
        profile.setHttpAcceptLanguage(ACCEPT_LANGUAGE[self._journey.session.language])
        profile.downloadRequested.connect(self._on_download)
        from kiosk.ui.web_guard import FrameGuard

        # Embedded frames too (the view's own check sees only the main frame's navigations).
        guard = FrameGuard(self.allows)
        guard.setParent(profile)  # freed with the profile, at the wipe
        profile.setUrlRequestInterceptor(guard)
        return profile

    def _release_retired(self) -> None:
        # Pages go before their profile (WebEngine warns, and may crash, otherwise).
        for profile in self._retired:
            profile.deleteLater()
        self._retired.clear()

    def wipe(self) -> None:
        """At the end of a citizen's session: their profile, files and page state go."""
        for task in list(self._tasks):
            task.cancel()
        if self._profile is not None:
            # No profileChanged: a view still showing must not bind to a new profile;
            # the next e-service's view is a new object and reads the property afresh.
            self._retired.append(self._profile)
            self._profile = None
        if self._item is None:
            self._release_retired()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._files = 0
        self._journey.session.eservice_page = None
        self._reset_page()
        self.changed.emit()
        self.pageChanged.emit()
        self.noticeChanged.emit()
        self.scanChanged.emit()
        self.printChanged.emit()

    @property
    def live_profile(self) -> QQuickWebEngineProfile | None:
        """The current citizen's profile, if one was made (tests, diagnostics)."""
        return self._profile

    def _new_file(self, suffix: str) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="vg-eservice-", dir=self._work_root))
        self._files += 1
        return self._workdir / f"file-{self._files}{suffix}"

    @property
    def workdir(self) -> Path | None:
        """This citizen's folder of scans and prints (None before the first)."""
        return self._workdir

    # -- file inputs: the document camera -----------------------------------
    @Slot(list)
    def scanForPage(self, accepted: list[str]) -> None:
        """A file input asked for a file: the document camera takes the page instead."""
        self._scan = SCANNING
        self.scanChanged.emit()
        self._spawn(self._scan_page([str(kind) for kind in accepted]))

    async def _scan_page(self, accepted: list[str]) -> None:
        try:
            jpeg = await scan_page(self._camera())
        except ScanError as err:
            self._scan = self._lang_text(err.key)
            self.scanChanged.emit()
            return
        scanned = file_for_input(accepted, jpeg, self._files + 1)
        path = self._new_file(Path(scanned.name).suffix)
        await asyncio.to_thread(path.write_bytes, scanned.content)
        self._scan = ""
        self.scanChanged.emit()
        self.scanReady.emit(str(path))

    @Slot()
    def cancelScan(self) -> None:
        """The citizen gave up the scan: the page's input gets no file."""
        self._scan = ""
        self.scanChanged.emit()
        self.scanAbandoned.emit()

    scanState = Property(str, lambda self: self._scan, notify=scanChanged)

    # -- printing: the kiosk printer ----------------------------------------
    @Slot(result=str)
    def newPrintPath(self) -> str:
        """Where the web view writes the page it prints (``printToPdf``)."""
        return str(self._new_file(".pdf"))

    @Slot(str, bool)
    def pagePrinted(self, path: str, ok: bool) -> None:
        """The page's PDF is written (or not): it goes to the kiosk printer."""
        if not ok:
            self._set_print("failed")
            return
        self._spawn(self._print_file(Path(path), "e-service page"))

    async def _print_file(self, path: Path, title: str) -> None:
        self._set_print("printing")
        try:
            pdf = await asyncio.to_thread(path.read_bytes)
            await self._printer.print_pdf(pdf, title=title)
        except (OSError, PrinterError) as err:
            log.warning("e-service print failed: %s", err)
            self._set_print("failed")
            return
        self._set_print("printed")

    def _set_print(self, state: str) -> None:
        self._print_state = state
        self.printChanged.emit()

    printState = Property(str, lambda self: self._print_state, notify=printChanged)

    def _on_download(self, download: QQuickWebEngineDownloadRequest) -> None:
        # Nothing is kept on the kiosk: a PDF is printed, anything else refused.
        name = download.downloadFileName().lower()
        if download.mimeType() != "application/pdf" and not name.endswith(".pdf"):
            download.cancel()
            self._notice = self._lang_text("eservice.download_refused")
            self.noticeChanged.emit()
            return
        path = self._new_file(".pdf")
        download.setDownloadDirectory(str(path.parent))
        download.setDownloadFileName(path.name)

        def finished() -> None:
            if download.isFinished():
                if download.state() == download.DownloadState.DownloadCompleted:
                    self._spawn(self._print_file(path, "e-service document"))
                else:
                    self._set_print("failed")

        download.isFinishedChanged.connect(finished)
        download.accept()

    # -- tasks ----------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stop(self) -> None:
        """Cancel what is running and let the profile go (the kiosk is closing)."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(RuntimeError):
            self.wipe()
