"""Booking a personal visit (key 1, §3.1 of the product specification).

1. A caller with an upcoming appointment hears it first: ``8`` cancels it (then ``1``
   confirms), ``1`` chooses another time.
2. When the free slots belong to several experts, the expert first (``1``–``5``); then the
   three nearest free slots (of that expert): ``1``–``3`` choose, ``9`` the next three,
   ``*`` the main menu, ``0`` a person. What they share is said once
   (:mod:`ivr.booking_offer`).
3. Confirmation with consent: ``1`` books at once, ``2`` chooses another time. A slot
   taken meanwhile sends the caller back to the list.
4. The caller's name is recorded; 5. a contact number, from the caller ID or typed;
6. the read-back with the booking code twice, and an SMS to a mobile.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr import booking_offer, twiml
from ivr.branch import Branch
from ivr.branches import appeal, booking_visitor, transcription
from ivr.branches.booking_visitor import own_appointment
from ivr.menu import attempt_of, gather_urls, leave, retry
from ivr.turn import Booking, Offer, Turn
from ivr.twiml import Prompt

PAGE = 3
NAME_MAX_SECONDS = 15

branch = Branch(
    "booking",
    key="1",
    prompts={
        "booking_existing": {"when", "expert", "place"},
        "booking_existing_keys": (),
        "booking_cancel_confirm": (),
        "booking_cancelled": (),
        "booking_kept": (),
        **booking_offer.PROMPTS,
        "booking_more": (),
        "booking_no_more": (),
        "booking_none": (),
        "booking_confirm": {"when", "expert", "place"},
        "slot_taken": (),
        "booking_name": (),
    },
)


@branch.entry
def start(turn: Turn) -> VoiceResponse:
    """Key 1: the caller's own appointment first, else the free slots."""
    existing = turn.booking.upcoming() if turn.caller else None
    if existing is None:
        return experts(turn)
    return ask_about_existing(turn, existing)


def experts(
    turn: Turn, attempt: int = 1, before: tuple[Prompt, ...] = (), offset: int = 0
) -> VoiceResponse:
    """Several experts with free slots: the caller picks one first (five at a time, ``9``
    the next five); one expert: the slots."""
    page = booking_offer.MAX_EXPERTS
    firsts = list(turn.booking.experts(page + 1, offset))
    if not firsts and offset:
        offset, firsts = 0, list(turn.booking.experts(page + 1))
    if len(firsts) < 2 and not offset:
        return slots(turn, attempt=attempt, before=before)
    shown = firsts[:page]
    turn.log.event("experts_offered", " ".join(str(first.slot_id) for first in shown))
    prompts = booking_offer.expert_prompts(shown)
    if len(firsts) > page or offset:
        prompts.append("booking_more_experts")
    return twiml.ask(
        turn.speaker,
        *prompts,
        before=before,
        **gather_urls(
            turn,
            expert_choice,
            experts=".".join(str(first.slot_id) for first in shown),
            offset=offset,
            attempt=attempt,
        ),
    )


@branch.answer("/booking/expert")
def expert_choice(turn: Turn) -> VoiceResponse:
    """A key of the expert menu: that expert's slots (the URL names each by a slot of theirs)."""
    shown = [int(slot) for slot in turn.text_arg("experts").split(".") if slot.isdigit()]
    offset = turn.arg("offset", 0, 10_000)
    key = turn.digits
    if key.isdigit() and 1 <= int(key) <= len(shown):
        turn.log.event("expert_chosen", str(shown[int(key) - 1]))
        return slots(turn, expert=shown[int(key) - 1])
    if key == "9":
        turn.log.event("key", "9")
        return experts(turn, offset=offset + booking_offer.MAX_EXPERTS)
    return leave(turn) or retry(
        turn,
        attempt_of(turn),
        lambda again, problem: experts(turn, again, (problem,), offset),
    )


def ask_about_existing(
    turn: Turn, appointment: Booking, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    turn.log.event("booking_existing", appointment.code)
    offer = turn.booking.offer(appointment.slot_id)
    assert offer is not None
    return twiml.ask(
        turn.speaker,
        "booking_existing_keys",
        "to_main_menu",
        before=(*before, ("booking_existing", booking_offer.offer_values(turn, offer))),
        **gather_urls(turn, existing_choice, appointment=appointment.id, attempt=attempt),
    )


def slots(
    turn: Turn,
    offset: int = 0,
    attempt: int = 1,
    before: tuple[Prompt, ...] = (),
    expert: int | None = None,
) -> VoiceResponse:
    """Offer up to three free slots from ``offset``; the slot ids travel in the URL.

    ``expert`` is a slot of the expert the caller chose (an id travels well in a URL).
    """
    chosen = turn.booking.offer(expert) if expert else None
    if expert and chosen is None:
        expert = None
    name = chosen.expert if chosen else None

    def page(start: int) -> list[Offer]:
        return list(turn.booking.free_slots(offset=start, limit=PAGE + 1, expert=name))

    offers = page(offset)
    if not offers and offset:
        before, offset, offers = (*before, "booking_no_more"), 0, page(0)
    if not offers and name is not None:  # the chosen expert has no free slot left
        return experts(turn, attempt, before)
    if not offers:
        turn.log.event("no_free_slots")
        return twiml.ask(
            turn.speaker,
            "booking_none",
            "to_main_menu",
            before=before,
            **gather_urls(turn, no_slots_choice, attempt=attempt),
        )
    shown = offers[:PAGE]
    turn.log.event("slots_offered", " ".join(str(offer.slot_id) for offer in shown))
    # The expert is not said again to a caller who just picked them from several.
    picked = chosen is not None and len(turn.booking.experts(2)) > 1
    prompts = booking_offer.slot_prompts(turn, shown, expert_chosen=picked)
    if len(offers) > PAGE or offset:
        prompts.append("booking_more")
    return twiml.ask(
        turn.speaker,
        *prompts,
        "to_main_menu",
        before=before,
        **gather_urls(
            turn,
            slot_choice,
            slots=".".join(str(offer.slot_id) for offer in shown),
            offset=offset,
            attempt=attempt,
            **({"expert": expert} if expert else {}),
        ),
    )


@branch.answer("/booking/existing")
def existing_choice(turn: Turn) -> VoiceResponse:
    appointment = own_appointment(turn)
    attempt = attempt_of(turn)
    if turn.digits == "8":
        turn.log.event("key", "8")
        return twiml.ask(
            turn.speaker,
            "booking_cancel_confirm",
            **gather_urls(turn, cancel_choice, appointment=appointment.id),
        )
    if turn.digits == "1":
        turn.log.event("key", "1")
        return experts(turn)
    return leave(turn) or retry(
        turn,
        attempt,
        lambda again, problem: ask_about_existing(turn, appointment, again, (problem,)),
    )


@branch.answer("/booking/cancel")
def cancel_choice(turn: Turn) -> VoiceResponse:
    """``1`` cancels the appointment; anything else, or silence, keeps it."""
    appointment = own_appointment(turn)
    if turn.digits != "1":
        return experts(turn, before=("booking_kept",))
    turn.booking.cancel(appointment)
    turn.log.event("booking_cancelled", appointment.code)
    return experts(turn, before=("booking_cancelled",))


@branch.answer("/booking/none")
def no_slots_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "2":
        turn.log.event("key", "2")
        return appeal.start(turn)
    return leave(turn) or retry(
        turn, attempt_of(turn), lambda again, problem: slots(turn, 0, again, (problem,))
    )


@branch.answer("/booking/choose")
def slot_choice(turn: Turn) -> VoiceResponse:
    shown = [int(slot) for slot in turn.text_arg("slots").split(".") if slot.isdigit()]
    offset = turn.arg("offset", 0, 10_000)
    expert = turn.arg("expert") or None
    key = turn.digits
    if key.isdigit() and 1 <= int(key) <= len(shown):
        turn.log.event("slot_chosen", str(shown[int(key) - 1]))
        return confirmation(turn, shown[int(key) - 1])
    if key == "9":
        turn.log.event("key", "9")
        return slots(turn, offset + PAGE, expert=expert)
    return leave(turn) or retry(
        turn,
        attempt_of(turn),
        lambda again, problem: slots(turn, offset, again, (problem,), expert=expert),
    )


def confirmation(
    turn: Turn, slot_id: int, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    offer = turn.booking.offer(slot_id)
    if offer is None:
        return slots(turn, before=("slot_taken",), expert=slot_id)
    return twiml.ask(
        turn.speaker,
        "booking_confirm",
        "to_main_menu",
        before=before,
        values=booking_offer.offer_values(turn, offer),
        **gather_urls(turn, confirm_choice, slot=slot_id, attempt=attempt),
    )


@branch.answer("/booking/confirm")
def confirm_choice(turn: Turn) -> VoiceResponse:
    """``1`` books the slot at once, atomically; a caller who hangs up now keeps it.

    Twilio may deliver the key press twice: the retry finds the call's own booking and
    answers as the first request did.
    """
    slot_id = turn.arg("slot")
    if turn.digits == "2":
        return experts(turn)
    if turn.digits != "1":
        return leave(turn) or retry(
            turn,
            attempt_of(turn),
            lambda again, problem: confirmation(turn, slot_id, again, (problem,)),
        )
    consent = turn.speaker.catalogue.prompt_version("booking_confirm")
    appointment = turn.booking.confirm(slot_id, consent)
    if appointment is None:
        return slots(turn, before=("slot_taken",), expert=slot_id)
    return twiml.record(
        turn.speaker,
        "booking_name",
        action=turn.url(booking_visitor.name_recorded, appointment=appointment.id),
        recording_callback=turn.url(booking_visitor.name_ready, appointment=appointment.id),
        no_input=turn.url(booking_visitor.name_recorded, appointment=appointment.id, timeout=1),
        max_length=NAME_MAX_SECONDS,
        transcribe=transcription.start(
            turn, transcription.visitor_name(appointment.id), appointment=appointment.id
        ),
    )
