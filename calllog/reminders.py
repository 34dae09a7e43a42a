"""SMS reminders the day before a personal visit, each sent once (``reminders send``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.lines import Line
from calllog.notices import sentences, when_text
from calllog.phones import is_mobile, mask
from calllog.sms import line_sender
from models import (
    Appointment,
    AppointmentStatus,
    Call,
    ReceptionSession,
    Slot,
    call_appointment,
)

log = logging.getLogger(__name__)

#: Sends one SMS (to, body, sender) and answers its SID, or None when nothing was sent
#: (``sms.send_sms``); the sender None is the global one.
Send = Callable[[str, str, str | None], str | None]


def reminder_text(code: str, starts_at: datetime, expert: str, place: str) -> str:
    """The reminder, with ``starts_at`` already in the office's time zone."""
    return sentences(
        f"Напоминаем: вы записаны на личный приём {when_text(starts_at)}",
        expert,
        place,
        "Возьмите паспорт",
        f"Код записи {code}",
    )


def send_reminders(
    session: orm.Session, now: datetime, send: Send, lines: Iterable[Line] = ()
) -> int:
    """Remind every booked appointment on tomorrow's local date; return how many were sent.

    ``now`` comes from the office clock, so its time zone decides what "tomorrow" is.
    Only mobile contact numbers get a reminder, and only while ``reminder_sent_at`` is
    empty. Each goes from the SMS sender of the line (of ``lines``) the appointment was
    booked on by phone (:func:`calllog.sms.line_sender`), else from the global sender.

    Each reminder is sent at most once, even when two runs overlap: an appointment is
    first claimed by a conditional update (``reminder_sent_at`` set to ``now`` only if it
    is still empty and the appointment still booked) and the claim is committed; only
    the run that claimed it sends. When the send fails (``send`` answers None or raises),
    the claim is cleared and committed again, so a later run retries. The one gap left
    is a crash between the commit and the send: that reminder is then never sent, which
    we prefer to a citizen receiving it twice. (A send that reached Twilio but whose
    answer was lost is cleared and may be sent again by a later run.)
    """
    tz = now.tzinfo
    tomorrow = now.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(), tz)
    end = datetime.combine(tomorrow + timedelta(days=1), time(), tz)
    due = session.execute(
        sa.select(
            Appointment.id,
            Appointment.code,
            Appointment.phone,
            Slot.starts_at,
            ReceptionSession.expert,
            ReceptionSession.place,
            _booked_on_line(),
        )
        .join(Appointment.slot)
        .join(Slot.session)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.reminder_sent_at.is_(None),
            Appointment.phone.is_not(None),
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at, Appointment.id)
    ).all()
    session.commit()
    sent = 0
    lines = tuple(lines)
    for appointment_id, code, phone, starts_at, expert, place, line in due:
        if not is_mobile(phone):
            continue
        if not _claim(session, appointment_id, now):
            continue  # another run took it, or it was cancelled meanwhile
        body = reminder_text(code, starts_at.astimezone(tz), expert, place)
        try:
            sid = send(phone, body, line_sender(lines, line))
        except Exception as error:  # the claim must be released whatever went wrong
            log.warning("reminder to %s failed: %s", mask(phone), type(error).__name__)
            sid = None
        if sid:
            sent += 1
        else:
            _release(session, appointment_id, now)
    return sent


def _booked_on_line() -> sa.ScalarSelect[str]:
    """The line of the first inbound call that made or touched the appointment, if any."""
    return (
        sa.select(Call.line)
        .join(call_appointment, call_appointment.c.call_id == Call.id)
        .where(call_appointment.c.appointment_id == Appointment.id, Call.direction == "inbound")
        .order_by(Call.id)
        .limit(1)
        .scalar_subquery()
    )


def _claim(session: orm.Session, appointment_id: int, now: datetime) -> bool:
    result = session.execute(
        sa.update(Appointment)
        .where(
            Appointment.id == appointment_id,
            Appointment.reminder_sent_at.is_(None),
            Appointment.status == AppointmentStatus.BOOKED,
        )
        .values(reminder_sent_at=now)
    )
    session.commit()
    return result.rowcount == 1


def _release(session: orm.Session, appointment_id: int, now: datetime) -> None:
    session.execute(
        sa.update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.reminder_sent_at == now)
        .values(reminder_sent_at=None)
    )
    session.commit()
