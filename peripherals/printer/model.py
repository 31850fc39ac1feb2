"""What the printer reports back about a job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PrintJob:
    """A job the printer accepted. ``pages`` is ``None`` when the queue cannot tell."""

    job_id: str
    title: str
    pages: int | None
    submitted_at: datetime
