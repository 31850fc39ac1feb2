"""Encryption at rest of what citizens submit: AES-256-GCM, keys in a 0600 file beside no data.

The outbox seals every payload and every attachment chunk before it touches
the database, so the database file alone (a backup, a support dump, a
recycled SD card, pages freed but not yet overwritten) reveals nothing
personal. The key lives in its own file, outside the database, readable by
its owner only; put it on other storage than the data (see docs/OPERATIONS.md).

The key file is text, one key per line, the newest first::

    # comments start with '#'
    k20250314a1b2c3 <32 random bytes, URL-safe base 64>
    k20240901d4e5f6 <an older key, still able to open what it sealed>

The first key seals new data; older keys only open data sealed before a
rotation. Every sealed value carries the id of its key, so the outbox re-seals
old data with the newest key when it opens, after which old keys can go.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offline_queue.errors import KeyFileError, OutboxError

logger = logging.getLogger(__name__)

KEY_BYTES = 32  # AES-256
# The standard GCM nonce, random per seal: far below the 2**32 seals per key at
# which random 96-bit nonces start to risk a collision.
NONCE_BYTES = 12
KEY_FILE_MODE = 0o600
KEY_ID_PATTERN = re.compile(r"^[a-z0-9]{4,32}$")
_HEADER = (
    "# visioguichet outbox keys, newest first: the first seals new data, the others only\n"
    "# open data sealed before a rotation. Never edit by hand; see docs/OPERATIONS.md.\n"
)


class SealError(OutboxError):
    """Sealed data failed authentication: wrong key, tampering, or a value moved to another row."""


def new_key_id() -> str:
    """A fresh key id: the date (for people reading the file) and random hex."""
    return "k" + time.strftime("%Y%m%d", time.gmtime()) + secrets.token_hex(3)


@dataclass(frozen=True)
class KeyRing:
    """The keys of one outbox; ``active_id`` seals, every key opens."""

    active_id: str
    keys: Mapping[str, bytes] = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise ValueError("the active key must be one of the keys")
        for key_id, key in self.keys.items():
            if not KEY_ID_PATTERN.fullmatch(key_id) or len(key) != KEY_BYTES:
                raise ValueError(f"malformed key {key_id!r}")
        ciphers = {key_id: AESGCM(key) for key_id, key in self.keys.items()}
        object.__setattr__(self, "_ciphers", ciphers)

    @classmethod
    def generate(cls) -> KeyRing:
        """A ring holding one new random key."""
        key_id = new_key_id()
        return cls(key_id, {key_id: secrets.token_bytes(KEY_BYTES)})

    def rotated(self) -> KeyRing:
        """A copy with a new active key in front of the existing ones."""
        key_id = new_key_id()
        while key_id in self.keys:
            key_id = new_key_id()
        return KeyRing(key_id, {key_id: secrets.token_bytes(KEY_BYTES), **self.keys})

    def without(self, retired: set[str]) -> KeyRing:
        """A copy without the ``retired`` keys (never the active one)."""
        if self.active_id in retired:
            raise ValueError("the active key cannot be retired")
        kept = {key_id: key for key_id, key in self.keys.items() if key_id not in retired}
        return KeyRing(self.active_id, kept)

    def seal(self, plaintext: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Encrypt with the active key; ``context`` binds the result to its place (row, chunk)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        cipher = self._ciphers[self.active_id]
        return self.active_id, nonce + cipher.encrypt(nonce, plaintext, context)

    def open(self, key_id: str, sealed: bytes, *, context: bytes) -> bytes:
        """Decrypt and authenticate; raises :class:`SealError` on any mismatch."""
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SealError(f"no key {key_id!r} in the key file")
        try:
            return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
        except (InvalidTag, ValueError):
            raise SealError("sealed data failed authentication") from None


def _parse(text: str, path: Path) -> KeyRing:
    entries: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            key_id, encoded = parts
            key = base64.urlsafe_b64decode(encoded.encode("ascii"))
        except (ValueError, binascii.Error, UnicodeEncodeError):
            raise KeyFileError(f"{path}: line {number} is not '<key id> <key>'") from None
        if not KEY_ID_PATTERN.fullmatch(key_id) or len(key) != KEY_BYTES or key_id in entries:
            raise KeyFileError(f"{path}: line {number} holds no valid {KEY_BYTES}-byte key")
        entries[key_id] = key
    if not entries:
        raise KeyFileError(f"{path}: no key in the file")
    return KeyRing(next(iter(entries)), entries)


def read_key_file(path: Path) -> KeyRing:
    """Read the key ring at ``path``; a file others can read is tightened to 0600 first."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            logger.warning("key file %s was mode %o: tightened to 600", path, mode)
            path.chmod(KEY_FILE_MODE)
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as err:
        raise KeyFileError(f"{path}: cannot read the key file ({err})") from err
    return _parse(text, path)


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Write ``ring`` to ``path`` (mode 0600 from the first byte), replacing it atomically."""
    lines = [_HEADER]
    for key_id in [ring.active_id, *(k for k in ring.keys if k != ring.active_id)]:
        encoded = base64.urlsafe_b64encode(ring.keys[key_id]).decode("ascii")
        lines.append(f"{key_id} {encoded}\n")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as err:
        raise KeyFileError(f"{path}: cannot write the key file ({err})") from err
    try:
        with os.fdopen(fd, "w", encoding="ascii") as stream:
            stream.write("".join(lines))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, KEY_FILE_MODE)
        os.replace(temp_name, path)
        _fsync_dir(path.parent)
    except OSError as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise KeyFileError(f"{path}: cannot write the key file ({err})") from err


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder itself is synced.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class LoadedKeys:
    """The key ring in use, and what had to be done to get it."""

    ring: KeyRing
    created: bool = False
    quarantined: Path | None = None  # an unreadable key file set aside


def load_or_create_keys(path: Path, *, stamp: str) -> LoadedKeys:
    """The key ring at ``path``; a new one if the file is missing or unreadable.

    An unreadable file is renamed ``<name>.corrupt-<stamp>`` rather than
    overwritten, and the kiosk goes on with a new key: items sealed with the
    lost key stay in the outbox, locked, until the file is restored (an
    alarm says so), instead of the kiosk refusing to start again and again.
    """
    try:
        return LoadedKeys(read_key_file(path))
    except FileNotFoundError:
        ring = KeyRing.generate()
        write_key_file(path, ring)
        logger.info("new outbox key file created at %s", path)
        return LoadedKeys(ring, created=True)
    except KeyFileError as err:
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            path.rename(aside)
        except OSError as rename_err:
            raise KeyFileError(f"{err}; and it cannot be set aside: {rename_err}") from err
        logger.critical("outbox key file unreadable (%s): set aside as %s", err, aside)
        ring = KeyRing.generate()
        write_key_file(path, ring)
        return LoadedKeys(ring, created=True, quarantined=aside)
