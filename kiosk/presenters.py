"""What each screen shows, as plain data in the citizen's language (no Qt here).

The view model hands these dictionaries to QML as they are; keeping them pure
lets the wording and order be tested without a window.
"""

from __future__ import annotations

import base64
from datetime import date

from kiosk.catalogue import Catalogue, FieldKind, Service
from kiosk.dates import format_date
from kiosk.forms import CONSENT_GIVEN
from kiosk.i18n import Language, Strings
from kiosk.journey import CitizenSession
from offline_queue.analytics import FeedbackReason
from offline_queue.items import NewAttachment
from offline_queue.schemas import IdentityMethod
from peripherals.card.file_number import format_file_number

UiValue = str | bool | int | list[dict[str, str]]
UiRow = dict[str, UiValue]


def service_tiles(catalogue: Catalogue, language: Language) -> list[UiRow]:
    """The services offered, as tiles."""
    return [
        {
            "id": s.id,
            "title": s.title(language),
            "summary": s.summary(language),
            "icon": s.icon,
            "agency": catalogue.agency(s.agency).name(language),
            "channel": s.channel.value,
        }
        for s in catalogue.services
    ]


def life_event_tiles(catalogue: Catalogue, language: Language) -> list[UiRow]:
    """The life events offered (guided paths across agencies), as tiles."""
    rows: list[UiRow] = []
    for event in catalogue.life_events:
        services = catalogue.services_of(event)
        agencies = dict.fromkeys(catalogue.agency(s.agency).name(language) for s in services)
        rows.append(
            {
                "id": event.id,
                "title": event.title(language),
                "summary": event.summary(language),
                "icon": event.icon,
                "agencies": " · ".join(agencies),
                "steps": len(services),
            }
        )
    return rows


def path_steps(catalogue: Catalogue, session: CitizenSession) -> list[UiRow]:
    """The services of the citizen's life event, each done, current or to come."""
    position = session.path_position
    return [
        {
            "title": catalogue.service(service_id).title(session.language),
            "state": "done" if index < position else "current" if index == position else "todo",
        }
        for index, service_id in enumerate(session.path)
    ]


def referral(catalogue: Catalogue, service: Service, language: Language) -> dict[str, str]:
    """Where and how a service that the kiosk does not handle is done."""
    if service.referral is None:
        return {}
    return {
        "agency": catalogue.agency(service.agency).name(language),
        "where": service.referral.where(language),
        "how": service.referral.how(language),
    }


def feedback_reasons(strings: Strings, language: Language) -> list[UiRow]:
    """The reasons a citizen may pick after their score, in the citizen's language."""
    return [
        {"id": reason.value, "label": strings.text(f"feedback.reason.{reason.value}", language)}
        for reason in FeedbackReason
    ]


def form_fields(service: Service, session: CitizenSession, today: date) -> list[UiRow]:
    """The fields of the form with their current value (errors are bound separately)."""
    language = session.language
    rows: list[UiRow] = []
    for spec in service.fields:
        if not spec.shown(session.values):
            continue  # skipped by an earlier answer; it comes back if that answer changes
        rows.append(
            {
                "id": spec.id,
                "kind": spec.kind.value,
                "label": spec.label(language),
                "help": spec.help(language) if spec.help else "",
                "required": spec.required,
                "maxLength": spec.max_length,
                "value": session.values.get(spec.id, ""),
                "choices": [{"value": c.value, "label": c.label(language)} for c in spec.choices],
                "minDate": _offset(today, spec.min_days_from_today),
                "maxDate": _offset(today, spec.max_days_from_today),
                "preview": _preview(session.documents.get(spec.id)),
            }
        )
    return rows


def _preview(attachment: NewAttachment | None) -> str:
    """A scan or a signature as a data URL for the screen (it lives only in the session)."""
    if attachment is None:
        return ""
    data = base64.b64encode(attachment.data).decode("ascii")
    return f"data:{attachment.media_type};base64,{data}"


def _offset(today: date, days: int | None) -> str:
    return date.fromordinal(today.toordinal() + days).isoformat() if days is not None else ""


def review_rows(service: Service, session: CitizenSession, strings: Strings) -> list[UiRow]:
    """What the citizen is about to send, in the order of the form."""
    language = session.language
    rows: list[UiRow] = []
    identity = session.identity
    if identity is not None:
        number = format_file_number(identity.file_number)
        if identity.method is IdentityMethod.CARD:
            number = f"{number} ({strings.text('review.from_card', language)})"
        if identity.display_name:
            rows.append(
                {"label": strings.text("review.identity", language), "value": identity.display_name}
            )
        rows.append({"label": strings.text("review.file_number", language), "value": number})
    for spec in service.fields:
        if not spec.shown(session.values):
            continue
        value = session.values.get(spec.id, "")
        shown = display_value(service, spec.id, value, strings, language)
        rows.append(
            {
                "label": spec.label(language),
                "value": shown or strings.text("review.not_given", language),
            }
        )
    return rows


def display_value(
    service: Service, field_id: str, value: str, strings: Strings, language: Language
) -> str:
    """A stored value as the citizen reads it (choice labels, long dates)."""
    if not value:
        return ""
    spec = service.field(field_id)
    if spec.kind is FieldKind.CHOICE:
        return next((c.label(language) for c in spec.choices if c.value == value), value)
    if spec.kind is FieldKind.DATE:
        return format_date(date.fromisoformat(value), language)
    if spec.kind is FieldKind.CONSENT:
        return "✓" if value == CONSENT_GIVEN else ""
    if spec.kind in (FieldKind.DOCUMENT, FieldKind.SIGNATURE):
        # The attachment's hash means nothing to a citizen: say what was given.
        return strings.text(f"review.{spec.kind.value}_given", language)
    return value
