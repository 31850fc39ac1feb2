"""The ``kiosk`` command: the kiosk's malloc settings first, then :func:`kiosk.app.main`.

glibc reads its tunables only when a process starts, so the command may restart
itself in place (same PID) once (:func:`kiosk.native_memory.restart_with_kiosk_allocator`).
It does so before importing the kiosk: a restart repeats every import made before it.
"""

from __future__ import annotations

import sys

from kiosk.native_memory import restart_with_kiosk_allocator


def start() -> int:
    """Run the kiosk as ``kiosk`` (the console script) and ``python -m kiosk.command`` do."""
    restart_with_kiosk_allocator()
    from kiosk.app import main  # after the restart: see the module's docstring

    return main()


if __name__ == "__main__":
    sys.exit(start())
