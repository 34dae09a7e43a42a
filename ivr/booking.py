"""Booking a personal visit (key 1, §3.1 of the product specification).

1. A caller with an upcoming appointment hears it first: ``8`` cancels it (then ``1``
   confirms), ``1`` chooses another time.
2. The three nearest free slots: ``1``–``3`` choose, ``9`` the next three, ``*`` the main
   menu, ``0`` a person.
3. Confirmation with consent: ``1`` books at once, ``2`` chooses another time. A slot
   taken meanwhile sends the caller back to the list.
4. The caller's name is recorded; 5. a contact number, from the caller ID or typed;
6. the read-back with the booking code twice, and an SMS to a mobile.
"""

from __future__ import annotations

from flask import abort, request
from twilio.twiml.voice_response import VoiceResponse

from calllog import booking, notices, recording_callback, recordings
from calllog.booking import SlotOffer, SlotTaken
from ivr import appeal, contact, person, twiml
from ivr.http import Turn, call_view, callback_view, public_url
from ivr.navigation import main_menu, retry, urls
from ivr.speech import datetime_words, digits_words
from ivr.twiml import Prompt
from models import Appointment, BookingSource, CallOutcome, RecordingKind

PAGE = 3
NAME_MAX_SECONDS = 15


def start(turn: Turn) -> VoiceResponse:
    """Key 1: the caller's own appointment first, else the free slots."""
    existing = (
        booking.upcoming_appointment(turn.session, turn.call.caller, turn.now)
        if turn.call.caller
        else None
    )
    if existing is None:
        return slots(turn)
    return ask_about_existing(turn, existing)


def ask_about_existing(
    turn: Turn, appointment: Appointment, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    turn.event("booking_existing", appointment.code)
    offer = booking.offer(turn.session, appointment.slot_id)
    assert offer is not None
    return twiml.ask(
        turn.speaker,
        "booking_existing_keys",
        "to_main_menu",
        before=(*before, ("booking_existing", offer_values(turn, offer))),
        **urls("webhooks.booking_existing", appointment=appointment.id, attempt=attempt),
    )


def offer_values(turn: Turn, offer: SlotOffer) -> dict[str, str]:
    """How a slot is spoken: weekday, date and time in office time, expert, place."""
    return {
        "when": datetime_words(offer.starts_at.astimezone(turn.office.clock.tz)),
        "expert": f"{offer.expert}, {offer.title}",
        "place": offer.place,
    }


def slots(
    turn: Turn, offset: int = 0, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    """Offer up to three free slots from ``offset``; the slot ids travel in the URL."""
    office = turn.office

    def page(start: int) -> list[SlotOffer]:
        return booking.free_slots(
            turn.session,
            turn.now,
            min_ahead=office.booking_min_ahead,
            max_ahead=office.booking_max_ahead,
            limit=PAGE + 1,
            offset=start,
        )

    offers = page(offset)
    if not offers and offset:
        before, offset, offers = (*before, "booking_no_more"), 0, page(0)
    if not offers:
        turn.event("no_free_slots")
        return twiml.ask(
            turn.speaker,
            "booking_none",
            "to_main_menu",
            before=before,
            **urls("webhooks.booking_none", attempt=attempt),
        )
    shown = offers[:PAGE]
    turn.event("slots_offered", " ".join(str(offer.slot_id) for offer in shown))
    prompts: list[Prompt] = [
        ("booking_offer", {"key": str(key), **offer_values(turn, offer)})
        for key, offer in enumerate(shown, start=1)
    ]
    if len(offers) > PAGE or offset:
        prompts.append("booking_more")
    return twiml.ask(
        turn.speaker,
        *prompts,
        "to_main_menu",
        before=before,
        **urls(
            "webhooks.booking_choose",
            slots=".".join(str(offer.slot_id) for offer in shown),
            offset=offset,
            attempt=attempt,
        ),
    )


def leave(turn: Turn) -> VoiceResponse | None:
    """``*`` and ``0``, which every submenu understands; None for any other key."""
    if turn.digits == "*":
        turn.event("key", "*")
        return main_menu(turn)
    if turn.digits == "0":
        turn.event("key", "0")
        return person.start(turn)
    return None


@call_view
def existing_choice(turn: Turn) -> VoiceResponse:
    appointment = own_appointment(turn)
    attempt = turn.arg("attempt", 1, 3)
    if turn.digits == "8":
        turn.event("key", "8")
        return twiml.ask(
            turn.speaker,
            "booking_cancel_confirm",
            **urls("webhooks.booking_cancel", appointment=appointment.id),
        )
    if turn.digits == "1":
        turn.event("key", "1")
        return slots(turn)
    return leave(turn) or retry(
        turn,
        attempt,
        lambda again, problem: ask_about_existing(turn, appointment, again, (problem,)),
    )


@call_view
def cancel_choice(turn: Turn) -> VoiceResponse:
    """``1`` cancels the appointment; anything else, or silence, keeps it."""
    appointment = own_appointment(turn)
    if turn.digits != "1":
        return slots(turn, before=("booking_kept",))
    booking.cancel(turn.session, appointment, turn.now)
    turn.event("booking_cancelled", appointment.code)
    return slots(turn, before=("booking_cancelled",))


@call_view
def no_slots_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "2":
        turn.event("key", "2")
        return appeal.start(turn)
    return leave(turn) or retry(
        turn, turn.arg("attempt", 1, 3), lambda again, problem: slots(turn, 0, again, (problem,))
    )


@call_view
def slot_choice(turn: Turn) -> VoiceResponse:
    shown = [int(slot) for slot in request.args.get("slots", "").split(".") if slot.isdigit()]
    offset = turn.arg("offset", 0, 10_000)
    key = turn.digits
    if key.isdigit() and 1 <= int(key) <= len(shown):
        turn.event("slot_chosen", str(shown[int(key) - 1]))
        return confirmation(turn, shown[int(key) - 1])
    if key == "9":
        turn.event("key", "9")
        return slots(turn, offset + PAGE)
    return leave(turn) or retry(
        turn,
        turn.arg("attempt", 1, 3),
        lambda again, problem: slots(turn, offset, again, (problem,)),
    )


def confirmation(
    turn: Turn, slot_id: int, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    offer = booking.offer(turn.session, slot_id)
    if offer is None:
        return slots(turn, before=("slot_taken",))
    return twiml.ask(
        turn.speaker,
        "booking_confirm",
        "to_main_menu",
        before=before,
        values=offer_values(turn, offer),
        **urls("webhooks.booking_confirm", slot=slot_id, attempt=attempt),
    )


@call_view
def confirm_choice(turn: Turn) -> VoiceResponse:
    """``1`` books the slot at once, atomically; a caller who hangs up now keeps it.

    Twilio may deliver the key press twice: the retry finds the call's own booking and
    answers as the first request did.
    """
    slot_id = turn.arg("slot")
    if turn.digits == "2":
        return slots(turn)
    if turn.digits != "1":
        return leave(turn) or retry(
            turn,
            turn.arg("attempt", 1, 3),
            lambda again, problem: confirmation(turn, slot_id, again, (problem,)),
        )
    appointment = booking.booked_in_call(turn.session, turn.call, slot_id)
    if appointment is None:
        try:
            appointment = booking.book(
                turn.session,
                slot_id=slot_id,
                phone=turn.call.caller,
                now=turn.now,
                source=BookingSource.PHONE,
                call=turn.call,
            )
        except (SlotTaken, ValueError):
            turn.event("slot_taken", str(slot_id))
            return slots(turn, before=("slot_taken",))
        turn.consent("booking", "booking_confirm")
        turn.event("booked", appointment.code)
        turn.outcome(CallOutcome.BOOKED)
    return twiml.record(
        turn.speaker,
        "booking_name",
        action=public_url("webhooks.booking_name", appointment=appointment.id),
        recording_callback=public_url("webhooks.booking_name_ready", appointment=appointment.id),
        no_input=public_url("webhooks.booking_name", appointment=appointment.id, timeout=1),
        max_length=NAME_MAX_SECONDS,
    )


@call_view
def name_recorded(turn: Turn) -> VoiceResponse:
    appointment = own_appointment(turn)
    attach_name(turn, appointment)
    if turn.params.get("Digits") == "hangup":
        return twiml.empty()
    if turn.call.caller:
        return readback(turn, appointment)
    return contact.ask_number(turn, "webhooks.booking_contact", appointment=appointment.id)


@callback_view
def name_ready(turn: Turn) -> None:
    attach_name(turn, own_appointment(turn))
    recording_callback.copy_after_commit(turn)


def attach_name(turn: Turn, appointment: Appointment) -> None:
    recording = recordings.attach(
        turn.session, turn.call, turn.params, RecordingKind.NAME, turn.now
    )
    if recording is not None and recording.appointment_id is None:
        recording.appointment = appointment
        turn.event("name_recorded", recording.sid)


@call_view
def contact_typed(turn: Turn) -> VoiceResponse:
    appointment = own_appointment(turn)

    def accept(number: str) -> VoiceResponse:
        booking.set_contact(turn.session, appointment, number, turn.now)
        return readback(turn, appointment)

    return contact.number_step(
        turn,
        "webhooks.booking_contact",
        accept=accept,
        give_up=lambda: readback(turn, appointment, before=("contact_failed",)),
        appointment=appointment.id,
    )


def readback(
    turn: Turn, appointment: Appointment, *, before: tuple[Prompt, ...] = (), notify: bool = True
) -> VoiceResponse:
    """Date, time, place, the passport, and the booking code twice; an SMS to a mobile."""
    offer = booking.offer(turn.session, appointment.slot_id)
    assert offer is not None
    values = offer_values(turn, offer) | {"code": digits_words(appointment.code)}
    if notify:
        text = notices.booking_confirmation(
            appointment.code,
            offer.starts_at.astimezone(turn.office.clock.tz),
            values["expert"],
            offer.place,
        )
        turn.sms_after_commit(appointment.phone, text)
    return twiml.readback(
        turn.speaker,
        *before,
        ("booking_readback", values),
        action=public_url("webhooks.booking_readback", appointment=appointment.id),
    )


@call_view
def readback_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "*":
        return readback(turn, own_appointment(turn), notify=False)
    return twiml.goodbye(turn.speaker)


def own_appointment(turn: Turn) -> Appointment:
    """The appointment named in the URL, which must be one this call booked."""
    appointment = turn.session.get(Appointment, turn.arg("appointment"))
    caller = turn.call.caller
    if appointment is None or not (
        appointment in turn.call.appointments or (caller and appointment.phone == caller)
    ):
        abort(400, "not an appointment of this call")
    return appointment
