"""After a booking by phone (§3.1, steps 4–6): the visitor's name, a contact number, the
read-back.

4. The caller's name is recorded (kept once, by the Record action or the recording
   callback); 5. a contact number, from the caller ID or typed and read back; 6. the
   read-back with the booking code twice, and an SMS to a mobile.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from calllog import notices
from ivr import contact, twiml
from ivr.booking_offer import offer_values
from ivr.branch import Branch, Spool
from ivr.branches import transcription
from ivr.speech import digits_words
from ivr.turn import Booking, NotThisCall, Turn
from ivr.twiml import Prompt

# A name recording reaches the spool with its appointment when the database is down (§5).
SPOOL = Spool("name", "appointment")

branch = Branch(
    "booking_visitor",
    prompts={"booking_readback": {"when", "expert", "place", "code"}},
)


@branch.answer("/booking/name", spool=SPOOL)
def name_recorded(turn: Turn) -> VoiceResponse:
    appointment = own_appointment(turn)
    turn.booking.attach_name(appointment)
    heard = transcription.visitor_name(appointment.id)
    return transcription.stop(turn, heard, after_name(turn, appointment))


def after_name(turn: Turn, appointment: Booking) -> VoiceResponse:
    if turn.hung_up:
        return twiml.empty()
    if turn.caller:
        return readback(turn, appointment)
    return contact.ask_number(turn, contact_typed, appointment=appointment.id)


@branch.callback("/booking/name/ready", spool=SPOOL)
def name_ready(turn: Turn) -> None:
    turn.booking.attach_name(own_appointment(turn))


@branch.answer("/booking/contact")
def contact_typed(turn: Turn) -> VoiceResponse:
    appointment = own_appointment(turn)

    return contact.number_step(
        turn,
        contact_typed,
        keep=lambda number: turn.booking.set_contact(appointment, number),
        check_view=contact_checked,
        give_up=lambda: readback(turn, appointment, before=("contact_failed",)),
        appointment=appointment.id,
    )


@branch.answer("/booking/contact/check")
def contact_checked(turn: Turn) -> VoiceResponse:
    """The typed number read back: ``2`` types it again, anything else goes on."""
    appointment = own_appointment(turn)
    if contact.wants_to_retype(turn):
        return contact.retype(turn, contact_typed, appointment=appointment.id)
    return readback(turn, appointment)


def readback(
    turn: Turn, appointment: Booking, *, before: tuple[Prompt, ...] = (), notify: bool = True
) -> VoiceResponse:
    """Date, time, place, the passport, and the booking code twice; an SMS to a mobile."""
    offer = turn.booking.offer(appointment.slot_id)
    assert offer is not None
    values = offer_values(turn, offer) | {"code": digits_words(appointment.code)}
    if notify:
        text = notices.booking_confirmation(
            appointment.code,
            offer.starts_at.astimezone(turn.office.clock.tz),
            values["expert"],
            offer.place,
        )
        turn.log.send_sms(appointment.phone, text)
    return twiml.readback(
        turn.speaker,
        *before,
        ("booking_readback", values),
        action=turn.url(readback_choice, appointment=appointment.id),
    )


@branch.answer("/booking/readback")
def readback_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "*":
        return readback(turn, own_appointment(turn), notify=False)
    return twiml.goodbye(turn.speaker)


def own_appointment(turn: Turn) -> Booking:
    """The appointment named in the URL, which must be one this call may use."""
    appointment = turn.booking.own(turn.arg("appointment"))
    if appointment is None:
        raise NotThisCall("not an appointment of this call")
    return appointment
