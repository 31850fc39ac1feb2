"""The citizen's journey: the steps, the rules between them, and the wipe."""

import contextlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kiosk.catalogue import load_catalogue
from kiosk.config import DEFAULT_CATALOGUE
from kiosk.journey import (
    CitizenSession,
    FeedbackReason,
    InactivityWatch,
    Journey,
    JourneyError,
    Step,
)
from offline_queue.schemas import IdentityMethod
from peripherals.card.simulator import SAMPLE_HOLDER

CATALOGUE = load_catalogue(DEFAULT_CATALOGUE)
TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
VALID_FILE_NUMBER = SAMPLE_HOLDER.file_number


def journey() -> Journey:
    return Journey(CATALOGUE, today=lambda: TODAY, now=lambda: NOW)


def at_form(service: str = "change-of-address") -> Journey:
    j = journey()
    j.start()
    j.choose_language("en")
    j.choose_service(service)
    j.accept_privacy()
    assert j.identify_with_file_number(VALID_FILE_NUMBER) is None
    return j


def fill_address(j: Journey) -> None:
    for field, value in {
        "street": "125 Maple Street",
        "city": "Rivière-Claire",
        "postal_code": "h2x1y4",
        "moving_date": "2026-12-01",
    }.items():
        j.set_value(field, value)


def test_full_journey_builds_the_transaction() -> None:
    j = at_form()
    fill_address(j)
    assert j.submit_form()
    assert j.step is Step.REVIEW
    record = j.confirm("VG-7K3M-9QXT")
    assert record.fields["postal_code"] == "H2X 1Y4"
    assert record.identified_by is IdentityMethod.FILE_NUMBER
    assert record.language == "en"
    j.saved()
    j.finish()
    assert j.step is Step.FEEDBACK
    j.give_feedback(4, FeedbackReason.EASY)
    assert j.step is Step.THANKS
    assert (j.session.satisfaction, j.session.feedback_reason) == (4, FeedbackReason.EASY)


def test_card_identifies_without_typing() -> None:
    j = journey()
    j.start()
    j.choose_language("fr")
    j.choose_service("appointment")
    assert j.step is Step.PRIVACY  # told what happens to their data before giving any
    j.accept_privacy()
    j.identify_with_card(SAMPLE_HOLDER)
    assert j.step is Step.FORM
    assert j.session.identity is not None
    assert j.session.identity.method is IdentityMethod.CARD
    assert j.session.identity.file_number == SAMPLE_HOLDER.file_number


def test_wrong_file_number_stays_on_identify_with_an_error() -> None:
    j = journey()
    j.start()
    j.choose_language("fr")
    j.choose_service("appointment")
    j.accept_privacy()
    assert j.identify_with_file_number("1234567890") == "identify.error.file_number"
    assert j.step is Step.IDENTIFY


def test_form_with_errors_keeps_the_citizen_on_the_form() -> None:
    j = at_form()
    j.set_value("postal_code", "nope")
    assert not j.submit_form()
    assert j.step is Step.FORM
    assert j.session.errors["postal_code"] == "form.error.postal_code"
    assert j.session.values["postal_code"] == "nope"  # what they typed is kept


def test_failed_save_returns_to_review_with_nothing_promised() -> None:
    j = at_form("copy-of-record")
    j.set_value("record_type", "tax-bill")
    j.set_value("delivery", "mail")
    assert j.submit_form()
    j.confirm("VG-AAAA-BBBB")
    j.save_failed()
    assert j.step is Step.REVIEW
    assert j.session.reference is None


def test_no_way_back_once_sent() -> None:
    j = at_form("copy-of-record")
    j.set_value("record_type", "tax-bill")
    j.set_value("delivery", "pickup")
    j.submit_form()
    j.confirm("VG-AAAA-BBBB")
    j.saved()
    assert not j.can_go_back
    with pytest.raises(JourneyError):
        j.back()


def test_wipe_forgets_everything() -> None:
    j = at_form()
    j.set_value("street", "125 Maple Street")
    j.wipe()
    assert j.step is Step.ATTRACT
    assert j.session.values == {}
    assert j.session.identity is None
    assert j.session.service_id is None


def test_inactivity_warns_then_expires() -> None:
    watch = InactivityWatch(timeout_s=90, countdown_s=20)
    watch.touch(100.0)
    assert watch.seconds_left(150.0) is None
    assert watch.seconds_left(175.0) == pytest.approx(15.0)
    assert not watch.expired(189.9)
    assert watch.expired(190.0)
    watch.touch(185.0)
    assert watch.seconds_left(186.0) is None


def test_a_life_event_crosses_agencies_and_asks_the_address_once() -> None:
    j = journey()
    j.start()
    j.choose_language("fr")
    j.choose_life_event("moving")
    assert j.session.service_id == "change-of-address"
    j.accept_privacy()
    j.identify_with_card(SAMPLE_HOLDER)
    fill_address(j)
    assert j.submit_form()
    city = j.confirm("VG-AAAA-0001")
    j.saved()
    j.finish()

    # The next request, for another agency: identified already, the address filled in.
    assert j.step is Step.FORM
    assert j.session.service_id == "licence-address"
    assert j.session.values["postal_code"] == "H2X 1Y4"
    assert j.session.values["street"] == "125 Maple Street"
    assert j.session.reference is None
    j.set_value("vehicles", "all")
    j.set_value("licence_consent", "yes")
    j.attach_document("proof_of_address", b"\xff\xd8 a scanned bill \xff\xd9")
    j.attach_signature("signature", b"\x89PNG\r\n\x1a\n a drawn name")
    assert j.submit_form(), j.session.errors
    licence = j.confirm("VG-AAAA-0002")
    j.saved()
    assert j.session.next_in_path is None
    j.finish()
    assert j.step is Step.FEEDBACK

    assert city.agency_id != licence.agency_id
    assert city.fields["street"] == licence.fields["street"]
    assert j.session.references == ["VG-AAAA-0001", "VG-AAAA-0002"]
    page, signature = j.attachments()
    assert licence.fields["proof_of_address"] == f"sha256:{page.sha256}"
    assert licence.fields["signature"] == f"sha256:{signature.sha256}"


def test_a_service_that_needs_an_agent_goes_to_a_person_not_a_form() -> None:
    j = journey()
    j.start()
    j.choose_language("en")
    j.choose_service("tax-payment-plan")
    assert j.step is Step.AGENT
    j.back()
    assert j.step is Step.SERVICE
    j.choose_service("contest-ticket")
    assert j.step is Step.REFERRAL
    j.finish()
    assert j.step is Step.FEEDBACK
    with pytest.raises(JourneyError):
        j.give_feedback(6)
    j.give_feedback(None)
    assert j.step is Step.THANKS
    assert j.session.satisfaction is None


class JourneyMachine(RuleBasedStateMachine):
    """Whatever a citizen does, in any order, the journey stays coherent."""

    def __init__(self) -> None:
        super().__init__()
        self.j = journey()

    def attempt(self, action: object) -> None:
        with contextlib.suppress(JourneyError):
            action()  # type: ignore[operator]

    @rule()
    def start(self) -> None:
        self.attempt(self.j.start)

    @rule(lang=st.sampled_from(["fr", "en"]))
    def language(self, lang: str) -> None:
        self.attempt(lambda: self.j.choose_language(lang))  # type: ignore[arg-type]

    @rule(service=st.sampled_from([s.id for s in CATALOGUE.services]))
    def service(self, service: str) -> None:
        self.attempt(lambda: self.j.choose_service(service))

    @rule(event=st.sampled_from([e.id for e in CATALOGUE.life_events]))
    def life_event(self, event: str) -> None:
        self.attempt(lambda: self.j.choose_life_event(event))

    @rule()
    def leave_eservice(self) -> None:
        self.attempt(self.j.leave_eservice)

    @rule()
    def accept_privacy(self) -> None:
        self.attempt(self.j.accept_privacy)

    @rule()
    def finish(self) -> None:
        self.attempt(self.j.finish)

    @rule(score=st.sampled_from([None, 1, 3, 5]))
    def feedback(self, score: int | None) -> None:
        self.attempt(lambda: self.j.give_feedback(score))

    @rule(number=st.sampled_from([VALID_FILE_NUMBER, "0000000001", ""]))
    def identify(self, number: str) -> None:
        self.attempt(lambda: self.j.identify_with_file_number(number))

    @rule(value=st.text(max_size=20))
    def fill(self, value: str) -> None:
        if self.j.step is Step.FORM and self.j.service.fields:
            field = self.j.service.fields[0].id
            self.j.set_value(field, value)

    @rule()
    def submit(self) -> None:
        self.attempt(self.j.submit_form)

    @rule()
    def back(self) -> None:
        self.attempt(self.j.back)

    @rule()
    def confirm(self) -> None:
        self.attempt(lambda: self.j.confirm("VG-AAAA-BBBB"))

    @rule()
    def saved(self) -> None:
        self.attempt(self.j.saved)

    @rule()
    def wipe(self) -> None:
        self.j.wipe()
        assert self.j.session == CitizenSession(id=self.j.session.id, language="fr")

    @invariant()
    def steps_after_identify_have_an_identity(self) -> None:
        if self.j.step in (Step.FORM, Step.REVIEW, Step.SUBMITTING, Step.CONFIRMATION):
            assert self.j.session.identity is not None
            assert self.j.session.service_id is not None
            assert self.j.session.privacy_accepted  # told before anything was asked

    @invariant()
    def a_service_that_needs_a_person_never_reaches_a_form(self) -> None:
        web = (Step.ESERVICE, Step.CONTINUE_AT_HOME)
        if self.j.step in (Step.FORM, Step.REVIEW, Step.AGENT, Step.REFERRAL, *web):
            channel = self.j.service.channel
            expected = {
                Step.AGENT: "agent_required",
                Step.REFERRAL: "refer",
                Step.ESERVICE: "eservice",
                Step.CONTINUE_AT_HOME: "eservice",
            }
            assert channel.value == expected.get(self.j.step, "self_service")

    @invariant()
    def each_saved_request_has_its_own_reference(self) -> None:
        references = self.j.session.references
        assert len(set(references)) == len(references)

    @invariant()
    def a_reference_means_the_citizen_confirmed(self) -> None:
        if self.j.session.reference is not None:
            assert self.j.step in (Step.SUBMITTING, Step.CONFIRMATION, Step.FEEDBACK, Step.THANKS)


TestJourneyMachine = JourneyMachine.TestCase


def test_a_signature_is_a_png_tied_to_its_field() -> None:
    j = journey()
    j.start()
    j.choose_language("fr")
    j.choose_service("licence-address")
    j.accept_privacy()
    j.identify_with_card(SAMPLE_HOLDER)
    with pytest.raises(JourneyError):
        j.attach_signature("signature", b"GIF89a not a png")
    with pytest.raises(JourneyError):
        j.attach_signature("street", b"\x89PNG\r\n\x1a\n....")  # not a signature field
    j.attach_signature("signature", b"\x89PNG\r\n\x1a\n a drawn name")
    [signature] = j.attachments()
    assert signature.media_type == "image/png"
    assert j.session.values["signature"] == f"sha256:{signature.sha256}"


def test_an_eservice_opens_in_the_web_view_then_offers_to_continue_at_home(
    tmp_path: Path,
) -> None:
    from tests.eservices.catalogues import eservice_catalogue

    catalogue = load_catalogue(eservice_catalogue(tmp_path, "http://127.0.0.1:8000"))
    j = Journey(catalogue)
    j.start()
    j.choose_language("en")
    j.choose_service("permit-online")
    assert j.step is Step.ESERVICE  # no privacy notice: the agency's site asks what it needs
    j.back()
    assert j.step is Step.SERVICE
    j.choose_service("permit-online")
    j.session.eservice_page = ("Formulaire", "http://127.0.0.1:8000/form")
    with pytest.raises(JourneyError):
        j.finish()  # the web view first says goodbye
    j.leave_eservice()
    assert j.step is Step.CONTINUE_AT_HOME
    j.finish()
    assert j.step is Step.FEEDBACK
    j.wipe()
    assert j.session.eservice_page is None
