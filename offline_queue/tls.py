"""TLS to the back end, with its public key pinned: one SSL context for httpx and websockets.

A pin is the SHA-256 of the server certificate's SubjectPublicKeyInfo (its
public key with the algorithm), written in base 64 as in HPKP (RFC 7469,
``pin-sha256``); 64 hexadecimal digits are accepted too. Pinning the key
rather than the certificate lets the certificate be renewed on the same key;
a list of pins lets the next key be deployed to the kiosks before the server
changes to it. ``kiosk-backend tls-pin cert.pem`` prints a certificate's pin.

With pins, the chain of trust is not consulted (a self-signed certificate is
fine, and a rogue certificate from a trusted CA is not): the handshake fails
unless the server's key is one of the pins. The check runs inside the TLS
handshake, in :class:`PinnedSSLObject`, before a single byte of HTTP (and so
before the bearer token) is sent. Both httpx (through anyio) and websockets
(through asyncio's SSL protocol) drive TLS with ``SSLContext.wrap_bio``, so
the context's ``sslobject_class`` sees every handshake either makes. Without
pins the system's CAs and the host name are checked as usual.

The back end reuses :func:`certificate_pin`, so both sides compute the same pin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PIN_BYTES = 32
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class PinMismatchError(ssl.SSLCertVerificationError):
    """The server's key is none of the pinned ones (a hostile network, or a key change)."""


def spki_pin(der_certificate: bytes) -> str:
    """The base-64 SHA-256 of a DER certificate's SubjectPublicKeyInfo."""
    certificate = x509.load_der_x509_certificate(der_certificate)
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def certificate_pin(pem: bytes) -> str:
    """The pin of the first certificate of a PEM file (the server's own, in a chain)."""
    certificate = x509.load_pem_x509_certificate(pem)
    return spki_pin(certificate.public_bytes(Encoding.DER))


def parse_pin(text: str) -> bytes:
    """The 32 bytes of a pin in base 64 (44 characters) or hex (64); ValueError otherwise."""
    cleaned = text.strip()
    if cleaned.startswith("sha256/"):
        cleaned = cleaned[len("sha256/") :]
    try:
        if len(cleaned) == 2 * PIN_BYTES:
            raw = bytes.fromhex(cleaned)
        else:
            raw = base64.b64decode(cleaned, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError(
            f"not a pin: {cleaned[:12]!r}...: give the base-64 (or hex) SHA-256 of the"
            " server key, as printed by `kiosk-backend tls-pin cert.pem`"
        ) from None
    if len(raw) != PIN_BYTES:
        raise ValueError(f"a pin is a SHA-256 ({PIN_BYTES} bytes), got {len(raw)} bytes")
    return raw


class PinnedSSLObject(ssl.SSLObject):
    """An SSL object whose handshake also checks the server key against the context's pins."""

    def do_handshake(self) -> None:
        """Finish the handshake, then refuse a server whose key is not pinned."""
        super().do_handshake()
        pins: frozenset[bytes] = getattr(self.context, "vg_pins", frozenset())
        if not pins:
            return
        der = self.getpeercert(binary_form=True)
        if der is None:
            raise PinMismatchError("the back end presented no certificate")
        seen = base64.b64decode(spki_pin(der))
        if seen not in pins:
            raise PinMismatchError(
                "the back end's key does not match backend.tls_pin_sha256 (its pin is"
                f" {spki_pin(der)}): refused before sending anything"
            )


def client_context(pins: Iterable[str] = (), *, ca_file: str | None = None) -> ssl.SSLContext:
    """The kiosk's SSL context for the back end: pinned if ``pins``, else the usual CA check."""
    parsed = frozenset(parse_pin(pin) for pin in pins)
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if parsed:
        # The pin replaces the CA and name checks: it names the one key to trust.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.vg_pins = parsed  # type: ignore[attr-defined]
    context.sslobject_class = PinnedSSLObject
    return context


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """True if ``url`` names a loopback host."""
    return is_loopback_host(urlsplit(url).hostname or "")


def require_secure_url(url: str) -> str:
    """``url`` if it is https/wss or reaches loopback; ValueError explaining why not otherwise."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("https", "wss") or is_loopback_url(url):
        return url
    raise ValueError(
        f"{url} sends the kiosk's token in clear over the network: use https:// (wss://)"
        " for a back end that is not on this machine"
    )
