"""The routing engine's vocabulary: its configuration, errors, skills and results."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from backend.routing.queues import QueueBook

SKILL_KINDS = ("agency", "service", "language")
MAX_SKILLS = 200


class RoutingError(Exception):
    """An operation was refused; ``code`` is a translation key sent to the peer as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RoutingConfig:
    """What the operations need besides the database: queues and timers (seconds)."""

    queues: QueueBook
    no_answer_timeout_s: int = 20
    wrap_up_s: int = 30
    default_handle_s: int = 300
    # Wait estimates use up to this many recent calls, from this many recent hours.
    history_calls: int = 20
    history_hours: int = 4


@dataclass(frozen=True)
class Skills:
    """What an agent can take: agencies, services and languages."""

    agencies: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    def cover(self, agency: str, language: str, service_id: str | None) -> bool:
        """True if a call of ``agency`` in ``language`` (about ``service_id``) suits the agent.

        An agent with no service skill is a generalist of their agencies: every
        service. One with service skills takes only those services (and calls
        about no particular service).
        """
        return (
            agency in self.agencies
            and language in self.languages
            and (service_id is None or not self.services or service_id in self.services)
        )

    def to_json(self) -> str:
        """The form stored in ``agents.skills``."""
        return json.dumps(
            {
                "agencies": sorted(self.agencies),
                "services": sorted(self.services),
                "languages": sorted(self.languages),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Skills:
        """Read ``agents.skills``."""
        data = json.loads(text)
        return cls(
            agencies=frozenset(data.get("agencies", [])),
            services=frozenset(data.get("services", [])),
            languages=frozenset(data.get("languages", [])),
        )

    @classmethod
    def parse(cls, text: str) -> Skills:
        """``agency:riviere-claire,language:fr,service:appointment`` (the CLI's form)."""
        found: dict[str, set[str]] = {kind: set() for kind in SKILL_KINDS}
        for item in filter(None, (part.strip() for part in text.split(","))):
            kind, _, value = item.partition(":")
            if kind not in found or not value:
                raise ValueError(
                    f"skill {item!r}: use kind:value with kind among {', '.join(SKILL_KINDS)}"
                )
            found[kind].add(value)
        if sum(len(values) for values in found.values()) > MAX_SKILLS:
            raise ValueError(f"more than {MAX_SKILLS} skills")
        return cls(
            agencies=frozenset(found["agency"]),
            services=frozenset(found["service"]),
            languages=frozenset(found["language"]),
        )


@dataclass(frozen=True)
class Queued:
    """``request_call`` queued the call; ``position`` counts from 1."""

    call_id: str
    queue_id: str
    position: int
    estimated_wait_s: int


@dataclass(frozen=True)
class CallbackProposed:
    """``request_call`` could not queue the call: the citizen may book a callback."""

    call_id: str
    queue_id: str
    reason: Literal["closed", "wait_too_long"]
    slots: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class OfferMade:
    """``dispatch`` offered a call to an agent."""

    call_id: str
    agent_id: str
    kiosk_id: str


@dataclass(frozen=True)
class Released:
    """A call left an agent without ending: declined, unanswered, withdrawn, or lost."""

    call_id: str
    agent_id: str
    kiosk_id: str


@dataclass(frozen=True)
class Connected:
    """``accept`` connected the call."""

    call_id: str
    agent_id: str
    agent_name: str
    kiosk_id: str


@dataclass(frozen=True)
class Finished:
    """A call ended (hangup, end_call) or was cancelled: who must hear about it."""

    call_id: str
    kiosk_id: str
    agent_id: str | None
    state: Literal["ended", "cancelled"]
    outcome: str
