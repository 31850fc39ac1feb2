"""Validation of a service's form, field by field, in the citizen's terms.

Errors are text-catalogue keys (``form.error.*``) so the UI shows them in the
citizen's language; values are normalised (trimmed, upper-cased postal code)
so the agency receives clean data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from kiosk.catalogue import FieldKind, FieldSpec, Service

_POSTAL_CODE = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]) ?(\d[ABCEGHJ-NPRSTV-Z]\d)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_DIGITS = 10
CONSENT_GIVEN = "yes"
# A scanned page is named in the form by its attachment's hash: the agency ties the two.
_DOCUMENT_REF = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class FieldCheck:
    """The outcome of checking one value: the clean value, or an error key."""

    value: str
    error: str | None = None


def check_field(spec: FieldSpec, raw: str, today: date) -> FieldCheck:
    """Check and normalise one field's value."""
    value = " ".join(raw.split()) if spec.kind is not FieldKind.TEXT else raw.strip()
    if spec.kind is FieldKind.CONSENT:
        return _check_consent(spec, value)
    if not value:
        # A missing scan or signature says what to do, not only that it is missing.
        wanting = spec.kind in (FieldKind.DOCUMENT, FieldKind.SIGNATURE)
        missing = f"form.error.{spec.kind.value}" if wanting else "form.error.required"
        return FieldCheck("", missing if spec.required else None)
    if len(value) > spec.max_length:
        return FieldCheck(value, "form.error.too_long")
    match spec.kind:
        case FieldKind.POSTAL_CODE:
            return _check_postal_code(value)
        case FieldKind.PHONE:
            return _check_phone(value)
        case FieldKind.EMAIL:
            return FieldCheck(value, None if _EMAIL.match(value) else "form.error.email")
        case FieldKind.DATE:
            return _check_date(spec, value, today)
        case FieldKind.CHOICE:
            known = any(choice.value == value for choice in spec.choices)
            return FieldCheck(value, None if known else "form.error.choice")
        case FieldKind.DOCUMENT | FieldKind.SIGNATURE:
            ok = _DOCUMENT_REF.match(value)
            return FieldCheck(value, None if ok else f"form.error.{spec.kind.value}")
        case FieldKind.TEXT | FieldKind.CONSENT:  # a consent was handled above
            return FieldCheck(value)


def _check_postal_code(value: str) -> FieldCheck:
    found = _POSTAL_CODE.match(value.upper())
    if not found:
        return FieldCheck(value, "form.error.postal_code")
    return FieldCheck(f"{found.group(1)} {found.group(2)}")


def _check_phone(value: str) -> FieldCheck:
    digits = re.sub(r"\D", "", value)
    if len(digits) == _PHONE_DIGITS + 1 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != _PHONE_DIGITS:
        return FieldCheck(value, "form.error.phone")
    return FieldCheck(f"{digits[:3]} {digits[3:6]}-{digits[6:]}")


def _check_consent(spec: FieldSpec, value: str) -> FieldCheck:
    # Only "yes" means yes; anything else is as if the box were left empty.
    given = value == CONSENT_GIVEN
    if not given and spec.required:
        return FieldCheck("", "form.error.consent")
    return FieldCheck(CONSENT_GIVEN if given else "")


def _check_date(spec: FieldSpec, value: str, today: date) -> FieldCheck:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return FieldCheck(value, "form.error.date")
    if spec.min_days_from_today is not None and day < today + timedelta(
        days=spec.min_days_from_today
    ):
        return FieldCheck(value, "form.error.date_too_early")
    if spec.max_days_from_today is not None and day > today + timedelta(
        days=spec.max_days_from_today
    ):
        return FieldCheck(value, "form.error.date_too_late")
    return FieldCheck(day.isoformat())


@dataclass(frozen=True)
class FormCheck:
    """The outcome of checking a whole form."""

    values: dict[str, str]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when every field is acceptable."""
        return not self.errors


def check_form(service: Service, raw: Mapping[str, str], today: date) -> FormCheck:
    """Check every field of ``service``'s form; unknown keys in ``raw`` are ignored."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in service.fields:
        if not spec.shown(values):
            continue  # a step the citizen's earlier answers skipped: not asked, not sent
        result = check_field(spec, raw.get(spec.id, ""), today)
        if result.value:
            values[spec.id] = result.value
        if result.error:
            errors[spec.id] = result.error
    return FormCheck(values, errors)
