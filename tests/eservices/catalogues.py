# ruff: noqa: E501  (TOML inline tables are one line each, both languages side by side)
"""Catalogues for the e-service tests: one e-service on the fake site, its coach hints."""

from __future__ import annotations

from pathlib import Path

HINTS_FILE = """
[[hints]]
url = "/upload"
selector = "#doc"
text = { fr = "Touchez « Choisir un fichier » pour numériser votre document.", en = "Touch \\"Choose file\\" to scan your document." }
explain = { fr = "La caméra à documents remplace le choix d'un fichier.", en = "The document camera takes the place of choosing a file." }

[[hints]]
url = "/secure"
selector = "#card"
text = { fr = "Entrez le numéro de votre carte.", en = "Enter your card number." }
"""


def eservice_catalogue(folder: Path, origin: str) -> Path:
    """A catalogue whose one e-service runs at ``origin``; its hints partly in a file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hints.toml").write_text(HINTS_FILE, encoding="utf-8")
    path = folder / "catalogue.toml"
    path.write_text(
        f"""
[site]
name = {{ fr = "Centre d'essai", en = "Test centre" }}
help_desk = {{ fr = "l'accueil", en = "the front desk" }}
help_phone = "555-0100"

[[agencies]]
id = "agence"
name = {{ fr = "Agence d'essai", en = "Test agency" }}

[[services]]
id = "permit-online"
agency = "agence"
title = {{ fr = "Mon permis en ligne", en = "My permit online" }}
summary = {{ fr = "Le service en ligne de l'agence", en = "The agency's online service" }}
channel = "eservice"
online_url = "https://permis.example.org/renouveler"

  [services.eservice]
  start_url = "{origin}/"
  allowed_origins = ["{origin}"]
  hints_file = "hints.toml"

  [[services.eservice.hints]]
  url = "/"
  selector = "#to-form"
  text = {{ fr = "Touchez « Formulaire » pour commencer.", en = "Touch \\"Formulaire\\" to start." }}
  explain = {{ fr = "Le formulaire demande votre nom.", en = "The form asks for your name." }}

  [[services.eservice.hints]]
  url = "/form*"
  selector = "#name"
  text = {{ fr = "Écrivez votre nom, puis touchez « Envoyer ».", en = "Type your name, then touch \\"Envoyer\\"." }}

[[services]]
id = "other"
agency = "agence"
title = {{ fr = "Autre", en = "Other" }}
summary = {{ fr = "Ailleurs", en = "Elsewhere" }}
channel = "refer"
referral = {{ where = {{ fr = "Au bureau", en = "At the office" }}, how = {{ fr = "Sur place", en = "In person" }} }}
""",
        encoding="utf-8",
    )
    return path
