"""The reception schedule (supervisors): experts' sessions at the office and outreach places.

Every rule is :mod:`calllog.schedule`'s, the same as ``POST /api/sessions`` (§12): one
expert's sessions never overlap, 08:00–21:00, slots of 10–60 minutes, a non-working day
only when marked. A change that would drop booked slots is refused, naming the appointments
to move or cancel first; a session without active appointments can be deleted.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import orm
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, IntegerField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from calllog import schedule as service
from calllog.audit import record
from calllog.office import get_office
from db import get_session
from models import Appointment, ReceptionSession, StaffRole
from staff.web import actor, bp, counted, role_required
from staff.web.forms import printable, strip

LIMIT = 300


def _text(label: str, max_length: int, missing: str) -> StringField:
    return StringField(
        label,
        filters=[strip],
        validators=[
            DataRequired(message=missing),
            Length(max=max_length, message=f"Не длиннее {max_length} символов."),
            printable,
        ],
    )


class DetailsForm(FlaskForm):
    """What can always change: who receives and where."""

    expert = _text("Эксперт (ФИО)", service.EXPERT_MAX_LENGTH, "Укажите эксперта.")
    title = _text("Должность", service.TITLE_MAX_LENGTH, "Укажите должность эксперта.")
    place = _text("Место", service.PLACE_MAX_LENGTH, "Укажите место приёма.")
    outreach = BooleanField("Выездной приём")


class SessionForm(DetailsForm):
    """A whole session: who, where, and when, with the slot length."""

    day = DateField("Дата", validators=[InputRequired(message="Укажите дату.")])
    start = TimeField("Начало", validators=[InputRequired(message="Укажите время начала.")])
    end = TimeField("Окончание", validators=[InputRequired(message="Укажите время окончания.")])
    slot_minutes = IntegerField(
        "Минут на одну запись",
        default=20,
        validators=[
            InputRequired(message="Укажите длительность записи."),
            NumberRange(
                min=service.MIN_SLOT_MINUTES,
                max=service.MAX_SLOT_MINUTES,
                message=f"От {service.MIN_SLOT_MINUTES} до {service.MAX_SLOT_MINUTES} минут.",
            ),
        ],
    )
    non_working_day = BooleanField("Приём в нерабочий день")

    def moments(self) -> tuple[datetime, datetime]:
        tz = get_office().clock.tz
        day: date = self.day.data
        return (
            datetime.combine(day, self.start.data, tz),
            datetime.combine(day, self.end.data, tz),
        )

    def check(self, *, was: tuple[datetime, datetime, int] | None = None) -> bool:
        """Validate the fields, then the times as every session's (and not in the past)."""
        if not self.validate_on_submit():
            return False
        starts_at, ends_at = self.moments()
        changed = was != (starts_at, ends_at, self.slot_minutes.data)
        if not changed:
            return True
        try:
            service.check_times(
                starts_at,
                ends_at,
                self.slot_minutes.data,
                rules=get_office().schedule_rules(),
                non_working_day=self.non_working_day.data,
            )
        except service.SessionError as error:
            self.form_errors.append(error.ru)
            return False
        if starts_at < get_office().now():
            self.form_errors.append("Начало приёма уже прошло: выберите будущее время.")
            return False
        return True


# --- the schedule ------------------------------------------------------------------------


@bp.route("/schedule", methods=["GET", "POST"], endpoint="schedule")
@role_required(StaffRole.SUPERVISOR)
def schedule_page() -> Any:
    form = SessionForm()
    if form.is_submitted():
        if form.check():
            return _create(form)
        return _schedule_page(form, 400)
    if not form.start.data:
        form.start.data, form.end.data = time(10), time(13)
    return _schedule_page(form)


def _schedule_page(form: SessionForm, status: int = 200) -> Any:
    session = get_session()
    now = get_office().now()
    receptions = session.scalars(
        sa.select(ReceptionSession)
        .where(ReceptionSession.ends_at >= now)
        .order_by(ReceptionSession.starts_at, ReceptionSession.id)
        .options(orm.selectinload(ReceptionSession.slots))
        .limit(LIMIT + 1)
    ).all()
    counts = service.appointment_counts(session, [r.id for r in receptions])
    return (
        render_template(
            "staff/schedule.html",
            receptions=receptions[:LIMIT],
            more=len(receptions) > LIMIT,
            counts=counts,
            form=form,
            weekday=_weekday,
        ),
        status,
    )


def _create(form: SessionForm) -> Any:
    session = get_session()
    starts_at, ends_at = form.moments()
    try:
        reception = service.create_session(
            session,
            expert=form.expert.data,
            title=form.title.data,
            place=form.place.data,
            starts_at=starts_at,
            ends_at=ends_at,
            slot_minutes=form.slot_minutes.data,
            outreach=form.outreach.data,
            rules=get_office().schedule_rules(),
            non_working_day=form.non_working_day.data,
        )
    except service.SessionError as error:
        session.rollback()
        form.form_errors.append(error.ru)
        return _schedule_page(form, 409 if isinstance(error, service.SessionOverlap) else 400)
    _audit(reception, "created")
    session.commit()
    places = counted(len(reception.slots), "запись", "записи", "записей")
    flash(
        f"Приём {starts_at:%d.%m.%Y} {starts_at:%H:%M}–{ends_at:%H:%M} добавлен: {places}.",
        "success",
    )
    return redirect(url_for("staff.schedule"))


# --- one session -------------------------------------------------------------------------


@bp.route("/schedule/<id:session_id>", methods=["GET", "POST"], endpoint="schedule_session")
@role_required(StaffRole.SUPERVISOR)
def edit(session_id: int) -> Any:
    session = get_session()
    reception = _load(session_id)
    form = SessionForm(obj=reception)
    if not form.is_submitted():
        tz = get_office().clock.tz
        form.day.data = reception.starts_at.astimezone(tz).date()
        form.start.data = reception.starts_at.astimezone(tz).time()
        form.end.data = reception.ends_at.astimezone(tz).time()
    in_the_way: list[Appointment] = []
    status = 200
    if form.is_submitted():
        status = 400
        if form.check(was=(reception.starts_at, reception.ends_at, reception.slot_minutes)):
            try:
                return _save(reception, form)
            except service.SessionBooked as refusal:
                session.rollback()
                in_the_way, status = refusal.appointments, 409
                form.form_errors.append(
                    "Так приём потеряет места, на которые уже записаны: сначала перенесите "
                    "или отмените эти записи (с примечанием)."
                )
            except service.SessionError as error:
                session.rollback()
                form.form_errors.append(error.ru)
                status = 409 if isinstance(error, service.SessionOverlap) else 400
    active, _ = service.appointment_counts(session, [reception.id]).get(reception.id, (0, 0))
    return (
        render_template(
            "staff/schedule_session.html",
            reception=reception,
            form=form,
            active=active,
            in_the_way=in_the_way,
            weekday=_weekday,
        ),
        status,
    )


def _save(reception: ReceptionSession, form: SessionForm) -> Response:
    """Save the form; raises the service's refusals (the page shows them)."""
    session = get_session()
    office = get_office()
    changed = service.update_details(
        session,
        reception,
        office.clock.tz,
        expert=form.expert.data,
        title=form.title.data,
        place=form.place.data,
        outreach=form.outreach.data,
    )
    starts_at, ends_at = form.moments()
    before = (reception.starts_at, reception.ends_at, reception.slot_minutes)
    service.reschedule(
        session,
        reception,
        starts_at=starts_at,
        ends_at=ends_at,
        slot_minutes=form.slot_minutes.data,
        rules=office.schedule_rules(),
        non_working_day=form.non_working_day.data,
    )
    if before != (reception.starts_at, reception.ends_at, reception.slot_minutes):
        changed.append("times")
    if changed:
        _audit(reception, "edited " + ",".join(changed))
    session.commit()
    flash("Приём сохранён." if changed else "Изменений нет.", "success")
    return redirect(url_for("staff.schedule"))


@bp.post("/schedule/<id:session_id>/delete", endpoint="schedule_delete")
@role_required(StaffRole.SUPERVISOR)
def delete(session_id: int) -> Response:
    session = get_session()
    reception = _load(session_id)
    when = reception.starts_at.astimezone(get_office().clock.tz)
    try:
        service.delete_session(session, reception)
    except service.SessionBooked:
        session.rollback()
        flash("На этот приём есть записи: сначала отмените их.", "error")
        return redirect(url_for("staff.schedule_session", session_id=session_id))
    _audit(reception, "deleted", session_id)
    session.commit()
    flash(f"Приём {when:%d.%m.%Y %H:%M} ({reception.expert}) удалён.", "success")
    return redirect(url_for("staff.schedule"))


def _load(session_id: int) -> ReceptionSession:
    reception = get_session().get(ReceptionSession, session_id)
    if reception is None:
        abort(404)
    return reception


def _audit(reception: ReceptionSession, detail: str, session_id: int | None = None) -> None:
    subject = f"session:{session_id or reception.id}"
    record(get_session(), actor(), "change", subject, get_office().now(), detail)


WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def _weekday(moment: datetime) -> str:
    return WEEKDAYS[moment.astimezone(get_office().clock.tz).weekday()]
