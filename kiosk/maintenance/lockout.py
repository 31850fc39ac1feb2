"""The brake on guessing the technician PIN, kept on disk so a restart does not lift it.

Five failures in a row are free; the fifth locks entry for ``LOCK_BASE_S``
seconds and every further failure doubles the delay, up to ``LOCK_MAX_S``
(the same policy as the agents' console). A right PIN or card resets it.
The wall clock is used (and injected in tests) because a monotonic clock
restarts with the machine, and the lock must outlive a power cycle.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import sqlite_utils

from kiosk.maintenance.store import LOCKOUT_TABLE

FREE_FAILURES = 5
LOCK_BASE_S = 30.0
LOCK_MAX_S = 3_600.0


def lock_delay_s(failures: int) -> float:
    """How long entry stays locked after ``failures`` failures in a row (0: not locked)."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(LOCK_MAX_S, LOCK_BASE_S * 2.0 ** (failures - FREE_FAILURES))


class Lockout:
    """Counts failed entries and says whether, and for how long, entry is locked."""

    def __init__(
        self, db: sqlite_utils.Database, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._clock = clock

    @property
    def failures(self) -> int:
        """Failed entries in a row since the last success."""
        return self._read()[0]

    def seconds_left(self) -> int:
        """Whole seconds until entry is allowed again (0: allowed now)."""
        _, locked_until = self._read()
        if locked_until is None:
            return 0
        # A clock set backwards must not stretch the lock beyond its longest delay.
        left = min(locked_until - self._clock(), LOCK_MAX_S)
        return max(0, math.ceil(left))

    def tries_before_lock(self) -> int:
        """Failures still allowed before the next failure locks entry."""
        return max(0, FREE_FAILURES - self.failures - 1)

    def failed(self) -> float:
        """Count one failure; returns the lock it starts, in seconds (0: none)."""
        failures = self.failures + 1
        delay = lock_delay_s(failures)
        self._write(failures, self._clock() + delay if delay else None)
        return delay

    def succeeded(self) -> None:
        """A right PIN or card: the count starts again from zero."""
        self._write(0, None)

    def _read(self) -> tuple[int, float | None]:
        row = self._db.execute(
            f"SELECT failures, locked_until FROM {LOCKOUT_TABLE} WHERE id = 1"
        ).fetchone()
        return (0, None) if row is None else (int(row[0]), row[1])

    def _write(self, failures: int, locked_until: float | None) -> None:
        with self._db.conn:
            self._db.execute(
                f"INSERT INTO {LOCKOUT_TABLE} (id, failures, locked_until) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET failures = excluded.failures,"
                " locked_until = excluded.locked_until",
                [failures, locked_until],
            )
