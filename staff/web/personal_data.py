"""A citizen's personal data by phone number: the report (supervisors) and erasure (admins).

The number travels only in POST bodies, never in a URL (URLs end up in access logs).
Every report shown or downloaded, and every erasure, writes an audit entry that holds
counts, never the number or what was found.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, current_app, render_template, request
from werkzeug.exceptions import BadRequest
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from calllog import audit, erasure
from calllog.forgetting import ForgetAtTwilio, lazy_forgetter
from calllog.office import get_office
from calllog.personal_data import (
    KEPT_APPEAL,
    KEPT_CONSENT,
    KEPT_WITHOUT_NUMBER,
    NotAPhoneNumber,
    PersonalData,
    gather,
    phone_number,
    to_json,
)
from calllog.recording_copies import Copier, app_storage
from calllog.retention import RetentionAges
from db import get_session
from models import StaffRole
from staff.web import actor, bp, role_required
from staff.web.forms import StaffForm, printable, strip
from staff.web.labels import (
    APPEAL_CHANNELS,
    APPEAL_STATUSES,
    APPOINTMENT_STATUSES,
    ATTEMPT_RESULTS,
    CALLBACK_REASONS,
    CALLBACK_STATUSES,
    OUTCOMES,
    RECORDING_KINDS,
    label,
)
from staff.web.timeline import EVENT_KINDS, event_detail

FORMATS = {"page": "на странице", "html": "печатный отчёт", "json": "JSON"}


class LookupForm(StaffForm):
    phone = StringField(
        "Номер телефона", validators=[DataRequired(), Length(max=40)], filters=[strip]
    )


class EraseForm(StaffForm):
    phone = HiddenField(validators=[DataRequired(), Length(max=40)])
    reason = StringField(
        "Основание",
        validators=[DataRequired(), Length(max=erasure.REASON_LENGTH), printable],
        description="Номер и дата заявления, без имён и телефонов",
    )
    confirm = BooleanField("Подтверждаю удаление")


def report_html(data: PersonalData, now: datetime, *, standalone: bool = True) -> str:
    """The readable Russian report (printable when ``standalone``); also for the CLI."""
    office = get_office()
    return render_template(
        "staff/personal_data_report.html" if standalone else "staff/_personal_data_report.html",
        data=data,
        now=now,
        office=office,
        ages=RetentionAges.from_config(current_app.config),
        labels=_labels(),
        event_words=lambda kind, detail: event_detail(office, kind, detail),
        kept={
            "appeal": KEPT_APPEAL,
            "consent": KEPT_CONSENT,
            "without_number": KEPT_WITHOUT_NUMBER,
        },
    )


def export_detail(data: PersonalData, how: str) -> str:
    """The audit entry's text: which form, and how many records; never which ones."""
    counts = data.counts()
    return (
        f"персональные данные по номеру, {how}: звонков {counts['calls']}, обращений "
        f"{counts['appeals']}, записей на приём {counts['appointments']}, обратных звонков "
        f"{counts['callbacks']}, согласий {counts['consents']}, аудиозаписей "
        f"{counts['recordings']}, SMS {counts['sms']}"
    )


@bp.get("/personal-data")
@role_required(StaffRole.SUPERVISOR)
def personal_data() -> str:
    return render_template("staff/personal_data.html", form=LookupForm(), data=None)


@bp.post("/personal-data")
@role_required(StaffRole.SUPERVISOR)
def personal_data_export() -> Response | str | tuple[str, int]:
    form = LookupForm()
    if not form.validate():
        return render_template("staff/personal_data.html", form=form, data=None), 400
    try:
        phone = phone_number(form.phone.data)
    except NotAPhoneNumber as error:
        form.phone.errors = [str(error)]
        return render_template("staff/personal_data.html", form=form, data=None), 400
    how = request.form.get("format", "page")
    how = how if how in FORMATS else "page"
    session = get_session()
    now = get_office().now()
    data = gather(session, phone)
    detail = export_detail(data, FORMATS[how])
    audit.record(session, actor(), "export", "personal_data", now, detail)
    session.commit()
    if how == "json":
        body = json.dumps(to_json(data, get_office().clock.tz, now), ensure_ascii=False, indent=2)
        return _download(body, "application/json", now, "json")
    if how == "html":
        return _download(report_html(data, now), "text/html", now, "html")
    return render_template(
        "staff/personal_data.html",
        form=form,
        data=data,
        report=report_html(data, now, standalone=False),
        erase_form=EraseForm(phone=form.phone.data),
    )


@bp.post("/personal-data/erase")
@role_required(StaffRole.ADMIN)
def personal_data_erase() -> str | tuple[str, int]:
    """Without the confirmation ticked: what would go and what stays. With it: erase."""
    form = EraseForm()
    try:
        phone = phone_number(form.phone.data or "")
    except NotAPhoneNumber:
        raise BadRequest() from None
    session = get_session()
    to_erase = erasure.plan(session, phone)
    if not form.confirm.data or not form.validate():
        return _erase_page(form, to_erase), 200 if not form.confirm.data else 400
    try:
        report = erasure.erase(
            session,
            to_erase,
            get_office().now(),
            app_storage(),
            actor=actor(),
            reason=form.reason.data,
            forget_at_twilio=twilio_forgetter(),
        )
    except erasure.BadReason as error:
        form.reason.errors = [str(error)]
        return _erase_page(form, to_erase), 400
    session.commit()
    return _erase_page(None, to_erase, report=report)


def _erase_page(form: EraseForm | None, to_erase: erasure.ErasurePlan, **extra: object) -> str:
    return render_template(
        "staff/personal_data_erase.html",
        form=form,
        plan=to_erase,
        kept_appeal=KEPT_APPEAL,
        kept_consent=KEPT_CONSENT,
        **extra,
    )


def twilio_forgetter() -> ForgetAtTwilio:
    """Deletes Twilio's copy of a recording, with a client made only if one is needed."""

    def make() -> ForgetAtTwilio:
        try:
            return Copier.from_app().forget
        except RuntimeError as error:
            reason = str(error)
            return lambda sid: reason

    return lazy_forgetter(make)


def _download(body: str, mimetype: str, now: datetime, extension: str) -> Response:
    name = f"personal-data-{now.astimezone(get_office().clock.tz):%Y%m%d-%H%M}.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _labels() -> dict[str, Any]:
    return {
        "events": EVENT_KINDS,
        "outcomes": OUTCOMES,
        "appeal_statuses": APPEAL_STATUSES,
        "channels": APPEAL_CHANNELS,
        "appointment_statuses": APPOINTMENT_STATUSES,
        "callback_reasons": CALLBACK_REASONS,
        "callback_statuses": CALLBACK_STATUSES,
        "attempt_results": ATTEMPT_RESULTS,
        "recording_kinds": RECORDING_KINDS,
        "label": label,
    }
