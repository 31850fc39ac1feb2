"""Secrets never reach a log: tokens, passwords, session cookies and PINs are masked.

Installed as the log record factory, so it applies to every logger and every
handler (uvicorn's, httpx's, ours) whatever configures them later: the message
is rendered once, masked, and stored already masked. Exception texts are
rendered and masked too. What is masked (docs/SECURITY.md):

- bearer tokens (``vg_...``) and console session cookies (``vga_...``) anywhere;
- the value after ``Bearer``, ``Authorization:``, ``Cookie:``, ``password``,
  ``passwd``, ``secret``, ``token``, ``pin``, ``credential`` (``=``/``:``).

Both the kiosk and the back end install it; the token format is shared (a
wire contract), so the patterns are too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[redacted]"
_PATTERNS = (
    # Our credentials, wherever they appear (URLs, reprs, headers).
    re.compile(r"\bvga?_[A-Za-z0-9_-]{8,}"),
    # "Bearer <x>", "Authorization: <x>", "Cookie: <x>".
    re.compile(r"(?i)(\bbearer\s+)[^\s'\",;]+"),
    re.compile(r"(?i)(\b(?:authorization|cookie|set-cookie)\b['\"]?\s*[:=]\s*['\"]?)[^'\"\n]+"),
    # key=value and "key": "value" for secret-sounding keys.
    re.compile(
        r"(?i)(\b(?:password|passwd|secret|token|pin|credential)s?\b['\"]?\s*[:=]\s*['\"]?)"
        r"[^\s'\",;&}]+"
    ),
)


def redact(text: str) -> str:
    """``text`` with every secret-looking part replaced by :data:`MASK`."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record (for a handler the factory does not reach, e.g. in tests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record, with its message masked."""
        _mask(record)
        return True


def _mask_value(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


def _mask(record: logging.LogRecord) -> None:
    if getattr(record, "vg_redacted", False):
        return
    # Arguments masked one by one first: formatters that read them (uvicorn's access
    # log takes its five apart) keep working.
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_value(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _mask_value(arg) for key, arg in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: the handler reports it; nothing to mask
        message = ""
    masked = redact(message)
    if masked != message:
        # A secret split between the format and its arguments ("password %s"): the
        # whole line is kept rendered and masked.
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    record.vg_redacted = True


def install_redaction() -> None:
    """Mask secrets in every log record created from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "vg_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask(record)
        return record

    factory.vg_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
