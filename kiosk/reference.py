"""Reference numbers the citizen reads, writes down and quotes on the phone."""

from __future__ import annotations

import secrets

# Crockford base 32 leaves out I, L, O and U: nothing to confuse with 1, 0 or V.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUP = 4


def new_reference(prefix: str) -> str:
    """A new reference such as ``VG-7K3M-9QXT``: 40 random bits, readable aloud.

    Random rather than sequential so that references cannot be guessed from
    one another; the back end's unique key is the outbox idempotency key, not this.
    """
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(2 * _GROUP))
    return f"{prefix}-{chars[:_GROUP]}-{chars[_GROUP:]}"
