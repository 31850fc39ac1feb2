"""The technician starts from deploy/raspberrypi/kiosk.example.toml: it must be valid as is."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import load_settings

EXAMPLE = Path(__file__).parents[2] / "deploy" / "raspberrypi" / "kiosk.example.toml"


def test_the_example_configuration_is_valid_and_fits_the_unit() -> None:
    settings = load_settings(EXAMPLE, environ={})
    # The kiosk unit lets it write under /var/lib/visioguichet only (install.sh checks too).
    assert settings.kiosk.data_dir == Path("/var/lib/visioguichet")
    assert settings.backend.token_file == Path("/etc/visioguichet/kiosk.token")
    # install.sh makes this key: the kiosk may not write to /etc under the unit.
    assert settings.outbox.key_file == Path("/etc/visioguichet/outbox.key")
    assert settings.devices.card_reader == "pcsc"
