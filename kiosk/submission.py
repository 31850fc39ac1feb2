"""Saving a citizen's transaction and printing its receipt.

Order matters: the transaction is durable in the outbox before the citizen is
told "saved"; the receipt comes after and its failure never undoes the save.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiosk.catalogue import Catalogue
from kiosk.i18n import Strings
from offline_queue.items import NewAttachment
from offline_queue.outbox import Outbox
from offline_queue.schemas import TransactionRecord
from peripherals.errors import DeviceError
from peripherals.printer import Printer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintOutcome:
    """Whether the receipt came out, and if not, why (a text-catalogue key)."""

    printed: bool
    error_code: str | None = None


class SubmissionDesk:
    """Puts transactions in the outbox and hands receipts to the printer."""

    def __init__(
        self,
        outbox: Outbox,
        printer: Printer,
        catalogue: Catalogue,
        strings: Strings,
        *,
        tracking_url: str,
        on_saved: Callable[[], None] = lambda: None,
    ) -> None:
        self._outbox = outbox
        self._printer = printer
        self._catalogue = catalogue
        self._strings = strings
        self._tracking_url = tracking_url
        self._on_saved = on_saved

    def save(
        self,
        session_id: str,
        record: TransactionRecord,
        attachments: Sequence[NewAttachment] = (),
    ) -> str:
        """Commit ``record`` durably; returns the outbox idempotency key.

        Runs on the loop thread: the outbox's SQLite connection belongs to it,
        and one durable commit costs about a millisecond.
        """
        entry = self._outbox.enqueue(session_id=session_id, record=record, attachments=attachments)
        self._on_saved()
        return entry.idempotency_key

    async def prepare(self) -> None:
        """Load the receipt renderer (reportlab) in a worker thread after start-up.

        It weighs about 0.15 s of imports: kept off the path to the first frame
        and off the UI thread, and ready before the first citizen confirms.
        """
        await asyncio.to_thread(importlib.import_module, "kiosk.receipt")

    async def print_receipt(self, record: TransactionRecord) -> PrintOutcome:
        """Render the receipt off the UI thread and print it."""
        try:
            pdf = await asyncio.to_thread(self._render, record)
            await self._printer.print_pdf(pdf, title=f"receipt {record.reference}")
        except DeviceError as err:
            log.warning("receipt not printed: %s", err.code)
            return PrintOutcome(False, f"error.{err.code}")
        except Exception:
            # The transaction is saved whatever happens here; the citizen keeps the reference.
            log.exception("receipt could not be produced")
            return PrintOutcome(False, "error.unexpected")
        return PrintOutcome(True)

    def _render(self, record: TransactionRecord) -> bytes:
        from kiosk.receipt import RECEIPT_LABEL_KEYS, ReceiptData, render_receipt

        service = self._catalogue.service(record.service_id)
        language = record.language
        data = ReceiptData(
            reference=record.reference,
            service_title=service.title(language),
            agency_name=self._catalogue.agency(record.agency_id).name(language),
            site_name=self._catalogue.site.name(language),
            submitted_at=record.submitted_at,
            tracking_url=self._tracking_url.format(reference=record.reference),
            language=language,
        )
        return render_receipt(data, self._strings.labels(RECEIPT_LABEL_KEYS, language))
