"""Read-aloud: every screen's title and every field touched, in the citizen's language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk


def speaking_kiosk(root: Path, engine: str) -> Iterator[RunningKiosk]:
    settings = local_settings(root, "http://127.0.0.1:9", "no-backend", speech_engine=engine)
    with running_kiosk(settings) as running:
        yield running


@pytest.fixture
def kiosk_with_voice(qapp: object, tmp_path: Path) -> Iterator[RunningKiosk]:
    # Qt's mock engine speaks to nobody but behaves as a voice does (states, locales).
    yield from speaking_kiosk(tmp_path / "kiosk", "mock")


def test_screens_and_fields_are_read_once_the_citizen_asks(
    kiosk_with_voice: RunningKiosk,
) -> None:
    d = kiosk_with_voice.driver
    speech = kiosk_with_voice.ui.speech

    async def visit() -> None:
        await d.tap("attractTouchArea")
        await d.tap("languageFr")
        await d.screen("serviceScreen")
        assert speech.spoken == []  # nothing is read until the citizen asks
        await d.tap("readAloudButton")
        await d.wait_for(lambda: speech.spoken, "the screen read")
        assert speech.spoken[-1].startswith("Que souhaitez-vous faire")
        await d.tap("service_change-of-address")
        await d.wait_for(lambda: "Vos renseignements personnels" in speech.spoken[-1], "privacy")
        await d.tap("privacyAccept")
        await d.tap("demoCardButton")
        await d.screen("formScreen")
        await d.tap("field_street")
        await d.wait_for(lambda: speech.spoken[-1].startswith("Numéro et rue."), "the field")
        assert "125, rue des Érables" in speech.spoken[-1]  # its help, read with it
        await d.tap("languageButton")
        await d.wait_for(lambda: speech.spoken[-1].startswith("Change my address"), "in English")
        await d.tap("startOverButton")
        await d.tap("startOverYesButton")
        await d.screen("attractScreen")

    kiosk_with_voice.run(visit())
    # The next citizen starts with the voice off, and nothing of the last one is kept.
    assert not speech.property("enabled")
    assert speech.spoken == []


@pytest.fixture
def kiosk_without_voice(qapp: object, tmp_path: Path) -> Iterator[RunningKiosk]:
    yield from speaking_kiosk(tmp_path / "kiosk", "no-such-engine")


def test_without_a_voice_the_button_does_not_show(kiosk_without_voice: RunningKiosk) -> None:
    d = kiosk_without_voice.driver

    async def visit() -> None:
        await d.tap("attractTouchArea")
        await d.tap("languageEn")
        await d.screen("serviceScreen")

    kiosk_without_voice.run(visit())
    assert d.find("readAloudButton") is None  # not shown
    assert d.find("contrastButton") is not None  # the header is there
    assert not kiosk_without_voice.ui.speech.property("available")
