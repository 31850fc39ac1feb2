"""Form validation speaks the citizen's terms and hands the agency clean values."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.catalogue import FieldKind, FieldSpec, Localized, load_catalogue
from kiosk.config import DEFAULT_CATALOGUE
from kiosk.forms import check_field, check_form

TODAY = date(2026, 11, 22)
LABEL = Localized(fr="Champ", en="Field")


def spec(kind: FieldKind, **extra: object) -> FieldSpec:
    return FieldSpec.model_validate({"id": "f", "kind": kind, "label": LABEL, **extra})


@pytest.mark.parametrize(
    ("kind", "raw", "clean"),
    [
        (FieldKind.POSTAL_CODE, "h2x1y4", "H2X 1Y4"),
        (FieldKind.POSTAL_CODE, " H2X  1Y4 ", "H2X 1Y4"),
        (FieldKind.PHONE, "(514) 555-0123", "514 555-0123"),
        (FieldKind.PHONE, "1-514-555-0123", "514 555-0123"),
        (FieldKind.EMAIL, "nom@exemple.ca", "nom@exemple.ca"),
        (FieldKind.TEXT, "  125, rue des Érables ", "125, rue des Érables"),
        (FieldKind.DATE, "2026-12-01", "2026-12-01"),
    ],
)
def test_good_values_are_normalised(kind: FieldKind, raw: str, clean: str) -> None:
    assert check_field(spec(kind), raw, TODAY).value == clean
    assert check_field(spec(kind), raw, TODAY).error is None


@pytest.mark.parametrize(
    ("kind", "raw", "error"),
    [
        (FieldKind.POSTAL_CODE, "12345", "form.error.postal_code"),
        (FieldKind.POSTAL_CODE, "D2X 1Y4", "form.error.postal_code"),  # no D in Canadian codes
        (FieldKind.PHONE, "555-0123", "form.error.phone"),
        (FieldKind.EMAIL, "nom@", "form.error.email"),
        (FieldKind.DATE, "31/12/2026", "form.error.date"),
        (FieldKind.TEXT, "   ", "form.error.required"),
    ],
)
def test_bad_values_get_an_error_key(kind: FieldKind, raw: str, error: str) -> None:
    assert check_field(spec(kind), raw, TODAY).error == error


def test_optional_empty_field_is_fine() -> None:
    assert check_field(spec(FieldKind.EMAIL, required=False), "", TODAY).error is None


def test_dates_respect_the_allowed_window() -> None:
    window = spec(FieldKind.DATE, min_days_from_today=1, max_days_from_today=60)
    assert check_field(window, "2026-11-22", TODAY).error == "form.error.date_too_early"
    assert check_field(window, "2027-02-01", TODAY).error == "form.error.date_too_late"
    assert check_field(window, "2026-11-23", TODAY).error is None


def test_too_long_text_is_refused() -> None:
    assert check_field(spec(FieldKind.TEXT, max_length=5), "abcdef", TODAY).error == (
        "form.error.too_long"
    )


def test_whole_form_reports_every_missing_field() -> None:
    service = load_catalogue(DEFAULT_CATALOGUE).service("change-of-address")
    result = check_form(service, {"street": "125, rue des Érables"}, TODAY)
    assert not result.ok
    assert set(result.errors) == {"city", "postal_code", "moving_date"}  # apartment is optional


@given(st.text(max_size=300))
def test_any_text_gives_a_value_or_an_error_key_never_a_crash(raw: str) -> None:
    for kind in FieldKind:
        extra = {"choices": [{"value": "a", "label": LABEL}, {"value": "b", "label": LABEL}]}
        result = check_field(spec(kind, **(extra if kind is FieldKind.CHOICE else {})), raw, TODAY)
        assert result.error is None or result.error.startswith("form.error.")


def test_a_consent_is_given_only_by_yes() -> None:
    consent = spec(FieldKind.CONSENT)
    assert check_field(consent, "yes", TODAY).value == "yes"
    for refused in ("", "no", "oui", "YES "):
        assert check_field(consent, refused, TODAY).error == "form.error.consent"
    optional = spec(FieldKind.CONSENT, required=False)
    assert check_field(optional, "", TODAY) == check_field(optional, "maybe", TODAY)


def test_a_step_skipped_by_an_earlier_answer_is_neither_asked_nor_sent() -> None:
    copy = load_catalogue(DEFAULT_CATALOGUE).service("copy-of-record")
    by_mail = {"record_type": "tax-bill", "delivery": "mail", "email": "left@over.ca"}
    result = check_form(copy, by_mail, TODAY)
    assert result.ok
    assert "email" not in result.values  # typed before changing one's mind: not sent
    by_email = check_form(copy, by_mail | {"delivery": "email", "email": ""}, TODAY)
    assert by_email.errors == {"email": "form.error.required"}
