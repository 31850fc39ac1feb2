"""An e-service is described in the site's catalogue; a mistake there is refused at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.catalogue import CatalogueError, Channel, load_catalogue
from kiosk.config import DEFAULT_CATALOGUE
from kiosk.eservices.demo_site import DEMO_ESERVICE_ORIGIN, PAGES
from kiosk.i18n import LANGUAGES
from tests.eservices.catalogues import eservice_catalogue

ORIGIN = "http://127.0.0.1:8000"


def load(tmp_path: Path, replace: tuple[str, str] | None = None) -> str:
    path = eservice_catalogue(tmp_path, ORIGIN)
    if replace is not None:
        text = path.read_text(encoding="utf-8")
        assert text.count(replace[0]) == 1, replace[0]
        path.write_text(text.replace(*replace), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return str(caught.value)


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


def test_an_eservice_loads_with_its_inline_hints_then_its_file_hints(tmp_path: Path) -> None:
    catalogue = load_catalogue(eservice_catalogue(tmp_path, ORIGIN))
    service = catalogue.service("permit-online")
    assert service.channel is Channel.ESERVICE
    eservice = service.eservice
    assert eservice is not None
    assert [hint.url for hint in eservice.hints] == ["/", "/form*", "/upload", "/secure"]
    assert eservice.allow_list.allows(f"{ORIGIN}/anything")
    assert service.continue_at_home_url == "https://permis.example.org/renouveler"


def test_the_coach_finds_the_hint_of_each_page_by_its_path(tmp_path: Path) -> None:
    eservice = load_catalogue(eservice_catalogue(tmp_path, ORIGIN)).service("permit-online")
    assert eservice.eservice is not None
    hint_for = eservice.eservice.hint_for
    assert hint_for(f"{ORIGIN}/") is not None
    assert hint_for(f"{ORIGIN}/").selector == "#to-form"
    form = hint_for(f"{ORIGIN}/form/sent?name=x")
    assert form is not None
    assert form.selector == "#name"
    assert hint_for(f"{ORIGIN}/leave") is None  # no hint: the coach offers a person


def test_a_start_page_outside_its_allow_list_is_refused_at_its_line(tmp_path: Path) -> None:
    message = load(tmp_path, (f'start_url = "{ORIGIN}/"', 'start_url = "https://other.example/"'))
    line = line_of(tmp_path / "catalogue.toml", "start_url")
    assert f"catalogue.toml, line {line}: " in message
    assert "services 'permit-online' > eservice > start_url" in message
    assert "https://other.example is not in allowed_origins" in message


def test_an_allowed_origin_with_a_path_is_refused_at_its_line(tmp_path: Path) -> None:
    message = load(
        tmp_path, (f'allowed_origins = ["{ORIGIN}"]', f'allowed_origins = ["{ORIGIN}/app"]')
    )
    line = line_of(tmp_path / "catalogue.toml", "allowed_origins")
    assert f"catalogue.toml, line {line}: " in message
    assert "allowed_origins" in message
    assert "no path, query or fragment" in message


def test_an_eservice_needs_its_channel_and_the_channel_its_eservice(tmp_path: Path) -> None:
    message = load(tmp_path, ('channel = "eservice"', 'channel = "agent_required"'))
    assert 'only a service with channel = "eservice" has an eservice' in message
    text = (tmp_path / "catalogue.toml").read_text(encoding="utf-8")
    cut = text.index("  [services.eservice]")
    end = text.index("[[services]]", cut)
    (tmp_path / "catalogue.toml").write_text(
        text[:cut].replace('channel = "agent_required"', 'channel = "eservice"') + text[end:],
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=r"an e-service needs \[services.eservice\]"):
        load_catalogue(tmp_path / "catalogue.toml")


def test_a_missing_hints_file_is_named(tmp_path: Path) -> None:
    message = load(tmp_path, ('hints_file = "hints.toml"', 'hints_file = "nowhere.toml"'))
    assert "nowhere.toml: cannot read the hints file" in message


def test_a_hint_with_one_language_is_refused_at_its_line_in_the_hints_file(
    tmp_path: Path,
) -> None:
    path = eservice_catalogue(tmp_path, ORIGIN)
    hints = tmp_path / "hints.toml"
    text = hints.read_text(encoding="utf-8")
    hints.write_text(
        text.replace(
            'text = { fr = "Entrez le numéro de votre carte.", en = "Enter your card number." }',
            'text = { fr = "Entrez le numéro de votre carte." }',
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    line = line_of(hints, "Entrez le numéro de votre carte.")
    assert f"hints.toml, line {line}: hints[1] > text > en: Field required" in str(caught.value)


def test_a_selector_cannot_break_out_of_the_coach_script(tmp_path: Path) -> None:
    message = load(tmp_path, ('selector = "#to-form"', "selector = \"#x'); alert('\""))
    assert "selector" in message
    assert "should match pattern" in message


def test_the_demo_eservice_has_a_hint_on_every_page_in_both_languages() -> None:
    service = load_catalogue(DEFAULT_CATALOGUE).service("licence-renewal")
    assert service.eservice is not None
    assert service.eservice.allow_list.allows(DEMO_ESERVICE_ORIGIN + "/")
    for path in PAGES:
        hint = service.eservice.hint_for(DEMO_ESERVICE_ORIGIN + path)
        assert hint is not None, path
        assert hint.selector is not None
        assert f"id='{hint.selector[1:]}'" in str(PAGES[path]), path  # it outlines a real element
        texts = {hint.text(language) for language in LANGUAGES}
        assert len(texts) == 2, path
