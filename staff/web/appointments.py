"""Appointments by day: each reception session's slots, who is booked, who came.

Staff mark visits attended or missed, cancel bookings, and book a free slot for a
walk-in or a caller (source ``staff``): those changes are :mod:`staff.web.appointment`.
Viewing the day and every change write an audit entry (the page shows phone numbers, §11);
the entries name appointments by their code, never the visitor's name or the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import orm
from wtforms import Field, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from calllog import booking, transcripts
from calllog.audit import record
from calllog.office import get_office
from calllog.phones import parse_keypad
from db import get_session
from models import (
    Appointment,
    AppointmentStatus,
    ReceptionSession,
    Recording,
    RecordingKind,
    RecordingState,
    Slot,
    StaffRole,
)
from staff.web import actor, appointment_search, bp, role_required
from staff.web.forms import optional_text, printable, strip
from staff.web.labels import APPOINTMENT_STATUSES, label

NOTE_MAX = 200
NAME_MAX = 200
#: What staff chose when the phone already holds an upcoming appointment (§12).
MOVE, ANOTHER = "move", "another"
BOOK_ACTION = "book"
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)


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
    visitor_name = StringField(
        "Посетитель",
        filters=[strip],
        validators=optional_text(NAME_MAX),
    )
    note = StringField(
        "Примечание",
        filters=[strip],
        validators=optional_text(NOTE_MAX),
    )
    #: Empty at first; ``move`` (with ``move_id``) or ``another`` once the choice is shown.
    choice = HiddenField()
    move_id = IntegerField(validators=[Optional()])

    def validate_choice(self, field: Field) -> None:
        if field.data not in ("", None, MOVE, ANOTHER):
            raise ValidationError("Выберите: перенести запись или записать ещё одного посетителя.")
        if field.data == ANOTHER and not self.visitor_name.data:
            raise ValidationError("Укажите имя посетителя: на этот номер уже есть запись.")

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
    """The day's page; ``?code=`` finds an appointment by its booking code and shows its day,
    ``?q=`` by its code or phone across days (:mod:`staff.web.appointment_search`)."""
    if typed := request.args.get("q", ""):
        return appointment_search.search(typed)
    code = request.args.get("code", "").strip()
    if code:
        found = booking.find_by_code(get_session(), code) if code.isdigit() else None
        if found is None:
            flash(f"Записи с кодом {code[:12]} нет.", "error")
            return redirect(url_for("staff.appointments"))
        day = found.slot.starts_at.astimezone(get_office().clock.tz).date()
        return redirect(url_for("staff.appointments", date=day.isoformat()) + f"#code-{code}")
    return render_day(_day_arg())


def render_day(
    day: date,
    book_form: BookForm | None = None,
    book_slot: int | None = None,
    status: int = 200,
    existing: Sequence[Appointment] = (),
) -> Any:
    """The day's page; with ``existing``, the booking of ``book_slot`` asks what to do with
    the appointments the phone already holds (move one here, or book another visitor)."""
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
            existing=existing,
            status_name=lambda value: label(APPOINTMENT_STATUSES, value),
            recording_url=_recording_url,
            name_heard=lambda appointment: transcripts.heard(appointment.transcripts),
            low_confidence=transcripts.LOW_CONFIDENCE,
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
            .selectinload(Appointment.recordings),
            orm.selectinload(ReceptionSession.slots)
            .selectinload(Slot.appointments)
            .selectinload(Appointment.transcripts),
        )
    ).all()
    active = {
        slot.id: next(
            (a for a in slot.appointments if a.status != AppointmentStatus.CANCELLED), None
        )
        for reception in receptions
        for slot in reception.slots
    }
    return [
        SessionDay(
            reception,
            [
                SlotRow(slot, active[slot.id], _name_recording(active[slot.id]))
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


def audit_subject(appointment: Appointment) -> str:
    return f"appointment:{appointment.code}"
