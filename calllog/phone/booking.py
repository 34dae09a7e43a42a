"""Booking by phone (key 1): the booking service, bound to one call."""

from __future__ import annotations

from datetime import timedelta

from calllog import booking, calls, recordings
from calllog.booking import SlotOffer, SlotTaken
from calllog.events import add_event
from calllog.phone import CallContext
from calllog.phone.log import give_consent
from models import Appointment, BookingSource, CallOutcome, RecordingKind


class PhoneBooking:
    def __init__(self, context: CallContext) -> None:
        self.context = context

    def upcoming(self) -> Appointment | None:
        context = self.context
        if context.call.caller is None:
            return None
        return booking.upcoming_appointment(context.session, context.call.caller, context.now)

    def free_slots(self, offset: int, limit: int, expert: str | None = None) -> list[SlotOffer]:
        context = self.context
        return booking.free_slots(
            context.session,
            context.now,
            **self._window(),
            limit=limit,
            offset=offset,
            expert=expert,
        )

    def experts(self, limit: int, offset: int = 0) -> list[SlotOffer]:
        context = self.context
        return booking.free_experts(
            context.session, context.now, **self._window(), limit=limit, offset=offset
        )

    def _window(self) -> dict[str, timedelta]:
        """How far ahead a slot may be booked by phone."""
        office = self.context.office
        return {"min_ahead": office.booking_min_ahead, "max_ahead": office.booking_max_ahead}

    def offer(self, slot_id: int) -> SlotOffer | None:
        return booking.offer(self.context.session, slot_id)

    def own(self, appointment_id: int) -> Appointment | None:
        """The appointment, when this call booked it or the caller's number holds it."""
        call = self.context.call
        appointment = self.context.session.get(Appointment, appointment_id)
        if appointment is None:
            return None
        if appointment in call.appointments or (call.caller and appointment.phone == call.caller):
            return appointment
        return None

    def confirm(self, slot_id: int, consent_version: str) -> Appointment | None:
        """Book the slot atomically with the consent, the event and the outcome.

        Twilio may deliver the key press twice: the retry finds the call's own booking.
        None, with a ``slot_taken`` event, when someone else booked the slot meanwhile.
        """
        context = self.context
        appointment = booking.booked_in_call(context.session, context.call, slot_id)
        if appointment is not None:
            return appointment
        try:
            appointment = booking.book(
                context.session,
                slot_id=slot_id,
                phone=context.call.caller,
                now=context.now,
                source=BookingSource.PHONE,
                call=context.call,
            )
        except (SlotTaken, ValueError):
            add_event(context.call, "slot_taken", str(slot_id), context.now)
            return None
        give_consent(context, "booking", consent_version)
        add_event(context.call, "booked", appointment.code, context.now)
        calls.record_outcome(context.session, context.call, CallOutcome.BOOKED, context.now)
        return appointment

    def cancel(self, appointment: Appointment) -> None:
        booking.cancel(self.context.session, appointment, self.context.now)

    def attach_name(self, appointment: Appointment) -> None:
        """The recording of this request is the visitor's name on ``appointment``."""
        context = self.context
        recording = recordings.attach(
            context.session, context.call, context.recording, RecordingKind.NAME, context.now
        )
        if recording is not None and recording.appointment_id is None:
            recording.appointment = appointment
            add_event(context.call, "name_recorded", recording.sid, context.now)

    def set_contact(self, appointment: Appointment, phone: str) -> None:
        booking.set_contact(self.context.session, appointment, phone, self.context.now)
