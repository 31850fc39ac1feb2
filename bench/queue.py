"""Outbox benchmark: durable enqueue latency, drain rate to a real back end, and a peer.

Measured in one run, on this machine:

* ``enqueue_p50_ms`` / ``enqueue_p99_ms``: ``Outbox.enqueue`` of a 2 KB
  transaction, each one durable on return (WAL, ``synchronous=FULL``, sealed
  with AES-GCM), over the 10,000 enqueues that build the backlog below.
* ``drain_tx_per_s_sqlite`` / ``drain_tx_per_s_postgres``: those 10,000
  backlogged transactions sent by ``SyncWorker.sync_once`` (default batch
  size) to ``kiosk-backend serve`` on loopback, storing in SQLite, then in a
  throwaway PostgreSQL cluster with PostgreSQL's default durability (fsync on).
* ``persist_queue_ratio``: our durable enqueue + acknowledge throughput over
  that of persist-queue's ``SQLiteAckQueue`` (the most used Python disk queue
  with acknowledgements), same payloads, same durability: its connection is
  WAL already and gets ``PRAGMA synchronous=FULL`` here, and each ``put``,
  ``get`` and ``ack`` commits (``auto_commit=True``, its only mode for acks).
  Ours acknowledges in batches (as the sync worker does, one commit per
  back-end answer); ``persist_queue_ratio_one_by_one`` claims and
  acknowledges one item per commit, for a like-for-like reading.

Timings are medians of repeated runs where noted; the machine is shared, so
read them as orders of magnitude. Prints one JSON object as its last line.
Targets: enqueue p99 <= 10 ms; drain >= 1,000 tx/s on both databases; ratio >= 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/queue.py`, this file's folder comes first on the path and
# this file would shadow the standard library's `queue` (which asyncio needs).
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path[:] = [str(REPO_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from backend.cli import main as backend_cli  # noqa: E402
from offline_queue.outbox import Outbox  # noqa: E402
from offline_queue.schemas import IdentityMethod, TransactionRecord  # noqa: E402
from offline_queue.sync import SyncWorker, make_backend_client  # noqa: E402

BACKLOG = 10_000
PEER_ITEMS = 2_000
PEER_RUNS = 3
RECORD_BYTES = 2_000
START_TIMEOUT_S = 30.0
TARGETS = {"enqueue_p99_ms": 10.0, "drain_tx_per_s": 1_000.0, "persist_queue_ratio": 1.0}


def record(serial: int) -> TransactionRecord:
    """A change-of-address transaction whose JSON is about 2 KB."""
    reference = f"BENCH-{serial % 10_000:04d}-{serial // 10_000 % 10_000:04d}"
    base = TransactionRecord(
        reference=reference,
        agency_id="mairie-lyon-3",
        service_id="change-of-address",
        language="fr",
        identified_by=IdentityMethod.FILE_NUMBER,
        file_number="A-1234",
        fields={"street": "12 rue Paul Bert", "postcode": "69003"},
        submitted_at=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
    )
    padding = RECORD_BYTES - len(base.model_dump_json())
    fields = {**base.fields, "remarks": "x" * max(0, padding - 14)}
    return base.model_copy(update={"fields": fields})


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def build_backlog(path: Path) -> list[float]:
    """Enqueue :data:`BACKLOG` transactions; return each durable enqueue's latency in ms."""
    latencies: list[float] = []
    with Outbox.open(path) as outbox:
        for serial in range(BACKLOG):
            item = record(serial)
            started = time.perf_counter()
            outbox.enqueue(session_id=f"bench-{serial // 3}", record=item)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def copy_outbox(source: Path, target: Path) -> Path:
    """A copy of a closed outbox (database and key) in ``target``'s folder."""
    target.parent.mkdir(parents=True)
    shutil.copy2(source, target)
    shutil.copy2(source.with_suffix(".key"), target.with_suffix(".key"))
    return target


@contextmanager
def backend_server(root: Path, database_url: str | None) -> Iterator[tuple[str, str]]:
    """``kiosk-backend serve`` on loopback; yields its URL and a kiosk token."""
    root.mkdir(parents=True)
    config = root / "backend.toml"
    text = 'data_dir = "."\n' + (f'database_url = "{database_url}"\n' if database_url else "")
    config.write_text(text)
    token_file = root / "kiosk.token"
    code = backend_cli(
        ["add-kiosk", "bench-kiosk", "--config", str(config), "--token-file", str(token_file)]
    )
    assert code == 0, "provisioning the bench kiosk failed"
    from kiosk.demo import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VG_BACKEND__")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "backend.cli", "serve", "--config", str(config)),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, token_file.read_text().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    """Block until the server answers /healthz."""
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the back end exited at start")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the back end did not start in time")


async def drain(outbox_path: Path, url: str, token: str) -> float:
    """Send the whole backlog; return transactions per second."""
    with Outbox.open(outbox_path) as outbox:
        async with make_backend_client(url, token) as client:
            worker = SyncWorker(outbox, client)
            started = time.perf_counter()
            report = await worker.sync_once()
            elapsed = time.perf_counter() - started
        if not report.ok or report.acknowledged != BACKLOG:
            raise RuntimeError(f"drain incomplete: {report}")
    return BACKLOG / elapsed


def ours(folder: Path, *, batch: int) -> float:
    """Durable enqueue of :data:`PEER_ITEMS`, then claim and acknowledge them; items per second."""
    with Outbox.open(folder / "outbox.db") as outbox:
        items = [record(serial) for serial in range(PEER_ITEMS)]
        started = time.perf_counter()
        for item in items:
            outbox.enqueue(session_id="bench", record=item)
        while claimed := outbox.claim_batch(batch, 10_000_000):
            outbox.mark_acknowledged([c.idempotency_key for c in claimed])
        return PEER_ITEMS / (time.perf_counter() - started)


def peer(folder: Path) -> float:
    """The same work with persist-queue's SQLiteAckQueue at the same durability."""
    from persistqueue import SQLiteAckQueue

    queue = SQLiteAckQueue(str(folder), auto_commit=True)
    # Its connections (one, without multithreading): WAL is its own default; FULL is ours.
    for conn in (queue._getter, queue._putter):
        if conn is not None:
            conn.execute("PRAGMA synchronous=FULL")
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    items = [record(serial).model_dump(mode="json") for serial in range(PEER_ITEMS)]
    started = time.perf_counter()
    for item in items:
        queue.put(item)
    for _ in range(PEER_ITEMS):
        queue.ack(queue.get(block=False))
    elapsed = time.perf_counter() - started
    queue.close()
    return PEER_ITEMS / elapsed


def compare_with_peer(root: Path) -> dict[str, float]:
    """Medians of alternating runs of ours and persist-queue's."""
    batched, single, theirs = [], [], []
    for run in range(PEER_RUNS):
        batched.append(ours(root / f"ours-{run}", batch=50))
        single.append(ours(root / f"ours-single-{run}", batch=1))
        theirs.append(peer(root / f"peer-{run}"))
    return {
        "ours_tx_per_s": statistics.median(batched),
        "ours_one_by_one_tx_per_s": statistics.median(single),
        "persist_queue_tx_per_s": statistics.median(theirs),
    }


def main() -> None:
    """Run every measurement and print the JSON summary last."""
    from tests.fixtures.postgres import postgres_bindir, postgres_cluster

    root = Path(tempfile.mkdtemp(prefix="vg-bench-queue-"))
    try:
        backlog = root / "backlog" / "outbox.db"
        latencies = build_backlog(backlog)
        print(f"backlog of {BACKLOG} built", file=sys.stderr)
        with backend_server(root / "backend-sqlite", None) as (url, token):
            sqlite_rate = asyncio.run(
                drain(copy_outbox(backlog, root / "k1" / "outbox.db"), url, token)
            )
        print(f"sqlite drain {sqlite_rate:.0f} tx/s", file=sys.stderr)
        postgres_rate: float | None = None
        if postgres_bindir() is not None:
            with postgres_cluster(durable=True) as cluster:
                pg_url = cluster.create_database("vg_bench")
                with backend_server(root / "backend-postgres", pg_url) as (url, token):
                    target = copy_outbox(backlog, root / "k2" / "outbox.db")
                    postgres_rate = asyncio.run(drain(target, url, token))
            print(f"postgres drain {postgres_rate:.0f} tx/s", file=sys.stderr)
        peer_rates = compare_with_peer(root / "peer")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    theirs = peer_rates["persist_queue_tx_per_s"]
    result = {
        "enqueue_p50_ms": round(statistics.median(latencies), 3),
        "enqueue_p99_ms": round(percentile(latencies, 0.99), 3),
        "drain_tx_per_s_sqlite": round(sqlite_rate),
        "drain_tx_per_s_postgres": round(postgres_rate) if postgres_rate is not None else None,
        "persist_queue_ratio": round(peer_rates["ours_tx_per_s"] / theirs, 2),
        "persist_queue_ratio_one_by_one": round(peer_rates["ours_one_by_one_tx_per_s"] / theirs, 2),
        **{key: round(value) for key, value in peer_rates.items()},
        "backlog": BACKLOG,
        "record_bytes": RECORD_BYTES,
        "targets": TARGETS,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
