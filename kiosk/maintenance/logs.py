"""The kiosk's log file: written by a rotating handler, read back by the log viewer.

The kiosk logs codes, counts and technical details, never what a citizen typed
or read from a card (the modules that log are written so); the file is
capped, so a kiosk left alone for months never fills its disk with logs.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3  # four files of 1 MB at most
TAIL_READ_BYTES = 256_000  # enough for the last few hundred lines, cheap to read


def log_file_path(data_dir: Path) -> Path:
    """Where the kiosk writes its log under its data folder."""
    return data_dir / "logs" / "kiosk.log"


def install_log_file(path: Path, level: int = logging.INFO) -> RotatingFileHandler:
    """Add a rotating file handler at ``path`` to the root logger; returns it (to remove)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    logging.getLogger().addHandler(handler)
    return handler


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of the log at ``path`` ([] when there is none yet)."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - TAIL_READ_BYTES))
            data = file.read()
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    if len(data) == TAIL_READ_BYTES and lines:
        lines = lines[1:]  # the first line was cut by the seek
    return lines[-count:] if count > 0 else []
