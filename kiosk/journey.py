"""The citizen's journey at the kiosk, as a state machine with no Qt in it.

attract -> language -> service (or a life event: several services in a row)
-> privacy notice -> identify -> form -> review -> submitting -> confirmation
-> [next service of the life event, identity and shared answers kept]
-> feedback -> thanks -> (wipe) attract. A service that needs a person goes to
the agent step; one handled elsewhere to the referral step.

The session holds everything a citizen typed or showed; :meth:`Journey.wipe`
replaces it with a fresh, empty one, so nothing of a citizen survives them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from kiosk.catalogue import Catalogue, Channel, FieldKind, Service
from kiosk.forms import check_field, check_form
from kiosk.i18n import Language
from offline_queue.analytics import SATISFACTION_SCORES, FeedbackReason
from offline_queue.items import NewAttachment
from offline_queue.schemas import IdentityMethod, TransactionRecord
from peripherals.card import CardHolder
from peripherals.card.file_number import is_valid_file_number, normalize_file_number


class Step(StrEnum):
    """Where the citizen is in the journey."""

    ATTRACT = "attract"
    LANGUAGE = "language"
    SERVICE = "service"
    PRIVACY = "privacy"
    IDENTIFY = "identify"
    FORM = "form"
    REVIEW = "review"
    SUBMITTING = "submitting"
    CONFIRMATION = "confirmation"
    FEEDBACK = "feedback"
    THANKS = "thanks"
    AGENT = "agent"  # the service needs a person: the call (or a callback) is the way
    REFERRAL = "referral"  # the service is done elsewhere: where to go and how
    ESERVICE = "eservice"  # the agency's online service, in the locked-down web view
    CONTINUE_AT_HOME = "continue_at_home"  # after the web view: a QR code to carry on at home


# Where "back" leads; steps without an entry have no way back (the data is sent).
_BACK = {
    Step.LANGUAGE: Step.ATTRACT,
    Step.SERVICE: Step.LANGUAGE,
    Step.PRIVACY: Step.SERVICE,
    Step.IDENTIFY: Step.SERVICE,
    Step.AGENT: Step.SERVICE,
    Step.REFERRAL: Step.SERVICE,
    Step.ESERVICE: Step.SERVICE,
    Step.FORM: Step.IDENTIFY,
    Step.REVIEW: Step.FORM,
}
# The steps a citizen sees in the step indicator (1 of 4 ...).
VISIBLE_STEPS = (Step.SERVICE, Step.IDENTIFY, Step.FORM, Step.REVIEW)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 1_000_000


class JourneyError(Exception):
    """An action that does not fit the current step (a UI bug, never the citizen's fault)."""


@dataclass(frozen=True)
class Identity:
    """Who the citizen is, as far as this transaction needs."""

    method: IdentityMethod
    file_number: str
    display_name: str | None = None


@dataclass
class CitizenSession:
    """Everything one citizen has given the kiosk; gone at the wipe."""

    id: str = field(default_factory=lambda: secrets.token_hex(8))
    language: Language = "fr"
    service_id: str | None = None
    identity: Identity | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    reference: str | None = None
    privacy_accepted: bool = False
    # A life event: the services to go through in order, and where the citizen is.
    life_event_id: str | None = None
    path: tuple[str, ...] = ()
    references: list[str] = field(default_factory=list)  # one per saved transaction
    satisfaction: int | None = None
    feedback_reason: FeedbackReason | None = None
    # The e-service page the citizen is on (title, address): the agent's context on a call.
    eservice_page: tuple[str, str] | None = None
    # Pages scanned and signatures drawn for the current service, by field.
    documents: dict[str, NewAttachment] = field(default_factory=dict, repr=False)

    @property
    def path_position(self) -> int:
        """0-based index of the current service in the life event (0 outside one)."""
        if self.service_id in self.path:
            return self.path.index(self.service_id)
        return 0

    @property
    def next_in_path(self) -> str | None:
        """The life event's next service after the current one, if any."""
        following = self.path[self.path_position + 1 :] if self.path else ()
        return following[0] if following else None


class Journey:
    """Moves one citizen through the transaction, one step at a time."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        default_language: Language = "fr",
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.catalogue = catalogue
        self._default_language: Language = default_language
        self._today = today
        self._now = now
        self.step = Step.ATTRACT
        self.session = CitizenSession(language=default_language)

    # -- moving along -------------------------------------------------------
    def start(self) -> None:
        """The citizen touched the attract screen."""
        self._expect(Step.ATTRACT)
        self.step = Step.LANGUAGE

    def set_language(self, language: Language) -> None:
        """Switch language; allowed on every screen."""
        self.session.language = language

    def choose_language(self, language: Language) -> None:
        """Language chosen on the language screen."""
        self._expect(Step.LANGUAGE)
        self.session.language = language
        self.step = Step.SERVICE

    def choose_service(self, service_id: str) -> None:
        """The citizen picked a service; the form starts empty."""
        self._expect(Step.SERVICE)
        self.catalogue.service(service_id)
        self.session.life_event_id, self.session.path = None, ()
        if service_id != self.session.service_id:
            self.session.values.clear()
            self.session.errors.clear()
        self._enter(service_id)

    def choose_life_event(self, event_id: str) -> None:
        """The citizen picked a life event: its services follow one another."""
        self._expect(Step.SERVICE)
        event = self.catalogue.life_event(event_id)
        self.session.values.clear()
        self.session.errors.clear()
        self.session.life_event_id, self.session.path = event.id, event.services
        self._enter(event.services[0])

    def accept_privacy(self) -> None:
        """The citizen read what is done with their data and goes on."""
        self._expect(Step.PRIVACY)
        self.session.privacy_accepted = True
        self.step = Step.FORM if self.session.identity is not None else Step.IDENTIFY

    def _enter(self, service_id: str) -> None:
        """Start ``service_id`` at the step its channel calls for."""
        self.session.service_id = service_id
        self.session.reference = None
        match self.catalogue.service(service_id).channel:
            case Channel.AGENT_REQUIRED:
                self.step = Step.AGENT
            case Channel.REFER:
                self.step = Step.REFERRAL
            case Channel.ESERVICE:
                self.step = Step.ESERVICE
            case Channel.SELF_SERVICE if not self.session.privacy_accepted:
                self.step = Step.PRIVACY
            case Channel.SELF_SERVICE if self.session.identity is not None:
                self.step = Step.FORM  # identified for an earlier service of the visit
            case Channel.SELF_SERVICE:
                self.step = Step.IDENTIFY

    def identify_with_card(self, holder: CardHolder) -> None:
        """The card was read: no need to type what the card says."""
        self._expect(Step.IDENTIFY)
        self.session.identity = Identity(
            IdentityMethod.CARD,
            holder.file_number,
            f"{holder.given_name} {holder.family_name}",
        )
        self.step = Step.FORM

    def identify_with_file_number(self, typed: str) -> str | None:
        """The citizen typed a file number; returns an error key when it is not valid."""
        self._expect(Step.IDENTIFY)
        if not is_valid_file_number(typed):
            return "identify.error.file_number"
        self.session.identity = Identity(IdentityMethod.FILE_NUMBER, normalize_file_number(typed))
        self.step = Step.FORM
        return None

    def set_value(self, field_id: str, value: str) -> str | None:
        """Record one field; returns its error key, if any, once the field has been left."""
        spec = self.service.field(field_id)
        self.session.values[field_id] = value
        error = check_field(spec, value, self._today()).error
        if error is None:
            self.session.errors.pop(field_id, None)
        return error

    def attach_document(self, field_id: str, jpeg: bytes) -> None:
        """A page scanned for ``field_id``: the field names it by its hash."""
        self._attach(field_id, FieldKind.DOCUMENT, NewAttachment("image/jpeg", jpeg))

    def attach_signature(self, field_id: str, png: bytes) -> None:
        """The citizen's signature, drawn for ``field_id`` (a PNG)."""
        if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES:
            raise JourneyError("a signature is a PNG of at most 1 MB")
        self._attach(field_id, FieldKind.SIGNATURE, NewAttachment("image/png", png))

    def _attach(self, field_id: str, kind: FieldKind, attachment: NewAttachment) -> None:
        self._expect(Step.FORM)
        if self.service.field(field_id).kind is not kind:
            raise JourneyError(f"{field_id} is not a {kind.value} field")
        self.session.documents[field_id] = attachment
        self.set_value(field_id, f"sha256:{attachment.sha256}")

    def attachments(self) -> list[NewAttachment]:
        """The scans and signatures the current service's answers refer to."""
        values = self.session.values
        return [
            attachment
            for field_id, attachment in self.session.documents.items()
            if values.get(field_id) == f"sha256:{attachment.sha256}"
        ]

    def submit_form(self) -> bool:
        """Check the whole form; on success move to review, else keep the errors."""
        self._expect(Step.FORM)
        result = check_form(self.service, self.session.values, self._today())
        self.session.errors = dict(result.errors)
        if not result.ok:
            return False
        self.session.values = dict(result.values)
        self.step = Step.REVIEW
        return True

    def edit(self) -> None:
        """From the review, go back to the form with the values kept."""
        self._expect(Step.REVIEW)
        self.step = Step.FORM

    def confirm(self, reference: str) -> TransactionRecord:
        """The citizen confirmed the review: the transaction to save, under ``reference``."""
        self._expect(Step.REVIEW)
        identity = self.session.identity
        if identity is None:
            raise JourneyError("confirm without identity")
        service = self.service
        self.session.reference = reference
        self.step = Step.SUBMITTING
        return TransactionRecord(
            reference=reference,
            agency_id=service.agency,
            service_id=service.id,
            language=self.session.language,
            identified_by=identity.method,
            file_number=identity.file_number,
            fields=dict(self.session.values),
            submitted_at=self._now(),
        )

    def saved(self) -> None:
        """The outbox holds the transaction: show the reference."""
        self._expect(Step.SUBMITTING)
        if self.session.reference is not None:
            self.session.references.append(self.session.reference)
        self.step = Step.CONFIRMATION

    def save_failed(self) -> None:
        """Saving failed (e.g. disk full): back to the review, nothing was promised."""
        self._expect(Step.SUBMITTING)
        self.session.reference = None
        self.step = Step.REVIEW

    def finish(self) -> None:
        """Done with this service: the life event's next one, or the feedback question.

        The next service starts with the answers it shares with the ones given so
        far (the new address, typed once), for the citizen to confirm, not retype.
        """
        if self.step not in (
            Step.CONFIRMATION,
            Step.AGENT,
            Step.REFERRAL,
            Step.CONTINUE_AT_HOME,
        ):
            raise JourneyError(f"nothing to finish at {self.step}")
        following = self.session.next_in_path
        if following is None:
            self.step = Step.FEEDBACK
            return
        shared = {
            spec.id
            for spec in self.catalogue.service(following).fields
            # A page proves one request, and a signature signs one: asked again.
            if spec.kind not in (FieldKind.DOCUMENT, FieldKind.SIGNATURE)
        }
        self.session.values = {k: v for k, v in self.session.values.items() if k in shared}
        self.session.documents.clear()
        self.session.errors.clear()
        self._enter(following)

    def leave_eservice(self) -> None:
        """The citizen is done in the web view: next, how to carry on at home."""
        self._expect(Step.ESERVICE)
        self.step = Step.CONTINUE_AT_HOME

    def give_feedback(self, score: int | None, reason: FeedbackReason | None = None) -> None:
        """The satisfaction question, answered (1 to 5, and why) or skipped (``None``)."""
        self._expect(Step.FEEDBACK)
        if score is not None and score not in SATISFACTION_SCORES:
            raise JourneyError(f"satisfaction {score} out of range")
        self.session.satisfaction = score
        self.session.feedback_reason = reason if score is not None else None
        self.step = Step.THANKS

    def back(self) -> None:
        """One step back, where the journey allows it."""
        previous = _BACK.get(self.step)
        if previous is None:
            raise JourneyError(f"no way back from {self.step}")
        self.step = previous

    def wipe(self) -> None:
        """Forget the citizen entirely and return to the attract screen."""
        self.session = CitizenSession(language=self._default_language)
        self.step = Step.ATTRACT

    # -- reading --------------------------------------------------------------
    @property
    def service(self) -> Service:
        """The chosen service."""
        if self.session.service_id is None:
            raise JourneyError("no service chosen")
        return self.catalogue.service(self.session.service_id)

    @property
    def can_go_back(self) -> bool:
        """Whether the current step offers "back"."""
        return self.step in _BACK

    @property
    def step_number(self) -> int:
        """1-based position in the visible steps, 0 outside them."""
        return VISIBLE_STEPS.index(self.step) + 1 if self.step in VISIBLE_STEPS else 0

    def _expect(self, step: Step) -> None:
        if self.step is not step:
            raise JourneyError(f"expected step {step}, at {self.step}")


class InactivityWatch:
    """Decides when an unattended session must be wiped, with a warning first.

    Pure arithmetic over a clock so that it is tested without waiting.
    """

    def __init__(self, timeout_s: float, countdown_s: float) -> None:
        self.timeout_s = timeout_s
        self.countdown_s = countdown_s
        self._last_activity = 0.0

    def touch(self, now: float) -> None:
        """The citizen did something."""
        self._last_activity = now

    def seconds_left(self, now: float) -> float | None:
        """Seconds before the wipe while the warning shows, else None."""
        idle = now - self._last_activity
        warn_at = self.timeout_s - self.countdown_s
        if idle < warn_at:
            return None
        return max(0.0, self.timeout_s - idle)

    def expired(self, now: float) -> bool:
        """Whether the session must be wiped now."""
        return now - self._last_activity >= self.timeout_s
