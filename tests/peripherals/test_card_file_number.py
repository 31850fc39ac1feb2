"""File numbers typed at the kiosk: separators tolerated, typos caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peripherals.card import (
    SAMPLE_HOLDER,
    InvalidFileNumberError,
    format_file_number,
    is_valid_file_number,
    normalize_file_number,
)
from peripherals.card.file_number import luhn_check_digit

payloads = st.text(alphabet="0123456789", min_size=9, max_size=9)


@pytest.mark.parametrize(
    "typed",
    ["5831029474", "5831 0294 74", "583-102-9474", " 5831\u00a00294\u202f74 ", "5831–0294–74"],
)
def test_separators_are_ignored(typed: str) -> None:
    assert normalize_file_number(typed) == "5831029474"
    assert is_valid_file_number(typed)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("5831029475", "file_number.check_digit"),
        ("583102947", "file_number.length"),
        ("58310294740", "file_number.length"),
        ("", "file_number.length"),
        ("5831O29474", "file_number.characters"),
        ("٥٨٣١٠٢٩٤٧٤", "file_number.characters"),  # Arabic-Indic digits are not ASCII digits
        ("5831.0294.74", "file_number.characters"),
    ],
)
def test_invalid_numbers_say_why(typed: str, code: str) -> None:
    with pytest.raises(InvalidFileNumberError) as caught:
        normalize_file_number(typed)
    assert caught.value.code == code
    assert not is_valid_file_number(typed)


def test_display_groups_four_four_two() -> None:
    assert format_file_number("583-102-9474") == "5831 0294 74"


def test_display_refuses_an_invalid_number() -> None:
    with pytest.raises(InvalidFileNumberError):
        format_file_number("1234567890")


def test_the_sample_card_holder_has_a_valid_number() -> None:
    assert is_valid_file_number(SAMPLE_HOLDER.file_number)


def test_known_luhn_digit() -> None:
    assert luhn_check_digit("123456789") == "7"


@given(payloads)
def test_every_payload_with_its_check_digit_is_valid(payload: str) -> None:
    assert is_valid_file_number(payload + luhn_check_digit(payload))


@given(payloads, st.integers(0, 9), st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught(payload: str, position: int, shift: int) -> None:
    number = payload + luhn_check_digit(payload)
    wrong = str((int(number[position]) + shift) % 10)
    assert not is_valid_file_number(number[:position] + wrong + number[position + 1 :])


@given(payloads, st.integers(0, 8))
def test_swapping_two_neighbours_is_caught_except_09(payload: str, position: int) -> None:
    number = payload + luhn_check_digit(payload)
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2 :]
    if a == b or {a, b} == {"0", "9"}:  # Luhn's one known blind spot
        return
    assert not is_valid_file_number(swapped)
