"""The queue file: the shipped default loads, and a bad file is refused with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.app import create_app
from backend.cli import main as backend_cli
from backend.routing import QueueFileError, load_queues
from backend.settings import DEFAULT_QUEUES_FILE, BackendSettings, CallSettings, load_settings

GOOD = """
[[queue]]
id = "q1"
agency = "riviere-claire"
services = ["appointment"]
languages = ["fr"]
[queue.hours]
mon = "08:30-16:30"
"""


def load(path: Path) -> object:
    return load_queues(path, default_zone="America/Toronto", default_max_wait_s=900)


def test_the_default_file_serves_the_demo_agency() -> None:
    book = load_queues(DEFAULT_QUEUES_FILE, default_zone="UTC", default_max_wait_s=900)
    assert [queue.queue_id for queue in book.queues] == [
        "riviere-claire-fr",
        "riviere-claire-en",
        "assurance-automobile-fr",
        "assurance-automobile-en",
    ]
    french = book.find("riviere-claire", "fr", "copy-of-record")
    assert french is not None
    assert french.zone.key == "America/Toronto"
    assert french.services == {
        "change-of-address",
        "copy-of-record",
        "appointment",
        "tax-payment-plan",
        "contest-ticket",
    }
    licence = book.find("assurance-automobile", "en", "licence-address")
    assert licence is book.by_id["assurance-automobile-en"]
    assert book.find(None, "en", None) is book.by_id["riviere-claire-en"]
    assert book.find("riviere-claire", "fr", "fishing-licence") is None
    monday_noon = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert french.is_open(monday_noon)
    assert not french.is_open(datetime(2026, 11, 28, 17, 0, tzinfo=UTC))  # Saturday


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no [[queue]] defined"),
        ("[[queue", "not valid TOML"),
        (GOOD.replace('"08:30-16:30"', '"8:30-16:30"'), "hours.mon must look like"),
        (GOOD.replace('"08:30-16:30"', '"16:30-08:30"'), "closes before it opens"),
        (GOOD.replace("mon =", "monday ="), "unknown weekday 'monday'"),
        (GOOD.replace('languages = ["fr"]', 'languages = ["de"]'), "languages must be among"),
        (GOOD.replace('services = ["appointment"]', "services = []"), "services must be"),
        (GOOD.replace('id = "q1"', 'id = "Q 1"'), "id must be"),
        (GOOD.replace("[queue.hours]", 'colour = "blue"\n[queue.hours]'), "['colour']"),
        ('time_zone = "Mars/Olympus"\n' + GOOD, "unknown time zone 'Mars/Olympus'"),
        (GOOD + GOOD, "queue id 'q1' is defined twice"),
        (GOOD.replace("[queue.hours]", "max_wait_s = -1\n[queue.hours]"), "max_wait_s"),
    ],
)
def test_bad_files_are_refused_naming_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "queues.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QueueFileError) as refused:
        load(path)
    assert problem in str(refused.value)
    assert str(path) in str(refused.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(QueueFileError, match="does not exist"):
        load(tmp_path / "nowhere.toml")


def test_the_back_end_does_not_start_on_a_bad_queue_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "queues.toml"
    bad.write_text(GOOD.replace("mon =", "lundi ="), encoding="utf-8")
    with pytest.raises(QueueFileError):
        create_app(BackendSettings(data_dir=tmp_path, calls=CallSettings(queues_file=bad)))
    config = tmp_path / "backend.toml"
    config.write_text('data_dir = "."\n[calls]\nqueues_file = "queues.toml"\n', encoding="utf-8")
    assert backend_cli(["serve", "--config", str(config), "--port", "1"]) == 2
    assert "unknown weekday 'lundi'" in capsys.readouterr().err


def test_the_calls_section_of_the_settings(tmp_path: Path) -> None:
    config = tmp_path / "backend.toml"
    config.write_text(
        "[calls]\n"
        'queues_file = "queues.toml"\n'
        "no_answer_timeout_s = 15\n"
        'ice_servers = [{urls = "stun:stun.example:3478"},'
        ' {urls = ["turn:turn.example:3478"], username = "u", credential = "c"}]\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={})
    assert settings.calls.queues_file == tmp_path / "queues.toml"
    assert settings.calls.no_answer_timeout_s == 15
    assert (settings.calls.wrap_up_s, settings.calls.max_wait_s) == (30, 900)
    assert settings.calls.time_zone == "America/Toronto"
    assert [server.urls for server in settings.calls.ice_servers] == [
        ["stun:stun.example:3478"],
        ["turn:turn.example:3478"],
    ]
    config.write_text('[calls]\ntime_zone = "Nowhere/Atlantis"\n', encoding="utf-8")
    from backend.settings import BackendConfigError

    with pytest.raises(BackendConfigError, match=r"calls\.time_zone"):
        load_settings(config, environ={})
