"""Building blocks shared by the catalogue's models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kiosk.toml_lines import Location


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
