"""Every text exists in French and English, with the same placeholders."""

import re
from pathlib import Path

import pytest

from kiosk.i18n import CatalogueTextError, load_strings

QML_DIR = Path(__file__).parents[2] / "kiosk" / "ui" / "qml"


def test_shipped_catalogue_is_complete() -> None:
    strings = load_strings()
    assert strings.table("fr").keys() == strings.table("en").keys()
    assert strings.text("common.step", "en", n=2, total=4) == "Step 2 of 4"


def test_every_key_the_screens_use_exists() -> None:
    known = load_strings().table("fr")
    used: set[str] = set()
    for qml in QML_DIR.rglob("*.qml"):
        used |= set(re.findall(r'strings\["([a-z0-9_.]+)"\]', qml.read_text(encoding="utf-8")))
    assert used, "the screens should read their texts from the catalogue"
    assert used - known.keys() == set()


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('"a.b" = { fr = "Bonjour" }', "a.b: missing 'en' text"),
        ('"a.b" = { fr = "{n} jours", en = "{count} days" }', "placeholders differ"),
        ('"a.b" = { fr = "x", en = "y", de = "z" }', "unknown language"),
        ('"a.b" = { fr = "", en = "y" }', "missing 'fr' text"),
    ],
)
def test_incomplete_catalogue_is_refused(tmp_path: Path, toml: str, problem: str) -> None:
    path = tmp_path / "strings.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(CatalogueTextError, match=re.escape(problem)):
        load_strings(path)


def test_every_device_error_has_a_message_for_citizens() -> None:
    import peripherals.camera.errors as camera_errors
    import peripherals.card.errors as card_errors
    import peripherals.printer.errors as printer_errors
    from peripherals.errors import DeviceError

    known = load_strings().table("en")
    codes = {
        cls.code
        for module in (camera_errors, card_errors, printer_errors)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, DeviceError) and cls.code.count(".") == 1
    }
    shown = {code for code in codes if not code.endswith(".error")}  # abstract bases
    assert shown, "expected device error codes"
    assert {f"error.{code}" for code in shown} - known.keys() == set()
