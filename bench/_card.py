"""Card identification time on the real stack: card inserted to holder data read.

Runs its own ``pcscd --foreground`` with vpcd's virtual reader (like the test
fixture), a virtual citizen card on vpcd's socket, and the kiosk's real adapter
(:class:`peripherals.card.pcsc.PcscCardReader`). One run is: the card connects
to vpcd ("inserted"), pcscd notices it at its next poll, the adapter reports
INSERTED, and ``read_holder()`` returns. pcscd polls vpcd every 400 ms, so the
insertions are spread evenly over that period, as citizens' would be; the
median therefore includes about 200 ms of pcscd's polling. ``card_detect_ms``
and ``card_read_ms`` split it. Target: card_identify_ms <= 300.

``measure()`` is for bench/peripherals.py; run this file alone to print JSON.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the virtual card and pcscd runner live with the tests
    sys.path.insert(0, str(ROOT))

from peripherals.card import CardEvent, CardEventKind  # noqa: E402
from peripherals.card.pcsc import PcscCardReader  # noqa: E402
from tests.peripherals.card.pcscd_stack import VIRTUAL_READER, Pcscd  # noqa: E402
from tests.peripherals.card.virtual_card import VirtualCard  # noqa: E402

RUNS = 15
PCSCD_POLL_S = 0.4  # pcscd's polling period for readers without hot-plug events
EVENT_TIMEOUT_S = 5.0
TARGET_MS = 300.0


class _Events:
    """Timestamps of the adapter's events, awaitable."""

    def __init__(self) -> None:
        self.seen: dict[CardEventKind, list[float]] = {kind: [] for kind in CardEventKind}
        self._changed = asyncio.Event()

    def __call__(self, event: CardEvent) -> None:
        self.seen[event.kind].append(time.perf_counter())
        self._changed.set()

    def count(self, kind: CardEventKind) -> int:
        """How many ``kind`` events so far: take it before causing the next one."""
        return len(self.seen[kind])

    async def after(self, kind: CardEventKind, count: int) -> float:
        """When the event after the ``count`` first ones of ``kind`` came."""
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            while len(self.seen[kind]) == count:
                self._changed.clear()
                await self._changed.wait()
        return self.seen[kind][-1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def _measure(pcscd: Pcscd) -> dict[str, float]:
    identify: list[float] = []
    detect: list[float] = []
    read: list[float] = []
    events = _Events()
    async with PcscCardReader(VIRTUAL_READER) as reader:
        reader.add_listener(events)
        for run in range(RUNS):
            card = VirtualCard()
            seen = events.count(CardEventKind.INSERTED)
            inserted_at = time.perf_counter()
            await asyncio.to_thread(card.insert)
            heard_at = await events.after(CardEventKind.INSERTED, seen)
            holder = await reader.read_holder()
            done_at = time.perf_counter()
            assert holder.file_number, "the benchmark card must carry a holder"
            identify.append(done_at - inserted_at)
            detect.append(heard_at - inserted_at)
            read.append(done_at - heard_at)
            seen = events.count(CardEventKind.REMOVED)
            await asyncio.to_thread(card.remove)
            await events.after(CardEventKind.REMOVED, seen)
            # Removal is seen at a poll: wait a different part of the period each run.
            await asyncio.sleep(PCSCD_POLL_S * run / RUNS)

        restart_at = time.perf_counter()
        await asyncio.to_thread(pcscd.stop)
        lost_at = await events.after(CardEventKind.READER_LOST, 0)
        start_at = time.perf_counter()
        await asyncio.to_thread(pcscd.start)
        back_at = await events.after(CardEventKind.READER_BACK, 0)
    return {
        "card_identify_ms": _ms(statistics.median(identify)),
        "card_identify_p90_ms": _ms(statistics.quantiles(identify, n=10)[-1]),
        "card_detect_ms": _ms(statistics.median(detect)),
        "card_read_ms": _ms(statistics.median(read)),
        "card_identify_runs": float(RUNS),
        "card_reader_lost_ms": _ms(lost_at - restart_at),
        "card_reader_recovery_ms": _ms(back_at - start_at),
    }


def measure() -> dict[str, float]:
    """Median insert-to-holder time over ``RUNS`` insertions, with its parts, on real pcscd."""
    with (
        tempfile.TemporaryDirectory(prefix="vg-bench-card-") as tmp,
        Pcscd(Path(tmp)) as pcscd,
    ):
        return asyncio.run(_measure(pcscd))


if __name__ == "__main__":
    figures = measure()
    print(f"target card_identify_ms <= {TARGET_MS:g}")
    print(json.dumps(figures))
