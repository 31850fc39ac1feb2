"""The staff pages' catalogue (backend/console/static/strings.js) against what the pages use.

Keys are found the way i18n.js asks them to be written: ``data-i18n="key"`` and
``data-i18n-<attribute>="key"`` in the HTML; ``t("key"``, ``setText(node, "key"``,
``setBanner(id, "key"`` and ``showNotice("key"`` in the JS; and the values of
``const NAME_KEYS = {...}`` tables.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
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
    r'\b(?:t\(\s*|showNotice\(\s*|setText\(\s*[^,()]+(?:\([^()]*\))?,\s*|setBanner\(\s*"[^"]+",\s*)'
    r'"([^"]+)"'
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
      showNotice("k.eight", () => ({ detail }));
      const QUALITY_KEYS = {
        reduced: "k.six",
        audio_only: "k.seven",
      };
      showError("not a key", "code.not_a_key");
    """
    assert keys_in_html(html) == {"a.b", "a.c", "a.d"}
    assert keys_in_js(js) == {
        "k.one",
        "k.two",
        "k.three",
        "k.four",
        "k.five",
        "k.six",
        "k.seven",
        "k.eight",
    }


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


class MarkedText(HTMLParser):
    """Each data-i18n element's own text, and each data-i18n-<attribute>'s attribute value."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (key, English written in the page)
        self._open: list[tuple[str, str, list[str]]] = []  # (tag, key, text parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, key in values.items():
            if name.startswith("data-i18n-"):
                self.found.append((key, values.get(name.removeprefix("data-i18n-"), "")))
        if "data-i18n" in values:
            self._open.append((tag, values["data-i18n"], []))

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, key, parts = self._open.pop()
            self.found.append((key, " ".join("".join(parts).split())))


def test_the_english_in_the_html_is_the_catalogue_english() -> None:
    # The HTML's own words show before the module runs (and are what the end-to-end tests
    # were written against): they must be the catalogue's English, word for word.
    catalogue = load_catalogue()
    mismatches = []
    for path in staff_files(".html"):
        parser = MarkedText()
        parser.feed(path.read_text(encoding="utf-8"))
        assert parser.found, path.name
        for key, english in parser.found:
            if key in catalogue and catalogue[key]["en"] != english:
                mismatches.append((path.name, key, english, catalogue[key]["en"]))
    assert mismatches == []
