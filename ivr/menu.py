"""The greeting and the main menu (§3 of the product specification).

| key | leads to |
|-----|----------|
| 1 | book a personal visit |
| 2 | leave a request |
| 3 | check the status of a request |
| 4 | address, hours, outreach receptions |
| 0 | a person |
| * | the menu again, without using a try |
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml
from ivr.http import Turn, call_view, public_url
from ivr.speech import when_words
from models import CallOutcome

MENU_TRIES = 3
MENU_KEYS = frozenset("12340")
DEFAULT_LINE_NAME = "общественную приёмную"


def menu_urls(attempt: int) -> dict[str, str]:
    """The Gather action for try ``attempt`` and its no-input fall-through."""
    return {
        "action": public_url("webhooks.menu_choice", attempt=attempt),
        "no_input": public_url("webhooks.menu_choice", attempt=attempt, timeout=1),
    }


def main_menu(turn: Turn, *intro: str, attempt: int = 1, **values: str) -> VoiceResponse:
    """The main menu, after ``intro`` prompts; each submenu returns here."""
    turn.event("menu", f"try {attempt}")
    return twiml.menu(turn.speaker, intro=intro, values=values, **menu_urls(attempt))


@call_view
def incoming_call(turn: Turn) -> VoiceResponse:
    """A call comes in: the greeting, the closed notice out of hours, the main menu."""
    if turn.created:
        turn.event("menu", "try 1")
    line = turn.office.line(turn.call.line)
    hours = turn.office.hours
    opening = None if hours.is_open(turn.now) else hours.next_opening(turn.now)
    return twiml.menu(
        turn.speaker,
        intro=("greeting",),
        values={"line": line.name if line else DEFAULT_LINE_NAME},
        closed_when=when_words(opening, turn.now) if opening else None,
        **menu_urls(1),
    )


@call_view
def menu_choice(turn: Turn) -> VoiceResponse:
    """A key pressed in the main menu, or silence, on try ``?attempt=N``.

    Each try is one request; after the third the caller is promised a callback (when
    the number is known) and the call ends: no menu loops forever.
    """
    attempt = turn.arg("attempt", 1, MENU_TRIES)
    digits = turn.digits
    if digits == "*":
        turn.event("key", "*")
        return twiml.menu(turn.speaker, **menu_urls(attempt))
    if digits in MENU_KEYS:
        turn.event("key", digits)
        return main_menu(turn, "not_ready")
    problem = "wrong_key" if digits else "no_input"
    turn.event(problem, digits)
    if attempt < MENU_TRIES:
        turn.event("menu", f"try {attempt + 1}")
        return twiml.menu(turn.speaker, retry_prompt=problem, **menu_urls(attempt + 1))
    return give_up(turn, problem, "no_choice")


def give_up(turn: Turn, problem: str, reason: str) -> VoiceResponse:
    """End a call that got nowhere: a callback for a known number, then goodbye."""
    if turn.call.caller is None:
        return twiml.goodbye(turn.speaker, problem)
    turn.request_callback(reason)
    turn.outcome(CallOutcome.CALLBACK_REQUESTED)
    return twiml.goodbye(turn.speaker, problem, "callback_promise")
