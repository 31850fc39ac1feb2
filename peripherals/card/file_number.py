"""Citizen file numbers: 10 digits, the last a Luhn check digit.

The check digit catches every single mistyped digit and most swaps of two
neighbours, so the kiosk can refuse a typo before the citizen goes further.
"""

from __future__ import annotations

import re

FILE_NUMBER_DIGITS = 10
# People copy numbers from letters and screens: spaces (incl. no-break ones) and
# any kind of dash are separators, never content.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_ASCII_DIGITS = re.compile(r"[0-9]*")


class InvalidFileNumberError(ValueError):
    """A typed file number is not valid; ``code`` says why, for the on-screen hint."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit of a string of ASCII digits."""
    if not _ASCII_DIGITS.fullmatch(payload):
        raise ValueError("the payload must be ASCII digits")
    total = 0
    # Doubling starts with the rightmost payload digit, next to the check digit.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit >= 5 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def normalize_file_number(text: str) -> str:
    """The canonical 10-digit form of a typed file number.

    Raises :class:`InvalidFileNumberError` with code ``file_number.characters``,
    ``file_number.length`` or ``file_number.check_digit``.
    """
    digits = _SEPARATORS.sub("", text)
    if not _ASCII_DIGITS.fullmatch(digits):
        raise InvalidFileNumberError("file_number.characters", "only digits are allowed")
    if len(digits) != FILE_NUMBER_DIGITS:
        raise InvalidFileNumberError(
            "file_number.length", f"expected {FILE_NUMBER_DIGITS} digits, got {len(digits)}"
        )
    if luhn_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidFileNumberError("file_number.check_digit", "the check digit does not match")
    return digits


def is_valid_file_number(text: str) -> bool:
    """Whether ``text`` is a valid file number, separators allowed."""
    try:
        normalize_file_number(text)
    except InvalidFileNumberError:
        return False
    return True


def format_file_number(text: str) -> str:
    """A valid file number grouped for reading aloud: ``"1234 5678 90"``."""
    digits = normalize_file_number(text)
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"
