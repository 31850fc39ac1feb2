"""The demo's fake agency e-service: renewing a driver's licence, on loopback.

``kiosk --demo`` serves it at :data:`DEMO_ESERVICE_ORIGIN`, the origin the demo
catalogue's e-service allows. The pages look like a plain agency site: an
identity form, a photo to attach (the document camera answers the file input),
a payment page (its card fields are the screen share's masked fields) and a
receipt to print.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.eservices.site import LoopbackSite

log = logging.getLogger(__name__)
DEMO_ESERVICE_PORT = 8471
DEMO_ESERVICE_ORIGIN = f"http://127.0.0.1:{DEMO_ESERVICE_PORT}"

_STYLE = (
    "body{font:20px/1.5 'DejaVu Sans',sans-serif;margin:0;color:#1b1b1b;background:#fafafa}"
    "header{background:#7a1f1f;color:#fff;padding:18px 32px;font-size:26px;font-weight:bold}"
    "main{max-width:860px;margin:24px auto;background:#fff;padding:24px 40px;"
    "border:1px solid #ddd;border-radius:8px}"
    "label{display:block;margin:18px 0 4px;font-weight:bold}"
    "input{font-size:22px;padding:10px;width:100%;box-sizing:border-box}"
    ".go{display:inline-block;margin-top:24px;background:#7a1f1f;color:#fff;padding:14px 28px;"
    "font-size:22px;border:0;border-radius:6px;text-decoration:none}"
    "small{color:#555}"
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        "<header>Société de l'assurance automobile · Services en ligne</header>"
        f"<main><h1>{title}</h1>{body}</main></body></html>"
    )


PAGES: dict[str, str | bytes] = {
    "/": _page(
        "Renouveler mon permis de conduire",
        "<p>Renouvelez votre permis en quatre étapes : identité, photo, paiement, reçu."
        " <small>Renew your licence in four steps.</small></p>"
        "<a id='commencer' class='go' href='/identite'>Commencer</a>",
    ),
    "/identite": _page(
        "Votre identité",
        "<form action='/photo'>"
        "<label for='permis'>Numéro de permis <small>(licence number)</small></label>"
        "<input id='permis' name='permis' placeholder='L1234-567890-12' required>"
        "<label for='naissance'>Date de naissance <small>(date of birth)</small></label>"
        "<input id='naissance' name='naissance' type='date' required>"
        "<button id='continuer' class='go'>Continuer</button></form>",
    ),
    "/photo": _page(
        "Votre photo",
        "<p>Joignez une photo d'identité récente. <small>Attach a recent photo.</small></p>"
        "<label for='photo'>Photo (JPEG)</label>"
        "<input id='photo' name='photo' type='file' accept='image/jpeg'>"
        "<a id='continuer' class='go' href='/paiement'>Continuer</a>",
    ),
    "/paiement": _page(
        "Paiement : 89,50 $",
        "<form action='/recu'>"
        "<label for='carte'>Numéro de carte <small>(card number)</small></label>"
        "<input id='carte' autocomplete='cc-number' inputmode='numeric'>"
        "<label for='expiration'>Expiration (MM/AA)</label>"
        "<input id='expiration' autocomplete='cc-exp'>"
        "<label for='code'>Code de sécurité <small>(security code)</small></label>"
        "<input id='code' autocomplete='cc-csc' inputmode='numeric'>"
        "<button id='payer' class='go'>Payer</button></form>",
    ),
    "/recu": _page(
        "C'est fait : votre permis est renouvelé",
        "<p>Numéro de confirmation : <b>SAA-2026-04817</b>. Votre nouveau permis arrivera"
        " par la poste. <small>Your new licence will come by mail.</small></p>"
        "<button id='imprimer' class='go' onclick='window.print()'>Imprimer le reçu</button>",
    ),
}


@contextmanager
def demo_eservice() -> Iterator[LoopbackSite | None]:
    """Serve the demo e-service while the demo runs (None if its port is taken)."""
    try:
        site = LoopbackSite(PAGES, port=DEMO_ESERVICE_PORT)
    except OSError as err:
        log.warning("demo e-service not served on port %d: %s", DEMO_ESERVICE_PORT, err)
        yield None
        return
    with site:
        yield site


def demo_catalogue_at(catalogue: Path, folder: Path, origin: str) -> Path:
    """A copy of the demo ``catalogue`` in ``folder`` whose demo e-service runs at ``origin``.

    For tools that serve the demo site on any free port (benchmarks, screenshots);
    its hints files are copied beside it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    hints = catalogue.parent / "eservice-hints"
    if hints.is_dir():
        shutil.copytree(hints, folder / "eservice-hints", dirs_exist_ok=True)
    path = folder / catalogue.name
    text = catalogue.read_text(encoding="utf-8")
    path.write_text(text.replace(DEMO_ESERVICE_ORIGIN, origin), encoding="utf-8")
    return path
