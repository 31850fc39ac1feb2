"""The kiosk's event loop: qasync's, with cancelled timers dropped and a few worker threads."""

from __future__ import annotations

import asyncio
import threading

import pytest

from kiosk.ui.event_loop import WORKER_NAME, WORKERS, KioskEventLoop, QtTimers
from kiosk.ui.harness import shared_loop


@pytest.fixture
def loop(qapp: object) -> KioskEventLoop:
    shared = shared_loop()  # the process's one loop, as the kiosk has one
    assert isinstance(shared, KioskEventLoop)
    return shared


def test_callbacks_run_in_the_order_of_their_time(loop: KioskEventLoop) -> None:
    ran: list[str] = []

    async def scenario() -> None:
        loop.call_later(0.06, ran.append, "late")
        loop.call_soon(ran.append, "soon")
        handle = loop.call_later(0.02, ran.append, "early")
        assert handle.when() == pytest.approx(loop.time() + 0.02, abs=0.02)
        await asyncio.sleep(0.15)

    loop.run_until_complete(scenario())
    assert ran == ["soon", "early", "late"]


def test_a_cancelled_timer_is_dropped_at_once_and_never_runs(loop: KioskEventLoop) -> None:
    ran: list[int] = []

    async def scenario() -> None:
        before = loop.pending_timers()
        # Deadlines of work that finished first: a day of them, each cancelled.
        handles = [loop.call_later(300, ran.append, n) for n in range(500)]
        assert loop.pending_timers() == before + 500
        for handle in handles:
            handle.cancel()
        assert loop.pending_timers() == before
        quick = loop.call_later(0.01, ran.append, -1)
        quick.cancel()
        await asyncio.sleep(0.05)

    loop.run_until_complete(scenario())
    assert ran == []


def test_a_stale_cancel_leaves_the_timer_that_holds_the_id_now(loop: KioskEventLoop) -> None:
    """Should Qt hand a fired timer's id out again, the old handle's cancel must not reach it."""
    timers = QtTimers()
    ran: list[str] = []
    now = loop.call_soon(ran.append, "now")
    timer_id = timers.add_callback(now)
    stale = loop.call_soon(ran.append, "stale")
    timers.forget(timer_id, stale)
    assert timers.pending() == 1
    timers.forget(timer_id, now)
    assert timers.pending() == 0
    now.cancel()
    stale.cancel()


def test_work_off_the_ui_thread_runs_on_the_kiosks_workers(loop: KioskEventLoop) -> None:
    started = threading.Barrier(WORKERS, timeout=5)

    def job() -> str:
        started.wait()  # all run at once: a call's encoders never wait for a receipt
        return threading.current_thread().name

    async def scenario() -> set[str]:
        batches = [await asyncio.gather(*(asyncio.to_thread(job) for _ in range(WORKERS)))]
        batches += [await asyncio.gather(*(asyncio.to_thread(job) for _ in range(WORKERS)))]
        return {name for batch in batches for name in batch}

    names = loop.run_until_complete(scenario())
    assert len(names) == WORKERS
    assert all(name.startswith(WORKER_NAME) for name in names)
    assert threading.current_thread() is threading.main_thread()
