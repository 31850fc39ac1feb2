"""What the out-of-service screen tells a citizen: who can help here, and where else to go.

Only what the site's catalogue says is offered: the reception desk and phone
line (people who are really there), other service points, and the web. No
video call is offered from a kiosk that is out of service.
"""

from __future__ import annotations

from typing import TypedDict

from kiosk.catalogue import Site
from kiosk.i18n import Language, Strings


class PlaceRow(TypedDict):
    """Another service point, in one language."""

    name: str
    address: str
    hours: str


class OutOfServiceNotice(TypedDict):
    """The out-of-service screen's texts in one language."""

    title: str
    apology: str
    desk: str
    phone: str
    elsewhere_title: str
    places: list[PlaceRow]
    online: str
    online_url: str


def out_of_service_notice(site: Site, strings: Strings, language: Language) -> OutOfServiceNotice:
    """The notice in ``language``, from the site's catalogue and the text catalogue."""
    places: list[PlaceRow] = [
        {
            "name": place.name(language),
            "address": place.address(language),
            "hours": place.hours(language) if place.hours is not None else "",
        }
        for place in site.elsewhere
    ]
    return {
        "title": strings.text("oos.title", language),
        "apology": strings.text("oos.apology", language),
        "desk": strings.text("oos.desk", language, desk=site.help_desk(language)),
        "phone": strings.text("oos.phone", language, phone=site.help_phone),
        "elsewhere_title": strings.text("oos.elsewhere", language) if places else "",
        "places": places,
        "online": strings.text("oos.online", language) if site.online_url else "",
        "online_url": site.online_url or "",
    }
