"""How free slots are offered on the phone (§12 "Booking menu length").

A caller must reach the first choice in about 40 seconds. When the free slots belong to
several experts, the caller first picks the expert (each said once, with the short form of
the title); then the times. What the offered slots share (the expert, the place) is said
once before them, not with each; a place that differs is said with its slot.
"""

from __future__ import annotations

from collections.abc import Sequence

from ivr.speech import datetime_words, spoken_place
from ivr.turn import Offer, Turn
from ivr.twiml import Prompt

#: Experts offered at once in the expert menu (keys 1–5).
MAX_EXPERTS = 5

PROMPTS = {
    "booking_experts": (),
    "booking_more_experts": (),
    "booking_expert_option": {"key", "expert", "title"},
    "booking_offer": {"key", "when"},
    "booking_with": {"expert", "title"},
    "booking_place": {"place"},
}


def short_title(title: str) -> str:
    """The title up to its first comma: «юрист, консультант по …» is said «юрист»."""
    return title.split(",", 1)[0].strip()


def expert_prompts(firsts: Sequence[Offer]) -> list[Prompt]:
    """«Выберите специалиста.» and one line per expert: name, short title, key."""
    return [
        "booking_experts",
        *(
            (
                "booking_expert_option",
                {"key": str(key), "expert": first.expert, "title": short_title(first.title)},
            )
            for key, first in enumerate(firsts, start=1)
        ),
    ]


def slot_prompts(turn: Turn, shown: Sequence[Offer], *, expert_chosen: bool) -> list[Prompt]:
    """The offered slots: shared expert and place once, then each time with its key."""
    experts = {(offer.expert, offer.title) for offer in shown}
    places = {offer.place for offer in shown}
    prompts: list[Prompt] = []
    if len(experts) == 1 and not expert_chosen:
        prompts.append(_with(shown[0]))
    if len(places) == 1:
        prompts.append(_place(shown[0]))
    tz = turn.office.clock.tz
    for key, offer in enumerate(shown, start=1):
        when = datetime_words(offer.starts_at.astimezone(tz))
        prompts.append(("booking_offer", {"key": str(key), "when": when}))
        if len(experts) > 1:
            prompts.append(_with(offer))
        if len(places) > 1:
            prompts.append(_place(offer))
    return prompts


def _with(offer: Offer) -> Prompt:
    return ("booking_with", {"expert": offer.expert, "title": short_title(offer.title)})


def _place(offer: Offer) -> Prompt:
    return ("booking_place", {"place": spoken_place(offer.place)})


def offer_values(turn: Turn, offer: Offer) -> dict[str, str]:
    """How a slot is spoken: weekday, date and time in office time, expert, place."""
    return {
        "when": datetime_words(offer.starts_at.astimezone(turn.office.clock.tz)),
        "expert": f"{offer.expert}, {offer.title}",
        "place": spoken_place(offer.place),
    }
