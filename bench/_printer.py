"""Printing figures: rendering a receipt, and a job from submission to "completed".

``receipt_render_ms``: the 80 mm receipt with its QR code, rendered in process
(fonts already registered, as after the kiosk's start-up), median of
``RENDER_RUNS``. Target: 50 ms.

``print_complete_ms``: ``CupsPrinter.print_pdf`` of that receipt on a cups-pdf
queue of a private cupsd, from the call to its return: submission over IPP,
CUPS filters, Ghostscript, the job seen completed and its PDF found on disk.
Median of ``PRINT_RUNS`` after one warm-up job (Ghostscript's first start).
Target: 1,000 ms.

Needs root, cups and printer-driver-cups-pdf (the sandbox says what is missing).
Run alone, prints one JSON object as its last line.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import datetime

from kiosk.i18n import load_strings
from kiosk.receipt import RECEIPT_LABEL_KEYS, ReceiptData, render_receipt
from peripherals.printer.cups import CupsPrinter
from peripherals.printer.sandbox import CupsSandbox

RENDER_RUNS = 21
PRINT_RUNS = 7
RENDER_TARGET_MS = 50.0
PRINT_TARGET_MS = 1000.0
QUEUE = "bench-pdf"

RECEIPT = ReceiptData(
    reference="VG-7K3M-9QXT",
    service_title="Déménagement — changement d'adresse",
    agency_name="Services Québec",
    site_name="Bureau de Rimouski",
    submitted_at=datetime(2026, 11, 22, 14, 5),
    tracking_url="https://services.example.org/suivi/VG-7K3M-9QXT",
    language="fr",
)


def _render_times_ms(labels: dict[str, str]) -> list[float]:
    render_receipt(RECEIPT, labels)  # registers the fonts, as the kiosk's warm-up does
    times = []
    for _ in range(RENDER_RUNS):
        started = time.perf_counter()
        render_receipt(RECEIPT, labels)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _print_times_ms(sandbox: CupsSandbox, pdf: bytes) -> list[float]:
    printer = CupsPrinter(QUEUE, server=sandbox.server, pdf_dir=sandbox.pdf_dir)
    try:
        await printer.print_pdf(pdf, title="warm-up")
        times = []
        for run in range(PRINT_RUNS):
            started = time.perf_counter()
            await printer.print_pdf(pdf, title=f"bench {run}")
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        await printer.close()


def measure() -> dict[str, float]:
    """Median milliseconds: ``receipt_render_ms`` and ``print_complete_ms``."""
    labels = load_strings().labels(RECEIPT_LABEL_KEYS, "fr")
    render_ms = statistics.median(_render_times_ms(labels))
    pdf = render_receipt(RECEIPT, labels)
    with CupsSandbox.start() as sandbox:
        sandbox.add_pdf_queue(QUEUE)
        print_ms = statistics.median(asyncio.run(_print_times_ms(sandbox, pdf)))
    return {"receipt_render_ms": round(render_ms, 1), "print_complete_ms": round(print_ms, 1)}


if __name__ == "__main__":
    figures = measure()
    print(
        json.dumps(
            {
                **figures,
                "receipt_render_target_ms": RENDER_TARGET_MS,
                "print_complete_target_ms": PRINT_TARGET_MS,
                "meets_targets": figures["receipt_render_ms"] <= RENDER_TARGET_MS
                and figures["print_complete_ms"] <= PRINT_TARGET_MS,
            }
        )
    )
