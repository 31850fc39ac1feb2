"""Fleet benchmark: the back end's CPU while 1,000 kiosks send heartbeats every 10 s.

* ``backend_cpu_pct_1000_kiosks``: CPU time (user + system) of ONE
  ``kiosk-backend serve`` process, as a percentage of one core, over
  :data:`MEASURE_S` seconds after a :data:`WARMUP_S` warm-up, while
  :data:`KIOSKS` simulated kiosks each send a realistic heartbeat (four
  devices, a few with faults, an outbox backlog) every :data:`INTERVAL_S`
  seconds, spread evenly, over HTTP keep-alive connections from this process.
  The back end stores on SQLite (its default, ``synchronous=FULL``), logs each
  request as it does in production, and runs its periodic alert sweep.
* Context: heartbeats answered, errors, their latency (p50, p95), and the
  heartbeat rate actually achieved.
* ``dashboard_query_ms``: the analytics dashboard's summary query over a month
  of events from 100 kiosks (see ``bench/analytics_query.py``, run here after
  the heartbeats, in this process, on its own SQLite database).

Prints one JSON object as its last line. Targets: at most 20% of one core and
at most 500 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/fleet.py`, this file's folder comes first on the path, and
# bench/queue.py would shadow the standard library's `queue` (which asyncio needs).
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path[:] = [str(REPO_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import httpx  # noqa: E402
import psutil  # noqa: E402

from backend.auth import issue_credential  # noqa: E402
from backend.db import make_engine  # noqa: E402
from backend.schema import migrate  # noqa: E402
from offline_queue.heartbeat import DeviceReport, Heartbeat, OutboxReport  # noqa: E402

KIOSKS = 1_000
INTERVAL_S = 10.0
WARMUP_S = 20.0
MEASURE_S = 60.0
CLIENT_POOLS = 4  # a few keep-alive pools, as kiosks behind a few NAT gateways look alike
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 10.0
TARGET_CPU_PCT = 20.0
TARGET_QUERY_MS = 500.0
FAULTY_SHARE = 0.03  # kiosks reporting a device fault (paper out, camera lost)
HEARTBEAT_PATH = "/api/v1/fleet/heartbeat"


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def provision(root: Path, database_url: str | None, kiosks: int) -> tuple[Path, list[str]]:
    """A back-end config in ``root`` and a token for each of ``kiosks`` kiosks."""
    root.mkdir(parents=True)
    config = root / "backend.toml"
    url = database_url or f"sqlite:///{root / 'backend.db'}"
    text = 'data_dir = "."\n' + (f'database_url = "{database_url}"\n' if database_url else "")
    config.write_text(text, encoding="utf-8")
    engine = make_engine(url)
    try:
        migrate(engine)
        tokens = [issue_credential(engine, f"kiosk-{n:04d}", "kiosk") for n in range(kiosks)]
    finally:
        engine.dispose()
    return config, tokens


@contextmanager
def backend_process(root: Path, config: Path) -> Iterator[tuple[str, int]]:
    """One ``kiosk-backend serve`` on loopback; yields its URL and process id."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VG_BACKEND__")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "backend.cli", "serve", "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError("the back end exited at start; see server.log")
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == httpx.codes.OK:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the back end did not start in time")
            time.sleep(0.05)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def heartbeat_of(serial: int, rng: random.Random, started: datetime) -> Heartbeat:
    """A realistic heartbeat: four devices, an outbox that is usually drained."""
    now = datetime.now(UTC)
    faulty = serial < KIOSKS * FAULTY_SHARE
    devices = [
        DeviceReport(device="card_reader", state="ok"),
        DeviceReport(device="printer", state="fault", fault="paper_out")
        if faulty
        else DeviceReport(device="printer", state="ok"),
        DeviceReport(device="document_camera", state="ok"),
        DeviceReport(device="face_camera", state="degraded", fault="low_light", detail="exposure")
        if serial % 50 == 1
        else DeviceReport(device="face_camera", state="ok"),
    ]
    backlog = rng.choice((0, 0, 0, 0, 1, 3))
    return Heartbeat(
        sent_at=now,
        app_version="1.4.2",
        uptime_s=int((now - started).total_seconds()) + 86_400,
        devices=devices,
        outbox=OutboxReport(
            backlog=backlog,
            oldest_pending_at=now - timedelta(seconds=rng.uniform(1, 20)) if backlog else None,
            last_sync_at=now - timedelta(seconds=rng.uniform(1, 10)),
            dead_letters=0,
        ),
        disk_free_mb=24_000,
        out_of_service=False,
    )


class Fleet:
    """Simulated kiosks on a shared schedule, and what their heartbeats met."""

    def __init__(self, url: str, tokens: list[str], interval_s: float) -> None:
        self.url = url
        self.tokens = tokens
        self.interval_s = interval_s
        self.recording = False
        self.latencies_ms: list[float] = []
        self.errors = 0
        self.sent = 0
        self.started = datetime.now(UTC)

    async def kiosk(self, serial: int, client: httpx.AsyncClient, first_at: float) -> None:
        """One kiosk: a heartbeat at ``first_at``, then every interval (absolute schedule)."""
        loop = asyncio.get_running_loop()
        rng = random.Random(serial)
        headers = {
            "Authorization": f"Bearer {self.tokens[serial]}",
            "Content-Type": "application/json",
        }
        due = first_at
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due += self.interval_s
            content = heartbeat_of(serial, rng, self.started).model_dump_json()
            began = time.perf_counter()
            try:
                answer = await client.post(HEARTBEAT_PATH, content=content, headers=headers)
                ok = answer.status_code == httpx.codes.OK
            except httpx.HTTPError:
                ok = False
            if self.recording:
                self.sent += 1
                self.latencies_ms.append((time.perf_counter() - began) * 1000)
                self.errors += 0 if ok else 1

    async def run(self, pid: int, warmup_s: float, measure_s: float) -> dict[str, float | int]:
        """Warm up, then measure the back end's CPU over ``measure_s`` seconds."""
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        clients = [
            httpx.AsyncClient(base_url=self.url, limits=limits, timeout=REQUEST_TIMEOUT_S)
            for _ in range(CLIENT_POOLS)
        ]
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5
        spacing = self.interval_s / len(self.tokens)
        tasks = [
            asyncio.create_task(self.kiosk(n, clients[n % CLIENT_POOLS], start + n * spacing))
            for n in range(len(self.tokens))
        ]
        server = psutil.Process(pid)
        try:
            await asyncio.sleep(warmup_s)
            self.recording = True
            cpu_before = server.cpu_times()
            wall_before = time.monotonic()
            await asyncio.sleep(measure_s)
            cpu_after = server.cpu_times()
            wall = time.monotonic() - wall_before
            self.recording = False
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for client in clients:
                await client.aclose()
        used = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        return {
            "backend_cpu_pct_1000_kiosks": round(100 * used / wall, 1),
            "backend_cpu_user_s": round(cpu_after.user - cpu_before.user, 2),
            "backend_cpu_system_s": round(cpu_after.system - cpu_before.system, 2),
            "heartbeats": self.sent,
            "heartbeats_per_s": round(self.sent / wall, 1),
            "errors": self.errors,
            "latency_p50_ms": round(statistics.median(self.latencies_ms), 2),
            "latency_p95_ms": round(percentile(self.latencies_ms, 0.95), 2),
            "measure_s": round(wall, 1),
        }


def measure_backend_cpu(
    *,
    kiosks: int = KIOSKS,
    interval_s: float = INTERVAL_S,
    warmup_s: float = WARMUP_S,
    measure_s: float = MEASURE_S,
    database_url: str | None = None,
) -> dict[str, float | int]:
    """The back end's CPU (% of one core) under ``kiosks`` heartbeating every ``interval_s``.

    The figure is named ``backend_cpu_pct_1000_kiosks`` whatever ``kiosks``
    is (smaller runs are for trying things out); ``kiosks`` is in the result.
    """
    root = Path(tempfile.mkdtemp(prefix="vg-bench-fleet-"))
    try:
        config, tokens = provision(root / "backend", database_url, kiosks)
        print(f"{kiosks} kiosk tokens issued", file=sys.stderr)
        with backend_process(root / "backend", config) as (url, pid):
            fleet = Fleet(url, tokens, interval_s)
            result = asyncio.run(fleet.run(pid, warmup_s, measure_s))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {**result, "kiosks": kiosks, "interval_s": interval_s}


def main() -> None:
    """Measure and print the JSON summary last."""
    from bench.analytics_query import measure_dashboard_query_ms

    result: dict[str, object] = dict(measure_backend_cpu())
    # The query's context (kiosks, days, events...) under its own prefix: "kiosks" is ours.
    result |= {
        key if key.startswith("dashboard_") else f"dashboard_{key}": value
        for key, value in measure_dashboard_query_ms().items()
    }
    targets = {"backend_cpu_pct_1000_kiosks": TARGET_CPU_PCT, "dashboard_query_ms": TARGET_QUERY_MS}
    result["targets"] = targets
    result["meets_targets"] = {
        key: isinstance(value := result[key], int | float) and value <= target
        for key, target in targets.items()
    }
    result["database"] = "sqlite"
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
