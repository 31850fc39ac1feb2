"""The kiosk's bilingual text catalogue (French and English, side by side).

Every key carries both languages in one place, so a missing translation is a
load error, not a blank button in front of a citizen.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT_STRINGS = Path(__file__).parent / "data" / "strings.toml"
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class CatalogueTextError(Exception):
    """The text catalogue is incomplete or malformed."""


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Strings:
    """All user-facing texts, per language."""

    texts: Mapping[str, Mapping[Language, str]]

    def text(self, key: str, language: Language, **values: object) -> str:
        """The text for ``key`` in ``language``, with ``{placeholders}`` filled in."""
        template = self.texts[key][language]
        return template.format(**values) if values else template

    def has(self, key: str) -> bool:
        """True if ``key`` exists (e.g. an error code that came over the network)."""
        return key in self.texts

    def table(self, language: Language) -> dict[str, str]:
        """Every text of one language, for the UI to bind to."""
        return {key: entry[language] for key, entry in self.texts.items()}

    def labels(self, keys: tuple[str, ...], language: Language) -> dict[str, str]:
        """A subset of texts (e.g. the receipt's labels)."""
        return {key: self.texts[key][language] for key in keys}


def load_strings(path: Path = DEFAULT_STRINGS) -> Strings:
    """Load and check the catalogue: every key in both languages, same placeholders."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise CatalogueTextError(f"{path}: not valid TOML ({err})") from err
    problems: list[str] = []
    texts: dict[str, dict[Language, str]] = {}
    for key, entry in raw.items():
        if not _KEY.match(key):
            problems.append(f"{key}: keys look like 'screen.item'")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{key}: expected {{ fr = ..., en = ... }}")
            continue
        texts[key] = {}
        for language in LANGUAGES:
            value = entry.get(language)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{key}: missing '{language}' text")
            else:
                texts[key][language] = value
        extra = set(entry) - set(LANGUAGES)
        if extra:
            problems.append(f"{key}: unknown language(s) {sorted(extra)}")
        if len(texts[key]) == len(LANGUAGES):
            fr, en = (_placeholders(texts[key][lang]) for lang in LANGUAGES)
            if fr != en:
                problems.append(f"{key}: placeholders differ between fr {fr} and en {en}")
    if problems:
        raise CatalogueTextError(f"{path}:\n  " + "\n  ".join(problems))
    return Strings(texts)
