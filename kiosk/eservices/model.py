"""How a site's catalogue describes an e-service: where it starts, where it may go, the coach.

```toml
[services.eservice]
start_url = "https://permis.example.org/renouveler"
allowed_origins = ["https://permis.example.org", "https://paiement.example.org"]
hints_file = "hints/permis.toml"   # optional, relative to the catalogue; or inline:

  [[services.eservice.hints]]
  url = "/renouveler/identite*"      # a glob on the page's path
  selector = "#numero-permis"        # the element the coach outlines (optional)
  text = { fr = "...", en = "..." }  # the next step, short
  explain = { fr = "...", en = "..." }  # "teach me": why, and what it means (optional)
```
"""

from __future__ import annotations

import fnmatch
import urllib.parse
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from kiosk.catalogue_base import CatalogueModel, Localized, LocatedError
from kiosk.eservices.policy import AllowList, Origin, OriginError, origin_of

# A selector goes into the page inside a JavaScript string: no quotes or line breaks,
# so it cannot end the string; the page's own querySelector judges the rest.
Selector = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\"'`\\\n\r]+$")]
UrlPattern = Annotated[str, Field(min_length=1, max_length=300, pattern=r"^/\S*$")]
WebAddress = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)]


class Hint(CatalogueModel):
    """What the coach says on the pages whose path matches ``url``."""

    url: UrlPattern
    selector: Selector | None = None
    text: Localized
    explain: Localized | None = None

    def matches(self, url: str) -> bool:
        """Whether the page at ``url`` is one this hint is for (its path matches the glob)."""
        path = urllib.parse.urlsplit(url).path or "/"
        return fnmatch.fnmatchcase(path, self.url)


class HintsFile(CatalogueModel):
    """A separate file of coach hints (``hints_file``), kept by whoever knows the e-service."""

    hints: tuple[Hint, ...] = Field(min_length=1)


class EService(CatalogueModel):
    """An agency's online service, opened in the kiosk's locked-down web view."""

    start_url: WebAddress
    allowed_origins: tuple[str, ...] = Field(min_length=1)
    hints_file: Annotated[str, Field(min_length=1)] | None = None
    hints: tuple[Hint, ...] = ()

    @field_validator("allowed_origins")
    @classmethod
    def _origins_parse(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for index, text in enumerate(origins):
            try:
                Origin.parse(text)
            except OriginError as err:
                raise LocatedError((index,), str(err)) from err
        return origins

    @model_validator(mode="after")
    def _start_is_allowed(self) -> Self:
        # A start page outside its own list would open on the "not allowed" message.
        if not self.allow_list.allows(self.start_url):
            origin = origin_of(self.start_url)
            raise LocatedError(
                ("start_url",), f"the start page's origin {origin} is not in allowed_origins"
            )
        return self

    @property
    def allow_list(self) -> AllowList:
        """The origins the web view may show for this e-service."""
        return AllowList.of(self.allowed_origins)

    def hint_for(self, url: str) -> Hint | None:
        """The coach's hint for the page at ``url``: the first that matches, if any."""
        return next((hint for hint in self.hints if hint.matches(url)), None)
