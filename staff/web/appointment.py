"""Changes from the appointments page: marking a visit, cancelling, booking a free slot.

Every change writes an audit entry; a staff booking's note is kept in its entry (action
``book``), see :mod:`staff.web.appointments`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from calllog import booking, notices
from calllog.audit import record
from calllog.office import get_office
from calllog.phones import national, parse_keypad
from calllog.sms import appointment_sender, send_sms
from db import MAX_ROW_ID, get_session
from models import Appointment, AppointmentStatus, BookingSource, Slot, StaffRole
from staff.web import actor, bp, role_required
from staff.web.appointments import (
    ANOTHER,
    BOOK_ACTION,
    MOVE,
    NOTE_MAX,
    BookForm,
    audit_subject,
    render_day,
)
from staff.web.forms import printable, strip
from staff.web.labels import APPOINTMENT_STATUSES, label

STATUS_CHOICES = [
    SelectChoice(AppointmentStatus.ATTENDED.value, "пришёл"),
    SelectChoice(AppointmentStatus.NO_SHOW.value, "не пришёл"),
    SelectChoice(AppointmentStatus.CANCELLED.value, "отменить"),
]


class StatusForm(FlaskForm):
    status = SelectField("Отметка", choices=STATUS_CHOICES, validators=[InputRequired()])
    #: Why staff cancel (§12): kept in the appointment's note and told by SMS to a mobile.
    note = StringField(
        "Причина отмены",
        filters=[strip],
        validators=[Optional(), Length(max=NOTE_MAX), printable],
    )


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
    if status is AppointmentStatus.CANCELLED and not form.note.data:
        flash(f"Запись {appointment.code} не отменена: напишите причину отмены.", "error")
        return back
    try:
        if status is AppointmentStatus.CANCELLED:
            changed = appointment.status is AppointmentStatus.BOOKED
            booking.cancel(session, appointment, now, form.note.data)
        else:
            changed = booking.mark_visit(session, appointment, status, now)
    except ValueError:
        session.rollback()
        flash(_refusal(appointment, status, now), "error")
        return back
    if changed:
        record(
            session,
            actor(),
            "change",
            audit_subject(appointment),
            now,
            f"status={status.value}",
        )
    session.commit()
    if changed and status is AppointmentStatus.CANCELLED and appointment.phone:
        text = notices.booking_cancelled(
            appointment.code, _local(appointment.slot), form.note.data or ""
        )
        send_sms(appointment.phone, text, appointment_sender(get_office().lines, appointment))
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
    """Book a free slot for a walk-in or a caller (§12: nothing is cancelled on the way).

    When the phone already holds an upcoming appointment, the day is shown again with it
    and a choice: move that appointment here, or book one more under another visitor's name.
    """
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
        return render_day(day, form, slot.id, 400)
    back = redirect(url_for("staff.appointments", date=day.isoformat()))
    phone = parse_keypad(form.phone.data or "")
    assert phone is not None  # validated
    now = get_office().now()
    existing = booking.upcoming_appointments(session, phone, now)
    if form.choice.data == MOVE:
        return _move(form, existing, slot, now, back)
    if existing and form.choice.data != ANOTHER:
        session.rollback()
        return render_day(day, form, slot.id, 200, existing)
    try:
        appointment = booking.book(
            session,
            slot_id=slot.id,
            phone=phone,
            now=now,
            source=BookingSource.STAFF,
            visitor_name=form.visitor_name.data or None,
            note=form.note.data or None,
        )
    except (booking.SlotTaken, ValueError) as refusal:
        return _slot_refused(refusal, back)
    record(session, actor(), BOOK_ACTION, audit_subject(appointment), now, f"slot={slot.id}")
    session.commit()
    flash(f"Записан {national(phone)}, код записи {appointment.code}.", "success")
    return back


def _slot_refused(refusal: Exception, back: Response) -> Response:
    """Nothing booked or moved: the slot was taken meanwhile, or it has begun."""
    get_session().rollback()
    if isinstance(refusal, booking.SlotTaken):
        flash("Это время уже занято.", "error")
    else:
        flash("Это время уже прошло: выберите другое.", "error")
    return back


def _move(
    form: BookForm, existing: list[Appointment], slot: Slot, now: datetime, back: Response
) -> Response:
    """Move the phone's chosen upcoming appointment to ``slot``; it keeps its code."""
    session = get_session()
    appointment = next((a for a in existing if a.id == form.move_id.data), None)
    if appointment is None:
        session.rollback()
        flash("Эту запись перенести нельзя: её уже нет среди предстоящих записей номера.", "error")
        return back
    before = appointment.slot
    try:
        booking.move(session, appointment, slot.id, now)
    except (booking.SlotTaken, ValueError) as refusal:
        return _slot_refused(refusal, back)
    if form.note.data:
        appointment.note = form.note.data
    record(
        session,
        actor(),
        "move",
        audit_subject(appointment),
        now,
        f"slot={before.id} -> slot={slot.id}",
    )
    session.commit()
    was = before.starts_at.astimezone(get_office().clock.tz)
    flash(
        f"Запись {appointment.code} перенесена с {was:%d.%m.%Y %H:%M} "
        f"на {_local(slot):%d.%m.%Y %H:%M}.",
        "success",
    )
    return back


def _local(slot: Slot) -> datetime:
    return slot.starts_at.astimezone(get_office().clock.tz)


def _day_of(slot: Slot) -> date:
    return slot.starts_at.astimezone(get_office().clock.tz).date()
