"""The kiosk refuses a bad configuration and says which key is wrong."""

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file_use_simulated_devices() -> None:
    settings = load_settings(None, environ={})
    assert settings.devices.card_reader == "simulated"
    assert settings.devices.printer == "simulated"
    assert settings.kiosk.catalogue.is_file()


def test_relative_paths_are_taken_from_the_file_folder(tmp_path: Path) -> None:
    path = write(tmp_path, '[kiosk]\ndata_dir = "data"\n')
    settings = load_settings(path, environ={})
    assert settings.kiosk.data_dir == tmp_path / "data"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[backend]\nurl = "http://127.0.0.1:9000"\n')
    settings = load_settings(
        path,
        environ={"VG_KIOSK__BACKEND__URL": "http://127.0.0.1:9100", "VG_KIOSK__KIOSK__ID": "k-7"},
    )
    assert str(settings.backend.url).startswith("http://127.0.0.1:9100")
    assert settings.kiosk.id == "k-7"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            "[kiosk]\ninactivity_timeout_s = 2\n",
            "kiosk.inactivity_timeout_s",
            "greater than or equal",
        ),
        ('[backend]\nurl = "not a url"\n', "backend.url", "URL"),
        ('[devices]\nprinter = "laser"\n', "devices.printer", "simulated"),
        ('[kiosk]\nlanguage = "fr"\n', "kiosk.language", "unknown key"),
        (
            '[receipt]\ntracking_url = "https://x.org/no-placeholder"\n',
            "receipt.tracking_url",
            "pattern",
        ),
    ],
)
def test_invalid_values_name_the_key_and_the_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    message = str(caught.value)
    assert f"{key}:" in message
    assert problem in message
    assert "will not start" in message


def test_invalid_environment_value_is_named_too() -> None:
    with pytest.raises(ConfigError, match=r"backend\.sync_interval_s"):
        load_settings(None, environ={"VG_KIOSK__BACKEND__SYNC_INTERVAL_S": "soon"})


def test_broken_toml_is_reported_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(write(tmp_path, "[kiosk]\nid = \n"), environ={})


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_the_outbox_section_is_typed_and_its_paths_follow_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[outbox]\nkey_file = "secrets/outbox.key"\nretention_days = 2.5\nmax_size_mb = 500\n',
    )
    settings = load_settings(path, environ={})
    assert settings.outbox.key_file == tmp_path / "secrets" / "outbox.key"
    assert settings.outbox.retention_days == 2.5
    assert settings.outbox.max_size_mb == 500
    assert load_settings(None, environ={}).outbox.key_file is None  # beside the outbox


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[outbox]\nretention_days = -1\n", "outbox.retention_days"),
        ("[outbox]\nmax_size_mb = 0\n", "outbox.max_size_mb"),
        ("[outbox]\nkey = 'x'\n", "outbox.key"),
    ],
)
def test_a_bad_outbox_setting_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(write(tmp_path, text), environ={})
