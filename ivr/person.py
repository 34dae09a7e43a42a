"""A person (key 0, §3.4 of the product specification).

In office hours the staff phones ring for 20 seconds; whoever answers must press 1
(so a staff voicemail never takes the call). Not answered, or out of hours: the caller
is told they will be called back in working hours, a number is asked for when the
caller ID is unusable, and a callback is queued.
"""

from __future__ import annotations

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from calllog.phones import national_digits
from ivr import contact, twiml
from ivr.http import Turn, call_params, call_view, public_url, twiml_response
from ivr.navigation import main_menu
from ivr.speech import phone_words
from models import CallOutcome
from office import get_office

ACCEPT_KEY = "1"
REASONS = frozenset({"person_out_of_hours", "person_no_answer"})


def start(turn: Turn) -> VoiceResponse:
    """Key 0 (in any submenu too): ring the staff, or arrange a callback."""
    turn.event("person")
    office = turn.office
    if not office.hours.is_open(turn.now) or not office.staff_phones:
        return callback_instead(turn, "person_closed", "person_out_of_hours")
    turn.event("dial", str(len(office.staff_phones)))
    return twiml.dial_staff(
        turn.speaker,
        office.staff_phones,
        action=public_url("webhooks.person_dialled"),
        screen=public_url("webhooks.person_screen"),
    )


@call_view
def dialled(turn: Turn) -> VoiceResponse:
    """The Dial action: a staff member took the call, or nobody did."""
    status = turn.params.get("DialCallStatus", "")
    turn.event("dial_result", status[:20])
    if status == "completed":
        turn.outcome(CallOutcome.TRANSFERRED)
        return twiml.goodbye(turn.speaker)
    return callback_instead(turn, "person_busy", "person_no_answer")


def callback_instead(turn: Turn, why: str, reason: str) -> VoiceResponse:
    """Promise a callback in working hours, asking for a number if there is none."""
    if turn.call.caller is None:
        return contact.ask_number(
            turn, "webhooks.person_number", prompt="person_ask_number", before=(why,), reason=reason
        )
    return promise(turn, turn.call.caller, reason, before=why)


def promise(turn: Turn, phone: str, reason: str, before: str | None = None) -> VoiceResponse:
    turn.request_callback(reason, phone=phone)
    turn.outcome(CallOutcome.CALLBACK_REQUESTED)
    spoken = phone_words(national_digits(phone))
    prompts = (*([before] if before else []), ("person_callback", {"phone": spoken}))
    return twiml.goodbye(turn.speaker, *prompts)


@call_view
def number_typed(turn: Turn) -> VoiceResponse:
    reason = request.args.get("reason", "")
    if reason not in REASONS:
        reason = "person_out_of_hours"
    return contact.number_step(
        turn,
        "webhooks.person_number",
        accept=lambda number: promise(turn, number, reason),
        give_up=lambda: main_menu(turn, "contact_failed"),
        prompt="person_ask_number",
        reason=reason,
    )


def screen() -> Response:
    """The staff member's leg: asked to press 1. Nothing is logged for this leg."""
    call_params()
    return twiml_response(
        twiml.screen(get_office().speaker, action=public_url("webhooks.person_accept"))
    )


def accept() -> Response:
    """``1`` connects the caller (an empty answer bridges the call); anything else hangs up."""
    params = call_params()
    response = VoiceResponse()
    if params.get("Digits") != ACCEPT_KEY:
        response.hangup()
    return twiml_response(response)
