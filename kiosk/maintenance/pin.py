"""The technician PIN: argon2id-hashed in the configuration, never stored in clear.

``python -m kiosk.maintenance.pin`` asks for a PIN twice and prints the line to
put under ``[maintenance]`` in the kiosk's settings.
"""

from __future__ import annotations

import getpass
import sys

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PIN_DIGITS = 6  # a 4-digit PIN falls to 10 000 guesses; the lockout makes 6 ample
MAX_PIN_DIGITS = 12  # what the keypad lets a technician type
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


class PinHashError(ValueError):
    """The configured hash is not an argon2 hash this kiosk can check a PIN against."""


class PinFormatError(ValueError):
    """A PIN that is not 6 to 12 digits (refused before any hashing)."""


def check_pin_format(pin: str) -> None:
    """Raise :class:`PinFormatError` unless ``pin`` is 6 to 12 ASCII digits."""
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        raise PinFormatError(f"a technician PIN has {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")


def check_pin_hash(encoded: str) -> None:
    """Raise :class:`PinHashError` naming the problem unless ``encoded`` is an argon2 hash."""
    if not encoded.startswith("$argon2"):
        raise PinHashError(
            "pin_hash must be an argon2 hash starting with '$argon2' "
            "(make one with `python -m kiosk.maintenance.pin`), not the PIN itself"
        )
    try:
        extract_parameters(encoded)
    except InvalidHashError as err:
        raise PinHashError(
            "pin_hash is not a well-formed argon2 hash (truncated or mistyped?); "
            "make a new one with `python -m kiosk.maintenance.pin`"
        ) from err


def hash_pin(pin: str) -> str:
    """The argon2id hash of ``pin`` (with its salt and parameters)."""
    check_pin_format(pin)
    return _hasher.hash(pin)


def pin_matches(encoded: str, pin: str) -> bool:
    """Whether ``pin`` is the one ``encoded`` was made from (a slow, memory-hard check)."""
    if len(pin) > MAX_PIN_DIGITS:
        return False
    try:
        return _hasher.verify(encoded, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def main(argv: list[str] | None = None) -> int:
    """Ask for a PIN twice (not echoed) and print the configuration line with its hash."""
    del argv  # no options: the PIN is never taken from the command line (shell history)
    pin = getpass.getpass("Technician PIN (6 to 12 digits): ")
    try:
        check_pin_format(pin)
    except PinFormatError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2
    if getpass.getpass("Same PIN again: ") != pin:
        print("refused: the two PINs differ", file=sys.stderr)
        return 2
    print("# under [maintenance] in the kiosk's settings:")
    print(f'pin_hash = "{hash_pin(pin)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
