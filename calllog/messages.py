"""Messages left after the apology: when our primary answer failed, nothing said is lost."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import orm

from calllog import appeals, callbacks, calls, recordings
from calllog.events import add_event
from calllog.facts import CallFacts, RecordingFacts
from calllog.lines import match_line
from models import AppealChannel, Appointment, CallOutcome, RecordingKind

if TYPE_CHECKING:
    from calllog.office import Office

FALLBACK_TOPIC = "other"


def save_message(
    session: orm.Session,
    office: Office,
    facts: CallFacts,
    recorded: RecordingFacts | None,
    now: datetime,
    topic: str | None = None,
) -> None:
    """Keep a message from the apology's Record action or its recording callback.

    Either may come first, or twice: the recording becomes one appeal, and a caller
    with a known number is queued for a callback, since nobody told them an appeal number.
    ``topic`` is the one the caller chose before the database went away (a request
    recorded in the menu and kept in the spool); any other topic is ``other``.
    """
    if topic not in dict(office.topics):
        topic = FALLBACK_TOPIC
    call, _ = calls.start_call(session, facts, match_line(office.lines, facts), now)
    recording = recordings.attach(session, call, recorded, RecordingKind.MESSAGE, now)
    if (
        recording is not None
        and recording.appeal is None
        and recording.duration_s >= recordings.MIN_MESSAGE_S
    ):
        recording.appeal = appeals.create_appeal(
            session,
            topic=topic,
            channel=AppealChannel.PHONE,
            phone=call.caller,
            now=now,
            call=call,
        )
        calls.record_outcome(session, call, CallOutcome.REQUEST_LEFT, now)
    if recording is not None and recording.appeal is not None and recording.appeal.phone is None:
        recording.appeal.phone = call.caller
    if call.caller is not None and call.callback is None:
        callbacks.request(
            session, call.caller, "fallback", call, now, office.hours.next_working_time(now)
        )
        calls.record_outcome(session, call, CallOutcome.CALLBACK_REQUESTED, now)


def save_name(
    session: orm.Session,
    office: Office,
    facts: CallFacts,
    recorded: RecordingFacts | None,
    now: datetime,
    appointment_id: str | None,
) -> None:
    """Keep a caller's name recorded for a booking while the database was down.

    The recording joins the appointment named in the Record's URL when that is one this
    call booked (or one of the caller's number); the caller did not hear the read-back,
    so a caller with a known number is queued for a callback.
    """
    call, _ = calls.start_call(session, facts, match_line(office.lines, facts), now)
    recording = recordings.attach(session, call, recorded, RecordingKind.NAME, now)
    appointment = (
        session.get(Appointment, int(appointment_id))
        if appointment_id and appointment_id.isdigit() and len(appointment_id) < 10
        else None
    )
    owned = appointment is not None and (
        appointment in call.appointments
        or (call.caller is not None and appointment.phone == call.caller)
    )
    if recording is not None and owned and recording.appointment_id is None:
        recording.appointment = appointment
        add_event(call, "name_recorded", recording.sid, now)
    if call.caller is not None and call.callback is None:
        callbacks.request(
            session, call.caller, "fallback", call, now, office.hours.next_working_time(now)
        )
        calls.record_outcome(session, call, CallOutcome.CALLBACK_REQUESTED, now)
