"""One callback: its page, and working it by hand or from the browser.

An item is worked by recording an attempt (reached, no answer, wrong number) or with
«Позвонить»: Twilio calls the operator's own phone and, once it is answered, connects the
citizen from the reception's line (``ivr/callback_bridge.py``), which records the attempt.
Every view of an item writes an audit entry (it shows phone numbers, §11).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import orm
from twilio.base.exceptions import TwilioException, TwilioRestException
from wtforms import Field, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from calllog import callbacks as service
from calllog.audit import record
from calllog.calls import FINAL_STATUSES
from calllog.office import get_office
from calllog.phones import national, parse_keypad, to_e164
from db import get_session
from models import AttemptResult, Callback, CallbackStatus, StaffRole, StaffUser
from outbound.twilio_rest import twilio_client
from staff.web import actor, bp, role_required
from staff.web.callbacks import template_helpers
from staff.web.forms import optional_text, options, printable, strip
from staff.web.labels import ATTEMPT_RESULTS
from twilio_turn.urls import click_to_call_urls

log = logging.getLogger(__name__)

NOTE_MAX = 400
#: A second «Позвонить» within this time of the first, still unfinished, is refused.
CALL_IN_PROGRESS_FOR = timedelta(minutes=2)
RESULT_CHOICES = options(ATTEMPT_RESULTS.items())


class AttemptForm(FlaskForm):
    result = RadioField(
        "Результат",
        choices=RESULT_CHOICES,
        validators=[InputRequired(message="Выберите результат попытки.")],
    )
    note = TextAreaField(
        "Примечание",
        filters=[strip],
        validators=optional_text(NOTE_MAX),
    )


class CorrectionForm(FlaskForm):
    """What an attempt's result really was (the answering machine detection can err)."""

    result = RadioField(
        "Результат",
        choices=RESULT_CHOICES,
        validators=[InputRequired(message="Выберите результат попытки.")],
    )


class CallForm(FlaskForm):
    phone = StringField(
        "Ваш телефон",
        filters=[strip],
        validators=[Optional(), Length(max=40, message="Слишком длинный номер."), printable],
    )

    def validate_phone(self, field: Field) -> None:
        if field.data and operator_phone(field.data) is None:
            raise ValidationError("Не похоже на номер телефона: например, 8 912 345-67-89.")


def operator_phone(text: str) -> str | None:
    """The operator's phone as typed: any valid number, or a Russian one as on a keypad."""
    return to_e164(text) or parse_keypad(text)


# --- the page ------------------------------------------------------------------------------


@bp.get("/callbacks/<id:callback_id>", endpoint="callback")
@role_required(StaffRole.OPERATOR)
def item(callback_id: int) -> str:
    return _item_page(callback_id, AttemptForm(formdata=None), CallForm(formdata=None))


def _item_page(
    callback_id: int, attempt_form: AttemptForm, call_form: CallForm, status: int = 200
) -> Any:
    session = get_session()
    callback = _load(callback_id)
    office = get_office()
    now = office.now()
    record(session, actor(), "view", f"callback:{callback.id}", now)
    session.commit()
    me = session.get(StaffUser, current_user_id())
    return (
        render_template(
            "staff/callback.html",
            callback=callback,
            attempt_form=attempt_form,
            call_form=call_form,
            correction_form=CorrectionForm(formdata=None),
            my_phone=me.phone if me else None,
            line=service.callback_line(callback, office.lines),
            now=now,
            **template_helpers(),
        ),
        status,
    )


# --- an attempt, recorded by hand ----------------------------------------------------------


@bp.post("/callbacks/<id:callback_id>/attempts", endpoint="callback_attempt")
@role_required(StaffRole.OPERATOR)
def add_attempt(callback_id: int) -> Any:
    """Record an attempt made by hand (from a desk phone, say)."""
    form = AttemptForm()
    if not form.validate_on_submit():
        return _item_page(callback_id, form, CallForm(formdata=None), 400)
    session = get_session()
    callback = _load(callback_id, lock=True)
    if callback.status is not CallbackStatus.PENDING:
        flash("Этот обратный звонок уже закрыт: попытка не записана.", "error")
        return redirect(url_for("staff.callback", callback_id=callback.id))
    office = get_office()
    now = office.now()
    result = AttemptResult(form.result.data)
    service.record_attempt(
        session,
        callback,
        result,
        now,
        office.hours.next_working_day_start(now),
        note=form.note.data or "",
        actor=actor(),
    )
    record(session, actor(), "change", f"callback:{callback.id}", now, f"attempt {result.value}")
    session.commit()
    flash(_after_attempt(callback), "success")
    return redirect(url_for("staff.callback", callback_id=callback.id))


def _after_attempt(callback: Callback) -> str:
    if callback.status is CallbackStatus.DONE:
        return "Попытка записана. Обратный звонок выполнен."
    if callback.status is CallbackStatus.GAVE_UP:
        return "Попытка записана. Обратный звонок закрыт: дозвониться не удалось."
    when = _local(callback.due_at, "%d.%m.%Y %H:%M")
    return f"Попытка записана. Следующая попытка — {when}."


# --- «Позвонить» ---------------------------------------------------------------------------


@bp.post("/callbacks/<id:callback_id>/call", endpoint="callback_call")
@role_required(StaffRole.OPERATOR)
def click_to_call(callback_id: int) -> Any:
    """«Позвонить»: Twilio rings the operator's phone, then connects the citizen."""
    form = CallForm()
    if not form.validate_on_submit():
        return _item_page(callback_id, AttemptForm(formdata=None), form, 400)
    session = get_session()
    office = get_office()
    callback = _load(callback_id)
    back = redirect(url_for("staff.callback", callback_id=callback.id))
    if callback.status is not CallbackStatus.PENDING:
        flash("Этот обратный звонок уже закрыт.", "error")
        return back
    me = session.get(StaffUser, current_user_id())
    if me is None:
        abort(403)
    typed = operator_phone(form.phone.data) if form.phone.data else None
    phone = typed or me.phone
    if phone is None:
        flash("Укажите номер телефона, на который позвонить вам.", "error")
        return back
    if _call_in_progress(callback, office.now()):
        flash("Звонок по этому обращению уже идёт: дождитесь его окончания.", "error")
        return back
    line = service.callback_line(callback, office.lines)
    line_config = office.line(line)
    caller_id = line_config.outbound_caller_id if line_config else line
    # Nothing is held while Twilio is asked: its webhooks for this call may come at once.
    session.commit()
    try:
        placed = twilio_client().calls.create(
            to=phone,
            from_=caller_id,
            **click_to_call_urls(callback_id),
            status_callback_event=["completed"],
        )
    except (TwilioException, RuntimeError, requests.RequestException) as error:
        session.rollback()
        log.warning("click-to-call for callback %s failed: %s", callback_id, _kind(error))
        flash(f"Не удалось позвонить через Twilio: {_describe(error)}", "error")
        return back
    now = office.now()
    callback = _load(callback_id)
    me = session.get(StaffUser, current_user_id())
    if typed and me is not None and me.phone != typed:
        me.phone = typed
    service.log_outbound_call(session, placed.sid, callback, line, now, actor())
    record(session, actor(), "call", f"callback:{callback.id}", now, f"call:{placed.sid}")
    session.commit()
    flash(
        f"Звоним на ваш телефон {national(phone)}. Возьмите трубку — вас соединят "
        f"с гражданином с линии {national(line)}.",
        "success",
    )
    return back


@bp.post(
    "/callbacks/<id:callback_id>/attempts/<id:attempt_id>/result",
    endpoint="callback_attempt_result",
)
@role_required(StaffRole.OPERATOR)
def correct_attempt(callback_id: int, attempt_id: int) -> Any:
    """Correct an attempt's result: a voicemail that was a person, or the other way round."""
    form = CorrectionForm()
    back = redirect(url_for("staff.callback", callback_id=callback_id))
    if not form.validate_on_submit():
        flash("Выберите результат попытки.", "error")
        return back
    session = get_session()
    callback = _load(callback_id, lock=True)
    attempt = next((a for a in callback.attempts if a.id == attempt_id), None)
    if attempt is None:
        abort(404)
    office = get_office()
    now = office.now()
    result, was = AttemptResult(form.result.data), attempt.result
    if not service.correct_attempt(
        session, callback, attempt, result, now, office.hours.next_working_day_start(now)
    ):
        session.rollback()
        flash("По этому номеру уже есть открытый обратный звонок: результат не изменён.", "error")
        return back
    record(
        session,
        actor(),
        "change",
        f"callback:{callback.id}",
        now,
        f"attempt {attempt.id} {was.value} -> {result.value}",
    )
    session.commit()
    flash(f"Результат попытки исправлен: {_after_correction(callback)}", "success")
    return back


def _after_correction(callback: Callback) -> str:
    if callback.status is CallbackStatus.DONE:
        return "обратный звонок выполнен."
    if callback.status is CallbackStatus.GAVE_UP:
        return "обратный звонок закрыт."
    return f"следующая попытка — {_local(callback.due_at, '%d.%m.%Y %H:%M')}."


def _call_in_progress(callback: Callback, now: datetime) -> bool:
    return any(
        call.direction == service.OUTBOUND
        and call.status not in FINAL_STATUSES
        and call.started_at > now - CALL_IN_PROGRESS_FOR
        for call in callback.calls
    )


def _kind(error: Exception) -> str:
    if isinstance(error, TwilioRestException):
        return f"Twilio error {error.code} (HTTP {error.status})"
    return type(error).__name__


def _describe(error: Exception) -> str:
    if isinstance(error, TwilioRestException):
        return f"ошибка {error.code or error.status}. {error.msg}".strip()
    if isinstance(error, RuntimeError):
        return "звонки через Twilio не настроены (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)."
    return "Twilio недоступен, попробуйте позже."


# --- shared --------------------------------------------------------------------------------


def current_user_id() -> int:
    return int(current_user.get_id())


def _load(callback_id: int, *, lock: bool = False) -> Callback:
    query = (
        sa.select(Callback)
        .where(Callback.id == callback_id)
        .options(orm.selectinload(Callback.calls), orm.selectinload(Callback.attempts))
    )
    if lock:
        query = query.with_for_update(of=Callback)
    callback = get_session().scalar(query)
    if callback is None:
        abort(404)
    return callback


def _local(moment: datetime | None, pattern: str) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(get_office().clock.tz).strftime(pattern)
