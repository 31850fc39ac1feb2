"""The kiosk's typed settings: one TOML file, overridable from the environment.

An invalid file stops the app before anything starts: a kiosk that runs half
configured (no back end, wrong printer) fails citizens silently, which is worse.
"""

from __future__ import annotations

import os
import ssl
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)

from kiosk.maintenance.pin import PinHashError, check_pin_hash
from offline_queue.tls import client_context, parse_pin, require_secure_url

ENV_PREFIX = "VG_KIOSK__"
DEFAULT_CATALOGUE = Path(__file__).parent / "data" / "catalogue.toml"


class ConfigError(Exception):
    """The configuration cannot be used; the message names each key and its problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskSection(_Section):
    """Identity and behaviour of this kiosk."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = "demo-kiosk"
    site_name: str = "Service Centre"
    data_dir: Path = Path("var/kiosk")
    catalogue: Path = DEFAULT_CATALOGUE
    default_language: Literal["fr", "en"] = "fr"
    # A citizen who walks away must not leave their data on screen for long.
    inactivity_timeout_s: Annotated[float, Field(ge=10, le=600)] = 90.0
    # Long enough to read "are you still there?" and touch the screen.
    inactivity_countdown_s: Annotated[float, Field(ge=5, le=120)] = 20.0
    thank_you_s: Annotated[float, Field(ge=2, le=120)] = 12.0
    reference_prefix: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,8}$")] = "VG"
    fullscreen: bool = True
    # Qt TextToSpeech engine for read-aloud: "speechd" (speech-dispatcher with
    # espeak-ng on the appliance), "mock" (tests), "none". Without a voice the
    # read-aloud button is not shown.
    speech_engine: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")] = "speechd"


class BackendSection(_Section):
    """Where and how the kiosk syncs its outbox."""

    url: HttpUrl = HttpUrl("http://127.0.0.1:8765")
    token_file: Path = Path("var/kiosk/kiosk.token")
    sync_interval_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    # Heartbeats to the fleet view; the back end's reply may ask for another pace.
    heartbeat_interval_s: Annotated[float, Field(ge=1, le=600)] = 10.0
    # The back end's public key pins (base-64 SHA-256 of its SubjectPublicKeyInfo, as
    # `kiosk-backend tls-pin` prints; two during a key change). With pins the CA is not
    # trusted: only these keys are (offline_queue/tls.py, docs/SECURITY.md).
    tls_pin_sha256: Annotated[list[str], Field(max_length=8)] = []
    # A private CA to trust instead of the system's (without pins).
    tls_ca_file: Path | None = None

    @field_validator("tls_pin_sha256", mode="before")
    @classmethod
    def _one_pin_is_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("tls_pin_sha256")
    @classmethod
    def _pins_are_pins(cls, value: list[str]) -> list[str]:
        for pin in value:
            parse_pin(pin)  # its ValueError names the problem
        return value

    @field_validator("url")
    @classmethod
    def _tls_beyond_loopback(cls, value: HttpUrl) -> HttpUrl:
        require_secure_url(str(value))
        return value

    def ssl_context(self) -> ssl.SSLContext | None:
        """The SSL context for an https back end (pinned if pins are set), None for http."""
        # str(): a copy made with model_copy(update=...) (the demo) may hold a plain string.
        if not str(self.url).lower().startswith("https://"):
            return None
        ca_file = None if self.tls_ca_file is None else str(self.tls_ca_file)
        return client_context(self.tls_pin_sha256, ca_file=ca_file)


class OutboxSection(_Section):
    """Where the outbox keeps its encryption key, and how long it keeps what was sent."""

    # The AES key sealing payloads and attachments (0600, created at first start).
    # Default: <kiosk.data_dir>/outbox.key; better on other storage than the data.
    key_file: Path | None = None
    # Acknowledged items (already without payload) are purged after this long.
    retention_days: Annotated[float, Field(ge=0, le=365)] = 7.0
    # A cap below the disk's size keeps room for the system when the back end is
    # gone for weeks; past it the kiosk refuses new transactions and says so.
    max_size_mb: Annotated[float, Field(gt=0)] | None = None


class DevicesSection(_Section):
    """Which adapter serves each device port, selected here, never by code edits.

    Printer: ``simulated`` (spool folder), ``cups`` (a named CUPS queue; with
    ``printer_cups_pdf_dir`` for a cups-pdf queue, whose output is then checked)
    or ``escpos`` (a network receipt printer, raw TCP).
    """

    card_reader: Literal["simulated", "pcsc"] = "simulated"
    # With pcsc: the reader whose name starts with this (None: the first reader found).
    card_reader_name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    printer: Literal["simulated", "cups", "escpos"] = "simulated"
    printer_spool_dir: Path = Path("var/kiosk/printed")
    printer_paper_sheets: Annotated[int, Field(ge=0)] | None = None
    # Past this the citizen is told the receipt failed (and the job is cancelled).
    printer_timeout_s: Annotated[float, Field(ge=1, le=300)] = 30.0
    # CUPS queue names: printable characters except space, "/", "#" and "\".
    printer_cups_queue: Annotated[str, Field(pattern=r"^[^\s/#\\]{1,127}$")] | None = None
    printer_cups_server: Annotated[str, Field(min_length=1)] | None = None  # host:port or socket
    printer_cups_pdf_dir: Path | None = None
    printer_escpos_host: Annotated[str, Field(min_length=1)] | None = None
    printer_escpos_port: Annotated[int, Field(ge=1, le=65535)] = 9100
    printer_escpos_profile: Annotated[str, Field(min_length=1)] = "TM-T20II"
    # The document camera the agent captures through: the simulator (a synthetic desk,
    # with a sample page laid in the demo) or a V4L2 camera by index (0: /dev/video0).
    document_camera: Literal["simulated", "v4l2"] = "simulated"
    document_camera_index: Annotated[int, Field(ge=0, le=63)] = 0
    # The frame size asked of the document camera. Unset: 4K for a V4L2 camera (it may
    # settle lower), and a cheaper 1280x960 for the simulator in the demo.
    document_camera_width: Annotated[int, Field(ge=320, le=7680)] | None = None
    document_camera_height: Annotated[int, Field(ge=240, le=4320)] | None = None

    @model_validator(mode="after")
    def _printer_settings_complete(self) -> DevicesSection:
        if self.printer == "cups" and self.printer_cups_queue is None:
            raise ValueError('printer_cups_queue is required when printer = "cups"')
        if self.printer == "escpos" and self.printer_escpos_host is None:
            raise ValueError('printer_escpos_host is required when printer = "escpos"')
        if (self.document_camera_width is None) != (self.document_camera_height is None):
            raise ValueError("document_camera_width and document_camera_height go together")
        return self

    @property
    def document_camera_size(self) -> tuple[int, int] | None:
        """The configured (width, height) of the document camera, if any."""
        if self.document_camera_width is None or self.document_camera_height is None:
            return None
        return (self.document_camera_width, self.document_camera_height)


class ReceiptSection(_Section):
    """What the printed receipt points the citizen to."""

    tracking_url: Annotated[str, Field(pattern=r"^https?://\S+\{reference\}\S*$")] = (
        "https://services.example.org/suivi/{reference}"
    )


class IceServerEntry(_Section):
    """One STUN or TURN server, as in the WebRTC ``RTCIceServer`` dictionary."""

    urls: Annotated[
        list[Annotated[str, Field(pattern=r"^(stun|turn|turns):\S+$")]], Field(min_length=1)
    ]
    username: str | None = None
    credential: str | None = None


class VideoSection(_Section):
    """The video counter. Off: "talk to a person" says where the desk and phone line are."""

    enabled: bool = False
    # The hub's WebSocket; None: the back end's URL with ws(s):// and /ws/kiosk.
    hub_url: Annotated[str, Field(pattern=r"^wss?://\S+$")] | None = None

    @field_validator("hub_url")
    @classmethod
    def _wss_beyond_loopback(cls, value: str | None) -> str | None:
        return None if value is None else require_secure_url(value)

    # coturn for deployments: a kiosk behind a strict firewall reaches agents only via TURN.
    ice_servers: list[IceServerEntry] = []
    relay_only: bool = False
    # "synthetic" (demo, tests), a camera index such as "0", or a video file.
    face_camera: Annotated[str, Field(min_length=1)] = "synthetic"
    # "system": the default audio input and output (silence when there is none);
    # "tone": a quiet test tone, no speaker (benchmarks, headless tests).
    audio: Literal["system", "tone"] = "system"
    # 1280x720 at 30 fps on a PC; 960x540 or 640x480 suit a Raspberry Pi's software encoder.
    width: Annotated[int, Field(ge=160, le=1920)] = 1280
    height: Annotated[int, Field(ge=120, le=1080)] = 720
    fps: Annotated[int, Field(ge=5, le=30)] = 30

    def hub_for(self, backend_url: str) -> str:
        """Where the kiosk's call signalling goes."""
        if self.hub_url is not None:
            return self.hub_url
        scheme, rest = backend_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}/ws/kiosk"


class AnalyticsSection(_Section):
    """The service figures sent to the back end (codes only, see kiosk/service_events.py)."""

    # Seconds between two sends; events wait in the kiosk's log meanwhile.
    send_interval_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    # The deployment's secret for the keyed hash of file numbers (repeat contacts), the
    # same on every kiosk of the agency and never on the back end. Unset: no repeat counts.
    file_hash_key_file: Path | None = None


class MaintenanceSection(_Section):
    """How a technician gets into maintenance mode, and how long it stays open unattended.

    ``pin_hash`` is the argon2 hash ``python -m kiosk.maintenance.pin`` prints,
    never the PIN itself; without it the PIN pad says entry by PIN is disabled.
    ``technician_cards`` are the UIDs (hex) of the technicians' smart cards.
    """

    pin_hash: str | None = None
    technician_cards: list[Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8,20}$")]] = []
    # A technician who walks away must not leave the kiosk's controls open for long.
    inactivity_timeout_s: Annotated[float, Field(ge=30, le=1800)] = 120.0

    @field_validator("pin_hash")
    @classmethod
    def _pin_hash_is_argon2(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            check_pin_hash(value)
        except PinHashError as err:
            raise ValueError(str(err)) from err
        return value

    @field_validator("technician_cards")
    @classmethod
    def _cards_lowercase(cls, value: list[str]) -> list[str]:
        return [uid.lower() for uid in value]


class KioskSettings(_Section):
    """All settings of one kiosk."""

    kiosk: KioskSection = KioskSection()
    backend: BackendSection = BackendSection()
    outbox: OutboxSection = OutboxSection()
    devices: DevicesSection = DevicesSection()
    receipt: ReceiptSection = ReceiptSection()
    video: VideoSection = VideoSection()
    analytics: AnalyticsSection = AnalyticsSection()
    maintenance: MaintenanceSection = MaintenanceSection()

    def resolve_paths(self, base: Path) -> KioskSettings:
        """Return a copy with relative paths taken from ``base`` (the config file's folder)."""

        def rel(p: Path) -> Path:
            return p if p.is_absolute() else (base / p).resolve()

        return self.model_copy(
            update={
                "kiosk": self.kiosk.model_copy(
                    update={
                        "data_dir": rel(self.kiosk.data_dir),
                        "catalogue": rel(self.kiosk.catalogue),
                    }
                ),
                "backend": self.backend.model_copy(
                    update={"token_file": rel(self.backend.token_file)}
                ),
                "outbox": self.outbox.model_copy(
                    update={"key_file": rel(self.outbox.key_file) if self.outbox.key_file else None}
                ),
                "analytics": self.analytics.model_copy(
                    update={
                        "file_hash_key_file": (
                            None
                            if self.analytics.file_hash_key_file is None
                            else rel(self.analytics.file_hash_key_file)
                        )
                    }
                ),
                "devices": self.devices.model_copy(
                    update={
                        "printer_spool_dir": rel(self.devices.printer_spool_dir),
                        "printer_cups_pdf_dir": (
                            None
                            if self.devices.printer_cups_pdf_dir is None
                            else rel(self.devices.printer_cups_pdf_dir)
                        ),
                    }
                ),
            }
        )


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> KioskSettings:
    """Load settings from ``path`` (or defaults), apply ``VG_KIOSK__SECTION__KEY`` overrides.

    Raises :class:`ConfigError` naming every bad key.
    """
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigError(
                f"{path}: cannot read the configuration file ({err.strerror})"
            ) from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: not valid TOML ({err})") from err
        base = path.parent
    _apply_env_overrides(raw, env)
    try:
        settings = KioskSettings.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_describe(err, path)) from err
    return settings.resolve_paths(base)


def _apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """Environment wins over the file, so one image can serve many kiosks."""
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = name.removeprefix(ENV_PREFIX).lower().split("__")
        node = raw
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: '{key}' is not a section")
            node = child
        node[keys[-1]] = value


def _describe(err: ValidationError, path: Path | None) -> str:
    source = str(path) if path is not None else "configuration"
    lines = [f"{source}: invalid configuration, the kiosk will not start:"]
    for problem in err.errors():
        key = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check its spelling and section)"
        lines.append(f"  - {key}: {message}")
    return "\n".join(lines)
