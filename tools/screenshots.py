"""`make screenshots`: every screen of the journey, in French and English, as PNG.

Runs the real kiosk offscreen with simulated devices and an unreachable back
end (so the confirmation shows the offline promise); the printed receipt is
rendered through Qt's PDF module.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")

from PySide6.QtCore import QSize
from PySide6.QtPdf import QPdfDocument

from kiosk.ui.driver import KioskDriver, walk_change_of_address
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk

SHOT_WIDTH = 1280  # 2/3 of the 1920x1080 design: sharp enough, small files
RECEIPT_DPI = 200


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
            await self.snap("help")
            await self.d.tap("helpCloseButton")

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


def main(out_dir: Path) -> int:
    """Render all screens and the receipts to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vg-shots-") as tmp:
        for language in ("fr", "en"):
            for high_contrast in (False, True):
                root = Path(tmp) / f"{language}-{high_contrast}"
                # Port 9 (discard) on loopback: nothing answers, as in a network cut.
                settings = local_settings(root, "http://127.0.0.1:9", "offline-demo-token")
                with running_kiosk(settings) as kiosk:
                    shots = Photographer(kiosk, language, out_dir, high_contrast=high_contrast)
                    kiosk.run(shots.scenario())
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
