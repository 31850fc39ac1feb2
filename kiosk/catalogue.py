"""The services catalogue of a site: agencies, services, life events and agent hours, as data.

One file per site, loaded at start-up. A shared kiosk ("guichet unique") offers
the services of several agencies; life events lead a citizen through services of
different agencies in one visit. A catalogue with a mistake is refused with the
line and place of the mistake, so a bad edit never reaches citizens.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from kiosk.agent_hours import AgentHours
from kiosk.catalogue_base import CatalogueModel, Localized, LocatedError
from kiosk.eservices.model import EService, Hint, HintsFile
from kiosk.toml_lines import Location, SourceLines

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Icon = Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]


class CatalogueError(Exception):
    """The catalogue file cannot be used; the message says where and why."""


def _first_repeat(values: Sequence[str]) -> int | None:
    """The index of the first value already seen earlier in ``values``."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            return index
        seen.add(value)
    return None


class FieldKind(StrEnum):
    """What a form field holds; each kind has its own validation and keyboard."""

    TEXT = "text"
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    CHOICE = "choice"
    CONSENT = "consent"  # a box the citizen ticks: required means it must be ticked
    DOCUMENT = "document"  # a page scanned with the document camera, sent as an attachment
    SIGNATURE = "signature"  # drawn with a finger on the screen, sent as a PNG attachment


class Condition(CatalogueModel):
    """Show a field only when an earlier field holds one of some values."""

    field: Identifier
    is_one_of: tuple[str, ...] = Field(min_length=1)

    def holds(self, values: Mapping[str, str]) -> bool:
        """Whether the condition is met by the answers so far."""
        return values.get(self.field, "") in self.is_one_of


class Choice(CatalogueModel):
    """One option of a choice field."""

    value: Identifier
    label: Localized


class FieldSpec(CatalogueModel):
    """One field of a service's form.

    Fields of different services that share an id hold the same fact (a street, a
    moving date), so a value typed for one service can fill the other.
    """

    id: Identifier
    kind: FieldKind = FieldKind.TEXT
    label: Localized
    help: Localized | None = None
    required: bool = True
    max_length: Annotated[int, Field(ge=1, le=2000)] = 120
    choices: tuple[Choice, ...] = ()
    # For dates: how far in the past / future a citizen may pick (e.g. a moving date).
    min_days_from_today: int | None = None
    max_days_from_today: int | None = None
    # A step that depends on an earlier answer (e.g. the email only for delivery by email).
    show_if: Condition | None = None

    def shown(self, values: Mapping[str, str]) -> bool:
        """Whether the citizen is asked this field, given the answers so far."""
        return self.show_if is None or self.show_if.holds(values)

    @model_validator(mode="after")
    def _choices_match_kind(self) -> Self:
        if self.kind is FieldKind.CHOICE and len(self.choices) < 2:
            raise ValueError("a choice field needs at least two choices")
        if self.kind is not FieldKind.CHOICE and self.choices:
            raise ValueError("only choice fields have choices")
        return self


class Agency(CatalogueModel):
    """A public body whose services the kiosk offers."""

    id: Identifier
    name: Localized


class Channel(StrEnum):
    """How a citizen gets a service done from the kiosk."""

    SELF_SERVICE = "self_service"  # the citizen fills the form at the kiosk
    AGENT_REQUIRED = "agent_required"  # only a person may handle it: the kiosk calls one
    REFER = "refer"  # done elsewhere: the kiosk says where and how
    ESERVICE = "eservice"  # the agency's own online service, in the kiosk's locked-down web view


class Referral(CatalogueModel):
    """Where a service that the kiosk cannot offer is done, and how to go about it."""

    where: Localized
    how: Localized


class Service(CatalogueModel):
    """A transaction a citizen can complete, or start, at the kiosk."""

    id: Identifier
    agency: Identifier
    icon: Icon = "document"
    title: Localized
    summary: Localized
    online_url: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    channel: Channel = Channel.SELF_SERVICE
    referral: Referral | None = None
    eservice: EService | None = None
    # Empty only when a person or another office handles the service.
    fields: tuple[FieldSpec, ...] = ()

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        repeat = _first_repeat([f.id for f in self.fields])
        if repeat is not None:
            raise LocatedError(
                ("fields", repeat, "id"), f"field id '{self.fields[repeat].id}' is used twice"
            )
        return self

    @model_validator(mode="after")
    def _conditions_look_back(self) -> Self:
        earlier: dict[str, FieldSpec] = {}
        for index, spec in enumerate(self.fields):
            condition = spec.show_if
            if condition is not None:
                where = ("fields", index, "show_if", "field")
                asked = earlier.get(condition.field)
                if asked is None:
                    raise LocatedError(
                        where, f"'{condition.field}' is not a field asked before '{spec.id}'"
                    )
                values = {choice.value for choice in asked.choices}
                unknown = sorted(set(condition.is_one_of) - values) if values else []
                if unknown:
                    raise LocatedError(
                        ("fields", index, "show_if", "is_one_of"),
                        f"'{condition.field}' has no choice {', '.join(unknown)}",
                    )
            earlier[spec.id] = spec
        return self

    @model_validator(mode="after")
    def _channel_rules(self) -> Self:
        if self.channel is Channel.SELF_SERVICE and not self.fields:
            raise LocatedError(("fields",), "a self-service service needs at least one field")
        if self.channel is Channel.REFER and self.referral is None:
            raise LocatedError(("channel",), "a referred service needs a referral (where and how)")
        if self.channel is not Channel.REFER and self.referral is not None:
            raise LocatedError(
                ("referral",), 'only a service with channel = "refer" has a referral'
            )
        if self.channel is Channel.ESERVICE and self.eservice is None:
            raise LocatedError(("channel",), "an e-service needs [services.eservice]")
        if self.channel is not Channel.ESERVICE and self.eservice is not None:
            raise LocatedError(
                ("eservice",), 'only a service with channel = "eservice" has an eservice'
            )
        return self

    @property
    def continue_at_home_url(self) -> str | None:
        """Where a citizen carries on at home: the public address, else the e-service's start."""
        if self.online_url is not None:
            return self.online_url
        return self.eservice.start_url if self.eservice is not None else None

    def field(self, field_id: str) -> FieldSpec:
        """The field named ``field_id``."""
        return next(f for f in self.fields if f.id == field_id)


class Place(CatalogueModel):
    """Another service point a citizen can go to (shown while the kiosk is out of service)."""

    name: Localized
    address: Localized
    hours: Localized | None = None


class Site(CatalogueModel):
    """The office where the kiosk stands, and the people nearby who can help."""

    name: Localized
    help_desk: Localized
    help_phone: Annotated[str, Field(min_length=3, max_length=40)]
    # None: the back end alone knows whether agents answer (its queues' hours).
    agent_hours: AgentHours | None = None
    # Where else to go when this kiosk is out of service: other offices, and the web.
    elsewhere: tuple[Place, ...] = ()
    online_url: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None


class LifeEvent(CatalogueModel):
    """A moment of life (moving, a birth) and the services it calls for, in order.

    The services may belong to different agencies: one visit does them all.
    """

    id: Identifier
    icon: Icon = "document"
    title: Localized
    summary: Localized
    services: tuple[Identifier, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _no_repeated_service(self) -> Self:
        repeat = _first_repeat(self.services)
        if repeat is not None:
            raise LocatedError(
                ("services", repeat), f"service '{self.services[repeat]}' is listed twice"
            )
        return self


class Catalogue(CatalogueModel):
    """Everything one site's kiosk offers."""

    site: Site
    agencies: tuple[Agency, ...] = Field(min_length=1)
    services: tuple[Service, ...] = Field(min_length=1)
    life_events: tuple[LifeEvent, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        for key, items in (
            ("agencies", self.agencies),
            ("services", self.services),
            ("life_events", self.life_events),
        ):
            repeat = _first_repeat([item.id for item in items])
            if repeat is not None:
                raise LocatedError((key, repeat, "id"), f"id '{items[repeat].id}' is used twice")
        return self

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        agencies = {a.id for a in self.agencies}
        for index, service in enumerate(self.services):
            if service.agency not in agencies:
                problem = f"service '{service.id}' names unknown agency '{service.agency}'"
                raise LocatedError(("services", index, "agency"), problem)
        services = {s.id for s in self.services}
        for index, event in enumerate(self.life_events):
            for step, service_id in enumerate(event.services):
                if service_id not in services:
                    problem = f"life event '{event.id}' names unknown service '{service_id}'"
                    raise LocatedError(("life_events", index, "services", step), problem)
        return self

    @model_validator(mode="after")
    def _shared_fields_agree(self) -> Self:
        # A value typed once is offered again to every form with the same field id,
        # so it must be valid there too.
        first_seen: dict[str, tuple[Service, FieldSpec]] = {}
        for index, service in enumerate(self.services):
            for position, spec in enumerate(service.fields):
                owner, earlier = first_seen.setdefault(spec.id, (service, spec))
                if earlier.kind is not spec.kind:
                    problem = (
                        f"field '{spec.id}' is a {spec.kind} field here but a {earlier.kind}"
                        f" field in service '{owner.id}'"
                    )
                    raise LocatedError(("services", index, "fields", position, "kind"), problem)
        return self

    def service(self, service_id: str) -> Service:
        """The service named ``service_id`` (KeyError if unknown)."""
        for service in self.services:
            if service.id == service_id:
                return service
        raise KeyError(service_id)

    def agency(self, agency_id: str) -> Agency:
        """The agency named ``agency_id``."""
        return next(a for a in self.agencies if a.id == agency_id)

    def life_event(self, event_id: str) -> LifeEvent:
        """The life event named ``event_id`` (KeyError if unknown)."""
        for event in self.life_events:
            if event.id == event_id:
                return event
        raise KeyError(event_id)

    def services_of(self, event: LifeEvent) -> tuple[Service, ...]:
        """The services of a life event, in the order the citizen meets them."""
        return tuple(self.service(service_id) for service_id in event.services)


def load_catalogue(path: Path) -> Catalogue:
    """Load a site's catalogue; raise :class:`CatalogueError` naming the bad line and place."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CatalogueError(f"{path}: cannot read the catalogue ({err.strerror})") from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib's message already carries "(at line N, column M)".
        raise CatalogueError(f"{path}: {err}") from err
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as err:
        raise CatalogueError(_describe(path, text, raw, err)) from err
    return _with_hints_files(catalogue, path.parent)


def _with_hints_files(catalogue: Catalogue, folder: Path) -> Catalogue:
    """Each e-service's ``hints_file`` read (relative to the catalogue) and put with its hints."""
    services = []
    for service in catalogue.services:
        eservice = service.eservice
        if eservice is None or eservice.hints_file is None:
            services.append(service)
            continue
        extra = load_hints(folder / eservice.hints_file)
        eservice = eservice.model_copy(update={"hints": eservice.hints + extra})
        services.append(service.model_copy(update={"eservice": eservice}))
    return catalogue.model_copy(update={"services": tuple(services)})


def load_hints(path: Path) -> tuple[Hint, ...]:
    """Read a coach hints file; CatalogueError names the bad line and place."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as err:
        raise CatalogueError(f"{path}: cannot read the hints file ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise CatalogueError(f"{path}: {err}") from err
    try:
        return HintsFile.model_validate(raw).hints
    except ValidationError as err:
        raise CatalogueError(_describe(path, text, raw, err)) from err


def _describe(path: Path, text: str, raw: object, err: ValidationError) -> str:
    """One line per problem: ``<file>, line N: <place>: <what is wrong>``."""
    lines = SourceLines(text)
    described = []
    for problem in err.errors():
        location, message = _located(problem)
        line = lines.line_of(location)
        where = f"{path}, line {line}" if line is not None else str(path)
        described.append(f"{where}: {_readable_location(raw, location)}: {message}")
    return "\n".join(described)


def _located(problem: ErrorDetails) -> tuple[Location, str]:
    """The problem's full location and message, without pydantic's "Value error, "."""
    location = tuple(problem["loc"])
    error = problem.get("ctx", {}).get("error")
    if not isinstance(error, ValueError):
        return location, problem["msg"]
    if isinstance(error, LocatedError):
        location += error.location
    return location, str(error)


def _readable_location(raw: object, loc: Location) -> str:
    """``services[1].fields[0].label`` becomes ``services 'copy-of-record' > fields[0] > label``."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            name = node.get("id") if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]} '{name}'" if name else f"{parts[-1]}[{step}]"
        elif isinstance(node, dict):
            node = node.get(step)
            parts.append(str(step))
        else:
            parts.append(str(step))
    return " > ".join(parts) or "top level"
