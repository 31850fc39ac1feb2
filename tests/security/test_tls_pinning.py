"""TLS to the back end with its key pinned: the right pin connects, anything else is refused
before a byte of HTTP (and so before the token) leaves the kiosk."""

from __future__ import annotations

import asyncio
import base64
import io
import ssl
from collections.abc import AsyncIterator
from contextlib import redirect_stdout
from pathlib import Path

import httpx
import pytest
import uvicorn
import websockets
from pydantic import ValidationError

from backend.app import create_app
from backend.auth import issue_credential
from backend.cli import main as backend_cli
from backend.settings import BackendSettings
from kiosk.config import BackendSection, VideoSection
from offline_queue.fleet_link import FleetLink
from offline_queue.outbox import Outbox
from offline_queue.status import TLS_PIN_MISMATCH
from offline_queue.sync import SyncWorker, make_backend_client
from offline_queue.tls import (
    PinMismatchError,
    certificate_pin,
    client_context,
    parse_pin,
    require_secure_url,
)
from tests.backend.hub_helpers import free_port
from tests.fixtures import make_record
from tests.fleet.helpers import heartbeat
from tests.security.tls_helpers import ServerCert, recording_tls_server, self_signed
from video.hub_client import HubClient

TOKEN = "vg_" + "s3cr3t" * 8


@pytest.fixture
def cert(tmp_path: Path) -> ServerCert:
    return self_signed(tmp_path / "tls")


@pytest.fixture
def other_cert(tmp_path: Path) -> ServerCert:
    return self_signed(tmp_path / "tls-other", "other")


def test_the_cli_prints_the_pin_of_a_certificate(cert: ServerCert) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert backend_cli(["tls-pin", str(cert.cert)]) == 0
    pin = out.getvalue().strip()
    assert pin == certificate_pin(cert.cert.read_bytes())
    assert len(base64.b64decode(pin)) == 32
    # Hex is accepted too, and names the same key.
    assert parse_pin(base64.b64decode(pin).hex()) == base64.b64decode(pin)


def test_a_malformed_pin_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match="not a pin"):
        parse_pin("not-base64!")
    with pytest.raises(ValueError, match="32 bytes"):
        parse_pin(base64.b64encode(b"short").decode())
    with pytest.raises(ValidationError, match="tls-pin"):
        BackendSection(url="https://backend.example", tls_pin_sha256=["zz"])


def test_plain_http_is_refused_beyond_loopback() -> None:
    with pytest.raises(ValidationError, match="use https://"):
        BackendSection(url="http://backend.example:8765")
    with pytest.raises(ValidationError, match="use https://"):
        VideoSection(hub_url="ws://backend.example/ws/kiosk")
    for url in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        assert str(BackendSection(url=url).url).startswith("http://")
    assert BackendSection(url="https://backend.example").ssl_context() is not None
    with pytest.raises(ValueError, match="in clear"):
        make_backend_client("http://10.0.0.5:8765", TOKEN)
    assert require_secure_url("wss://backend.example/ws/kiosk")


@pytest.fixture
async def tls_backend(tmp_path: Path, cert: ServerCert) -> AsyncIterator[tuple[str, str]]:
    """The real back end over https on loopback: (base URL, a kiosk token)."""
    app = create_app(
        BackendSettings(data_dir=tmp_path / "b", database_url=f"sqlite:///{tmp_path / 'b.db'}")
    )
    token = issue_credential(app.state.engine, "kiosk-tls", "kiosk")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ws="websockets-sansio",
            log_level="warning",
            ssl_certfile=str(cert.cert),
            ssl_keyfile=str(cert.key),
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        await task


async def test_the_right_pin_connects_over_http_and_websocket(
    tls_backend: tuple[str, str], cert: ServerCert, other_cert: ServerCert
) -> None:
    url, token = tls_backend
    # Two pins (a key rotation): either one matching is enough.
    pins = [certificate_pin(other_cert.cert.read_bytes()), certificate_pin(cert.cert.read_bytes())]
    context = client_context(pins)
    async with make_backend_client(url, token, ssl_context=context) as client:
        answer = await client.post("/api/v1/fleet/heartbeat", content=b"{}")
    assert answer.status_code == 422  # through TLS, authenticated, judged on its body
    hub = HubClient(url.replace("https", "wss") + "/ws/kiosk", token, ssl_context=context)
    running = asyncio.create_task(hub.run())
    try:
        await asyncio.wait_for(hub.connected.wait(), timeout=10)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running


async def test_no_pin_and_an_untrusted_certificate_is_refused(
    tls_backend: tuple[str, str],
) -> None:
    url, token = tls_backend
    async with make_backend_client(url, token, ssl_context=client_context()) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get("/healthz")


async def _ignore(_command: object) -> tuple[bool, str | None]:
    return True, None


async def test_a_wrong_pin_is_refused_before_the_token_is_sent(
    cert: ServerCert, other_cert: ServerCert, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    wrong = client_context([certificate_pin(other_cert.cert.read_bytes())])
    async with recording_tls_server(cert) as server:
        url = f"https://127.0.0.1:{server.port}"
        async with make_backend_client(url, TOKEN, ssl_context=wrong) as client:
            with pytest.raises(httpx.ConnectError, match=r"does not match backend\.tls_pin_sha256"):
                await client.post("/api/v1/sync", content=b"{}")
        with pytest.raises(PinMismatchError):
            async with websockets.connect(
                f"wss://127.0.0.1:{server.port}/ws/kiosk",
                additional_headers={"Authorization": f"Bearer {TOKEN}"},
                ssl=wrong,
                open_timeout=5,
            ):
                pass
        # The kiosk's sync and heartbeat name the problem for the maintenance screen.
        with Outbox.open(tmp_path / "outbox.db") as outbox:
            outbox.enqueue(session_id="s", record=make_record())
            async with make_backend_client(url, TOKEN, ssl_context=wrong) as client:
                worker = SyncWorker(outbox, client)
                await worker.sync_once()
                assert worker.status.last_error == TLS_PIN_MISMATCH
                link = FleetLink(client, heartbeat, _ignore)
                assert await link.beat_once() is None
                assert link.last_error == TLS_PIN_MISMATCH
            assert outbox.stats().backlog == 1
        await asyncio.sleep(0.2)  # let the server read whatever might have come
    assert server.everything == b""  # not a request line, not a header, not the token
    assert TOKEN not in caplog.text


async def test_a_ca_trusted_certificate_with_another_key_is_refused_when_pinned(
    cert: ServerCert, other_cert: ServerCert
) -> None:
    # The CA (here: the certificate itself, trusted) vouches for the server; the pin does not.
    context = client_context([certificate_pin(other_cert.cert.read_bytes())])
    context.load_verify_locations(cert.cert)
    async with (
        recording_tls_server(cert) as server,
        make_backend_client(
            f"https://127.0.0.1:{server.port}", TOKEN, ssl_context=context
        ) as client,
    ):
        with pytest.raises(httpx.ConnectError, match="tls_pin_sha256"):
            await client.get("/healthz")
    assert server.everything == b""
    assert isinstance(context, ssl.SSLContext)
