"""Who may enter maintenance mode: the technician PIN or a technician's card, braked.

Every attempt is written to the audit log (outcome only, never what was
typed). While entry is locked nothing is checked, not even a right PIN: a
guesser learns nothing during the lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from kiosk.maintenance.audit import AuditAction, AuditLog
from kiosk.maintenance.lockout import Lockout
from kiosk.maintenance.pin import pin_matches

PIN_ACTOR = "technician-pin"  # the PIN is shared by the site's technicians


def card_actor(uid: bytes) -> str:
    """The audit log's name for whoever holds the card with ``uid``."""
    return f"card:{uid.hex()}"


class EntryOutcome(StrEnum):
    """How an attempt to enter ended."""

    GRANTED = "granted"
    REFUSED = "refused"  # wrong PIN, or a card not on the technicians' list
    LOCKED = "locked"  # too many failures: try again after ``seconds_left``
    DISABLED = "disabled"  # no PIN hash configured


@dataclass(frozen=True)
class EntryAnswer:
    """The gate's answer, with what the PIN pad tells the technician."""

    outcome: EntryOutcome
    actor: str = ""
    seconds_left: int = 0
    tries_before_lock: int = 0

    @property
    def granted(self) -> bool:
        """Whether maintenance mode opens."""
        return self.outcome is EntryOutcome.GRANTED


class TechnicianGate:
    """Checks PINs and cards against the configuration, under the lockout."""

    def __init__(
        self,
        pin_hash: str | None,
        technician_cards: Collection[str],
        lockout: Lockout,
        audit: AuditLog,
    ) -> None:
        self._pin_hash = pin_hash
        self._cards = frozenset(uid.lower() for uid in technician_cards)
        self._lockout = lockout
        self._audit = audit

    @property
    def pin_enabled(self) -> bool:
        """Whether a PIN hash is configured (else the PIN pad says entry by PIN is off)."""
        return self._pin_hash is not None

    @property
    def cards_enabled(self) -> bool:
        """Whether any technician card is configured."""
        return bool(self._cards)

    def seconds_left(self) -> int:
        """Seconds until entry is allowed again (0: now)."""
        return self._lockout.seconds_left()

    async def try_pin(self, pin: str) -> EntryAnswer:
        """Check ``pin``; the argon2 check runs off the event loop (tens of ms of CPU)."""
        if self._pin_hash is None:
            self._audit.record(PIN_ACTOR, AuditAction.ENTRY, "disabled", "no pin_hash configured")
            return EntryAnswer(EntryOutcome.DISABLED)
        locked = self._refuse_while_locked(PIN_ACTOR, "pin")
        if locked is not None:
            return locked
        # Counted as a failure before the check, undone if the PIN is right: an attempt
        # abandoned mid-check (the pad closed, the app killed) still counts.
        delay = self._lockout.failed()
        matches = await asyncio.to_thread(pin_matches, self._pin_hash, pin)
        return self._settle(PIN_ACTOR, "pin", matches, delay)

    def try_card(self, uid: bytes) -> EntryAnswer:
        """Check a card's UID against the technicians' list."""
        actor = card_actor(uid)
        locked = self._refuse_while_locked(actor, "card")
        if locked is not None:
            return locked
        return self._settle(actor, "card", uid.hex() in self._cards, self._lockout.failed())

    def _refuse_while_locked(self, actor: str, means: str) -> EntryAnswer | None:
        left = self._lockout.seconds_left()
        if left == 0:
            return None
        self._audit.record(actor, AuditAction.ENTRY, "locked", f"{means}; {left} s left")
        return EntryAnswer(EntryOutcome.LOCKED, actor, seconds_left=left)

    def _settle(self, actor: str, means: str, matches: bool, delay: float) -> EntryAnswer:
        """Grant (resetting the failure already counted) or report the failure and lock."""
        if matches:
            self._lockout.succeeded()
            self._audit.record(actor, AuditAction.ENTRY, "granted", means)
            return EntryAnswer(EntryOutcome.GRANTED, actor)
        failures = self._lockout.failures
        self._audit.record(actor, AuditAction.ENTRY, "refused", f"{means}; failure {failures}")
        if delay:
            self._audit.record(actor, AuditAction.LOCKED_OUT, "locked", f"{delay:.0f} s")
            return EntryAnswer(EntryOutcome.LOCKED, actor, seconds_left=self.seconds_left())
        return EntryAnswer(
            EntryOutcome.REFUSED, actor, tries_before_lock=self._lockout.tries_before_lock()
        )
