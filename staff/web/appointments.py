"""Appointments by day: each reception session's slots, who is booked, who came.

Staff mark visits attended or missed, cancel bookings, and book a free slot for a
walk-in or a caller (source ``staff``). Viewing the day and every change write an
audit entry (the page shows phone numbers, §11).

A staff booking's note is kept in its audit entry (action ``book``) until appointments
have a column of their own for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import orm
from werkzeug.wrappers import Response
from wtforms import Field, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from calllog import booking
from calllog.audit import record
from calllog.phones import national, parse_keypad
from db import MAX_ROW_ID, get_session
from models import (
    Appointment,
    AppointmentStatus,
    AuditEntry,
    BookingSource,
    ReceptionSession,
    Recording,
    RecordingKind,
    RecordingState,
    Slot,
    StaffRole,
)
from office import get_office
from staff.web import actor, bp, role_required
from staff.web.forms import printable, strip
from staff.web.labels import APPOINTMENT_STATUSES, label

NOTE_MAX = 200
BOOK_ACTION = "book"
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
STATUS_CHOICES = [
    SelectChoice(AppointmentStatus.ATTENDED.value, "пришёл"),
    SelectChoice(AppointmentStatus.NO_SHOW.value, "не пришёл"),
    SelectChoice(AppointmentStatus.CANCELLED.value, "отменить"),
]


class StatusForm(FlaskForm):
    status = SelectField("Отметка", choices=STATUS_CHOICES, validators=[InputRequired()])


class BookForm(FlaskForm):
    slot_id = IntegerField("Время", validators=[InputRequired(message="Выберите время.")])
    phone = StringField(
        "Телефон",
        filters=[strip],
        validators=[
            InputRequired(message="Укажите телефон."),
            Length(max=40, message="Слишком длинный номер."),
            printable,
        ],
    )
    note = StringField(
        "Примечание",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"Не длиннее {NOTE_MAX} символов."),
            printable,
        ],
    )

    def validate_phone(self, field: Field) -> None:
        if field.data and parse_keypad(field.data) is None:
            raise ValidationError(
                "Нужен российский номер: например, 8 912 345-67-89 или 236-82-29."
            )


@dataclass(frozen=True)
class SlotRow:
    slot: Slot
    appointment: Appointment | None
    name_recording: Recording | None
    note: str

    @property
    def free(self) -> bool:
        return self.appointment is None


@dataclass(frozen=True)
class SessionDay:
    reception: ReceptionSession
    rows: list[SlotRow]

    @property
    def booked(self) -> int:
        return sum(1 for row in self.rows if not row.free)


@bp.get("/appointments", endpoint="appointments")
@role_required(StaffRole.OPERATOR)
def day_page() -> Any:
    return _day_page(_day_arg())


def _day_page(
    day: date, book_form: BookForm | None = None, book_slot: int | None = None, status: int = 200
) -> Any:
    session = get_session()
    office = get_office()
    now = office.now()
    sessions = _sessions_of(session, day)
    record(session, actor(), "view", "appointments", now, f"date={day.isoformat()}")
    session.commit()
    return (
        render_template(
            "staff/appointments.html",
            day=day,
            day_title=format_date(day, "EEEE, d MMMM y", locale="ru"),
            today=now.date(),
            prev_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            sessions=sessions,
            now=now,
            visits_open=day <= now.date(),
            book_form=book_form or BookForm(formdata=None),
            book_slot=book_slot,
            status_name=lambda value: label(APPOINTMENT_STATUSES, value),
            recording_url=_recording_url,
        ),
        status,
    )


def _day_arg() -> date:
    value = request.args.get("date", "")
    if value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            flash("Не удалось прочитать дату: показан сегодняшний день.", "error")
        else:
            if FIRST_DAY <= day <= LAST_DAY:
                return day
            flash("Такой даты в расписании быть не может: показан сегодняшний день.", "error")
    return get_office().now().date()


def _sessions_of(session: orm.Session, day: date) -> list[SessionDay]:
    start = datetime.combine(day, time(), get_office().clock.tz)
    receptions = session.scalars(
        sa.select(ReceptionSession)
        .where(
            ReceptionSession.starts_at >= start,
            ReceptionSession.starts_at < start + timedelta(days=1),
        )
        .order_by(ReceptionSession.starts_at, ReceptionSession.id)
        .options(
            orm.selectinload(ReceptionSession.slots)
            .selectinload(Slot.appointments)
            .selectinload(Appointment.recordings)
        )
    ).all()
    active = {
        slot.id: next(
            (a for a in slot.appointments if a.status != AppointmentStatus.CANCELLED), None
        )
        for reception in receptions
        for slot in reception.slots
    }
    notes = _notes(session, [a for a in active.values() if a is not None])
    return [
        SessionDay(
            reception,
            [
                SlotRow(
                    slot,
                    active[slot.id],
                    _name_recording(active[slot.id]),
                    notes.get(active[slot.id].code, "") if active[slot.id] else "",
                )
                for slot in reception.slots
            ],
        )
        for reception in receptions
    ]


def _name_recording(appointment: Appointment | None) -> Recording | None:
    if appointment is None:
        return None
    return next(
        (
            r
            for r in appointment.recordings
            if r.kind is RecordingKind.NAME and r.state is not RecordingState.PURGED
        ),
        None,
    )


def _recording_url(recording: Recording) -> str | None:
    """Where staff play the stored copy; None while there is none to play."""
    if recording.state is not RecordingState.STORED:
        return None
    if "staff.recording" in current_app.view_functions:
        return url_for("staff.recording", recording_id=recording.id)
    return f"{request.script_root}/recordings/{recording.id}"


def _notes(session: orm.Session, appointments: Sequence[Appointment]) -> dict[str, str]:
    """The notes staff gave with their bookings, by booking code."""
    subjects = [_subject(a) for a in appointments if a.source is BookingSource.STAFF]
    if not subjects:
        return {}
    entries = session.execute(
        sa.select(AuditEntry.subject, AuditEntry.detail)
        .where(AuditEntry.action == BOOK_ACTION, AuditEntry.subject.in_(subjects))
        .order_by(AuditEntry.id)
    ).all()
    return {subject.removeprefix("appointment:"): detail for subject, detail in entries}


def _subject(appointment: Appointment) -> str:
    return f"appointment:{appointment.code}"


# --- changes -----------------------------------------------------------------------------


@bp.post("/appointments/<id:appointment_id>/status", endpoint="appointment_status")
@role_required(StaffRole.OPERATOR)
def change_status(appointment_id: int) -> Response:
    session = get_session()
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    back = redirect(url_for("staff.appointments", date=_day_of(appointment.slot).isoformat()))
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Не выбрана отметка.", "error")
        return back
    status = AppointmentStatus(form.status.data)
    now = get_office().now()
    try:
        if status is AppointmentStatus.CANCELLED:
            changed = appointment.status is not AppointmentStatus.CANCELLED
            booking.cancel(session, appointment, now)
        else:
            changed = booking.mark_visit(session, appointment, status, now)
    except ValueError:
        session.rollback()
        flash(_refusal(appointment, status, now), "error")
        return back
    if changed:
        record(session, actor(), "change", _subject(appointment), now, f"status={status.value}")
    session.commit()
    flash(f"Запись {appointment.code}: {label(APPOINTMENT_STATUSES, status)}.", "success")
    return back


def _refusal(appointment: Appointment, status: AppointmentStatus, now: datetime) -> str:
    if appointment.status is AppointmentStatus.CANCELLED:
        return f"Запись {appointment.code} отменена: отметить её нельзя."
    if status is AppointmentStatus.CANCELLED:
        return f"Запись {appointment.code} уже отмечена: отменить её нельзя."
    return f"Запись {appointment.code}: отметить приход можно в день приёма."


@bp.post("/appointments/book", endpoint="appointment_book")
@role_required(StaffRole.OPERATOR)
def book() -> Any:
    """Book a free slot for a walk-in or a caller."""
    form = BookForm()
    session = get_session()
    slot_id = form.slot_id.data
    slot = (
        session.get(Slot, slot_id)
        if isinstance(slot_id, int) and 0 < slot_id <= MAX_ROW_ID
        else None
    )
    if slot is None:
        abort(404)
    day = _day_of(slot)
    if not form.validate_on_submit():
        return _day_page(day, form, slot.id, 400)
    back = redirect(url_for("staff.appointments", date=day.isoformat()))
    phone = parse_keypad(form.phone.data or "")
    assert phone is not None  # validated
    now = get_office().now()
    previous = booking.upcoming_appointment(session, phone, now)
    try:
        appointment = booking.book(
            session, slot_id=slot.id, phone=phone, now=now, source=BookingSource.STAFF
        )
    except booking.SlotTaken:
        session.rollback()
        flash("Это время уже занято.", "error")
        return back
    except ValueError:
        session.rollback()
        flash("Это время уже прошло: выберите другое.", "error")
        return back
    record(session, actor(), BOOK_ACTION, _subject(appointment), now, form.note.data or "")
    message = f"Записан {national(phone)}, код записи {appointment.code}."
    if previous is not None and previous.status is AppointmentStatus.CANCELLED:
        record(session, actor(), "change", _subject(previous), now, "status=cancelled (moved)")
        when = previous.slot.starts_at.astimezone(get_office().clock.tz)
        message += f" Прежняя запись этого номера на {when:%d.%m.%Y %H:%M} отменена."
    session.commit()
    flash(message, "success")
    return back


def _day_of(slot: Slot) -> date:
    return slot.starts_at.astimezone(get_office().clock.tz).date()
