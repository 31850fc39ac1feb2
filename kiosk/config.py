"""The kiosk's typed settings: one TOML file, overridable from the environment.

An invalid file stops the app before anything starts: a kiosk that runs half
configured (no back end, wrong printer) fails citizens silently, which is worse.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

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


class BackendSection(_Section):
    """Where and how the kiosk syncs its outbox."""

    url: HttpUrl = HttpUrl("http://127.0.0.1:8765")
    token_file: Path = Path("var/kiosk/kiosk.token")
    sync_interval_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0


class DevicesSection(_Section):
    """Which adapter serves each device port.

    Only simulators exist so far; the real pyscard and CUPS adapters arrive with
    the peripherals work, and will be selected here, never by code edits.
    """

    card_reader: Literal["simulated"] = "simulated"
    printer: Literal["simulated"] = "simulated"
    printer_spool_dir: Path = Path("var/kiosk/printed")
    printer_paper_sheets: Annotated[int, Field(ge=0)] | None = None


class ReceiptSection(_Section):
    """What the printed receipt points the citizen to."""

    tracking_url: Annotated[str, Field(pattern=r"^https?://\S+\{reference\}\S*$")] = (
        "https://services.example.org/suivi/{reference}"
    )


class KioskSettings(_Section):
    """All settings of one kiosk."""

    kiosk: KioskSection = KioskSection()
    backend: BackendSection = BackendSection()
    devices: DevicesSection = DevicesSection()
    receipt: ReceiptSection = ReceiptSection()

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
                "devices": self.devices.model_copy(
                    update={"printer_spool_dir": rel(self.devices.printer_spool_dir)}
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
