"""A person (key 0, §3.4 of the product specification).

In office hours the staff phones ring for 20 seconds; whoever answers must press 1
(so a staff voicemail never takes the call). Not answered, or out of hours: the caller
is told they will be called back in working hours, a number is asked for when the
caller ID is unusable, and a callback is queued.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from calllog.phones import national_digits
from ivr import contact, twiml
from ivr.branch import Branch
from ivr.menu import main_menu
from ivr.speech import phone_words
from ivr.turn import Leg, Turn
from models import CallOutcome

ACCEPT_KEY = "1"
REASONS = frozenset({"person_out_of_hours", "person_no_answer"})

branch = Branch(
    "person",
    key="0",
    prompts={
        "person_connecting": (),
        "person_busy": (),
        "person_closed": (),
        "person_callback": {"phone"},
        "person_ask_number": (),
        "person_screen": (),
    },
)


@branch.entry
def start(turn: Turn) -> VoiceResponse:
    """Key 0 (in any submenu too): ring the staff, or arrange a callback."""
    turn.log.event("person")
    office = turn.office
    if not office.hours.is_open(turn.now) or not office.staff_phones:
        return callback_instead(turn, "person_closed", "person_out_of_hours")
    turn.log.event("dial", str(len(office.staff_phones)))
    line = office.line(turn.line)
    return twiml.dial_staff(
        turn.speaker,
        office.staff_phones,
        # A withheld or unusable caller ID would fail the staff leg (error 13214).
        caller_id=turn.caller or (line.outbound_caller_id if line else turn.line),
        action=turn.url(dialled),
        screen=turn.url(screen),
    )


@branch.answer("/person/dialled")
def dialled(turn: Turn) -> VoiceResponse:
    """The Dial action: a staff member took the call, or nobody did.

    ``DialCallStatus`` alone cannot tell: a screened leg a voicemail answered, or a staff
    member declined, may end ``completed``. The call was transferred only when a staff
    member pressed 1 on the screening (recorded by :func:`accept`) and the parties talked.
    """
    status = turn.dial_status
    turn.log.event("dial_result", f"{status[:20]} {turn.dial_seconds} s")
    if turn.dial_seconds > 0 and turn.log.staff_took_call():
        turn.log.outcome(CallOutcome.TRANSFERRED)
        return twiml.goodbye(turn.speaker)
    return callback_instead(turn, "person_busy", "person_no_answer")


def callback_instead(turn: Turn, why: str, reason: str) -> VoiceResponse:
    """Promise a callback in working hours, asking for a number if there is none."""
    if turn.caller is None:
        return contact.ask_number(
            turn, number_typed, prompt="person_ask_number", before=(why,), reason=reason
        )
    return promise(turn, turn.caller, reason, before=why)


def queue(turn: Turn, phone: str, reason: str) -> None:
    turn.log.request_callback(reason, phone=phone)
    turn.log.outcome(CallOutcome.CALLBACK_REQUESTED)


def promise(turn: Turn, phone: str, reason: str, before: str | None = None) -> VoiceResponse:
    queue(turn, phone, reason)
    spoken = phone_words(national_digits(phone))
    prompts = (*([before] if before else []), ("person_callback", {"phone": spoken}))
    return twiml.goodbye(turn.speaker, *prompts)


def typed_reason(turn: Turn) -> str:
    reason = turn.text_arg("reason")
    return reason if reason in REASONS else "person_out_of_hours"


@branch.answer("/person/number")
def number_typed(turn: Turn) -> VoiceResponse:
    reason = typed_reason(turn)
    return contact.number_step(
        turn,
        number_typed,
        keep=lambda number: queue(turn, number, reason),
        check_view=number_checked,
        give_up=lambda: main_menu(turn, "contact_failed"),
        prompt="person_ask_number",
        reason=reason,
    )


@branch.answer("/person/number/check")
def number_checked(turn: Turn) -> VoiceResponse:
    """The typed number read back: ``2`` takes the callback back and asks again."""
    reason = typed_reason(turn)
    if contact.wants_to_retype(turn):
        turn.log.withdraw_callback(reason)
        return contact.retype(turn, number_typed, prompt="person_ask_number", reason=reason)
    return twiml.goodbye(turn.speaker, "callback_promise")


@branch.leg("/person/screen")
def screen(leg: Leg) -> VoiceResponse:
    """The staff member's leg: asked to press 1. No call of the log is made for this leg."""
    return twiml.screen(leg.speaker, action=leg.url(accept))


@branch.leg("/person/accept")
def accept(leg: Leg) -> VoiceResponse:
    """``1`` connects the caller (an empty answer bridges the call), and is noted on the
    caller's call; anything else hangs up."""
    response = VoiceResponse()
    if leg.digits == ACCEPT_KEY:
        leg.staff_accepted()
    else:
        response.hangup()
    return response
