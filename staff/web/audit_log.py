"""The audit log (supervisors): who viewed, exported or changed which personal data."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import render_template, request
from sqlalchemy import orm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from calllog.appeal_queries import day_bounds
from calllog.office import get_office
from db import get_session
from models import AuditEntry, Call, Slot, StaffRole
from staff.web import bp, role_required
from staff.web.appeals import keyset_page, page_url, total
from staff.web.audit_subjects import actor_words, call_sids, subject, subject_code
from staff.web.audit_words import ACTIONS, action, detail, slot_ids
from staff.web.forms import PeriodFilterForm, options


class AuditFilterForm(PeriodFilterForm):
    """Read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    actor = StringField("Кто", validators=[Optional(), Length(max=100)])
    action = SelectField(
        "Действие", choices=options(ACTIONS.items(), "все"), validators=[Optional()]
    )
    subject = StringField("Что", validators=[Optional(), Length(max=100)])

    def __init__(self) -> None:
        super().__init__(formdata=request.args)

    def query(self, tz: Any) -> sa.Select[tuple[AuditEntry]]:
        """The entries matching the fields that passed validation, newest first."""

        def good(field: Any) -> Any:
            value = field.data.strip() if isinstance(field.data, str) else field.data
            return value if value and not field.errors else None

        query = sa.select(AuditEntry)
        if actor := good(self.actor):
            # "anna" finds "staff:anna"; an API token is found by its name.
            query = query.where(AuditEntry.actor.contains(actor, autoescape=True))
        if action := good(self.action):
            query = query.where(AuditEntry.action == action)
        if subject := good(self.subject):
            # "appeal:123456" finds that appeal; "appeal:" finds every appeal.
            query = query.where(
                AuditEntry.subject.startswith(subject_code(subject), autoescape=True)
            )
        start, end = day_bounds(good(self.since), good(self.until), tz)
        if start is not None:
            query = query.where(AuditEntry.at >= start)
        if end is not None:
            query = query.where(AuditEntry.at < end)
        return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


@bp.get("/audit")
@role_required(StaffRole.SUPERVISOR)
def audit() -> str:
    form = AuditFilterForm()
    form.validate()
    office = get_office()
    query = form.query(office.clock.tz)
    entries, next_cursor = keyset_page(
        query,
        (AuditEntry.at, AuditEntry.id),
        lambda entry: (entry.at, entry.id),
    )
    slot_times = _slot_times(office.clock.tz, slot_ids(entry.detail or "" for entry in entries))
    call_times = _call_times(
        office.clock.tz, call_sids(f"{entry.subject} {entry.detail or ''}" for entry in entries)
    )
    return render_template(
        "staff/audit.html",
        form=form,
        entries=entries,
        total=total(query),
        action_words=action,
        actor_words=actor_words,
        subject_of=lambda code: subject(code, call_times),
        detail_words=lambda text: detail(text, slot_times, call_times),
        next_url=page_url(next_cursor) if next_cursor else None,
        first_url=page_url(None) if request.args.get("cursor") else None,
    )


def _slot_times(tz: tzinfo, ids: set[int]) -> dict[int, str]:
    """«8 декабря 10:20, Иванова Мария Петровна» for each slot named, in one query."""
    if not ids:
        return {}
    slots = get_session().scalars(
        sa.select(Slot).where(Slot.id.in_(ids)).options(orm.joinedload(Slot.session))
    )
    return {
        slot.id: format_datetime(slot.starts_at, "d MMMM HH:mm", tzinfo=tz, locale="ru")
        + f", {slot.session.expert}"
        for slot in slots
    }


def _call_times(tz: tzinfo, sids: set[str]) -> dict[str, str]:
    """«2 декабря 11:00» for each call named, in one query."""
    if not sids:
        return {}
    rows = get_session().execute(sa.select(Call.sid, Call.started_at).where(Call.sid.in_(sids)))
    return {
        sid: format_datetime(started, "d MMMM HH:mm", tzinfo=tz, locale="ru")
        for sid, started in rows
    }
