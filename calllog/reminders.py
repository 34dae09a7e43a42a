"""SMS reminders the day before a personal visit, each sent once (``reminders send``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.notices import sentences, when_text
from calllog.phones import is_mobile, mask
from models import Appointment, AppointmentStatus, ReceptionSession, Slot

log = logging.getLogger(__name__)

#: Sends one SMS and answers its SID, or None when nothing was sent (``sms.send_sms``).
Send = Callable[[str, str], str | None]


def reminder_text(code: str, starts_at: datetime, expert: str, place: str) -> str:
    """The reminder, with ``starts_at`` already in the office's time zone."""
    return sentences(
        f"Напоминаем: вы записаны на личный приём {when_text(starts_at)}",
        expert,
        place,
        "Возьмите паспорт",
        f"Код записи {code}",
    )


def send_reminders(session: orm.Session, now: datetime, send: Send) -> int:
    """Remind every booked appointment on tomorrow's local date; return how many were sent.

    ``now`` comes from the office clock, so its time zone decides what "tomorrow" is.
    Only mobile contact numbers get a reminder, and only while ``reminder_sent_at`` is
    empty.

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
    for appointment_id, code, phone, starts_at, expert, place in due:
        if not is_mobile(phone):
            continue
        if not _claim(session, appointment_id, now):
            continue  # another run took it, or it was cancelled meanwhile
        body = reminder_text(code, starts_at.astimezone(tz), expert, place)
        try:
            sid = send(phone, body)
        except Exception as error:  # the claim must be released whatever went wrong
            log.warning("reminder to %s failed: %s", mask(phone), type(error).__name__)
            sid = None
        if sid:
            sent += 1
        else:
            _release(session, appointment_id, now)
    return sent


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
