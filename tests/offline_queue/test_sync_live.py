"""End to end over a real socket: the worker syncs to a real ``kiosk-backend serve`` process."""

from __future__ import annotations

import httpx

from offline_queue.outbox import ItemState, Outbox
from offline_queue.schemas import SyncBatchRequest
from offline_queue.sync import SYNC_PATH, SyncWorker, make_backend_client
from tests.fixtures import make_record
from tests.fixtures.backend import RunningBackend


async def test_a_transaction_sent_before_a_crash_reaches_staff_exactly_once(
    outbox: Outbox, backend_server: RunningBackend
) -> None:
    record = make_record()
    key = outbox.enqueue(session_id="s-live", record=record).idempotency_key

    async with make_backend_client(backend_server.url, backend_server.kiosk_token) as client:
        # The kiosk sends the item, the back end stores it, then the kiosk
        # dies before it records the answer.
        claimed = outbox.claim_batch(10, 1_000_000)
        sent = await client.post(
            SYNC_PATH, content=SyncBatchRequest(items=[c.wire for c in claimed]).model_dump_json()
        )
        assert sent.status_code == 200
        outbox.close()

        with Outbox.open(outbox.path) as restarted:
            report = await SyncWorker(restarted, client).sync_once()
            assert restarted.state_of(key) is ItemState.ACKNOWLEDGED

    assert report.ok
    assert (report.acknowledged, report.duplicates) == (1, 1)
    async with httpx.AsyncClient(base_url=backend_server.url) as staff:
        response = await staff.get(
            "/api/v1/transactions",
            params={"reference": record.reference},
            headers={"Authorization": f"Bearer {backend_server.staff_token}"},
        )
    assert response.status_code == 200
    (received,) = response.json()
    assert received["idempotency_key"] == key
    assert received["kiosk_id"] == backend_server.kiosk_id
    assert received["record"] == record.model_dump(mode="json")
