"""Settings come from a TOML file and VG_BACKEND__ variables; mistakes name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import BackendConfigError, BackendSettings, load_settings


def test_defaults_put_sqlite_in_the_data_dir() -> None:
    settings = load_settings(environ={})

    assert settings == BackendSettings()
    assert settings.database_url == f"sqlite:///{Path('var/backend/backend.db')}"
    assert settings.max_request_bytes == 1_000_000


def test_the_file_is_read_and_relative_paths_follow_it(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "backend.toml"
    config.parent.mkdir()
    config.write_text('data_dir = "../data"\nmax_request_bytes = 2048\n')

    settings = load_settings(config, environ={})

    assert settings.data_dir == tmp_path / "etc" / ".." / "data"
    assert settings.database_url == f"sqlite:///{settings.data_dir / 'backend.db'}"
    assert settings.max_request_bytes == 2048


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "backend.toml"
    config.write_text("max_request_bytes = 2048\n")

    settings = load_settings(
        config,
        environ={
            "VG_BACKEND__MAX_REQUEST_BYTES": "4096",
            "VG_BACKEND__DATABASE_URL": "postgresql+psycopg://vg@db/vg",
            "UNRELATED": "ignored",
        },
    )

    assert settings.max_request_bytes == 4096
    assert settings.database_url == "postgresql+psycopg://vg@db/vg"


def test_a_bad_value_in_the_file_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "backend.toml"
    config.write_text("max_request_bytes = -5\n")

    with pytest.raises(BackendConfigError, match=r"'max_request_bytes'.*backend\.toml.*greater"):
        load_settings(config, environ={})


def test_a_bad_value_in_the_environment_names_the_variable() -> None:
    with pytest.raises(BackendConfigError, match="VG_BACKEND__MAX_REQUEST_BYTES"):
        load_settings(environ={"VG_BACKEND__MAX_REQUEST_BYTES": "lots"})


def test_an_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    config = tmp_path / "backend.toml"
    config.write_text('data_dri = "/srv"\n')

    with pytest.raises(BackendConfigError, match="'data_dri'"):
        load_settings(config, environ={})
    with pytest.raises(BackendConfigError, match="VG_BACKEND__PORTT"):
        load_settings(environ={"VG_BACKEND__PORTT": "1"})


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("data_dir = \n")

    with pytest.raises(BackendConfigError, match="not valid TOML"):
        load_settings(broken, environ={})
    with pytest.raises(BackendConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", environ={})
