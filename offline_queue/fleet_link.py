"""The kiosk's side of the fleet view: a heartbeat every few seconds, commands in the answers.

Plain asyncio and ``httpx.AsyncClient``, like the sync worker, so it runs the
same under the kiosk's Qt-backed loop and under a test's loop. Nothing here
blocks: the snapshot callback must be cheap (it reads state the kiosk holds
already), and each command runs under a time limit.

Commands come back in every reply until the back end has their
acknowledgement, so a lost reply loses nothing; the link runs each
``command_id`` once, remembers the outcome, and answers a redelivery with the
same acknowledgement without running the command again. Acknowledgements ride
on the next heartbeat and are forgotten only once a heartbeat carrying them
was accepted.

Network errors, timeouts and refusals are logged and retried with backoff
(exponential, full jitter, like the sync worker); they never end the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from pydantic import ValidationError

from offline_queue.heartbeat import (
    MAX_ACKS,
    MAX_DETAIL_CHARS,
    CommandAck,
    Heartbeat,
    HeartbeatReply,
    KioskCommand,
)
from offline_queue.retry import backoff_delay_s, parse_retry_after
from offline_queue.status import CREDENTIAL_REFUSED, tls_problem

HEARTBEAT_PATH = "/api/v1/fleet/heartbeat"
DEFAULT_INTERVAL_S = 10.0
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 600.0
COMMAND_TIMEOUT_S = 10.0
REMEMBERED_COMMANDS = 256  # far more than a kiosk is sent between two restarts

logger = logging.getLogger(__name__)

CommandHandler = Callable[[KioskCommand], Awaitable[tuple[bool, str | None]]]


def _short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


class FleetLink:
    """Sends heartbeats built by ``snapshot`` and runs the commands that come back.

    ``snapshot`` gives the kiosk's current state as a :class:`Heartbeat`
    (its ``acks`` and ``sent_at`` are replaced here). ``on_command`` carries
    out one command and says whether it worked, with a short detail.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        snapshot: Callable[[], Heartbeat],
        on_command: CommandHandler,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        backoff_base_s: float = 2.0,
        backoff_cap_s: float = 300.0,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
            raise ValueError(f"interval_s must be between {MIN_INTERVAL_S} and {MAX_INTERVAL_S}")
        self._client = client
        self._snapshot = snapshot
        self._on_command = on_command
        self._interval_s = interval_s
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._command_timeout_s = command_timeout_s
        self._rng = rng or random.Random()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._done: OrderedDict[str, CommandAck] = OrderedDict()
        self._unsent: dict[str, CommandAck] = {}
        self._failures = 0
        self._next_delay_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self.last_success_at: datetime | None = None
        self.last_error: str | None = None

    @property
    def pending_acks(self) -> list[CommandAck]:
        """Acknowledgements waiting to ride on the next heartbeat."""
        return list(self._unsent.values())

    @property
    def next_delay_s(self) -> float:
        """How long :meth:`run` waits before the next heartbeat (interval or backoff)."""
        return self._next_delay_s

    async def beat_once(self) -> HeartbeatReply | None:
        """Send one heartbeat and run the commands of the reply; ``None`` if it failed."""
        try:
            beat = self._snapshot()
        except Exception:  # a broken snapshot must not end the heartbeats
            logger.exception("the heartbeat snapshot failed")
            self._failed("snapshot failed")
            return None
        acks = list(self._unsent.values())[:MAX_ACKS]
        beat = beat.model_copy(update={"sent_at": self._clock(), "acks": acks})
        try:
            response = await self._client.post(
                HEARTBEAT_PATH,
                content=beat.model_dump_json(),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as err:
            tls = tls_problem(err)
            logger.warning("heartbeat not sent: %s", tls or type(err).__name__)
            self._failed(tls or f"network: {type(err).__name__}")
            return None
        if response.status_code != httpx.codes.OK:
            logger.warning("heartbeat refused: HTTP %s %s", response.status_code, response.text)
            wait = parse_retry_after(response.headers.get("retry-after"))
            refused = response.status_code == httpx.codes.UNAUTHORIZED
            self._failed(CREDENTIAL_REFUSED if refused else f"HTTP {response.status_code}", wait)
            return None
        try:
            reply = HeartbeatReply.model_validate_json(response.content)
        except ValidationError:
            logger.warning("the heartbeat reply is not a HeartbeatReply")
            self._failed("unreadable reply")
            return None
        for ack in acks:  # the back end has them now
            self._unsent.pop(ack.command_id, None)
        self._failures = 0
        self.last_error = None
        self.last_success_at = self._clock()
        self._next_delay_s = min(max(reply.next_in_s, MIN_INTERVAL_S), MAX_INTERVAL_S)
        ran = [await self._run(command) for command in reply.commands]
        if any(ran):
            # A technician is watching for the answer: send it now, not in ten seconds.
            self._next_delay_s = MIN_INTERVAL_S
        return reply

    def _failed(self, reason: str, retry_after_s: float | None = None) -> None:
        self._failures += 1
        self.last_error = reason
        delay = backoff_delay_s(
            self._failures, base_s=self._backoff_base_s, cap_s=self._backoff_cap_s, rng=self._rng
        )
        # Never beat faster than the normal interval, even on a lucky jitter draw.
        self._next_delay_s = max(delay, self._interval_s, retry_after_s or 0.0)

    async def _run(self, command: KioskCommand) -> bool:
        """Run a new command (True), or queue again the answer of one already run (False)."""
        done = self._done.get(command.command_id)
        if done is not None:
            # Redelivered (our acknowledgement was lost or is on its way): answer again.
            self._unsent[command.command_id] = done
            return False
        try:
            async with asyncio.timeout(self._command_timeout_s):
                ok, detail = await self._on_command(command)
        except TimeoutError:
            ok, detail = False, f"timed out after {self._command_timeout_s:g} s"
        except Exception as err:  # the kiosk's handler failed: say so, keep beating
            logger.exception("command %s (%s) failed", command.command_id, command.kind)
            ok, detail = False, f"error: {type(err).__name__}"
        ack = CommandAck(
            command_id=command.command_id, ok=ok, detail=_short(detail) if detail else None
        )
        self._done[command.command_id] = ack
        while len(self._done) > REMEMBERED_COMMANDS:
            self._done.popitem(last=False)
        self._unsent[command.command_id] = ack
        logger.info("command %s (%s): ok=%s %s", command.command_id, command.kind, ok, detail)
        return True

    async def run(self) -> None:
        """Beat until cancelled: right away, then after each interval or backoff."""
        while True:
            await self.beat_once()
            await asyncio.sleep(self._next_delay_s)

    def start(self) -> None:
        """Run :meth:`run` as a task of the running loop (once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name="fleet-link")

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
