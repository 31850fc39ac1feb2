"""What printer and job states mean: the rules both real adapters apply."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peripherals import HealthState
from peripherals.printer import (
    CoverOpenError,
    PaperJamError,
    PaperOutError,
    PrinterOfflineError,
)
from peripherals.printer.escpos_status import (
    EscposStatus,
    is_processed_answer,
    is_realtime_answer,
)
from peripherals.printer.ipp_state import (
    PrinterState,
    QueueStatus,
    error_for,
    fault_of,
    health_of,
    keywords,
)

SUFFIXES = st.sampled_from(["", "-report", "-warning", "-error"])
HARMLESS = st.sampled_from(["none", "media-low", "toner-low", "cups-waiting-for-job-completed"])


def test_severity_suffixes_and_none_are_dropped() -> None:
    reasons = ["none", "media-empty-warning", "offline-report", "media-jam-error", "paused"]
    assert keywords(reasons) == {"media-empty", "offline", "media-jam", "paused"}


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("media-empty", PaperOutError),
        ("media-needed", PaperOutError),
        ("media-jam", PaperJamError),
        ("door-open", CoverOpenError),
        ("cover-open", CoverOpenError),
        ("offline", PrinterOfflineError),
        ("shutdown", PrinterOfflineError),
        ("paused", PrinterOfflineError),
    ],
)
@given(suffix=SUFFIXES, others=st.lists(HARMLESS, max_size=3))
def test_every_fault_reason_is_a_fault_whatever_its_suffix(
    reason: str, error: type[Exception], suffix: str, others: list[str]
) -> None:
    found = fault_of([*others, reason + suffix])
    assert found is not None
    assert found[1] is error


@given(reasons=st.lists(HARMLESS, max_size=4))
def test_harmless_reasons_are_no_fault(reasons: list[str]) -> None:
    assert fault_of(reasons) is None
    assert health_of(QueueStatus.of(3, reasons)).usable


def test_paper_is_named_before_offline() -> None:
    # What to do (load paper) is more useful than "offline", which both imply.
    assert fault_of(["offline-report", "media-empty-warning"]) == ("media-empty", PaperOutError)


def test_health_of_a_queue() -> None:
    assert health_of(QueueStatus.of(3, ["none"])).state is HealthState.OK
    low = health_of(QueueStatus.of(3, ["media-low-report"]))
    assert (low.state, low.code) == (HealthState.DEGRADED, "printer.paper_low")
    stopped = health_of(QueueStatus.of(5, ["none"], "Filter failed"))
    assert (stopped.state, stopped.code, stopped.detail) == (
        HealthState.FAULT,
        "printer.offline",
        "Filter failed",
    )
    assert health_of(QueueStatus.of(3, [], accepting=False)).state is HealthState.FAULT
    assert health_of(QueueStatus.of(3, ["connecting-to-device"])).state is HealthState.DEGRADED
    assert QueueStatus.of(42, []).state is PrinterState.STOPPED  # unknown: assume the worst


def test_a_stopped_queue_without_reason_is_offline() -> None:
    error = error_for(QueueStatus.of(5, []), "job 3")
    assert isinstance(error, PrinterOfflineError)
    assert "stopped" in error.detail


@given(byte=st.integers(0, 255))
def test_realtime_and_end_of_job_answers_never_look_alike(byte: int) -> None:
    assert not (is_realtime_answer(byte) and is_processed_answer(byte))


@pytest.mark.parametrize(
    ("answers", "error", "usable"),
    [
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}, None, True),
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}, None, True),  # near end: degraded
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}, PaperOutError, False),
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, CoverOpenError, False),
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, PaperJamError, False),
        ({1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12}, PrinterOfflineError, False),
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, PrinterOfflineError, False),
    ],
)
def test_escpos_status_bytes_decode_to_errors(
    answers: dict[int, int], error: type[Exception] | None, usable: bool
) -> None:
    status = EscposStatus.decode(answers)
    found = status.error()
    assert (type(found) if found else None) is error
    assert status.health().usable is usable
