"""The kiosk opens its outbox with its settings, and a corrupt outbox does not stop it."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.services import StartupError, open_outbox


def test_a_corrupt_outbox_is_set_aside_with_an_alarm_and_the_kiosk_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "outbox.db").write_bytes(b"\x00garbage" * 512)
    settings = load_settings(
        None,
        environ={
            "VG_KIOSK__KIOSK__DATA_DIR": str(data),
            "VG_KIOSK__OUTBOX__KEY_FILE": str(tmp_path / "etc" / "outbox.key"),
        },
    )

    with caplog.at_level(logging.CRITICAL):
        outbox = open_outbox(settings)
    outbox.close()

    assert "outbox alarm: corrupt outbox set aside" in caplog.text
    assert stat.S_IMODE((tmp_path / "etc" / "outbox.key").stat().st_mode) == 0o600


def test_an_outbox_that_cannot_be_opened_is_a_startup_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")
    settings = load_settings(None, environ={"VG_KIOSK__KIOSK__DATA_DIR": str(tmp_path / "data")})

    with pytest.raises(StartupError, match="outbox"):
        open_outbox(settings)
