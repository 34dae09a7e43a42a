"""The status of a request (key 3, §3.3 of the product specification).

The caller types the appeal number and ``#``. The status is told only to the number on
the appeal; anyone else hears that the appeal exists and can have the applicant called
back. A number not found gets one more try, then the main menu.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from calllog import appeals
from ivr import twiml
from ivr.http import Turn, call_view
from ivr.navigation import main_menu, urls
from ivr.speech import date_words, digits_words
from ivr.twiml import Prompt
from models import Appeal, CallOutcome

NUMBER_TRIES = 2


def start(turn: Turn, attempt: int = 1, before: tuple[Prompt, ...] = ()) -> VoiceResponse:
    """Key 3: ask for the appeal number."""
    return twiml.ask(
        turn.speaker,
        "status_ask",
        before=before,
        num_digits=None,
        **urls("webhooks.status_number", attempt=attempt),
    )


@call_view
def number_typed(turn: Turn) -> VoiceResponse:
    digits = turn.digits
    appeal = appeals.find_appeal(turn.session, digits) if digits.isdigit() else None
    if appeal is None:
        problem = "appeal_not_found" if digits else "no_input"
        turn.event("appeal_not_found", digits[:8])
        attempt = turn.arg("attempt", 1, NUMBER_TRIES)
        if attempt < NUMBER_TRIES:
            return start(turn, attempt + 1, (problem, "try_again"))
        return main_menu(turn, problem)
    if appeal not in turn.call.appeals:
        turn.call.appeals.append(appeal)
    turn.outcome(CallOutcome.STATUS_CHECKED)
    if turn.call.caller is not None and turn.call.caller == appeal.phone:
        turn.event("status_told", appeal.number)
        return main_menu(turn, ("status_found", status_values(turn, appeal)))
    turn.event("status_withheld", appeal.number)
    if appeal.phone is None:
        return main_menu(turn, "status_elsewhere")
    return twiml.ask(
        turn.speaker,
        "status_offer_callback",
        before=("status_elsewhere",),
        **urls("webhooks.status_callback", appeal=appeal.id),
    )


def status_values(turn: Turn, appeal: Appeal) -> dict[str, str]:
    """The number, the status in words and the local date it took effect."""
    changed = appeal.history[-1].at if appeal.history else appeal.created_at
    return {
        "number": digits_words(appeal.number),
        "status": turn.speaker.catalogue.text(f"status_{appeal.status.value}"),
        "date": date_words(changed.astimezone(turn.office.clock.tz).date(), weekday=False),
    }


@call_view
def callback_choice(turn: Turn) -> VoiceResponse:
    """``1``: the applicant is called back on the number in the appeal."""
    appeal = turn.session.get(Appeal, turn.arg("appeal"))
    if turn.digits != "1" or appeal is None or appeal.phone is None:
        return main_menu(turn)
    turn.request_callback("status_request", phone=appeal.phone)
    turn.outcome(CallOutcome.CALLBACK_REQUESTED)
    return main_menu(turn, "status_callback_queued")
