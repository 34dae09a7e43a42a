"""Registering an appeal typed in by staff: one made at a personal visit or in a letter
(phone appeals come from the line and are registered by completing their card).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from calllog import appeal_search
from calllog import appeals as service
from calllog.office import get_office
from calllog.phones import to_e164
from db import get_session
from models import AppealChannel, StaffRole
from staff.web import actor, bp, role_required
from staff.web.appeal import CardForm, commit_change
from staff.web.forms import APPEAL_TEXT_LENGTH, options

#: Staff type in appeals that came in person or by post; phone ones come from the line.
TYPED_CHANNELS = {
    AppealChannel.VISIT.value: "личный приём",
    AppealChannel.WRITTEN.value: "письменное обращение",
}


class NewAppealForm(CardForm):
    channel = SelectField(
        "Как поступило", choices=options(TYPED_CHANNELS.items()), validators=[DataRequired()]
    )
    phone = StringField("Телефон для связи", validators=[Optional(), Length(max=40)])
    transcript = TextAreaField(
        "Содержание обращения", validators=[DataRequired(), APPEAL_TEXT_LENGTH]
    )

    def validate_phone(self, field: StringField) -> None:
        if field.data and to_e164(field.data) is None:
            raise ValidationError("Это не номер телефона.")


@bp.route("/appeals/new", methods=["GET", "POST"])
@role_required(StaffRole.OPERATOR)
def appeal_new() -> Response | tuple[str, int]:
    """An appeal made at a personal visit or in a letter, typed in by staff."""
    form = NewAppealForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("staff/appeal_new.html", form=form), status
    session = get_session()
    now = get_office().now()
    appeal = service.create_appeal(
        session,
        topic=form.topic.data,
        channel=AppealChannel(form.channel.data),
        phone=to_e164(form.phone.data) if form.phone.data else None,
        now=now,
        actor=actor(),
    )
    appeal.name = (form.name.data or "").strip() or None
    appeal.address = (form.address.data or "").strip() or None
    appeal.transcript = (form.transcript.data or "").strip() or None
    appeal_search.index(session, appeal)
    commit_change(appeal, f"created: {appeal.channel.value}")
    flash(f"Обращение зарегистрировано под номером {appeal.number}.", "success")
    return redirect(url_for("staff.appeal", number=appeal.number))
