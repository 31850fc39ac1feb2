"""The kiosk's web view, driven offscreen against a fake agency e-service on loopback.

Allowed pages load and the coach follows them in both languages; a foreign
link is refused with a message; a file input is answered by the document
camera; printing and PDF downloads reach the kiosk printer; after the wipe,
nothing of the previous citizen's browsing is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6

from kiosk.call_engine import journey_context
from kiosk.ui.harness import RunningKiosk
from peripherals.camera.simulator import SimulatedDocumentCamera
from peripherals.printer.simulator import SimulatedPrinter
from tests.e2e.test_accessibility import NORMAL_MIN_CONTRAST, check_screen
from tests.e2e.test_keyboard import key, press
from tests.eservices.webview import (
    eservice_kiosk,
    go,
    js,
    open_eservice,
    page_titled,
    touch_in_page,
    until,
    view_of,
)
from tests.fixtures.eservice_site import FakeEService

COACH = {
    # page path: (title, French hint, English hint, outlined element)
    "/": (
        "Accueil du service",
        "Touchez « Formulaire » pour commencer.",
        'Touch "Formulaire" to start.',
        "to-form",
    ),
    "/form": (
        "Formulaire",
        "Écrivez votre nom, puis touchez « Envoyer ».",
        'Type your name, then touch "Envoyer".',
        "name",
    ),
    "/upload": (
        "Pièce jointe",
        "Touchez « Choisir un fichier » pour numériser votre document.",
        'Touch "Choose file" to scan your document.',
        "doc",
    ),
    "/secure": (
        "Paiement",
        "Entrez le numéro de votre carte.",
        "Enter your card number.",
        "card",
    ),
}


@pytest.fixture
def kiosk(qapp: object, tmp_path: Path, fake_eservice: FakeEService) -> Iterator[RunningKiosk]:
    with eservice_kiosk(tmp_path, fake_eservice.site.origin) as running:
        yield running


def shown(kiosk: RunningKiosk, name: str) -> str:
    item = kiosk.driver.find(name)
    return str(item.property("text")) if item is not None else ""


def test_allowed_pages_load_and_the_coach_shows_each_page_s_hint_in_both_languages(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice

    async def scenario() -> None:
        await open_eservice(d, "fr")
        await page_titled(d, eservice, "Accueil du service")
        for path, (title, french, english, element) in COACH.items():
            if path != "/":
                await go(d, eservice, fake_eservice.url(path), title)
            await d.wait_for(lambda f=french: shown(kiosk, "coachHint") == f, f"hint on {path}")
            # The element is outlined in the page.
            outlined = await until(
                lambda: js(eservice, "document.getElementById('__vg-coach-outline') !== null"),
                f"outline on {path}",
            )
            assert outlined
            box = await js(
                eservice,
                f"(function () {{ var o = document.getElementById('__vg-coach-outline')"
                f".getBoundingClientRect(), e = document.getElementById('{element}')"
                ".getBoundingClientRect(); return o.left < e.left && o.right > e.right"
                " && o.top < e.top && o.bottom > e.bottom; })()",
            )
            assert box, f"the outline surrounds #{element} on {path}"
            kiosk.ui.vm.toggleLanguage()
            await d.wait_for(lambda e=english: shown(kiosk, "coachHint") == e, f"English {path}")
            kiosk.ui.vm.toggleLanguage()
            await d.wait_for(lambda f=french: shown(kiosk, "coachHint") == f, f"French {path}")
        # "Teach me" explains; a page without hints offers a person.
        await go(d, eservice, fake_eservice.url("/"), "Accueil du service")
        await d.tap("coachTeach")
        await d.wait_for(
            lambda: shown(kiosk, "coachHint") == "Le formulaire demande votre nom.", "teach me"
        )
        await go(d, eservice, fake_eservice.url("/leave"), "Partenaire")
        await d.wait_for(
            lambda: "Une personne peut vous guider" in shown(kiosk, "coachHint"), "none"
        )
        assert await d.item("eserviceHelp")
        assert not await js(eservice, "document.getElementById('__vg-coach-outline') !== null")

    kiosk.run(scenario())


def test_a_foreign_link_or_window_is_refused_with_a_message_and_the_page_stays(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice
    own = fake_eservice.url("/leave")

    async def scenario() -> None:
        await open_eservice(d, "en")
        await page_titled(d, eservice, "Accueil du service")
        await go(d, eservice, own, "Partenaire")
        for link in ("foreign", "foreign-window", "redirect"):
            await touch_in_page(d, eservice, f"#{link}")
            await d.wait_for(lambda: eservice.property("notice") != "", f"refusal of {link}")
            assert shown(kiosk, "eserviceNoticeText").startswith("This page is outside")
            await d.tap("eserviceNoticeBack")
            await d.wait_for(lambda: d.find("eserviceNotice") is None, "notice gone")
            assert eservice.property("currentUrl") == own
        assert fake_eservice.foreign.requests == []  # not one request left the allow-list
        assert eservice.openUrl(fake_eservice.foreign.origin + "/") is False
        # A new window to an allowed page opens in the same view.
        await touch_in_page(d, eservice, "#own-window")
        await page_titled(d, eservice, "Formulaire")
        assert eservice.property("notice") == ""
        # An embedded frame from elsewhere is blocked too; the service's own frame loads.
        await go(d, eservice, fake_eservice.url("/embedded"), "Cadre")
        await d.wait_for(
            lambda: "/form/sent" in fake_eservice.site.requests, "the service's own frame"
        )
        await asyncio.sleep(0.3)  # time for the foreign frame's request, were it let through
        assert fake_eservice.foreign.requests == []
        assert eservice.property("notice") == ""  # nothing to tell: the citizen did nothing

    kiosk.run(scenario())


def test_a_file_input_gets_the_document_camera_s_page_and_printing_reaches_the_printer(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice
    printer = kiosk.services.printer
    assert isinstance(printer, SimulatedPrinter)

    async def scenario() -> None:
        await open_eservice(d)
        await page_titled(d, eservice, "Accueil du service")
        await go(d, eservice, fake_eservice.url("/upload"), "Pièce jointe")
        for input_id, head in (("doc", [0xFF, 0xD8, 0xFF]), ("pdf-only", list(b"%PDF"))):
            await touch_in_page(d, eservice, f"#{input_id}")
            await d.item("scanOverlay")  # "scan a document", not a file picker
            received = await until(
                lambda i=input_id: js(
                    eservice,
                    f"window.__received.filter(function (f) {{ return f.input === '{i}'; }})",
                ),
                f"the page's {input_id} input receives the scan",
            )
            assert received[0]["head"][: len(head)] == head
            assert received[0]["size"] > 1000
        assert d.find("scanOverlay") is None
        # window.print() -> the page as PDF -> the kiosk printer.
        await go(d, eservice, fake_eservice.url("/print"), "Reçu")
        await touch_in_page(d, eservice, "#print")
        await d.wait_for(lambda: eservice.property("printState") == "printed", "printed page")
        # A PDF download is printed; anything else is refused, never kept.
        await go(d, eservice, fake_eservice.url("/downloads"), "Téléchargements")
        await touch_in_page(d, eservice, "#pdf")
        await d.wait_for(lambda: len(printer.jobs) == 2, "printed download")
        await touch_in_page(d, eservice, "#csv")
        await d.wait_for(
            lambda: str(eservice.property("notice")).startswith("Ce fichier ne peut pas"),
            "refused download",
        )

    kiosk.run(scenario())
    pages = [printer.job_path(job.job_id).read_bytes() for job in printer.jobs]
    assert all(page.startswith(b"%PDF") for page in pages)
    workdir = eservice.workdir
    assert workdir is not None
    assert not any(path.suffix == ".csv" for path in workdir.iterdir())


def test_nothing_of_one_citizen_s_browsing_is_left_for_the_next(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice
    set_traces = (
        "document.cookie = 'who=citizen1; max-age=86400'; localStorage.setItem('who', 'citizen1');"
        " sessionStorage.setItem('who', 'citizen1'); document.cookie"
    )
    read_traces = "[document.cookie, localStorage.getItem('who'), sessionStorage.getItem('who')]"

    async def scenario() -> None:
        await open_eservice(d)
        await page_titled(d, eservice, "Accueil du service")
        first_profile = eservice.live_profile
        assert first_profile is not None
        assert first_profile.isOffTheRecord()
        assert await js(eservice, set_traces) == "who=citizen1"
        await go(d, eservice, fake_eservice.url("/form"), "Formulaire")
        assert await js(eservice, read_traces) == ["who=citizen1", "citizen1", "citizen1"]
        assert view_of(eservice).property("canGoBack")
        # A help request from here names the page for the agent.
        context = journey_context(kiosk.services.journey, kiosk.services.strings)
        assert context.step == "eservice"
        assert context.fields[0][1] == f"Formulaire — {fake_eservice.url('/form')}"
        kiosk.ui.vm.newSession()  # the wipe (start over, timeout or goodbye)
        await d.screen("attractScreen")
        await d.wait_for(lambda: not shiboken6.isValid(first_profile), "first profile destroyed")
        assert eservice.property("eserviceItem") is None
        assert kiosk.services.journey.session.eservice_page is None
        # The next citizen.
        await open_eservice(d)
        await page_titled(d, eservice, "Accueil du service")
        assert eservice.live_profile is not None
        assert await js(eservice, read_traces) == ["", None, None]
        view = view_of(eservice)
        assert not view.property("canGoBack")
        history = view.property("history")
        assert history.property("backItems").rowCount() == 0
        assert history.property("items").rowCount() == 1

    kiosk.run(scenario())


def test_leaving_shows_how_to_continue_at_home_then_the_feedback(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice
    problems: list[str] = []

    async def scenario() -> None:
        await open_eservice(d, "en")
        await page_titled(d, eservice, "Accueil du service")
        await d.settle()
        found, texts, controls = check_screen(d, "eservice", NORMAL_MIN_CONTRAST)
        problems.extend(found)
        assert texts >= 3
        assert controls >= 3
        await d.tap("eserviceDone")
        await d.screen("continueAtHomeScreen")
        await d.item("continueQr")
        assert shown(kiosk, "continueUrl") == "permis.example.org/renouveler"
        assert shown(kiosk, "continueHow").startswith("Scan this code with your phone")
        await d.settle()
        found, _, _ = check_screen(d, "continue_at_home", NORMAL_MIN_CONTRAST)
        problems.extend(found)
        await d.tap("continueDone")
        await d.screen("feedbackScreen")
        assert eservice.property("eserviceItem") is None  # the web view went with its screen

    kiosk.run(scenario())
    assert problems == []


def test_the_on_screen_keyboard_types_into_the_agency_s_form(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice

    async def scenario() -> None:
        await open_eservice(d)
        await page_titled(d, eservice, "Accueil du service")
        await go(d, eservice, fake_eservice.url("/form"), "Formulaire")
        await touch_in_page(d, eservice, "#name")
        keyboard = await d.item("keyboard")
        await d.wait_for(lambda: keyboard.property("active"), "the on-screen keyboard")
        await d.settle()
        for letter in "anne":
            await press(d, key(keyboard, letter))
        value = await until(
            lambda: js(eservice, "document.getElementById('name').value"), "typed text"
        )
        assert value.lower() == "anne"

    kiosk.run(scenario())


def test_the_coach_reads_each_hint_aloud_once_the_citizen_asks(
    qapp: object, tmp_path: Path, fake_eservice: FakeEService
) -> None:
    # Qt's mock engine speaks to nobody but behaves as a voice does.
    with eservice_kiosk(tmp_path, fake_eservice.site.origin, speech_engine="mock") as kiosk:
        d, eservice, speech = kiosk.driver, kiosk.ui.eservice, kiosk.ui.speech

        async def scenario() -> None:
            await open_eservice(d, "en")
            await page_titled(d, eservice, "Accueil du service")
            assert speech.spoken == []  # nothing is read until the citizen asks
            await d.tap("coachListen")
            await d.wait_for(lambda: speech.spoken, "the hint read")
            assert speech.spoken[-1] == 'My permit online. Touch "Formulaire" to start.'
            await go(d, eservice, fake_eservice.url("/form"), "Formulaire")
            await d.wait_for(
                lambda: speech.spoken[-1] == 'Type your name, then touch "Envoyer".', "next hint"
            )
            kiosk.ui.vm.toggleLanguage()
            await d.wait_for(
                lambda: speech.spoken[-1].endswith("Écrivez votre nom, puis touchez « Envoyer »."),
                "the hint read again in French",
            )

        kiosk.run(scenario())


def test_sensitive_fields_are_found_for_the_screen_share_and_help_reaches_a_person(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice

    async def scenario() -> dict[str, object] | None:
        await open_eservice(d)
        await page_titled(d, eservice, "Accueil du service")
        assert await eservice.sensitive_rects() == {
            "rects": [],
            "devicePixelRatio": 1,
            "viewport": await js(eservice, "({w: window.innerWidth, h: window.innerHeight})"),
            "scroll": {"x": 0, "y": 0},
        }
        await go(d, eservice, fake_eservice.url("/secure"), "Paiement")
        found = await eservice.sensitive_rects()
        # The citizen's larger text is the page's zoom: the rectangles stay in CSS px.
        kiosk.ui.vm.cycleTextSize()
        view = view_of(eservice)
        await d.wait_for(lambda: abs(view.property("zoomFactor") - 1.2) < 1e-6, "zoomed")
        zoomed = await until(eservice.sensitive_rects, "rects after zoom")
        assert zoomed is not None
        assert len(zoomed["rects"]) == 4
        # devicePixelRatio carries the zoom: CSS px x devicePixelRatio = the view's pixels.
        assert abs(zoomed["devicePixelRatio"] - 1.2) < 1e-3
        assert abs(zoomed["viewport"]["w"] * 1.2 - view.width()) < 2
        kiosk.ui.vm.cycleTextSize()
        kiosk.ui.vm.cycleTextSize()  # back to normal
        await d.wait_for(lambda: abs(view.property("zoomFactor") - 1.0) < 1e-6, "unzoomed")
        await d.tap("eserviceHelp")  # the existing "talk to a person" path
        await d.item("helpOverlay")
        return found

    found = kiosk.run(scenario())
    assert found is not None
    expected = kiosk.run(
        js(
            eservice,
            "['pw', 'card', 'csc', 'nas'].map(function (id) {"
            " var r = document.getElementById(id).getBoundingClientRect();"
            " return {x: r.left, y: r.top, w: r.width, h: r.height}; })",
        )
    )
    assert found["rects"] == expected  # the password, card and marked fields; not the city
    assert found["devicePixelRatio"] == 1


def test_a_lost_camera_is_said_and_cancelling_gives_the_page_no_file(
    kiosk: RunningKiosk, fake_eservice: FakeEService
) -> None:
    d, eservice = kiosk.driver, kiosk.ui.eservice
    camera = kiosk.services.document_camera.get()
    assert isinstance(camera, SimulatedDocumentCamera)

    async def scenario() -> None:
        await open_eservice(d, "en")
        await page_titled(d, eservice, "Accueil du service")
        await go(d, eservice, fake_eservice.url("/upload"), "Pièce jointe")
        await js(
            eservice,
            "window.__cancelled = 0; document.getElementById('doc')"
            ".addEventListener('cancel', function () { window.__cancelled += 1; }); 0",
        )
        camera.lose_camera()
        await touch_in_page(d, eservice, "#doc")
        await d.wait_for(lambda: eservice.property("scanState") not in ("", "scanning"), "error")
        assert shown(kiosk, "scanStatus").startswith("The document camera")
        await d.tap("scanCancel")
        await d.wait_for(lambda: d.find("scanOverlay") is None, "the overlay closed")
        assert await until(lambda: js(eservice, "window.__cancelled"), "the input cancelled") == 1
        assert await js(eservice, "window.__received.length") == 0
        camera.restore_camera()  # the next try works
        await touch_in_page(d, eservice, "#doc")
        await until(lambda: js(eservice, "window.__received.length"), "the page gets the scan")

    kiosk.run(scenario())
