"""The period's events as CSV, one row per event, codes only.

The export holds what the figures are made of and nothing more: no visit id
and no file hash (which only the repeat count needs), so a spreadsheet that
leaves the agency links nobody's visits. Every value is a code, a number or a
time; codes start with a letter or digit, so no cell can start a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import Engine, select

from backend.analytics.queries import Filters, ev

COLUMNS = (
    "event_id",
    "at",
    "site",
    "kind",
    "language",
    "agency",
    "service",
    "life_event",
    "step",
    "score",
    "reason",
)
ROWS_PER_CHUNK = 2_000


def export_rows(engine: Engine, filters: Filters) -> Iterator[str]:
    """CSV text, header first, in chunks (the period's events by time, then id)."""
    query = (
        select(
            ev.id,
            ev.at,
            ev.kiosk_id,
            ev.kind,
            ev.language,
            ev.agency_id,
            ev.service_id,
            ev.life_event_id,
            ev.step,
            ev.score,
            ev.reason,
        )
        .where(*filters.event_conditions())
        .order_by(ev.at, ev.id)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=ROWS_PER_CHUNK).execute(query)
        for rows in result.partitions():
            for row in rows:
                values = list(row)
                values[1] = row.at.strftime("%Y-%m-%dT%H:%MZ")
                writer.writerow(["" if value is None else value for value in values])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
