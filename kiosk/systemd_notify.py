"""Tell systemd the kiosk is up, still alive, and stopping (the sd_notify protocol).

On the appliance the unit is ``Type=notify`` with a ``WatchdogSec=``: systemd
restarts the kiosk when the UI's event loop stops feeding the watchdog (a frozen
screen), not only when the process dies. Written by hand, not with
systemd-python: that binding builds against libsystemd's headers, which a
kiosk's virtual environment should not need, and the protocol is one datagram.

The kiosk runs as a child of the compositor (cage is the unit's main process),
so ``WATCHDOG_PID`` names cage, not us: it is ignored on purpose, and the unit
says ``NotifyAccess=all`` so systemd accepts messages from the child.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)

READY = "READY=1"
WATCHDOG = "WATCHDOG=1"
STOPPING = "STOPPING=1"
# Without a watchdog setting, still report liveness this often (harmless, cheap).
DEFAULT_WATCHDOG_INTERVAL_S = 10.0


class SystemdNotifier:
    """Sends state lines to systemd's notification socket; does nothing without one."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        # A leading "@" is Linux's abstract namespace, spelled with a NUL byte.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._watchdog_usec = _positive_int(env.get("WATCHDOG_USEC"))

    @property
    def enabled(self) -> bool:
        """True when started by systemd with a notification socket."""
        return bool(self._address)

    @property
    def watchdog_interval_s(self) -> float:
        """How often to send WATCHDOG=1: half the unit's WatchdogSec, as sd_watchdog_enabled(3)
        advises, so one late tick never costs a restart."""
        if self._watchdog_usec is None:
            return DEFAULT_WATCHDOG_INTERVAL_S
        return self._watchdog_usec / 2_000_000

    def notify(self, state: str) -> bool:
        """Send ``state`` (e.g. ``READY=1``); False when not under systemd or the send failed."""
        if not self._address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # Never block the UI thread: a full queue (systemd busy) drops one tick.
                sock.sendto(state.encode("utf-8"), socket.MSG_DONTWAIT, self._address)
        except OSError as err:
            # Never fatal: a kiosk that cannot reach systemd still serves citizens.
            log.warning("systemd notification %s failed: %s", state, err)
            return False
        return True

    def ready(self) -> bool:
        """The screens are up."""
        return self.notify(READY)

    def watchdog(self) -> bool:
        """The event loop is alive."""
        return self.notify(WATCHDOG)

    def stopping(self) -> bool:
        """A clean shutdown has begun (systemd then waits for it, not the watchdog)."""
        return self.notify(STOPPING)


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if value > 0 else None
