"""Appeals (обращения): the list with its filters and keyset pages.

One appeal's card and its changes are :mod:`staff.web.appeal`; registering an appeal
typed in by staff is :mod:`staff.web.appeal_new`. The list writes an audit entry (§11),
since it shows phone numbers and names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import render_template, request, url_for
from sqlalchemy import orm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from calllog import appeal_search, transcripts
from calllog import appeals as service
from calllog.appeal_queries import AppealFilters, Deadline, appeals_query, day_bounds
from calllog.audit import record
from calllog.office import get_office
from db import get_session
from models import Appeal, AppealStatus, StaffRole
from staff.paging import decode_cursor, encode_cursor, ranked_page
from staff.web import actor, bp, role_required
from staff.web.forms import PeriodFilterForm, options
from staff.web.labels import APPEAL_CHANNELS, APPEAL_STATUSES

PAGE_SIZE = 50
DEADLINES = {
    Deadline.OVERDUE.value: "просрочены",
    Deadline.DUE_SOON.value: "срок в ближайшие 7 дней",
}

Row = TypeVar("Row")


def _topic_choices(blank: str | None = None) -> list[SelectChoice]:
    return options(get_office().topics, blank)


class FilterForm(PeriodFilterForm):
    """The list's filters: read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField("Статус", validators=[Optional()])
    topic = SelectField("Тема", validators=[Optional()])
    deadline = SelectField("Срок", validators=[Optional()])
    phone = StringField("Телефон", validators=[Optional(), Length(max=40)])
    q = StringField("Текст", validators=[Optional(), Length(max=200)])

    def __init__(self) -> None:
        super().__init__(formdata=request.args)
        self.status.choices = options(APPEAL_STATUSES.items(), "все")
        self.topic.choices = _topic_choices("все")
        self.deadline.choices = options(DEADLINES.items(), "все")

    def validate_phone(self, field: StringField) -> None:
        if field.data and not any(char.isdigit() for char in field.data):
            raise ValidationError("Введите номер или его последние цифры.")

    def filters(self, tz: Any) -> AppealFilters:
        """The filters that passed validation; a field in error filters nothing."""

        def good(field: Any) -> Any:
            return field.data if field.data and not field.errors else None

        start, end = day_bounds(good(self.since), good(self.until), tz)
        status, deadline = good(self.status), good(self.deadline)
        return AppealFilters(
            status=AppealStatus(status) if status else None,
            topic=good(self.topic),
            deadline=Deadline(deadline) if deadline else None,
            phone=good(self.phone),
            start=start,
            end=end,
        )


# --- keyset pages ------------------------------------------------------------------------


def keyset_page(
    query: sa.Select[tuple[Row]],
    columns: tuple[Any, Any],
    key: Callable[[Row], tuple[datetime, int]],
    size: int | None = None,
) -> tuple[Sequence[Row], str | None]:
    """One page of ``query`` (ordered by ``columns`` descending) after ``?cursor=``,
    and the cursor of the next page, or None on the last.
    """
    size = size or PAGE_SIZE
    if cursor := request.args.get("cursor"):
        query = query.where(sa.tuple_(*columns) < decode_cursor(cursor))
    rows = get_session().scalars(query.limit(size + 1)).all()
    next_cursor = encode_cursor(*key(rows[size - 1])) if len(rows) > size else None
    return rows[:size], next_cursor


def total(query: sa.Select[Any]) -> int:
    """How many rows ``query`` selects in all (its pages together), for «Всего: …»."""
    counting = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    return get_session().scalar(counting) or 0


def page_url(cursor: str | None) -> str:
    """This page's URL with its filters and another cursor (None: the first page)."""
    args = {name: value for name, value in request.args.items() if name != "cursor" and value}
    if cursor:
        args["cursor"] = cursor
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)


# --- the list ----------------------------------------------------------------------------


@bp.get("/appeals")
@role_required(StaffRole.OPERATOR)
def appeals() -> str:
    office = get_office()
    form = FilterForm()
    form.validate()
    filters = form.filters(office.clock.tz)
    session = get_session()
    query = appeals_query(filters, office.now().date())
    words = (form.q.data or "").strip() if not form.q.errors else ""
    if words:
        # Ranked by relevance, highlighted; paged by position in the results.
        query = appeal_search.ranked(session, query, words)
        count = total(query)
        page, next_cursor = ranked_page(
            query.options(orm.selectinload(Appeal.transcripts)), PAGE_SIZE
        )
    else:
        count = total(query)
        page, next_cursor = keyset_page(
            query,
            (Appeal.created_at, Appeal.id),
            lambda appeal: (appeal.created_at, appeal.id),
        )
    record(session, actor(), "view", "appeals", office.now(), _describe(filters, words))
    session.commit()
    return render_template(
        "staff/appeals.html",
        form=form,
        appeals=page,
        total=count,
        next_url=page_url(next_cursor) if next_cursor else None,
        first_url=page_url(None) if request.args.get("cursor") else None,
        today=office.now().date(),
        words=words,
        found_in=lambda appeal: _found_in(appeal, words),
        **appeal_labels(),
    )


def _found_in(appeal: Appeal, words: str) -> list[tuple[str, bool]]:
    """Where the search words are in the appeal's text, marked for highlighting."""
    heard = transcripts.heard(appeal.transcripts)
    parts = [appeal.transcript or ""]
    if heard is not None and heard.text != appeal.transcript:
        parts.append(heard.text or "")
    return appeal_search.excerpt("\n".join(part for part in parts if part), words)


def _describe(filters: AppealFilters, words: str = "") -> str:
    """The list's filters for the audit log, without the phone number searched for."""
    parts = [
        f"{name}={value}"
        for name, value in (
            ("status", filters.status),
            ("topic", filters.topic),
            ("deadline", filters.deadline),
        )
        if value
    ]
    if filters.phone:
        parts.append("phone search")
    if words:
        parts.append("text search")
    if filters.start or filters.end:
        parts.append("period")
    if request.args.get("cursor"):
        parts.append("next page")
    return "list" + (": " + ", ".join(parts) if parts else "")


def appeal_labels() -> dict[str, Any]:
    """The names the appeals templates (the list and the card) show for codes."""
    office = get_office()
    return {
        "status_names": APPEAL_STATUSES,
        "channel_names": APPEAL_CHANNELS,
        "topic_name": office.topic_name,
        "is_overdue": service.is_overdue,
    }
