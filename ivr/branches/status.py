"""The status of a request (key 3, §3.3 of the product specification).

The caller types the appeal number and ``#``. The status is told only to the number on
the appeal; anyone else hears that the appeal exists and can have the applicant called
back. A number not found gets one more try, then the main menu.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml
from ivr.branch import Branch
from ivr.menu import attempt_of, gather_urls, main_menu
from ivr.speech import date_words, digits_words
from ivr.turn import Appeal, Turn
from ivr.twiml import Prompt
from models import AppealStatus, CallOutcome

NUMBER_TRIES = 2

branch = Branch(
    "status",
    key="3",
    prompts={
        "status_ask": (),
        "status_found": {"number", "status", "date", "due"},
        "status_elsewhere": (),
        "status_offer_callback": (),
        "status_callback_queued": (),
        "appeal_not_found": (),
        **{f"status_{status.value}": () for status in AppealStatus},
    },
)


@branch.entry
def start(turn: Turn, attempt: int = 1, before: tuple[Prompt, ...] = ()) -> VoiceResponse:
    """Key 3: ask for the appeal number."""
    return twiml.ask(
        turn.speaker,
        "status_ask",
        before=before,
        num_digits=None,
        **gather_urls(turn, number_typed, attempt=attempt),
    )


@branch.answer("/status/number")
def number_typed(turn: Turn) -> VoiceResponse:
    digits = turn.digits
    appeal = turn.appeals.look_up(digits) if digits.isdigit() else None
    if appeal is None:
        problem = "appeal_not_found" if digits else "no_input"
        turn.log.event("appeal_not_found", digits[:8])
        attempt = attempt_of(turn, NUMBER_TRIES)
        if attempt < NUMBER_TRIES:
            return start(turn, attempt + 1, (problem, "try_again"))
        return main_menu(turn, problem)
    turn.log.outcome(CallOutcome.STATUS_CHECKED)
    if turn.caller is not None and turn.caller == appeal.phone:
        turn.log.event("status_told", appeal.number)
        return main_menu(turn, ("status_found", status_values(turn, appeal)))
    turn.log.event("status_withheld", appeal.number)
    if appeal.phone is None:
        return main_menu(turn, "status_elsewhere")
    return twiml.ask(
        turn.speaker,
        "status_offer_callback",
        before=("status_elsewhere",),
        **gather_urls(turn, callback_choice, appeal=appeal.id),
    )


def status_values(turn: Turn, appeal: Appeal) -> dict[str, str]:
    """The number, the status in words, the local date it took effect, the answer's due date."""
    return {
        "due": date_words(appeal.answer_due, weekday=False),
        "number": digits_words(appeal.number),
        "status": turn.speaker.catalogue.text(f"status_{appeal.status.value}"),
        "date": date_words(
            appeal.status_since.astimezone(turn.office.clock.tz).date(), weekday=False
        ),
    }


@branch.answer("/status/callback")
def callback_choice(turn: Turn) -> VoiceResponse:
    """``1``: the applicant is called back on the number in the appeal."""
    appeal = turn.appeals.get(turn.arg("appeal"))
    if turn.digits != "1" or appeal is None or appeal.phone is None:
        return main_menu(turn)
    turn.log.request_callback("status_request", phone=appeal.phone)
    turn.log.outcome(CallOutcome.CALLBACK_REQUESTED)
    return main_menu(turn, "status_callback_queued")
