"""The `kiosk` command: refuses a bad configuration, and `--demo` comes up on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.app import EXIT_CONFIG, main

KIOSK = [sys.executable, "-m", "kiosk.command"]  # what the `kiosk` command runs


def test_invalid_config_refuses_to_start(tmp_path: Path, capsys: object) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[backend]\nsync_interval_s = "often"\n', encoding="utf-8")
    assert main(["--config", str(config)]) == EXIT_CONFIG
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "backend.sync_interval_s" in err
    assert "will not start" in err


def test_missing_credential_is_named(tmp_path: Path, capsys: object) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[backend]\ntoken_file = "absent.token"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config)]) == EXIT_CONFIG
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "backend.token_file" in err
    assert "kiosk-backend add-kiosk" in err


def test_demo_starts_offscreen_with_its_own_back_end(tmp_path: Path) -> None:
    env = {
        key: value for key, value in os.environ.items() if key not in {"DISPLAY", "WAYLAND_DISPLAY"}
    }
    env.pop("QT_QPA_PLATFORM", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    done = subprocess.run(
        [*KIOSK, "--demo", "--demo-dir", str(tmp_path / "demo"), "--quit-after", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "runs offscreen" in done.stdout
    assert "embedded back end on http://127.0.0.1:" in done.stdout
    assert (tmp_path / "demo" / "backend" / "backend.db").exists()
    assert (tmp_path / "demo" / "kiosk" / "outbox.db").exists()
