"""The outbox's own exceptions: sqlite3, OS and cryptography errors never leak upward."""

from __future__ import annotations


class OutboxError(Exception):
    """The outbox database could not do what was asked (disk, corruption, closed)."""


class InvalidItemError(OutboxError):
    """An item that could never be sent was refused before it was saved."""


class OutboxFullError(OutboxError):
    """No room left to save the item: the disk, or the outbox's size cap, is full.

    Nothing of the item was written. The kiosk tells the citizen, who can
    hand over to an agent; a technician frees space.
    """


class OutboxCorruptError(OutboxError):
    """The database file is damaged; the next start sets it aside and opens a fresh one."""


class KeyFileError(OutboxError):
    """The encryption key file cannot be read, written or understood."""
