"""What a branch of the voice menu sees of a call, and what it may ask the call log to do.

A branch is a function from a :class:`Turn` (the call's state and the caller's input in
one request) to the TwiML to answer. It changes nothing itself: it asks for a few coarse
operations of the call log (:class:`CallLog`, :class:`BookingDesk`, …), and the adapter
that implements this protocol (``twilio_turn``) carries them out over the database and
commits once. Nothing here imports Flask or the database, so menu decisions can be tested
with plain objects (``tests/ivr``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from calllog.office import Office
    from ivr.twiml import Speaker
    from models import AppealStatus, AttemptResult, CallbackStatus, CallOutcome


class NotThisCall(Exception):
    """The request names something this call may not use (another call's appointment, an
    unknown topic): not a request Twilio would make for our TwiML. The adapter answers 400."""


class Offer(Protocol):
    """A free slot as the caller hears it: when, with whom, where."""

    @property
    def slot_id(self) -> int: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def expert(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def place(self) -> str: ...


class Booking(Protocol):
    """An appointment made or found by this call."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def slot_id(self) -> int: ...


class Appeal(Protocol):
    """An appeal registered or looked up by this call."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def status(self) -> AppealStatus: ...
    @property
    def status_since(self) -> datetime: ...
    @property
    def answer_due(self) -> date: ...


class Callback(Protocol):
    """A staff callback, as its click-to-call bridge sees it."""

    @property
    def id(self) -> int: ...
    @property
    def phone(self) -> str: ...
    @property
    def status(self) -> CallbackStatus: ...


class CallLog(Protocol):
    """What any branch may write about the call."""

    def event(self, kind: str, detail: str = "") -> None:
        """Add a line to the call's timeline."""

    def outcome(self, outcome: CallOutcome) -> None:
        """Record what came of the call (a later, stronger outcome wins)."""

    def consent(self, purpose: str, version: str) -> None:
        """Keep the caller's consent with the exact wording agreed to, once (152-FZ)."""

    def request_callback(self, reason: str, phone: str | None = None) -> None:
        """Queue a callback to ``phone`` (the caller's number by default)."""

    def withdraw_callback(self, reason: str) -> None:
        """Take back the callback ``reason`` this call queued (a number typed wrong)."""

    def send_sms(self, phone: str | None, text: str) -> None:
        """Send ``text`` to a mobile ``phone`` once the request's work is committed."""

    def staff_took_call(self) -> bool:
        """Whether a staff member accepted this call on a screened leg (``Leg.staff_accepted``)."""


class BookingDesk(Protocol):
    """The booking operations of key 1 (§3.1)."""

    def upcoming(self) -> Booking | None:
        """The caller's own upcoming appointment, by caller ID."""

    def free_slots(self, offset: int, limit: int, expert: str | None = None) -> Sequence[Offer]:
        """Free slots in the booking window, nearest first; only ``expert``'s when given."""

    def experts(self, limit: int, offset: int = 0) -> Sequence[Offer]:
        """The first free slot of each expert in the booking window, nearest first,
        ``offset`` experts skipped."""

    def offer(self, slot_id: int) -> Offer | None:
        """How a slot is spoken, free or booked; None when it does not exist."""

    def own(self, appointment_id: int) -> Booking | None:
        """An appointment this call booked or holds by caller ID; None for any other."""

    def confirm(self, slot_id: int, consent_version: str) -> Booking | None:
        """Book the slot with the caller's consent, the event and the outcome, in one step.

        A repeated confirmation returns the call's own booking; None when the slot was taken.
        """

    def cancel(self, appointment: Booking) -> None:
        """Cancel the caller's appointment."""

    def attach_name(self, appointment: Booking) -> None:
        """Keep this request's recording as the visitor's name on ``appointment``."""

    def set_contact(self, appointment: Booking, phone: str) -> None:
        """The number typed by a caller without a usable caller ID: ``appointment.phone``
        is that number from now on (the read-back's SMS goes to it)."""


class AppealDesk(Protocol):
    """The appeal operations of keys 2 and 3 (§3.2, §3.3)."""

    def register(self, topic: str) -> Appeal | None:
        """The appeal for this request's recording, created on first sight (with the event
        and the outcome); None when nothing was recorded or it is too short to hold words."""

    def own(self, appeal_id: int) -> Appeal | None:
        """An appeal this call registered; None for any other."""

    def set_contact(self, appeal: Appeal, phone: str) -> None:
        """The number typed by a caller without a usable caller ID: ``appeal.phone`` is
        that number from now on."""

    def look_up(self, number: str) -> Appeal | None:
        """The appeal with this number, linked to the call; None when there is none."""

    def get(self, appeal_id: int) -> Appeal | None:
        """Any appeal by id (a callback offered after a status check)."""


class TranscriptDesk(Protocol):
    """Twilio's live transcription of a request or a name (``TRANSCRIPTION=twilio``)."""

    def receive(self, name: str, appointment: Booking | None = None) -> None:
        """Apply this request's transcription callback to the call's transcript ``name``
        (the visitor's name on ``appointment``); idempotent, in any order."""

    def link_appeal(self, name: str, appeal: Appeal) -> None:
        """The request recorded while transcription ``name`` ran became ``appeal``."""


class CallbackDesk(Protocol):
    """The click-to-call bridge's operations on staff callbacks (§6)."""

    def find(self, callback_id: int, *, lock: bool = False) -> Callback | None: ...

    def adopt(self, callback: Callback, line: str) -> None:
        """Log this outbound call as the callback's, from ``line``."""

    def placed_by(self) -> str | None:
        """Who placed the call from the staff application, when the page logged it."""

    def operator_by_phone(self, phone: str) -> str | None:
        """The one active staff member with this phone, as an actor name."""

    def record_attempt(
        self, callback: Callback, result: AttemptResult, actor: str | None, note: str
    ) -> bool:
        """Record this call's attempt unless the callback was closed or already has it;
        ``callback.status`` then says where the attempt left it."""

    def citizen_talked(
        self, callback: Callback, seconds: int, actor: str | None, note: str
    ) -> AttemptResult | None:
        """The citizen leg was answered and bridged for ``seconds``. §12 decides the attempt
        from Twilio's answering machine detection and the talk time: recorded (and returned)
        once both are known, else None; the detection callback records it when it comes."""

    def line_of(self, callback: Callback) -> str:
        """The line to call the citizen back from: that of their latest call, else the first."""


class ScheduleDesk(Protocol):
    def upcoming_outreach(self, days: int, limit: int) -> Sequence[tuple[datetime, str]]:
        """The next outreach receptions: when, and where."""


class Leg(Protocol):
    """A request of the staff member's screening leg: no call of the log of its own."""

    @property
    def speaker(self) -> Speaker: ...
    @property
    def digits(self) -> str: ...
    def staff_accepted(self) -> None:
        """Record on the caller's call (this leg's parent) that the staff member took it."""

    def citizen_answered(self, note: str) -> None:
        """Keep Twilio's ``AnsweredBy`` for the citizen leg of a staff callback, on the
        operator's call named in the URL; it records the attempt (with ``note``) if the talk
        time is known."""

    def url(self, view: Callable[..., Any], **values: object) -> str:
        """The absolute URL Twilio must request for ``view`` with ``values`` in its query."""


class Turn(Leg, Protocol):
    """One webhook request of a call, as a branch sees it."""

    @property
    def now(self) -> datetime: ...
    @property
    def office(self) -> Office: ...
    @property
    def caller(self) -> str | None:
        """The caller's number in E.164, or None when withheld or unusable."""

    @property
    def line(self) -> str:
        """The reception line called (E.164)."""

    @property
    def call_sid(self) -> str:
        """Twilio's ``CallSid`` of this call."""

    @property
    def first_request(self) -> bool:
        """False when Twilio repeats the call's first request."""

    @property
    def hung_up(self) -> bool:
        """A Record action after the caller hung up while recording."""

    @property
    def dial_status(self) -> str:
        """``DialCallStatus`` of a ``<Dial>`` action."""

    @property
    def dial_seconds(self) -> int:
        """``DialCallDuration`` of a ``<Dial>`` action: seconds the parties were connected."""

    @property
    def from_number(self) -> str:
        """Twilio's ``From`` as given (our line, on an outbound call)."""

    @property
    def called(self) -> str | None:
        """Twilio's ``To`` in E.164: the staff phone, on a call placed from the application."""

    @property
    def log(self) -> CallLog: ...
    @property
    def booking(self) -> BookingDesk: ...
    @property
    def appeals(self) -> AppealDesk: ...
    @property
    def transcripts(self) -> TranscriptDesk: ...
    @property
    def callbacks(self) -> CallbackDesk: ...
    @property
    def schedule(self) -> ScheduleDesk: ...

    def arg(self, name: str, low: int = 0, high: int = 2**31 - 1) -> int:
        """A whole number from the URL's query (clamped; anything else reads as ``low``)."""

    def text_arg(self, name: str, max_length: int = 40) -> str:
        """A short text from the URL's query."""
