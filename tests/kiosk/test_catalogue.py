"""A site's catalogue loads, and a broken one is refused with the place of the mistake."""

from pathlib import Path

import pytest

from kiosk.catalogue import CatalogueError, FieldKind, load_catalogue
from kiosk.config import DEFAULT_CATALOGUE


def test_sample_catalogue_offers_the_three_first_services() -> None:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    ids = {s.id for s in catalogue.services}
    assert {"change-of-address", "copy-of-record", "appointment"} <= ids
    for service in catalogue.services:
        assert service.title("fr") != service.title("en")
        assert catalogue.agency(service.agency).name("fr")


def test_choice_fields_carry_their_options() -> None:
    service = load_catalogue(DEFAULT_CATALOGUE).service("copy-of-record")
    record_type = service.field("record_type")
    assert record_type.kind is FieldKind.CHOICE
    assert len(record_type.choices) >= 2


MINIMAL = """
[site]
name = { fr = "Centre", en = "Centre" }
help_desk = { fr = "Accueil", en = "Desk" }
help_phone = "311"

[[agencies]]
id = "city"
name = { fr = "Ville", en = "City" }

[[services]]
id = "svc"
agency = "AGENCY"
title = { fr = "Titre", en = "Title" }
summary = { fr = "Résumé", en = "Summary" }
  [[services.fields]]
  id = "f"
  label = LABEL
"""


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    load_catalogue(path)


def test_a_valid_minimal_catalogue_loads(tmp_path: Path) -> None:
    load(tmp_path, MINIMAL.replace("AGENCY", "city").replace("LABEL", '{ fr = "A", en = "B" }'))


def test_missing_translation_names_the_service_and_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("AGENCY", "city").replace("LABEL", '{ fr = "Seulement" }')
    with pytest.raises(CatalogueError) as caught:
        load(tmp_path, text)
    assert "services 'svc' > fields 'f' > label > en" in str(caught.value)


def test_unknown_agency_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace("AGENCY", "nowhere").replace("LABEL", '{ fr = "A", en = "B" }')
    with pytest.raises(CatalogueError, match="unknown agency 'nowhere'"):
        load(tmp_path, text)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="line 3"):
        load(tmp_path, "[site]\nname = 1\nbroken = = 2\n")
