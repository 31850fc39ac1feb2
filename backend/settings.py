"""Settings of the back end: an optional TOML file, overridden by environment variables.

Precedence, lowest first: defaults, the TOML file (top-level keys), then
``VG_BACKEND__<KEY>`` environment variables (``VG_BACKEND__DATA_DIR=/srv/vg``).
Relative paths in the file are relative to the file's folder, so a config
file can travel with its data.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PREFIX = "VG_BACKEND__"
DEFAULT_DATA_DIR = Path("var/backend")
DEFAULT_MAX_REQUEST_BYTES = 1_000_000
DEFAULT_QUEUES_FILE = Path(__file__).parent / "data" / "queues.toml"
DEFAULT_TIME_ZONE = "America/Toronto"


class BackendConfigError(Exception):
    """The configuration cannot be used; the message names the key and the problem."""


class IceServerSettings(BaseModel):
    """A STUN or TURN server handed to agent consoles (the WebRTC ``RTCIceServer`` shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: list[str] = Field(min_length=1, max_length=8)
    username: str | None = None
    credential: str | None = None

    @field_validator("urls", mode="before")
    @classmethod
    def _one_url_is_a_list(cls, value: object) -> object:
        # WebRTC accepts a single URL string as well as a list: so does the file.
        return [value] if isinstance(value, str) else value


class CallSettings(BaseModel):
    """The video counter: skill queues, routing timers and ICE servers (``[calls]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    queues_file: Path = Field(
        default=DEFAULT_QUEUES_FILE, description="TOML file of the skill queues."
    )
    no_answer_timeout_s: int = Field(
        default=20, ge=5, le=300, description="An offer unanswered this long goes back."
    )
    wrap_up_s: int = Field(
        default=30, ge=0, le=3_600, description="After a call, before the next offer."
    )
    max_wait_s: int = Field(
        default=900, ge=0, le=86_400, description="Above this estimate, offer a callback."
    )
    default_handle_s: int = Field(
        default=300, ge=1, le=7_200, description="Talk time assumed without recent history."
    )
    agent_grace_s: float = Field(
        default=10.0, ge=0, le=300, description="How long a lost console may take to return."
    )
    session_ttl_s: int = Field(
        default=12 * 3_600, ge=60, le=7 * 86_400, description="Console session lifetime."
    )
    time_zone: str = Field(
        default=DEFAULT_TIME_ZONE, description="Default zone of the queues' opening hours."
    )
    ice_servers: list[IceServerSettings] = Field(default_factory=list, max_length=8)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class FleetSettings(BaseModel):
    """The fleet view: how often kiosks report, and when a report raises an alert (``[fleet]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    heartbeat_interval_s: float = Field(
        default=10.0, ge=1, le=600, description="How often kiosks are told to send a heartbeat."
    )
    silent_after_s: float = Field(
        default=60.0,
        ge=5,
        le=86_400,
        description="A kiosk unheard of this long is offline, with a 'silent' alert.",
    )
    backlog_max_age_s: float = Field(
        default=1_800.0,
        ge=60,
        le=7 * 86_400,
        description="An outbox item older than this on a kiosk raises 'backlog_stale'.",
    )
    sweep_interval_s: float = Field(
        default=15.0, ge=1, le=3_600, description="How often alerts are evaluated unasked."
    )
    write_window_s: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Heartbeats arriving within this window are stored in one transaction.",
    )
    command_ttl_s: float = Field(
        default=3_600.0,
        ge=60,
        le=7 * 86_400,
        description="A command unacknowledged this long fails as expired.",
    )

    @model_validator(mode="after")
    def _silence_outlasts_heartbeats(self) -> FleetSettings:
        if self.silent_after_s < 2 * self.heartbeat_interval_s:
            # One late heartbeat must not page a technician.
            raise ValueError("silent_after_s must be at least twice heartbeat_interval_s")
        return self


class BackendSettings(BaseModel):
    """Everything the back end needs to start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR, description="Folder for the embedded SQLite database."
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; defaults to sqlite:///<data_dir>/backend.db.",
    )
    max_request_bytes: int = Field(
        default=DEFAULT_MAX_REQUEST_BYTES,
        gt=0,
        le=100_000_000,
        description="Largest request body accepted; larger ones get HTTP 413.",
    )
    calls: CallSettings = Field(default_factory=CallSettings, description="The video counter.")
    fleet: FleetSettings = Field(default_factory=FleetSettings, description="The fleet view.")

    @model_validator(mode="after")
    def _default_database_url(self) -> BackendSettings:
        if not self.database_url:
            # Frozen model: the default depends on data_dir, so it is filled in once here.
            url = f"sqlite:///{self.data_dir / 'backend.db'}"
            object.__setattr__(self, "database_url", url)
        return self


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            values = tomllib.load(stream)
    except FileNotFoundError:
        raise BackendConfigError(f"config file {path} does not exist") from None
    except OSError as err:
        raise BackendConfigError(f"config file {path} cannot be read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise BackendConfigError(f"config file {path} is not valid TOML: {err}") from None
    data_dir = values.get("data_dir")
    if isinstance(data_dir, str) and not Path(data_dir).is_absolute():
        values["data_dir"] = str(path.parent / data_dir)
    calls = values.get("calls")
    if isinstance(calls, dict):
        queues_file = calls.get("queues_file")
        if isinstance(queues_file, str) and not Path(queues_file).is_absolute():
            calls["queues_file"] = str(path.parent / queues_file)
    return values


def _read_env(environ: Mapping[str, str]) -> dict[str, str]:
    known = set(BackendSettings.model_fields)
    values: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name.removeprefix(ENV_PREFIX).lower()
        if key not in known:
            # A typo in an override must not be silently ignored.
            raise BackendConfigError(f"{name}: unknown setting {key!r}")
        values[key] = value
    return values


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> BackendSettings:
    """Read the settings from ``config_file`` (optional) and the environment.

    Raises :class:`BackendConfigError` naming the faulty key and its source.
    """
    from_file = _read_toml(config_file) if config_file is not None else {}
    from_env = _read_env(os.environ if environ is None else environ)
    try:
        return BackendSettings.model_validate({**from_file, **from_env})
    except ValidationError as err:
        problems = []
        for error in err.errors():
            key = ".".join(str(part) for part in error["loc"]) or "settings"
            top = str(error["loc"][0]) if error["loc"] else ""
            if top in from_env:
                source = f"environment variable {ENV_PREFIX}{top.upper()}"
            elif config_file is not None:
                source = f"config file {config_file}"
            else:
                source = "defaults"
            problems.append(f"setting {key!r} ({source}): {error['msg']}")
        raise BackendConfigError("; ".join(problems)) from None
