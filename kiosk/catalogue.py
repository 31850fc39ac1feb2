"""The services catalogue of a site: agencies, services and their forms, as data.

One file per site, loaded at start-up. A catalogue with a mistake is refused
with the place of the mistake, so a bad edit never reaches citizens.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kiosk.i18n import Language

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class CatalogueError(Exception):
    """The catalogue file cannot be used; the message says where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Model):
    """A text in both languages of the kiosk."""

    fr: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def __call__(self, language: Language) -> str:
        """The text in ``language``."""
        return self.fr if language == "fr" else self.en


class FieldKind(StrEnum):
    """What a form field holds; each kind has its own validation and keyboard."""

    TEXT = "text"
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    CHOICE = "choice"


class Choice(_Model):
    """One option of a choice field."""

    value: Identifier
    label: Localized


class FieldSpec(_Model):
    """One field of a service's form."""

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

    @model_validator(mode="after")
    def _choices_match_kind(self) -> Self:
        if self.kind is FieldKind.CHOICE and len(self.choices) < 2:
            raise ValueError("a choice field needs at least two choices")
        if self.kind is not FieldKind.CHOICE and self.choices:
            raise ValueError("only choice fields have choices")
        return self


class Agency(_Model):
    """A public body whose services the kiosk offers."""

    id: Identifier
    name: Localized


class Service(_Model):
    """A transaction a citizen can complete at the kiosk."""

    id: Identifier
    agency: Identifier
    icon: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")] = "document"
    title: Localized
    summary: Localized
    online_url: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    fields: tuple[FieldSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        ids = [f.id for f in self.fields]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"field ids repeated: {', '.join(duplicates)}")
        return self

    def field(self, field_id: str) -> FieldSpec:
        """The field named ``field_id``."""
        return next(f for f in self.fields if f.id == field_id)


class Site(_Model):
    """The office where the kiosk stands, and the people nearby who can help."""

    name: Localized
    help_desk: Localized
    help_phone: Annotated[str, Field(min_length=3, max_length=40)]


class Catalogue(_Model):
    """Everything one site's kiosk offers."""

    site: Site
    agencies: tuple[Agency, ...] = Field(min_length=1)
    services: tuple[Service, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        agencies = {a.id for a in self.agencies}
        for service in self.services:
            if service.agency not in agencies:
                raise ValueError(f"service '{service.id}' names unknown agency '{service.agency}'")
        ids = [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ValueError("service ids must be unique")
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


def load_catalogue(path: Path) -> Catalogue:
    """Load a site's catalogue; raise :class:`CatalogueError` naming the bad place."""
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
        return Catalogue.model_validate(raw)
    except ValidationError as err:
        raise CatalogueError(_describe(path, raw, err)) from err


def _describe(path: Path, raw: object, err: ValidationError) -> str:
    lines = [f"{path}: the catalogue has {err.error_count()} problem(s):"]
    for problem in err.errors():
        where = _readable_location(raw, problem["loc"])
        lines.append(f"  - {where}: {problem['msg']}")
    return "\n".join(lines)


def _readable_location(raw: object, loc: tuple[int | str, ...]) -> str:
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
