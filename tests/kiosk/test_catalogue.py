"""A site's catalogue loads, and a broken one is refused with the place of the mistake."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.routing.queues import load_queues
from backend.settings import DEFAULT_QUEUES_FILE
from kiosk.catalogue import (
    CatalogueError,
    Channel,
    FieldKind,
    load_catalogue,
)
from kiosk.config import DEFAULT_CATALOGUE
from kiosk.demo import DEMO_QUEUES


def test_sample_catalogue_offers_the_three_first_services() -> None:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    ids = {s.id for s in catalogue.services}
    assert {"change-of-address", "copy-of-record", "appointment"} <= ids
    for service in catalogue.services:
        assert service.title("fr") != service.title("en")
        assert catalogue.agency(service.agency).name("fr")


def test_choice_fields_carry_their_options() -> None:
    service = load_catalogue(DEFAULT_CATALOGUE).service("copy-of-record")
    record_type = service.field("record_type")
    assert record_type.kind is FieldKind.CHOICE
    assert len(record_type.choices) >= 2


MINIMAL = """
[site]
name = { fr = "Centre", en = "Centre" }
help_desk = { fr = "Accueil", en = "Desk" }
help_phone = "311"

[[agencies]]
id = "city"
name = { fr = "Ville", en = "City" }

[[services]]
id = "svc"
agency = "AGENCY"
title = { fr = "Titre", en = "Title" }
summary = { fr = "Résumé", en = "Summary" }
  [[services.fields]]
  id = "f"
  label = LABEL
"""


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    load_catalogue(path)


def test_a_valid_minimal_catalogue_loads(tmp_path: Path) -> None:
    load(tmp_path, MINIMAL.replace("AGENCY", "city").replace("LABEL", '{ fr = "A", en = "B" }'))


def test_missing_translation_names_the_service_and_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("AGENCY", "city").replace("LABEL", '{ fr = "Seulement" }')
    with pytest.raises(CatalogueError) as caught:
        load(tmp_path, text)
    assert "services 'svc' > fields 'f' > label > en" in str(caught.value)


def test_unknown_agency_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace("AGENCY", "nowhere").replace("LABEL", '{ fr = "A", en = "B" }')
    with pytest.raises(CatalogueError, match="unknown agency 'nowhere'"):
        load(tmp_path, text)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="line 3"):
        load(tmp_path, "[site]\nname = 1\nbroken = = 2\n")


# -- a shared kiosk: several agencies, channels, life events ----------------------


def test_demo_moving_event_crosses_two_agencies_and_reuses_the_address() -> None:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    moving = catalogue.life_event("moving")
    services = catalogue.services_of(moving)
    assert moving.title("fr") == "Je déménage"
    assert moving.title("en") == "I am moving"
    assert len({s.agency for s in services}) >= 2
    city, province = services[0], services[1]
    shared = {f.id for f in city.fields} & {f.id for f in province.fields}
    assert {"street", "apartment", "city", "postal_code", "moving_date"} <= shared


def test_demo_catalogue_hands_some_services_to_a_person_or_another_office() -> None:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    by_channel = {s.channel: s for s in catalogue.services}
    assert by_channel[Channel.SELF_SERVICE].fields
    assert by_channel[Channel.AGENT_REQUIRED].referral is None
    referral = by_channel[Channel.REFER].referral
    assert referral is not None
    assert referral.where("fr") != referral.where("en")
    assert referral.how("fr") != referral.how("en")


def test_unknown_life_event_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        load_catalogue(DEFAULT_CATALOGUE).life_event("winning-the-lottery")


def test_demo_agents_answer_on_weekdays_in_the_sites_zone() -> None:
    hours = load_catalogue(DEFAULT_CATALOGUE).site.agent_hours
    assert hours is not None
    assert hours.timezone == "America/Toronto"
    # Monday 1 June 2026, 08:30 in Toronto (summer time) is 12:30 UTC.
    assert hours.is_open(datetime(2026, 6, 1, 12, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 6, 1, 12, 29, tzinfo=UTC))


# -- every rule refuses a bad file and names the line of the mistake ----------------

SHARED_SITE = '''\
[site]
name = { fr = "Centre", en = "Centre" }
help_desk = { fr = "Accueil", en = "Desk" }
help_phone = "311"

[site.agent_hours]
timezone = "America/Toronto"
mon = ["08:30-12:00", "13:00-16:30"]
sat = ["09:00-12:00"]

[[agencies]]
id = "city"
name = { fr = "Ville", en = "City" }

[[agencies]]
id = "province"
name = { fr = "Province", en = "Province" }

[[services]]
id = "address"
agency = "city"
title = { fr = "Adresse", en = "Address" }
summary = { fr = """Une ligne,
[[services]] dans le texte""", en = "Summary" }

  [[services.fields]]
  id = "street"
  label = { fr = "Rue", en = "Street" }

  [[services.fields]]
  id = "moving_date"
  kind = "date"
  label = { fr = "Date", en = "Date" }

[[services]]
id = "licence"
agency = "province"
title = { fr = "Permis", en = "Licence" }
summary = { fr = "Résumé", en = "Summary" }

  [[services.fields]]
  id = "street"
  label = { fr = "Rue (permis)", en = "Street (licence)" }

[[services]]
id = "court"
agency = "city"
channel = "refer"
title = { fr = "Tribunal", en = "Court" }
summary = { fr = "Résumé", en = "Summary" }

  [services.referral]
  where = { fr = "Au palais de justice", en = "At the courthouse" }
  how = { fr = "En personne", en = "In person" }

[[services]]
id = "payment-plan"
agency = "city"
channel = "agent_required"
title = { fr = "Entente", en = "Plan" }
summary = { fr = "Résumé", en = "Summary" }

[[life_events]]
id = "moving"
title = { fr = "Je déménage", en = "I am moving" }
summary = { fr = "Résumé", en = "Summary" }
services = ["address", "licence"]
'''

MARK = "  # <- the mistake"

# Each case: replacements that break SHARED_SITE, one line carrying MARK, and what
# the message must say. A missing key is marked on the header of its table.
BROKEN = {
    "a missing translation": (
        [('"Rue (permis)", en = "Street (licence)" }', '"Rue (permis)" }' + MARK)],
        "services 'licence' > fields 'street' > label > en: Field required",
    ),
    "a missing label": (
        [
            (
                '  [[services.fields]]\n  id = "street"\n  label = { fr = "Rue (permis)"',
                "  [[services.fields]]"
                + MARK
                + '\n  id = "street"\n  help = { fr = "Rue (permis)"',
            ),
        ],
        "services 'licence' > fields 'street' > label: Field required",
    ),
    "an unknown agency": (
        [('agency = "province"', 'agency = "nowhere"' + MARK)],
        "services 'licence' > agency: service 'licence' names unknown agency 'nowhere'",
    ),
    "a service id used twice": (
        [('id = "payment-plan"', 'id = "court"' + MARK)],
        "services 'court' > id: id 'court' is used twice",
    ),
    "a field id used twice in a form": (
        [('id = "moving_date"', 'id = "street"' + MARK)],
        "services 'address' > fields 'street' > id: field id 'street' is used twice",
    ),
    "a shared field of another kind": (
        [
            (
                'id = "street"\n  label = { fr = "Rue (permis)"',
                'id = "street"\n  kind = "postal_code"'
                + MARK
                + '\n  label = { fr = "Rue (permis)"',
            )
        ],
        "field 'street' is a postal_code field here but a text field in service 'address'",
    ),
    "a self-service service without fields": (
        [
            (
                "[[life_events]]",
                f"[[services]]{MARK}\n"
                'id = "empty"\n'
                'agency = "city"\n'
                'title = { fr = "Vide", en = "Empty" }\n'
                'summary = { fr = "Rien", en = "Nothing" }\n\n'
                "[[life_events]]",
            )
        ],
        "services 'empty' > fields: a self-service service needs at least one field",
    ),
    "a referral-less referred service": (
        [
            ('channel = "refer"', 'channel = "refer"' + MARK),
            (
                "  [services.referral]\n"
                '  where = { fr = "Au palais de justice", en = "At the courthouse" }\n'
                '  how = { fr = "En personne", en = "In person" }\n',
                "",
            ),
        ],
        "services 'court' > channel: a referred service needs a referral (where and how)",
    ),
    "a referral on a service that is not referred": (
        [
            (
                'title = { fr = "Entente", en = "Plan" }',
                'title = { fr = "Entente", en = "Plan" }\n'
                'referral = { where = { fr = "Ici", en = "Here" }, '
                f'how = {{ fr = "Ainsi", en = "So" }} }}{MARK}',
            )
        ],
        "services 'payment-plan' > referral: "
        'only a service with channel = "refer" has a referral',
    ),
    "an unknown channel": (
        [('channel = "agent_required"', 'channel = "carrier_pigeon"' + MARK)],
        "services 'payment-plan' > channel: "
        "Input should be 'self_service', 'agent_required', 'refer' or 'eservice'",
    ),
    "a life event naming an unknown service": (
        [('services = ["address", "licence"]', 'services = ["address", "ghost"]' + MARK)],
        "life_events 'moving' > services[1]: life event 'moving' names unknown service 'ghost'",
    ),
    "a life event of one service": (
        [('services = ["address", "licence"]', 'services = ["address"]' + MARK)],
        "life_events 'moving' > services: Tuple should have at least 2 items",
    ),
    "a life event repeating a service, one per line": (
        [
            (
                'services = ["address", "licence"]',
                'services = [\n  "address",\n  "licence",\n  "address",' + MARK + "\n]",
            )
        ],
        "life_events 'moving' > services[2]: service 'address' is listed twice",
    ),
    "hours badly written": (
        [('sat = ["09:00-12:00"]', 'sat = ["9:00-12:00"]' + MARK)],
        "site > agent_hours > sat[0]: '9:00-12:00' must look like '08:30-16:30'",
    ),
    "hours closing before they open": (
        [('sat = ["09:00-12:00"]', 'sat = ["12:00-09:00"]' + MARK)],
        "site > agent_hours > sat[0]: '12:00-09:00' closes before it opens",
    ),
    "hours past midnight": (
        [('sat = ["09:00-12:00"]', 'sat = ["09:00-24:30"]' + MARK)],
        "'09:00-24:30' goes past 24:00",
    ),
    "overlapping hours": (
        [('mon = ["08:30-12:00", "13:00-16:30"]', 'mon = ["13:00-16:30", "08:30-13:30"]' + MARK)],
        "site > agent_hours > mon[0]: '13:00-16:30' overlaps '08:30-13:30'",
    ),
    "an unknown weekday": (
        [('sat = ["09:00-12:00"]', 'fun = ["09:00-12:00"]' + MARK)],
        "site > agent_hours > fun: Extra inputs are not permitted",
    ),
    "an unknown time zone": (
        [('timezone = "America/Toronto"', 'timezone = "Mars/Olympus_Mons"' + MARK)],
        "site > agent_hours > timezone: unknown time zone 'Mars/Olympus_Mons'",
    ),
    "hours without a time zone": (
        [('[site.agent_hours]\ntimezone = "America/Toronto"', "[site.agent_hours]" + MARK)],
        "site > agent_hours > timezone: Field required",
    ),
}


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return str(caught.value)


def broken(replacements: list[tuple[str, str]]) -> str:
    text = SHARED_SITE
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def marked_line(text: str) -> int:
    (line,) = [n for n, content in enumerate(text.splitlines(), start=1) if MARK in content]
    return line


def test_the_shared_site_loads(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(SHARED_SITE, encoding="utf-8")
    catalogue = load_catalogue(path)
    assert catalogue.service("payment-plan").fields == ()
    assert catalogue.service("court").fields == ()
    assert catalogue.life_event("moving").services == ("address", "licence")


@pytest.mark.parametrize(("replacements", "problem"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_rule_is_refused_at_its_line(
    tmp_path: Path, replacements: list[tuple[str, str]], problem: str
) -> None:
    text = broken(replacements)
    message = refusal(tmp_path, text)
    assert f"catalogue.toml, line {marked_line(text)}: " in message
    assert problem in message


def test_a_refusal_reads_file_line_place_and_problem(tmp_path: Path) -> None:
    text = SHARED_SITE.replace('sat = ["09:00-12:00"]', 'sat = ["12:00-09:00"]')
    assert refusal(tmp_path, text) == (
        f"{tmp_path / 'catalogue.toml'}, line 9: "
        "site > agent_hours > sat[0]: '12:00-09:00' closes before it opens"
    )


def test_each_problem_gets_its_own_line(tmp_path: Path) -> None:
    text = SHARED_SITE.replace('help_phone = "311"', 'help_phone = "1"').replace(
        'label = { fr = "Rue", en = "Street" }', 'label = { fr = "Rue" }'
    )
    problems = refusal(tmp_path, text).splitlines()
    assert len(problems) == 2
    assert problems[0].endswith(
        "line 4: site > help_phone: String should have at least 3 characters"
    )
    assert "line 28: services 'address' > fields 'street' > label > en" in problems[1]


def test_a_problem_with_no_line_still_names_its_place(tmp_path: Path) -> None:
    text = "[[agencies]]" + SHARED_SITE.split("[[agencies]]", 1)[1]
    message = refusal(tmp_path, text)
    assert message == f"{tmp_path / 'catalogue.toml'}: site: Field required"


def test_hours_default_to_none_deferring_to_the_back_end(tmp_path: Path) -> None:
    text = SHARED_SITE.replace(
        '[site.agent_hours]\ntimezone = "America/Toronto"\n'
        'mon = ["08:30-12:00", "13:00-16:30"]\nsat = ["09:00-12:00"]\n',
        "",
    )
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    assert load_catalogue(path).site.agent_hours is None


@pytest.mark.parametrize("queues_file", ["default", "demo"])
def test_every_service_of_the_demo_site_reaches_an_agent_queue(
    queues_file: str, tmp_path: Path
) -> None:
    """ "Talk to a person" works from every service, in both languages, at the demo site."""
    path = DEFAULT_QUEUES_FILE
    if queues_file == "demo":
        path = tmp_path / "queues.toml"
        path.write_text(DEMO_QUEUES, encoding="utf-8")
    book = load_queues(path, default_zone="UTC", default_max_wait_s=900)
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    unrouted = [
        (service.id, language)
        for service in catalogue.services
        for language in ("fr", "en")
        if book.find(service.agency, language, service.id) is None
    ]
    assert unrouted == []


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ('{ field = "later", is_one_of = ["x"] }', "'later' is not a field asked before 'first'"),
        ('{ field = "first", is_one_of = ["x"] }', "'first' is not a field asked before 'first'"),
    ],
)
def test_a_condition_looks_back_at_an_earlier_field(
    tmp_path: Path, condition: str, problem: str
) -> None:
    text = SHARED_SITE.replace(
        '  [[services.fields]]\n  id = "street"\n',
        f'  [[services.fields]]\n  id = "first"\n  label = {{ fr = "A", en = "A" }}\n'
        f"  show_if = {condition}\n\n"
        '  [[services.fields]]\n  id = "later"\n  label = { fr = "B", en = "B" }\n\n'
        '  [[services.fields]]\n  id = "street"\n',
        1,
    )
    assert text != SHARED_SITE
    assert problem in refusal(tmp_path, text)


def test_a_condition_on_a_choice_names_its_choices(tmp_path: Path) -> None:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    email = catalogue.service("copy-of-record").field("email")
    assert email.show_if is not None
    assert email.shown({"delivery": "email"})
    assert not email.shown({"delivery": "pickup"})
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8").replace(
        'is_one_of = ["email"]', 'is_one_of = ["fax"]'
    )
    assert "'delivery' has no choice fax" in refusal(tmp_path, text)
