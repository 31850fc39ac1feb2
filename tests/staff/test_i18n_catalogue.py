"""The staff pages' catalogue (backend/console/static/strings.js) against what the pages use.

Keys are found the way i18n.js asks them to be written: ``data-i18n="key"`` and
``data-i18n-<attribute>="key"`` in the HTML; ``t("key"``, ``setText(node, "key"`` and
``setBanner(id, "key"`` in the JS; and the values of ``const NAME_KEYS = {...}`` tables.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC_DIRS = (
    ROOT / "backend" / "console" / "static",
    ROOT / "backend" / "fleet" / "static",
    ROOT / "backend" / "analytics" / "static",
)
CATALOGUE_FILE = ROOT / "backend" / "console" / "static" / "strings.js"
CATALOGUE_START = "export const CATALOGUE = "
LANGUAGES = ("en", "fr")
# Not searched for keys: the benchmark's test peer (never staff-facing), the vendored
# Chart.js, and the i18n module and its catalogue themselves.
NOT_STAFF_FACING = {"peer.html", "peer.js", "chart.umd.min.js", "strings.js", "i18n.js"}

HTML_KEY = re.compile(r'\bdata-i18n(?:-[a-z-]+)?="([^"]+)"')
JS_CALL_KEY = re.compile(
    r'\b(?:t\(\s*|setText\(\s*[^,()]+(?:\([^()]*\))?,\s*|setBanner\(\s*"[^"]+",\s*)"([^"]+)"'
)
JS_KEY_TABLE = re.compile(r"\bconst [A-Z_]+_KEYS = \{(.*?)\};", re.DOTALL)
TABLE_VALUE = re.compile(r':\s*"([^"]+)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, dict[str, str]]:
    """The catalogue object of strings.js, read as the strict JSON it is written in."""
    text = path.read_text(encoding="utf-8")
    start = text.index(CATALOGUE_START) + len(CATALOGUE_START)
    body = text[start:].strip()
    if not body.endswith(";"):
        raise ValueError(f"{path}: the catalogue must end with '}};'")
    catalogue = json.loads(body[:-1])
    if not isinstance(catalogue, dict):
        raise ValueError(f"{path}: the catalogue is not an object")
    return catalogue


def staff_files(suffix: str) -> list[Path]:
    return sorted(
        path
        for folder in STATIC_DIRS
        for path in folder.glob(f"*{suffix}")
        if path.name not in NOT_STAFF_FACING
    )


def keys_in_html(text: str) -> set[str]:
    return set(HTML_KEY.findall(text))


def keys_in_js(text: str) -> set[str]:
    keys = set(JS_CALL_KEY.findall(text))
    for table in JS_KEY_TABLE.findall(text):
        keys |= set(TABLE_VALUE.findall(table))
    return keys


def used_keys() -> dict[str, set[str]]:
    """Each key used by the staff pages, with the files that use it."""
    used: dict[str, set[str]] = {}
    for path in staff_files(".html"):
        for key in keys_in_html(path.read_text(encoding="utf-8")):
            used.setdefault(key, set()).add(path.name)
    for path in staff_files(".js"):
        for key in keys_in_js(path.read_text(encoding="utf-8")):
            used.setdefault(key, set()).add(path.name)
    return used


def test_the_key_finders_see_each_written_form() -> None:
    html = '<p data-i18n="a.b">x</p><input data-i18n-aria-label="a.c" data-i18n-placeholder="a.d">'
    js = """
      t("k.one", { n }); t( "k.two");
      setText($("status"), "k.three", { name });
      setText(node, "k.four");
      setBanner("link-banner", "k.five");
      const QUALITY_KEYS = {
        reduced: "k.six",
        audio_only: "k.seven",
      };
      showError("not a key", "code.not_a_key");
    """
    assert keys_in_html(html) == {"a.b", "a.c", "a.d"}
    assert keys_in_js(js) == {"k.one", "k.two", "k.three", "k.four", "k.five", "k.six", "k.seven"}


def test_every_staff_page_is_translated() -> None:
    # A page or module added without any key would silently stay English.
    for path in staff_files(".html"):
        assert keys_in_html(path.read_text(encoding="utf-8")), f"{path.name} has no data-i18n"
    text_modules = ("console.js", "ui.js", "callview.js", "fleet.js", "analytics.js", "login.js")
    for path in staff_files(".js"):
        if path.name in text_modules:
            assert keys_in_js(path.read_text(encoding="utf-8")), f"{path.name} uses no key"


def test_every_used_key_exists_in_both_languages() -> None:
    catalogue = load_catalogue()
    missing = {key: sorted(files) for key, files in used_keys().items() if key not in catalogue}
    assert missing == {}


def test_no_catalogue_entry_is_empty_partial_or_unused() -> None:
    catalogue = load_catalogue()
    used = used_keys()
    for key, entry in catalogue.items():
        assert set(entry) == set(LANGUAGES), f"{key}: languages {sorted(entry)}"
        for language in LANGUAGES:
            assert isinstance(entry[language], str), (key, language)
            assert entry[language].strip(), (key, language)
    assert sorted(set(catalogue) - set(used)) == []


def test_placeholders_are_the_same_in_both_languages() -> None:
    # A French text that drops {name} would show the agent less than the English one.
    for key, entry in load_catalogue().items():
        assert set(PLACEHOLDER.findall(entry["fr"])) == set(PLACEHOLDER.findall(entry["en"])), key


def test_french_is_really_french() -> None:
    # Copying the English across would pass every test above.
    catalogue = load_catalogue()
    same = [key for key, entry in catalogue.items() if entry["fr"] == entry["en"]]
    # Words spelled alike in both languages (Service, Documents, Version...) stay few.
    assert len(same) < len(catalogue) // 10, same


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('export const CATALOGUE = {"a": {"en": "x", "fr": "y"},};', "Expecting property name"),
        ('export const CATALOGUE = {"a": {"en": "x"}}', "must end with"),
        ('export const CATALOGUE = ["a"];', "not an object"),
    ],
)
def test_a_malformed_catalogue_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "strings.js"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        load_catalogue(path)
