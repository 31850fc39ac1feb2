"""Technician entry: the PIN against its argon2 hash, the lockout, the audit log."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import ConfigError, load_settings
from kiosk.maintenance.access import PIN_ACTOR, EntryOutcome, TechnicianGate
from kiosk.maintenance.audit import AuditAction, AuditLog
from kiosk.maintenance.lockout import (
    FREE_FAILURES,
    LOCK_BASE_S,
    LOCK_MAX_S,
    Lockout,
    lock_delay_s,
)
from kiosk.maintenance.pin import PinFormatError, check_pin_format, hash_pin, pin_matches
from kiosk.maintenance.store import open_store

PIN = "482913"
PIN_HASH = hash_pin(PIN)  # once: argon2 is slow on purpose
WRONG = "000000"
CARD = bytes.fromhex("04a2241b5c3f80")


class FakeClock:
    """Wall-clock seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make_gate(path: Path, clock: FakeClock, pin_hash: str | None = PIN_HASH) -> TechnicianGate:
    db = open_store(path)
    return TechnicianGate(pin_hash, [CARD.hex()], Lockout(db, clock=clock), AuditLog(db))


def audit_of(path: Path) -> AuditLog:
    return AuditLog(open_store(path))


def test_a_pin_matches_only_its_own_hash() -> None:
    assert pin_matches(PIN_HASH, PIN)
    assert not pin_matches(PIN_HASH, WRONG)
    assert not pin_matches(PIN_HASH, PIN + "0" * 20)  # too long: refused before hashing
    assert PIN not in PIN_HASH


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12a456", "١٢٣٤٥٦", ""])
def test_a_pin_is_six_to_twelve_ascii_digits(pin: str) -> None:
    with pytest.raises(PinFormatError):
        check_pin_format(pin)


async def test_the_right_pin_opens_and_a_wrong_one_says_how_many_tries_are_left(
    tmp_path: Path,
) -> None:
    gate = make_gate(tmp_path / "m.db", FakeClock())
    refused = await gate.try_pin(WRONG)
    assert refused.outcome is EntryOutcome.REFUSED
    assert refused.tries_before_lock == FREE_FAILURES - 2
    granted = await gate.try_pin(PIN)
    assert granted.granted
    assert granted.actor == PIN_ACTOR


async def test_five_failures_lock_entry_with_a_doubling_delay(tmp_path: Path) -> None:
    clock = FakeClock()
    gate = make_gate(tmp_path / "m.db", clock)
    for _ in range(FREE_FAILURES - 1):
        assert (await gate.try_pin(WRONG)).outcome is EntryOutcome.REFUSED
    locked = await gate.try_pin(WRONG)
    assert locked.outcome is EntryOutcome.LOCKED
    assert locked.seconds_left == LOCK_BASE_S
    # While locked even the right PIN is not checked: a guesser learns nothing.
    clock.now += 10
    still = await gate.try_pin(PIN)
    assert (still.outcome, still.seconds_left) == (EntryOutcome.LOCKED, LOCK_BASE_S - 10)
    clock.now += LOCK_BASE_S
    again = await gate.try_pin(WRONG)  # the sixth failure: twice as long
    assert (again.outcome, again.seconds_left) == (EntryOutcome.LOCKED, 2 * LOCK_BASE_S)
    clock.now += 2 * LOCK_BASE_S
    assert (await gate.try_pin(PIN)).granted
    assert gate.seconds_left() == 0
    assert (await gate.try_pin(WRONG)).outcome is EntryOutcome.REFUSED  # counting anew


async def test_the_lock_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    gate = make_gate(tmp_path / "m.db", clock)
    for _ in range(FREE_FAILURES):
        await gate.try_pin(WRONG)
    restarted = make_gate(tmp_path / "m.db", clock)
    answer = await restarted.try_pin(PIN)
    assert (answer.outcome, answer.seconds_left) == (EntryOutcome.LOCKED, LOCK_BASE_S)


def test_a_clock_set_backwards_never_stretches_the_lock_past_its_longest(tmp_path: Path) -> None:
    clock = FakeClock()
    lockout = Lockout(open_store(tmp_path / "m.db"), clock=clock)
    for _ in range(FREE_FAILURES):
        lockout.failed()
    clock.now -= 86_400 * 365
    assert lockout.seconds_left() == LOCK_MAX_S


@given(st.integers(min_value=0, max_value=60))
def test_the_delay_grows_with_each_failure_and_stays_capped(failures: int) -> None:
    delay = lock_delay_s(failures)
    assert (delay == 0) == (failures < FREE_FAILURES)
    assert delay <= LOCK_MAX_S
    assert lock_delay_s(failures + 1) >= delay


async def test_every_attempt_is_audited_and_no_entry_holds_the_pin(tmp_path: Path) -> None:
    clock = FakeClock()
    gate = make_gate(tmp_path / "m.db", clock)
    await gate.try_pin(WRONG)
    await gate.try_pin(PIN)
    for _ in range(FREE_FAILURES):
        await gate.try_pin(WRONG)
    await gate.try_pin(PIN)  # while locked
    entries = audit_of(tmp_path / "m.db").entries()
    outcomes = [(e.action, e.outcome) for e in entries]
    assert outcomes[:2] == [(AuditAction.ENTRY, "refused"), (AuditAction.ENTRY, "granted")]
    assert (AuditAction.LOCKED_OUT, "locked") in outcomes
    assert outcomes[-1] == (AuditAction.ENTRY, "locked")
    assert all(e.actor == PIN_ACTOR for e in entries)
    raw = (tmp_path / "m.db").read_bytes() + (tmp_path / "m.db-wal").read_bytes()
    for secret in (PIN.encode(), WRONG.encode()):
        assert secret not in raw
        assert not any(secret.decode() in f"{e.detail} {e.outcome}" for e in entries)


def test_the_audit_log_cannot_be_edited_or_emptied(tmp_path: Path) -> None:
    db = open_store(tmp_path / "m.db")
    AuditLog(db).record("technician-pin", AuditAction.SYNC_NOW, "requested")
    for sql in ("UPDATE audit SET outcome = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    assert len(AuditLog(db).entries()) == 1


async def test_a_technician_card_enters_and_an_unknown_card_counts_as_a_failure(
    tmp_path: Path,
) -> None:
    gate = make_gate(tmp_path / "m.db", FakeClock())
    assert gate.try_card(bytes.fromhex("0011223344")).outcome is EntryOutcome.REFUSED
    granted = gate.try_card(CARD)
    assert granted.granted
    assert granted.actor == f"card:{CARD.hex()}"


async def test_without_a_pin_hash_entry_by_pin_is_disabled_and_says_so(tmp_path: Path) -> None:
    gate = make_gate(tmp_path / "m.db", FakeClock(), pin_hash=None)
    assert not gate.pin_enabled
    assert (await gate.try_pin(PIN)).outcome is EntryOutcome.DISABLED
    assert audit_of(tmp_path / "m.db").entries()[-1].outcome == "disabled"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("482913", "not the PIN itself"),
        ("$argon2id$v=19$m=65536,t=3,p=4$abc", "not a well-formed argon2 hash"),
    ],
)
def test_a_malformed_pin_hash_is_refused_naming_the_key(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={"VG_KIOSK__MAINTENANCE__PIN_HASH": value})
    assert "maintenance.pin_hash" in str(caught.value)
    assert problem in str(caught.value)


def test_a_hash_made_by_the_helper_is_accepted_by_the_configuration() -> None:
    settings = load_settings(None, environ={"VG_KIOSK__MAINTENANCE__PIN_HASH": PIN_HASH})
    assert settings.maintenance.pin_hash == PIN_HASH


def test_the_helper_prints_a_hash_the_configuration_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.maintenance import pin as helper

    monkeypatch.setattr(helper.getpass, "getpass", lambda _prompt: PIN)
    assert helper.main() == 0
    line = capsys.readouterr().out.splitlines()[-1]
    encoded = line.removeprefix('pin_hash = "').removesuffix('"')
    assert pin_matches(encoded, PIN)
    assert PIN not in line


def test_the_helper_refuses_a_short_pin_and_a_mismatch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.maintenance import pin as helper

    answers = iter(["1234"])
    monkeypatch.setattr(helper.getpass, "getpass", lambda _prompt: next(answers))
    assert helper.main() == 2
    answers = iter([PIN, "999999"])
    assert helper.main() == 2
    assert "the two PINs differ" in capsys.readouterr().err


async def test_an_attempt_abandoned_during_the_check_still_counts(tmp_path: Path) -> None:
    gate = make_gate(tmp_path / "m.db", FakeClock())
    attempt = asyncio.ensure_future(gate.try_pin(WRONG))
    await asyncio.sleep(0)  # the check has started (in its thread)
    attempt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt
    assert Lockout(open_store(tmp_path / "m.db")).failures == 1
