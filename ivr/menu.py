"""The greeting and the main menu (§3 of the product specification).

| key | leads to |
|-----|----------|
| 1 | book a personal visit (``ivr.booking``) |
| 2 | leave a request (``ivr.appeal``) |
| 3 | check the status of a request (``ivr.status``) |
| 4 | address, hours, outreach receptions (``ivr.info``) |
| 0 | a person (``ivr.person``) |
| * | the menu again, without using a try |
"""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import VoiceResponse

from ivr import appeal, booking, info, person, status, twiml
from ivr.http import Turn, call_view
from ivr.navigation import MENU_TRIES, main_menu, retry, urls
from ivr.speech import when_words
from ivr.twiml import Prompt

DEFAULT_LINE_NAME = "общественную приёмную"

BRANCHES: dict[str, Callable[[Turn], VoiceResponse]] = {
    "1": booking.start,
    "2": appeal.start,
    "3": status.start,
    "4": info.start,
    "0": person.start,
}


@call_view
def incoming_call(turn: Turn) -> VoiceResponse:
    """A call comes in: the greeting, the closed notice out of hours, the main menu."""
    line = turn.office.line(turn.call.line)
    before: list[Prompt] = [("greeting", {"line": line.name if line else DEFAULT_LINE_NAME})]
    hours = turn.office.hours
    if not hours.is_open(turn.now):
        before.append(("closed", {"when": when_words(hours.next_opening(turn.now), turn.now)}))
    if not turn.created:  # Twilio retried the first request: answer the same, log nothing
        return twiml.menu(turn.speaker, before=tuple(before), **urls("webhooks.menu", attempt=1))
    return main_menu(turn, *before)


@call_view
def menu_choice(turn: Turn) -> VoiceResponse:
    """A key pressed in the main menu, or silence, on try ``?attempt=N``."""
    attempt = turn.arg("attempt", 1, MENU_TRIES)
    key = turn.digits
    if key == "*":
        turn.event("key", "*")
        return twiml.menu(turn.speaker, **urls("webhooks.menu", attempt=attempt))
    if key in BRANCHES:
        turn.event("key", key)
        return BRANCHES[key](turn)
    return retry(
        turn,
        attempt,
        lambda again, problem: main_menu(turn, problem, attempt=again),
    )
