"""Building blocks shared by the catalogue's models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from kiosk.toml_lines import Location

if TYPE_CHECKING:
    from kiosk.i18n import Language


class CatalogueModel(BaseModel):
    """A part of the catalogue: read-only once loaded, and no unknown keys (typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocatedError(ValueError):
    """A rule broken at ``location``, relative to the model whose validator raised it.

    Pydantic places a model validator's error on the whole model; carrying the
    offending key lets the loader name the line where the mistake is written.
    """

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location


class Localized(CatalogueModel):
    """A text in both languages of the kiosk."""

    fr: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def __call__(self, language: Language) -> str:
        """The text in ``language``."""
        return self.fr if language == "fr" else self.en
