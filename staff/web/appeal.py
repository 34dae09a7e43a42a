"""One appeal (обращение): its card, and the forms that change it — the card's fields,
the status and the one extension of the answer's due date.

Every view of a card and every change writes an audit entry (§11).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import orm
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from calllog import appeals as service
from calllog import transcripts
from calllog.audit import record
from calllog.office import get_office
from db import get_session
from models import (
    Appeal,
    AppealStatus,
    Call,
    RecordingState,
    StaffRole,
    TranscriptState,
)
from staff.web import actor, bp, role_required
from staff.web.appeals import appeal_labels
from staff.web.forms import APPEAL_TEXT_LENGTH, StaffForm, options
from staff.web.labels import APPEAL_STATUSES, RECORDING_KINDS

NOTE_MAX = 400
RECORDING_STATES = {
    RecordingState.PENDING: "запись ещё не скопирована",
    RecordingState.FAILED: "запись не удалось скопировать",
    RecordingState.PURGED: "удалена по сроку хранения",
}

CHOOSE = "— выберите —"


# --- forms -------------------------------------------------------------------------------


class CardForm(StaffForm):
    """What staff type from the recording (or the visit or letter)."""

    topic = SelectField("Тема", validators=[DataRequired()])
    name = StringField("Фамилия, имя, отчество", validators=[Optional(), Length(max=200)])
    address = StringField("Почтовый адрес для ответа", validators=[Optional(), Length(max=300)])
    transcript = TextAreaField("Содержание обращения", validators=[Optional(), APPEAL_TEXT_LENGTH])
    anonymous = BooleanField("Анонимное, ответ не направляется")

    def __init__(self, *args: Any, current_topic: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = dict(get_office().topics)
        if current_topic and current_topic not in topics:
            # A topic no longer configured stays selectable on the appeals that have it.
            topics = {current_topic: current_topic} | topics
        self.topic.choices = options(topics.items())


class StatusForm(StaffForm):
    status = SelectField(
        "Новый статус",
        choices=options(APPEAL_STATUSES.items(), CHOOSE),
        validators=[DataRequired("Выберите новый статус.")],
    )
    note = TextAreaField("Примечание", validators=[Length(max=NOTE_MAX)])


class ExtendForm(StaffForm):
    note = TextAreaField(
        "Почему продлевается срок",
        validators=[DataRequired("Напишите, почему продлевается срок."), Length(max=NOTE_MAX)],
    )


# --- the card ----------------------------------------------------------------------------


def _load(number: str, *, for_update: bool = False) -> Appeal:
    if not number.isdigit():
        abort(404)
    query = (
        sa.select(Appeal)
        .where(Appeal.number == number)
        .options(
            orm.selectinload(Appeal.recordings),
            orm.selectinload(Appeal.calls),
            orm.selectinload(Appeal.history),
            orm.selectinload(Appeal.transcripts),
        )
    )
    if for_update:
        query = query.with_for_update(of=Appeal)
    appeal = get_session().scalar(query)
    if appeal is None:
        abort(404)
    return appeal


@bp.get("/appeals/<number>")
@role_required(StaffRole.OPERATOR)
def appeal(number: str) -> tuple[str, int]:
    return _card(_load(number))


def _card(
    appeal: Appeal,
    *,
    card_form: CardForm | None = None,
    status_form: StatusForm | None = None,
    extend_form: ExtendForm | None = None,
    status_code: int = 200,
) -> tuple[str, int]:
    """Render the card (with forms in error, when given); every rendering is a view."""
    office = get_office()
    session = get_session()
    record(session, actor(), "view", f"appeal:{appeal.number}", office.now())
    session.commit()
    heard = transcripts.heard(appeal.transcripts)
    if card_form is None:
        card_form = CardForm(formdata=None, obj=appeal, current_topic=appeal.topic)
        if not appeal.transcript and heard is not None:
            # Staff start from what the line heard, and correct it against the recording.
            card_form.transcript.data = heard.text
    allowed = [status for status in AppealStatus if status in service.TRANSITIONS[appeal.status]]
    if status_form is None:
        status_form = StatusForm(formdata=None)
    if allowed:
        status_form.status.choices = options(
            ((s.value, APPEAL_STATUSES[s]) for s in allowed), CHOOSE
        )
    today = office.now().date()
    page = render_template(
        "staff/appeal.html",
        appeal=appeal,
        card_form=card_form,
        status_form=status_form,
        extend_form=extend_form or ExtendForm(formdata=None),
        allowed=allowed,
        can_extend=_can_extend(appeal, today),
        overdue=service.is_overdue(appeal, today),
        card_missing=appeal.registered_at is None and appeal.status is not AppealStatus.CLOSED,
        registration=service.registration(appeal, today),
        card_filled=service.card_is_filled(appeal),
        forward_due=appeal.created_at.astimezone(office.clock.tz).date() + FORWARD_WITHIN,
        today=today,
        call_url=_call_url,
        line_name=_line_name,
        recording_kinds=RECORDING_KINDS,
        recording_states=RECORDING_STATES,
        heard=heard,
        transcription_failed=any(
            transcript.state is TranscriptState.FAILED for transcript in appeal.transcripts
        ),
        low_confidence=transcripts.LOW_CONFIDENCE,
        **appeal_labels(),
    )
    return page, status_code


#: 59-FZ Art. 8 p.3: an appeal for another body is forwarded within 7 days.
FORWARD_WITHIN = timedelta(days=7)


def _can_extend(appeal: Appeal, today: date) -> bool:
    return (
        not appeal.extended
        and appeal.status in service.AWAITING_ANSWER
        and appeal.answer_due >= today
    )


def _line_name(number: str) -> str:
    line = get_office().line(number)
    return line.staff_label if line else ""


def _call_url(call: Call) -> str | None:
    """The call's page, once the call log registers ``staff.call``; None before that."""
    try:
        rule = next(current_app.url_map.iter_rules("staff.call"))
    except (KeyError, StopIteration):
        return None
    if len(rule.arguments) != 1:
        return None
    (name,) = rule.arguments
    converter = getattr(rule, "_converters", {}).get(name)
    by_id = isinstance(converter, IntegerConverter)
    return url_for("staff.call", **{name: call.id if by_id else call.sid})


# --- changes -----------------------------------------------------------------------------


def commit_change(appeal: Appeal, detail: str) -> None:
    """Commit a change to ``appeal`` with its audit entry."""
    session = get_session()
    record(session, actor(), "change", f"appeal:{appeal.number}", get_office().now(), detail)
    session.commit()


@bp.post("/appeals/<number>/card")
@role_required(StaffRole.OPERATOR)
def appeal_card(number: str) -> Response | tuple[str, int]:
    """Register a phone appeal by completing its card (or correct a card)."""
    appeal = _load(number, for_update=True)
    form = CardForm(current_topic=appeal.topic)
    if not form.validate():
        get_session().rollback()
        flash("Карточка не сохранена: исправьте поля, отмеченные ниже.", "error")
        return _card(appeal, card_form=form, status_code=422)
    changed = service.complete_card(
        get_session(),
        appeal,
        get_office().now(),
        actor(),
        topic=form.topic.data,
        name=form.name.data,
        address=form.address.data,
        transcript=form.transcript.data,
        anonymous=form.anonymous.data,
    )
    if not changed:
        get_session().rollback()
        flash("В карточке ничего не изменилось.", "info")
    else:
        commit_change(appeal, "card: " + ", ".join(changed))
        flash("Карточка обращения сохранена.", "success")
    return redirect(url_for("staff.appeal", number=appeal.number))


@bp.post("/appeals/<number>/status")
@role_required(StaffRole.OPERATOR)
def appeal_status(number: str) -> Response | tuple[str, int]:
    appeal = _load(number, for_update=True)
    form = StatusForm()
    if not form.validate():
        get_session().rollback()
        flash("Статус не изменён: " + _first_error(form), "error")
        return _card(appeal, status_form=form, status_code=422)
    before, after = appeal.status, AppealStatus(form.status.data)
    try:
        service.change_status(
            get_session(), appeal, after, form.note.data or "", get_office().now(), actor()
        )
    except service.TransitionError as refusal:
        get_session().rollback()
        flash("Статус не изменён. " + refusal.ru, "error")
        return redirect(url_for("staff.appeal", number=number))
    commit_change(appeal, f"status: {before.value} -> {after.value}")
    flash(f"Статус изменён: {APPEAL_STATUSES[after]}.", "success")
    return redirect(url_for("staff.appeal", number=number))


@bp.post("/appeals/<number>/extend")
@role_required(StaffRole.OPERATOR)
def appeal_extend(number: str) -> Response | tuple[str, int]:
    appeal = _load(number, for_update=True)
    form = ExtendForm()
    if not form.validate():
        get_session().rollback()
        flash("Срок не продлён: " + _first_error(form), "error")
        return _card(appeal, extend_form=form, status_code=422)
    try:
        service.extend_answer_due(
            get_session(), appeal, form.note.data or "", get_office().now(), actor()
        )
    except service.TransitionError as refusal:
        get_session().rollback()
        flash(refusal.ru, "error")
        return redirect(url_for("staff.appeal", number=number))
    commit_change(appeal, f"answer due extended to {appeal.answer_due.isoformat()}")
    flash(f"Срок ответа продлён до {appeal.answer_due:%d.%m.%Y}.", "success")
    return redirect(url_for("staff.appeal", number=number))


def _first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "проверьте форму."
