"""A :class:`ivr.turn.Turn` made of plain objects, and a reader for the TwiML it gets.

:class:`FakeTurn` implements the protocol structurally: its desks keep every operation a
branch asks for and answer what the test scripted. ``turn.url(view, **values)`` gives
``https://test/<module>/<view>?<values>``, so a test can see which view a ``<Gather>``,
``<Record>`` or ``<Dial>`` posts to, and :meth:`FakeTurn.post` follows such a URL to the
view the way Twilio would, with the desks and the log shared between the requests.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from twilio.twiml.voice_response import VoiceResponse

from calllog.hours import OfficeHours
from calllog.lines import parse_lines
from calllog.office import Office
from clock import Clock
from ivr import branches
from ivr.prompts import Catalogue
from ivr.turn import Turn
from ivr.twiml import Speaker
from models import AppealStatus, AttemptResult, CallbackStatus, CallOutcome
from tests.twiml_conformance import violations

PERM = ZoneInfo("Asia/Yekaterinburg")
# A Wednesday in office hours, and the same evening after closing.
OPEN_TIME = datetime(2026, 12, 2, 11, 0, tzinfo=PERM)
CLOSED_TIME = datetime(2026, 12, 2, 19, 0, tzinfo=PERM)
LINE = "+73422368229"
MOBILE = "+79024712233"
OTHER_MOBILE = "+79127654321"
STAFF_PHONE = "+79500000001"
BASE = "https://test"


# --- What the desks hand back -------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    slot_id: int
    starts_at: datetime
    expert: str = "Иванова Анна Петровна"
    title: str = "юрист"
    place: str = "улица Екатерининская, 210, кабинет 5"


@dataclass
class Booking:
    """Mutable like the adapter's row: ``set_contact`` changes ``phone`` in place."""

    id: int
    code: str
    phone: str | None
    slot_id: int


@dataclass
class Appeal:
    id: int
    number: str
    phone: str | None
    status: AppealStatus = AppealStatus.REGISTERED
    status_since: datetime = OPEN_TIME - timedelta(days=3)
    answer_due: date = (OPEN_TIME + timedelta(days=27)).date()


@dataclass
class Callback:
    id: int
    phone: str
    status: CallbackStatus = CallbackStatus.PENDING


def offer(slot_id: int, day: int = 3, hour: int = 10) -> Offer:
    """A free slot on a December day of 2026, office time."""
    return Offer(slot_id, datetime(2026, 12, day, hour, 0, tzinfo=PERM))


# --- The desks --------------------------------------------------------------------------


@dataclass
class FakeLog:
    events: list[tuple[str, str]] = field(default_factory=list)
    outcomes: list[CallOutcome] = field(default_factory=list)
    consents: list[tuple[str, str]] = field(default_factory=list)
    callbacks: list[tuple[str, str | None]] = field(default_factory=list)  # (reason, phone)
    sms: list[tuple[str | None, str]] = field(default_factory=list)
    accepted: bool = False  # a staff member pressed 1 on a screened leg

    def event(self, kind: str, detail: str = "") -> None:
        self.events.append((kind, detail))

    def outcome(self, outcome: CallOutcome) -> None:
        self.outcomes.append(outcome)

    def consent(self, purpose: str, version: str) -> None:
        self.consents.append((purpose, version))

    def request_callback(self, reason: str, phone: str | None = None) -> None:
        self.callbacks.append((reason, phone))

    def staff_took_call(self) -> bool:
        return self.accepted

    def withdraw_callback(self, reason: str) -> None:
        self.callbacks = [(r, phone) for r, phone in self.callbacks if r != reason]

    def send_sms(self, phone: str | None, text: str) -> None:
        self.sms.append((phone, text))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


@dataclass
class FakeBookingDesk:
    """``free`` are the free slots in order; ``taken`` slots are still spoken by
    :meth:`offer` but lost by :meth:`confirm`; ``gone`` slots no longer exist."""

    existing: Booking | None = None
    contact: str | None = MOBILE  # the phone a new booking gets: the caller's, if usable
    free: list[Offer] = field(default_factory=list)
    taken: set[int] = field(default_factory=set)
    gone: set[int] = field(default_factory=set)
    bookings: dict[int, Booking] = field(default_factory=dict)
    confirmed: list[tuple[int, str]] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    named: list[int] = field(default_factory=list)
    contacts: list[tuple[int, str]] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.existing is not None:
            self.bookings[self.existing.id] = self.existing

    def upcoming(self) -> Booking | None:
        return self.existing

    def free_slots(self, offset: int, limit: int, expert: str | None = None) -> Sequence[Offer]:
        self.pages.append((offset, limit))
        mine = [o for o in self.free if expert in (None, o.expert)]
        return mine[offset : offset + limit]

    def experts(self, limit: int, offset: int = 0) -> Sequence[Offer]:
        firsts: dict[str, Offer] = {}
        for free in self.free:
            firsts.setdefault(free.expert, free)
        return list(firsts.values())[offset : offset + limit]

    def offer(self, slot_id: int) -> Offer | None:
        if slot_id in self.gone:
            return None
        return next((o for o in self.free if o.slot_id == slot_id), None) or offer(slot_id)

    def own(self, appointment_id: int) -> Booking | None:
        return self.bookings.get(appointment_id)

    def confirm(self, slot_id: int, consent_version: str) -> Booking | None:
        self.confirmed.append((slot_id, consent_version))
        mine = next((b for b in self.bookings.values() if b.slot_id == slot_id), None)
        if mine is not None:
            return mine
        if slot_id in self.taken or slot_id in self.gone:
            return None
        booking = Booking(100 + len(self.bookings), "4711", self.contact, slot_id)
        self.bookings[booking.id] = booking
        return booking

    def cancel(self, appointment: Booking) -> None:
        self.cancelled.append(appointment.id)

    def attach_name(self, appointment: Booking) -> None:
        self.named.append(appointment.id)

    def set_contact(self, appointment: Booking, phone: str) -> None:
        self.contacts.append((appointment.id, phone))
        appointment.phone = phone


@dataclass
class FakeAppealDesk:
    """``registers`` is what :meth:`register` returns, one per call (the last one repeats)."""

    registers: list[Appeal | None] = field(default_factory=list)
    appeals: dict[int, Appeal] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    looked_up: list[str] = field(default_factory=list)
    contacts: list[tuple[int, str]] = field(default_factory=list)

    def register(self, topic: str) -> Appeal | None:
        self.topics.append(topic)
        appeal = self.registers[min(len(self.topics), len(self.registers)) - 1]
        if appeal is not None:
            self.appeals[appeal.id] = appeal
        return appeal

    def own(self, appeal_id: int) -> Appeal | None:
        return self.appeals.get(appeal_id)

    def set_contact(self, appeal: Appeal, phone: str) -> None:
        self.contacts.append((appeal.id, phone))
        appeal.phone = phone

    def look_up(self, number: str) -> Appeal | None:
        self.looked_up.append(number)
        return next((a for a in self.appeals.values() if a.number == number), None)

    def get(self, appeal_id: int) -> Appeal | None:
        return self.appeals.get(appeal_id)


@dataclass
class FakeTranscripts:
    """Every transcription callback received and every appeal linked, by name."""

    received: list[tuple[str, int | None]] = field(default_factory=list)
    linked: list[tuple[str, int]] = field(default_factory=list)

    def receive(self, name: str, appointment: Booking | None = None) -> None:
        self.received.append((name, appointment.id if appointment else None))

    def link_appeal(self, name: str, appeal: Appeal) -> None:
        self.linked.append((name, appeal.id))


# What an attempt makes of a pending callback (the adapter's rule, simplified).
AFTER_ATTEMPT = {
    AttemptResult.REACHED: CallbackStatus.DONE,
    AttemptResult.NO_ANSWER: CallbackStatus.PENDING,
    AttemptResult.WRONG_NUMBER: CallbackStatus.GAVE_UP,
    AttemptResult.VOICEMAIL: CallbackStatus.PENDING,
}


@dataclass
class FakeCallbackDesk:
    callbacks: dict[int, Callback] = field(default_factory=dict)
    placed: str | None = None
    operators: dict[str, str] = field(default_factory=dict)
    fallback_line: str = "+73422367992"
    found: list[tuple[int, bool]] = field(default_factory=list)
    adopted: list[tuple[int, str]] = field(default_factory=list)
    attempts: list[tuple[int, AttemptResult, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Twilio's AnsweredBy for the citizen leg, once its detection callback has come.
    answered_by: str | None = None
    talks: list[int] = field(default_factory=list)

    def find(self, callback_id: int, *, lock: bool = False) -> Callback | None:
        self.found.append((callback_id, lock))
        return self.callbacks.get(callback_id)

    def adopt(self, callback: Callback, line: str) -> None:
        self.adopted.append((callback.id, line))

    def placed_by(self) -> str | None:
        return self.placed

    def operator_by_phone(self, phone: str) -> str | None:
        return self.operators.get(phone)

    def record_attempt(
        self, callback: Callback, result: AttemptResult, actor: str | None, note: str
    ) -> bool:
        """Once per call, and never on a closed callback; the status follows the result."""
        if callback.status is not CallbackStatus.PENDING or any(
            attempt[0] == callback.id for attempt in self.attempts
        ):
            return False
        self.attempts.append((callback.id, result, actor))
        self.notes.append(note)
        callback.status = AFTER_ATTEMPT[result]
        return True

    def citizen_talked(
        self, callback: Callback, seconds: int, actor: str | None, note: str
    ) -> AttemptResult | None:
        """§12's rule, as the call log applies it once the detection is known."""
        self.talks.append(seconds)
        if self.answered_by is None:
            return None
        if self.answered_by.startswith("machine") or self.answered_by == "fax":
            result = AttemptResult.VOICEMAIL
        elif self.answered_by == "human" and seconds >= 20:
            result = AttemptResult.REACHED
        else:
            result = AttemptResult.NO_ANSWER
        return result if self.record_attempt(callback, result, actor, note) else None

    def line_of(self, callback: Callback) -> str:
        return self.fallback_line


@dataclass
class FakeSchedule:
    receptions: list[tuple[datetime, str]] = field(default_factory=list)
    asked: list[tuple[int, int]] = field(default_factory=list)

    def upcoming_outreach(self, days: int, limit: int) -> Sequence[tuple[datetime, str]]:
        self.asked.append((days, limit))
        return self.receptions[:limit]


# --- The turn ---------------------------------------------------------------------------


@functools.cache
def speaker() -> Speaker:
    """The real catalogue, checked against every prompt the branches declare."""
    return Speaker(Catalogue.load(None, branches.required_prompts()))


@functools.cache
def office_hours() -> OfficeHours:
    return OfficeHours(tz=PERM)


def office(**changes: Any) -> Office:
    """The default lines and hours (Mon–Fri 10–13, 14–18, Perm) with one staff phone."""
    base = Office(
        lines=parse_lines(None),
        hours=office_hours(),
        clock=Clock(PERM),
        staff_phones=(STAFF_PHONE,),
    )
    return dataclasses.replace(base, **changes)


def url_of(view: Callable[..., Any], **values: object) -> str:
    """The URL :meth:`FakeTurn.url` gives for ``view``: ``https://test/<module>/<name>?…``."""
    module = view.__module__.rpartition(".")[2]
    query = f"?{urlencode(values)}" if values else ""
    return f"{BASE}/{module}/{view.__name__}{query}"


def view_at(url: str) -> Callable[..., Any]:
    """The branch view a URL built by :func:`url_of` posts to."""
    path = urlsplit(url).path
    for branch in branches.all_branches():
        for route in branch.routes:
            if urlsplit(url_of(route.view)).path == path:
                return route.view
    raise LookupError(f"no route for {url}")


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@dataclass
class FakeTurn:
    """One request of a call, as a branch sees it; ``args`` is the URL's query."""

    digits: str = ""
    caller: str | None = MOBILE
    now: datetime = OPEN_TIME
    office: Office = field(default_factory=office)
    speaker: Speaker = field(default_factory=speaker)
    line: str = LINE
    first_request: bool = True
    hung_up: bool = False
    dial_status: str = ""
    dial_seconds: int = 0
    call_sid: str = "CA" + "0" * 32
    answered_by: str = ""  # AnsweredBy of an answering machine detection callback
    from_number: str = MOBILE
    called: str | None = LINE
    args: dict[str, object] = field(default_factory=dict)
    log: FakeLog = field(default_factory=FakeLog)
    booking: FakeBookingDesk = field(default_factory=FakeBookingDesk)
    appeals: FakeAppealDesk = field(default_factory=FakeAppealDesk)
    callbacks: FakeCallbackDesk = field(default_factory=FakeCallbackDesk)
    schedule: FakeSchedule = field(default_factory=FakeSchedule)
    transcripts: FakeTranscripts = field(default_factory=FakeTranscripts)

    def url(self, view: Callable[..., Any], **values: object) -> str:
        return url_of(view, **values)

    def staff_accepted(self) -> None:
        self.log.accepted = True

    def citizen_answered(self, note: str) -> None:
        self.callbacks.answered_by = self.answered_by

    def arg(self, name: str, low: int = 0, high: int = 2**31 - 1) -> int:
        try:
            number = int(str(self.args.get(name, low)))
        except ValueError:
            return low
        return max(low, min(number, high))

    def text_arg(self, name: str, max_length: int = 40) -> str:
        return str(self.args.get(name, ""))[:max_length]

    def post(self, url: str, digits: str = "", **changes: Any) -> VoiceResponse:
        """Twilio requesting ``url`` next, with ``digits`` pressed; a no-input
        fall-through (``timeout=1``) carries no digits. Desks and log are shared."""
        args: dict[str, object] = dict(query(url))
        fresh: dict[str, Any] = {
            "first_request": False,
            "hung_up": False,
            "dial_status": "",
            "dial_seconds": 0,
        }
        following = dataclasses.replace(
            self,
            digits="" if "timeout" in args else digits,
            args=args,
            **(fresh | changes),
        )
        return view_at(url)(following)


def as_turn(turn: FakeTurn) -> Turn:
    """For a type checker: :class:`FakeTurn` implements :class:`ivr.turn.Turn`."""
    return turn


# --- Reading the TwiML ----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A ``VoiceResponse`` parsed back: its verbs, what it says, where it posts."""

    root: ElementTree.Element

    @classmethod
    def of(cls, response: VoiceResponse) -> Reply:
        """Parse ``response``, which must be TwiML Twilio accepts (``tests.twiml_conformance``)."""
        problems = violations(str(response))
        assert not problems, "TwiML Twilio would refuse:\n" + "\n".join(problems)
        return cls(ElementTree.fromstring(str(response)))

    @property
    def verbs(self) -> list[str]:
        """The top-level verbs in order: ``["Say", "Gather", "Redirect"]``."""
        return [verb.tag for verb in self.root]

    @property
    def said(self) -> str:
        """Every ``<Say>``, nested ones too, in document order."""
        return " ".join(say.text or "" for say in self.root.iter("Say"))

    def only(self, tag: str) -> ElementTree.Element:
        found = list(self.root.iter(tag))
        assert len(found) == 1, f"expected one <{tag}> in {ElementTree.tostring(self.root)!r}"
        return found[0]

    @property
    def action(self) -> str:
        """The action of the one ``<Gather>``, ``<Record>`` or ``<Dial>``."""
        verbs = [verb for verb in self.root if verb.tag in ("Gather", "Record", "Dial")]
        assert len(verbs) == 1, f"expected one action verb, found {self.verbs}"
        return verbs[0].attrib["action"]

    @property
    def redirect(self) -> str:
        return (self.only("Redirect").text or "").strip()

    @property
    def hangs_up(self) -> bool:
        return bool(self.verbs) and self.verbs[-1] == "Hangup"


def reply(response: VoiceResponse) -> Reply:
    return Reply.of(response)
