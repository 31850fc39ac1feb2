"""The Qt side of the composition root: one QGuiApplication and one asyncio loop.

qasync runs asyncio on top of Qt's event loop, so the sync worker, card reads
and printing are plain coroutines and never touch widgets from another thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickItem, QQuickWindow

from kiosk.maintenance.service import EXIT_RESTART
from kiosk.native_memory import release_free_heap
from kiosk.services import KioskServices
from kiosk.systemd_notify import SystemdNotifier
from kiosk.ui.call_viewmodel import CallViewModel
from kiosk.ui.demo_controls import DemoControls
from kiosk.ui.eservice_viewmodel import EServiceViewModel
from kiosk.ui.maintenance_viewmodel import MaintenanceViewModel
from kiosk.ui.speech import ReadAloud
from kiosk.ui.video_view import VideoView
from kiosk.ui.viewmodel import KioskViewModel

if TYPE_CHECKING:
    from kiosk.ui.audio import QtMicrophone, QtSpeaker
    from kiosk.ui.eservice_share import EServiceShare

log = logging.getLogger(__name__)
QML_MAIN = Path(__file__).parent / "qml" / "Main.qml"
SIGNAL_POLL_MS = 500
EXIT_SMOKE_FAILED = 1
_ACTIVITY_EVENTS = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.KeyPress,
}


@dataclass(frozen=True)
class RunOptions:
    """How to show the kiosk."""

    fullscreen: bool = True
    quit_after_s: float | None = None
    report_first_frame: bool = False
    exit_after_first_frame: bool = False
    # Walk one scripted change of address (simulated card) and quit: the install check.
    smoke_journey: bool = False


class ActivityFilter(QObject):
    """Every touch, click or key press anywhere: the citizen (or technician) is there."""

    def __init__(self, vm: KioskViewModel, maint: MaintenanceViewModel) -> None:
        super().__init__()
        self._vm = vm
        self._maint = maint

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() not in _ACTIVITY_EVENTS:
            return False
        warning_shown = self._vm.property("countdown") >= 0
        self._vm.userActivity()
        self._maint.userActivity()
        # A touch that dismisses "are you still there?" must not also act on the
        # screen below the warning, which reappears under the finger.
        return bool(warning_shown)


class KioskUi:
    """The QML engine, its window and the view model, built once per process."""

    def __init__(self, services: KioskServices) -> None:
        self.services = services
        self.vm = KioskViewModel(
            services.journey,
            services.strings,
            services.desk,
            services.card_reader,
            services.outbox,
            reference_prefix=services.settings.kiosk.reference_prefix,
            inactivity=services.inactivity,
            thank_you_s=services.settings.kiosk.thank_you_s,
            events=services.events,
            document_camera=services.document_camera.get,
        )
        services.sync_worker.add_listener(self.vm.on_sync_status)
        self.call = CallViewModel(
            services.call_desk,
            services.call_engine,
            services.strings,
            language=lambda: services.journey.session.language,
            service_id=lambda: services.journey.session.service_id,
        )
        self.vm.add_wipe_hook(self.call.wipe)
        self.call.add_request_hook(self.vm.note_escalation)
        # A citizen on a call rarely touches the screen; one behind the curtain has
        # stepped away, so the inactivity watch runs again (and its wipe hangs up).
        desk = services.call_desk
        self.vm.keep_alive_while(lambda: desk.in_call and not desk.curtained)
        self.speech = ReadAloud(services.settings.kiosk.speech_engine)
        self.speech.set_language(services.journey.session.language)
        journey = services.journey
        self.vm.languageChanged.connect(lambda: self.speech.set_language(journey.session.language))
        self.vm.add_wipe_hook(self.speech.reset)
        self.vm.add_wipe_hook(self._forget_caches)
        settings = services.settings
        self.maint = MaintenanceViewModel(
            services.maintenance,
            services.technician_gate,
            services.card_reader,
            services.strings,
            services.journey.catalogue.site,
            default_language=settings.kiosk.default_language,
            idle_timeout_s=settings.maintenance.inactivity_timeout_s,
        )
        services.sync_worker.add_listener(self.maint.on_sync_status)
        self.eservice = self._eservice_viewmodel()
        self.share = self._eservice_share()
        self.engine = QQmlApplicationEngine()
        context = {"eservice": self.eservice, "maint": self.maint, "speech": self.speech}
        context |= {"vm": self.vm, "call": self.call}
        if self.share is not None:
            context["share"] = self.share
        for name, qobject in context.items():
            self.engine.rootContext().setContextProperty(name, qobject)
        self.engine.load(QUrl.fromLocalFile(str(QML_MAIN)))
        roots = self.engine.rootObjects()
        if not roots or not isinstance(roots[0], QQuickWindow):
            raise RuntimeError(f"the kiosk screens failed to load from {QML_MAIN}")
        self.window: QQuickWindow = roots[0]
        video = self.window.findChild(VideoView, "remoteVideo")
        if video is not None:
            self.call.attach_view(video)
        self._speaker: QtSpeaker | None = None
        self._microphone: QtMicrophone | None = None
        if services.video is not None:
            # Only with a video counter: the call's audio tracks bring aiortc and PyAV.
            from kiosk.ui.audio import QtMicrophone, QtSpeaker

            services.video.engine.show_frames_on(self.call.show_frame)
            if services.settings.video.audio == "system":
                self._speaker = QtSpeaker.open()
                if self._speaker is not None:
                    services.video.call.audio_sink = self._speaker
                if services.video.microphone is not None:
                    self._microphone = QtMicrophone.open(services.video.microphone)
        self._activity = ActivityFilter(self.vm, self.maint)
        self._demo = DemoControls(services.card_reader, services.printer)
        # On the window, not the application: an application filter is called for
        # every event of every object (each of the event loop's timers, dozens a
        # frame during a call), each time a call into Python; input comes to the
        # window first either way. Measured: about 12% of the busy time in a call.
        self.window.installEventFilter(self._activity)
        if self._demo.active:
            self.window.installEventFilter(self._demo)

    def _eservice_viewmodel(self) -> EServiceViewModel:
        """The e-service screen's view model, following the journey and wiped with it."""
        services = self.services
        eservice = EServiceViewModel(
            services.journey, services.strings, services.printer, services.document_camera.get
        )
        # Connected before the screens load: the e-service is ready when its screen reads it.
        self.vm.stepChanged.connect(eservice.step_changed)
        self.vm.languageChanged.connect(eservice.language_changed)
        self.vm.add_wipe_hook(eservice.wipe)
        return eservice

    def _eservice_share(self) -> EServiceShare | None:
        """The e-service page shared with the agent during a call (with a video counter)."""
        services = self.services
        if services.video is None:
            return None
        # Here, not at the top: grabbing frames needs numpy, which a kiosk without a video
        # counter never loads (the video stack is loaded already when there is one).
        from kiosk.ui.eservice_share import EServiceShare

        journey = services.journey
        share = EServiceShare(
            self.eservice,
            self.call,
            services.video.call,
            keyboard=lambda: self.window.findChild(QQuickItem, "keyboard"),
            pointer_label=lambda: services.strings.text("share.pointer", journey.session.language),
        )
        self.vm.add_wipe_hook(share.stop)
        return share

    def _forget_caches(self) -> None:
        """At the wipe: the keyboard's word state, the JS heap and unused scene resources go too.

        The compiled screens stay (no ``trimComponentCache``): they hold code, not
        the citizen's data, and a screen compiled again registers a new QML type
        (``LanguageScreen_QMLTYPE_145``, then ``_157``...) in Qt's registries,
        which never shrink (Qt's accessibility cache keeps every class name): a
        few allocations per citizen, each pinning a heap page that ``malloc_trim``
        could otherwise return (issue #6, ``docs/BENCHMARKS.md``).
        """
        input_method = QGuiApplication.inputMethod()
        if input_method is not None:
            input_method.reset()
        # The JavaScript heap holds the strings the screens showed: collected now, not later.
        self.engine.collectGarbage()
        self.window.releaseResources()
        release_free_heap()

    def close(self) -> None:
        """Tear the screens and the view model down, now, on this (the UI) thread.

        The QML context holds a plain pointer to the view model, and the view
        model owns timers. Left to Python's garbage collector, they could be
        destroyed later, from whatever thread triggers a collection (a worker
        rendering a receipt): a timer unregistered from the wrong thread, or a
        binding evaluated on freed memory, crashes the process (seen in tests).
        """
        self.window.removeEventFilter(self._activity)
        self.window.removeEventFilter(self._demo)
        self.vm.stop()
        self.call.stop()
        self.maint.stop()
        self.eservice.stop()
        if self.share is not None:
            self.share.stop()
        if self.services.video is not None:
            self.services.video.engine.show_frames_on(None)
        for device in (self._speaker, self._microphone):
            if device is not None:
                device.stop()
        self.window.close()
        shiboken6.delete(self.engine)
        for qobject in (self.vm, self.call, self.maint, self.eservice, self._activity, self._demo):
            shiboken6.delete(qobject)
        if self.share is not None:
            shiboken6.delete(self.share)


def ensure_display() -> bool:
    """Fall back to offscreen rendering when there is no screen; True if so."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return os.environ["QT_QPA_PLATFORM"] == "offscreen"
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return False
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return True


@dataclass(frozen=True)
class EventLoop:
    """The one Qt application and asyncio loop of the process, made before the devices.

    Device adapters that report from their own threads (pyscard's monitor)
    marshal onto this loop, so it must exist before they are built.
    """

    app: QGuiApplication
    loop: asyncio.AbstractEventLoop
    offscreen: bool
    started: float


def prepare_web_engine() -> None:
    """What Qt WebEngine needs before the application exists, without loading it.

    WebEngine shares OpenGL contexts with the scene graph; the attribute must be
    set before the QGuiApplication is made. ``QtWebEngineQuick.initialize()`` would
    do it too, but loads WebEngine's libraries (about 35 MB resident) into every
    kiosk; the e-service screen loads them only when a citizen opens one.
    """
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to sandbox its renderers as root (containers, CI); the
        # kiosk's own user (deploy/raspberrypi) is not root and keeps the sandbox.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def start_event_loop() -> EventLoop:
    """Create the QGuiApplication and its qasync loop, offscreen when there is no screen."""
    from kiosk.ui.event_loop import KioskEventLoop

    started = time.time()
    offscreen = ensure_display()
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    # The on-screen keyboard: a kiosk has no other (Qt Virtual Keyboard, fr and en).
    os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
    prepare_web_engine()
    app = cast(QGuiApplication, QGuiApplication.instance() or QGuiApplication(sys.argv))
    # Stopping goes through one asyncio event, so background work ends cleanly
    # while the loop still runs (never from inside Qt's own shutdown).
    app.setQuitOnLastWindowClosed(False)
    if offscreen:
        print(
            "visioguichet: no display found, the kiosk runs offscreen (QT_QPA_PLATFORM=offscreen)"
        )
    loop = KioskEventLoop(app)
    asyncio.set_event_loop(loop)
    return EventLoop(app, loop, offscreen, started)


def run(event_loop: EventLoop, services: KioskServices, options: RunOptions) -> int:
    """Run the kiosk until asked to stop; returns the process exit code."""
    app, loop, offscreen = event_loop.app, event_loop.loop, event_loop.offscreen
    stop = asyncio.Event()
    restart_asked: list[bool] = []

    def restart() -> None:
        restart_asked.append(True)
        stop.set()

    services.maintenance.on_restart(restart)
    ui = KioskUi(services)
    app.lastWindowClosed.connect(stop.set)
    _stop_on_signals(loop, stop)
    if options.report_first_frame or options.exit_after_first_frame:
        _report_first_frame(
            ui.window, event_loop.started, loop, stop if options.exit_after_first_frame else None
        )
    if options.fullscreen and not offscreen:
        ui.window.showFullScreen()
    if options.quit_after_s is not None:
        QTimer.singleShot(int(options.quit_after_s * 1000), stop.set)
    notifier = SystemdNotifier()
    watchdog = _watchdog_timer(notifier)
    smoke: list[str] = []
    journey = (
        asyncio.ensure_future(_smoke_journey(ui, stop, smoke), loop=loop)
        if options.smoke_journey
        else None
    )
    try:
        loop.run_until_complete(_serve(ui, stop, lambda: _report_ready(notifier, watchdog)))
    finally:
        if journey is not None:
            journey.cancel()
        watchdog.stop()
        notifier.stopping()
        ui.close()
        loop.run_until_complete(services.aclose())
        loop.close()
    if options.smoke_journey:
        return 0 if smoke else EXIT_SMOKE_FAILED
    return EXIT_RESTART if restart_asked else 0


def _watchdog_timer(notifier: SystemdNotifier) -> QTimer:
    """WATCHDOG=1 from a timer of the UI's own loop: a frozen UI stops feeding systemd."""
    timer = QTimer(QCoreApplication.instance())
    timer.setInterval(int(notifier.watchdog_interval_s * 1000))
    timer.timeout.connect(notifier.watchdog)
    return timer


def _report_ready(notifier: SystemdNotifier, watchdog: QTimer) -> None:
    """READY=1, then the watchdog's feeding (only under systemd)."""
    if notifier.ready():
        watchdog.start()


async def _smoke_journey(ui: KioskUi, stop: asyncio.Event, reference: list[str]) -> None:
    """One citizen's change of address, end to end; ``reference`` gets the number shown."""
    from kiosk.ui.driver import KioskDriver, walk_change_of_address

    try:
        shown = await walk_change_of_address(KioskDriver(ui.window), "fr")
    except Exception:
        log.exception("smoke journey failed")
    else:
        if shown.strip():
            reference.append(shown)
            print(f"smoke-journey reference {shown}", flush=True)
    finally:
        stop.set()


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """SIGTERM (systemd) and SIGINT (Ctrl-C in the demo) stop the kiosk cleanly."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    # Python runs signal handlers between bytecodes; Qt's C++ loop must yield now and then.
    heartbeat = QTimer(QCoreApplication.instance())
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(SIGNAL_POLL_MS)


async def _serve(ui: KioskUi, stop: asyncio.Event, on_ready: Callable[[], None]) -> None:
    """Sync in the background until asked to stop; tasks live only while the loop runs."""
    worker = asyncio.ensure_future(ui.services.run_background())
    try:
        await ui.services.desk.prepare()
        # The screens are loaded and the loop turns: systemd may count the kiosk as up.
        on_ready()
        await stop.wait()
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await ui.vm.settle()


def _report_first_frame(
    window: QQuickWindow,
    started: float,
    loop: asyncio.AbstractEventLoop,
    stop: asyncio.Event | None,
) -> None:
    """For the start-up benchmark: print the wall clock of the first rendered frame."""

    def on_frame() -> None:
        window.frameSwapped.disconnect(on_frame)
        print(f"first-frame {time.time():.6f} since-main {time.time() - started:.3f}", flush=True)
        if stop is not None:
            # frameSwapped may come from the render thread.
            loop.call_soon_threadsafe(stop.set)

    window.frameSwapped.connect(on_frame)
