"""What a receipt says, whatever it is printed on (Qt-free, no rendering here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from kiosk.dates import format_timestamp

Language = Literal["fr", "en"]
# An 80 mm thermal roll (the kiosk's receipt printer) or a page printer's sheet.
Paper = Literal["80mm", "a4", "letter"]
PAPERS: tuple[Paper, ...] = ("80mm", "a4", "letter")

RECEIPT_LABEL_KEYS: tuple[str, ...] = (
    "receipt.title",
    "receipt.reference",
    "receipt.date",
    "receipt.service",
    "receipt.agency",
    "receipt.follow",
    "receipt.keep",
    "receipt.site",
)


@dataclass(frozen=True)
class ReceiptData:
    """What a receipt says, already in the citizen's language (labels aside).

    ``submitted_at``: a naive time is printed as given; an aware one is shown in
    the kiosk's local time zone, which is the time on the office clock.
    ``logo_path``: the agency's logo (PNG or JPEG), printed above the title.
    """

    reference: str
    service_title: str
    agency_name: str
    site_name: str
    submitted_at: datetime
    tracking_url: str
    language: Language
    logo_path: Path | None = None

    def local_time_text(self) -> str:
        """The submission time as people write it, on the office clock."""
        moment = self.submitted_at
        if moment.tzinfo is not None:
            moment = moment.astimezone()
        return format_timestamp(moment, self.language)

    def details(self, labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        """(label, value) lines, in the order every format prints them."""
        return (
            (labels["receipt.date"], self.local_time_text()),
            (labels["receipt.service"], self.service_title),
            (labels["receipt.agency"], self.agency_name),
            (labels["receipt.site"], self.site_name),
        )


def check_receipt(data: ReceiptData, labels: Mapping[str, str]) -> None:
    """Raise ``ValueError`` naming missing labels, or for a receipt without its essentials."""
    missing = [key for key in RECEIPT_LABEL_KEYS if not labels.get(key, "").strip()]
    if missing:
        raise ValueError(f"missing receipt labels: {', '.join(missing)}")
    if not data.reference.strip() or not data.tracking_url.strip():
        raise ValueError("a receipt needs a reference and a tracking URL")
