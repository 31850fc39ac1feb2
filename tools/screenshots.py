"""`make screenshots`: every screen of the journey, in French and English, as PNG.

Runs the real kiosk offscreen with simulated devices and an unreachable back
end (so the confirmation shows the offline promise); the printed receipt is
rendered through Qt's PDF module.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")

import av
import cv2
import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtPdf import QPdfDocument

from kiosk.call_desk import Pushed
from kiosk.config import DEFAULT_CATALOGUE, MaintenanceSection
from kiosk.eservices.demo_site import PAGES, demo_catalogue_at
from kiosk.eservices.site import LoopbackSite
from kiosk.i18n import Language
from kiosk.maintenance.lockout import FREE_FAILURES
from kiosk.maintenance.logs import install_log_file, log_file_path
from kiosk.maintenance.pin import hash_pin
from kiosk.ui.driver import (
    KioskDriver,
    open_tile,
    walk_change_of_address,
    walk_moving,
    walk_other_channels,
)
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk
from peripherals.card.simulator import SimulatedCardReader
from peripherals.printer.simulator import SimulatedPrinter
from video.receiver import RemoteFrame

SHOT_WIDTH = 1280  # 2/3 of the 1920x1080 design: sharp enough, small files
RECEIPT_DPI = 200
SCREENSHOT_PIN = "482913"
HOLD_S = 3.3  # the hidden corner's long press, a little past its 3 s


class Photographer:
    """Saves what the kiosk shows, under names like ``review-fr.png``."""

    def __init__(
        self, kiosk: RunningKiosk, language: str, out_dir: Path, *, high_contrast: bool
    ) -> None:
        self.kiosk = kiosk
        self.d: KioskDriver = kiosk.driver
        self.language = language
        self.out_dir = out_dir
        self.suffix = f"{language}-hc" if high_contrast else language
        if high_contrast:
            kiosk.ui.vm.toggleContrast()

    async def snap(self, name: str) -> None:
        """Save the window as it is now; on the identify screen, the help too."""
        await self.d.settle()
        image = self.d.window.grabWindow().scaledToWidth(SHOT_WIDTH)
        image.save(str(self.out_dir / f"{name}-{self.suffix}.png"))
        if name == "identify":
            await self.d.tap("helpButton")
            await self.snap("call-offer")
            await self.d.tap("callCloseButton")

    async def scenario(self) -> None:
        """The whole journey, then an abandoned session's warning."""
        d = self.d
        await walk_change_of_address(d, self.language, snapshot=self.snap, show_form_errors=True)
        await d.tap("newSessionButton")
        if self.suffix.endswith("-hc"):
            self.kiosk.ui.vm.toggleContrast()  # the wipe brought the standard display back
        await d.tap("attractTouchArea")
        await d.tap("languageFr" if self.language == "fr" else "languageEn")
        await d.screen("serviceScreen")
        watch = self.kiosk.services.inactivity
        # As if the citizen had walked away a while ago: the warning shows.
        watch.touch(time.monotonic() - (watch.timeout_s - watch.countdown_s) - 3)
        await d.item("timeoutOverlay")
        await self.snap("timeout")
        await d.tap("stillHereButton")
        await self.call_scenario()
        await self.other_paths()
        await self.eservice_scenario()
        await self.maintenance_scenario()

    async def other_paths(self) -> None:
        """A life event across two agencies, then a service for a person and a referral."""
        reader = self.kiosk.services.card_reader
        for walk in (walk_moving, walk_other_channels):
            if isinstance(reader, SimulatedCardReader) and reader.card_present:
                reader.remove()  # the previous citizen took their card
            self.kiosk.ui.vm.newSession()
            if self.suffix.endswith("-hc"):
                self.kiosk.ui.vm.toggleContrast()
            await walk(self.d, self.language, snapshot=self.snap)

    async def eservice_scenario(self) -> None:
        """The demo e-service in the web view: the coach, teach me, a refusal, a scan, the end."""
        d, vm, eservice = self.d, self.kiosk.ui.vm, self.kiosk.ui.eservice
        vm.newSession()
        if self.suffix.endswith("-hc"):
            vm.toggleContrast()
        await open_tile(d, self.language, "service_licence-renewal")
        await d.screen("eserviceScreen")
        await d.wait_for(lambda: eservice.property("currentTitle") != "", "the first page")
        await asyncio.sleep(0.5)  # the coach's outline is drawn in the page
        await self.snap("eservice")
        assert eservice.openUrl(eservice.property("startUrl") + "identite")
        await d.wait_for(lambda: eservice.property("currentTitle") == "Votre identité", "identity")
        await d.tap("coachTeach")
        await asyncio.sleep(0.5)
        await self.snap("eservice-teach")
        await d.tap("coachTeach")
        eservice.refuse("https://elsewhere.example/")  # what a link off the allow-list shows
        await self.snap("eservice-refused")
        await d.tap("eserviceNoticeBack")
        await d.tap("eserviceDone")
        await d.screen("continueAtHomeScreen")
        await d.item("continueQr")
        await self.snap("continue-at-home")

    async def maintenance_scenario(self) -> None:
        """The technician's screens, the out-of-service screen, then a locked PIN pad."""
        d, maint = self.d, self.kiosk.ui.maint
        self.kiosk.ui.vm.newSession()
        if self.suffix.endswith("-hc"):
            self.kiosk.ui.vm.toggleContrast()
        await d.screen("attractScreen")
        await d.long_press("maintenanceCorner", HOLD_S)
        await d.screen("maintenancePinScreen")
        if self.language == "en":
            await d.tap("maintenanceLanguage")
        for digit in SCREENSHOT_PIN[:3]:
            await d.tap(f"pinKey_{digit}")
        await self.snap("maintenance-pin")
        for digit in SCREENSHOT_PIN[3:]:
            await d.tap(f"pinKey_{digit}")
        await d.tap("pinKey_enter")
        await d.item("deviceState_document_camera")
        await d.settle()  # the device cards are laid out once the first snapshot filled them
        printer = self.kiosk.services.printer
        if isinstance(printer, SimulatedPrinter):
            printer.refill(3)  # paper low: the technician's "needs attention"
        for device in ("document_camera", "printer", "card_reader"):
            await d.tap(f"selfTest_{device}")
            await d.wait_for(
                lambda device=device: (
                    maint.property("tests").get(device, {}).get("state") not in (None, "running")
                ),
                f"the {device} self-test",
            )
            await d.settle()
        await d.wait_for(lambda: "…" not in maint.property("backendLine"), "the back end probe")
        await self.snap("maintenance-diagnostics")
        await d.tap("showLogsButton")
        await d.screen("maintenanceLogScreen")
        await self.snap("maintenance-logs")
        await d.tap("hideLogsButton")
        await d.item("outOfServiceToggle")
        await d.settle()
        await d.tap("outOfServiceToggle")
        await d.item("outOfServiceBanner")
        await d.tap("leaveMaintenance")
        await d.screen("outOfServiceScreen")
        await self.snap("out-of-service")
        await d.long_press("maintenanceCorner", HOLD_S)
        for _ in range(FREE_FAILURES):
            await d.wait_for(lambda: not maint.property("checking"), "the PIN check")
            for digit in "000000":
                await d.tap(f"pinKey_{digit}")
            await d.tap("pinKey_enter")
        await d.wait_for(lambda: maint.property("locked"), "the lock")
        if self.language == "en" and maint.property("language") == "fr":
            await d.tap("maintenanceLanguage")
        await self.snap("maintenance-locked")
        await d.tap("pinCancel")

    async def call_scenario(self) -> None:
        """The call overlay in each of its phases, scripted through the call desk."""
        d = self.d
        desk = self.kiosk.services.call_desk
        await d.tap("helpButton")
        await d.tap("callShareButton")
        desk.queued(position=2, estimated_wait_s=190)
        await self.snap("call-queued")
        desk.accepted("Julie Tremblay")
        desk.connected()
        self.kiosk.ui.call.show_frame(RemoteFrame(agent_frame(), time.monotonic(), None))
        greeting = {"fr": "Bonjour, je m'appelle Julie. Comment puis-je vous aider ?",
                    "en": "Hello, my name is Julie. How can I help you?"}  # fmt: skip
        desk.caption("agent", greeting[self.language])
        await d.tap("reply_yes")
        await self.snap("call-live")
        title = {"fr": "Changement d'adresse en ligne", "en": "Change of address online"}
        desk.pushed(Pushed("qr", title[self.language], "https://services.example.org/adresse"))
        await self.snap("call-pushed")
        desk.dismiss_pushed()
        desk.curtain(True)  # the agent saw the citizen step away
        await self.snap("call-curtain")
        await d.tap("curtainTouchArea")
        desk.reconnecting()
        await self.snap("call-reconnecting")
        await d.tap("hangUpButton")
        await self.snap("call-ended")
        await d.tap("callCloseButton")
        await d.tap("helpButton")
        await d.tap("callButton")
        zone = timezone(timedelta(hours=-5))
        first = datetime(2026, 11, 24, 9, 0, tzinfo=zone)
        desk.callback_offered("closed", tuple(first + timedelta(minutes=30 * n) for n in range(8)))
        for key in "5145550123":
            self.kiosk.ui.call.pressKey(key)
        await d.settle()  # the slots are laid out once the picker shows
        await d.tap("slot_1")
        await self.snap("call-callback")
        desk.callback_booked(first + timedelta(minutes=30), "CB-7F3K9Q")
        await self.snap("call-callback-booked")
        await d.tap("callCloseButton")


class ScriptedCallEngine:
    """A video engine that calls nobody: the screenshots drive the desk themselves."""

    async def request(self, language: Language, service_id: str | None, share: bool) -> None:
        """Nothing to ask: the scenario plays the hub's answers."""

    async def cancel(self) -> None:
        """Nothing to hang up."""

    async def send_chat(self, text: str) -> None:
        """Nobody to send to."""

    async def book_callback(self, slot: datetime, phone: str) -> None:
        """Nothing to book."""

    def set_muted(self, *, microphone: bool, camera: bool) -> None:
        """No tracks."""

    def lift_curtain(self) -> None:
        """Nobody to tell."""


def agent_frame() -> av.VideoFrame:
    """A stand-in for the agent's camera: a head and shoulders on an office wall."""
    frame = np.full((720, 1280, 3), (196, 208, 222), np.uint8)
    cv2.rectangle(frame, (0, 520), (1280, 720), (120, 132, 150), -1)
    cv2.ellipse(frame, (640, 720), (300, 230), 0, 180, 360, (40, 70, 120), -1)
    cv2.circle(frame, (640, 330), 130, (224, 186, 160), -1)
    cv2.ellipse(frame, (640, 250), (135, 70), 0, 180, 360, (60, 45, 35), -1)
    return av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")


def main(out_dir: Path) -> int:
    """Render all screens and the receipts to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="vg-shots-") as tmp,
        LoopbackSite(PAGES) as site,  # the demo e-service, on a free port
    ):
        catalogue = demo_catalogue_at(DEFAULT_CATALOGUE, Path(tmp) / "catalogue", site.origin)
        for language in ("fr", "en"):
            for high_contrast in (False, True):
                root = Path(tmp) / f"{language}-{high_contrast}"
                # Port 9 (discard) on loopback: nothing answers, as in a network cut.
                settings = local_settings(
                    root, "http://127.0.0.1:9", "offline-demo-token", catalogue=catalogue
                )
                technician = MaintenanceSection(pin_hash=hash_pin(SCREENSHOT_PIN))
                settings = settings.model_copy(update={"maintenance": technician})
                # The log viewer shows what this run logs, at the kiosk's level.
                log_file = install_log_file(log_file_path(settings.kiosk.data_dir))
                logging.getLogger().setLevel(logging.INFO)
                try:
                    with running_kiosk(settings, ScriptedCallEngine()) as kiosk:
                        shots = Photographer(kiosk, language, out_dir, high_contrast=high_contrast)
                        kiosk.run(shots.scenario())
                finally:
                    logging.getLogger().removeHandler(log_file)
                    log_file.close()
            receipts = sorted((root / "printed").glob("*.pdf"))
            render_pdf(receipts[-1], out_dir / f"receipt-{language}.png")
    print(f"screenshots written to {out_dir}")
    return 0


def render_pdf(pdf: Path, png: Path) -> None:
    """First page of ``pdf`` as a PNG."""
    document = QPdfDocument()
    document.load(str(pdf))
    points = document.pagePointSize(0)
    scale = RECEIPT_DPI / 72
    image = document.render(0, QSize(int(points.width() * scale), int(points.height() * scale)))
    image.save(str(png))


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
