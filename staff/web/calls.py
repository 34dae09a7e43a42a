"""The call log for staff: the filtered list; one call in detail is :mod:`staff.web.call`.

The filters, their checks and the keyset pages are those of the JSON API
(:mod:`calllog.call_queries`). The list opens on today; clearing both dates shows every day.
The list's CSV export is :mod:`staff.web.export`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from sqlalchemy import orm
from werkzeug.routing import BuildError

from calllog import audit
from calllog.call_queries import (
    MISSED,
    CallFilters,
    FilterError,
    calls_page,
    calls_query,
    decode_cursor,
)
from calllog.office import Office, get_office
from calllog.phones import national
from db import get_session
from models import Call, CallerKind, StaffRole
from staff.web import actor, bp, role_required
from staff.web.labels import OUTCOMES, label

PAGE_SIZE = 50

#: Twilio's ``CallStatus`` values.
CALL_STATUSES = {
    "queued": "в очереди",
    "ringing": "звонит",
    "in-progress": "идёт разговор",
    "completed": "завершён",
    "busy": "занято",
    "no-answer": "нет ответа",
    "failed": "не состоялся",
    "canceled": "отменён",
}

PERIODS = (("Сегодня", 0), ("7 дней", 6), ("30 дней", 29))


# --- the list -------------------------------------------------------------------------------


@bp.get("/calls")
@role_required(StaffRole.OPERATOR)
def calls() -> tuple[str, int] | str:
    office = get_office()
    tz = office.clock.tz
    args = with_default_period(request.args, office)
    try:
        filters = CallFilters.from_args(args)
        cursor = args.get("cursor") or None
        position = decode_cursor(cursor) if cursor else None
    except FilterError as error:
        return list_page(office, args, error=error.russian), 400
    session = get_session()
    query = calls_query(filters, tz).options(
        orm.selectinload(Call.appeals), orm.selectinload(Call.appointments)
    )
    page, next_cursor = calls_page(session, query, PAGE_SIZE, position)
    counting = calls_query(filters, tz).with_only_columns(sa.func.count(Call.id)).order_by(None)
    total = session.scalar(counting) or 0
    if filters.caller:
        # Looking a person up by number is a view of their personal data (§11).
        audit.record(session, actor(), "search", "calls", office.now(), filters.describe())
        session.commit()
    return list_page(
        office,
        args,
        filters=filters,
        calls=page,
        total=total,
        next_cursor=next_cursor,
        first=cursor is None,
    )


def with_default_period(args: Mapping[str, str], office: Office) -> dict[str, str]:
    """The query's arguments, opening on today when it names no period at all."""
    values = dict(args.items())
    if "since" not in values and "until" not in values:
        today = office.now().astimezone(office.clock.tz).date().isoformat()
        values.update(since=today, until=today)
    return values


def list_page(
    office: Office,
    args: Mapping[str, str],
    *,
    filters: CallFilters | None = None,
    calls: Iterable[Call] = (),
    total: int | None = None,
    next_cursor: str | None = None,
    first: bool = True,
    error: str | None = None,
) -> str:
    query_args = filters.to_args() if filters is not None else dict(args)
    query_args.pop("cursor", None)
    today = office.now().astimezone(office.clock.tz).date()
    periods = [
        (
            name,
            url_for(
                "staff.calls",
                since=(today - timedelta(days=days)).isoformat(),
                until=today.isoformat(),
            ),
        )
        for name, days in PERIODS
    ]
    periods.append(("Всё время", url_for("staff.calls", since="", until="")))
    lines = [
        (line.number, f"{national(line.number)} — {line.staff_label}") for line in office.lines
    ]
    if args.get("line") and args["line"] not in dict(lines):
        lines.append((args["line"], national(args["line"])))
    return render_template(
        "staff/calls.html",
        args=args,
        calls=list(calls),
        total=total,
        error=error,
        first=first,
        next_url=url_for("staff.calls", **query_args, cursor=next_cursor) if next_cursor else None,
        start_url=url_for("staff.calls", **query_args),
        export_url=url_for("staff.calls_export", **query_args),
        codes_export_url=url_for("staff.calls_export", **query_args, format="codes"),
        periods=periods,
        lines=lines,
        outcomes=OUTCOMES,
        statuses={MISSED: "пропущенные (все)", **CALL_STATUSES},
        line_name=lambda number: line_name(office, number),
        caller_text=caller_text,
        status_text=lambda value: label(CALL_STATUSES, value) if value else "—",
        outcome_text=lambda value: label(OUTCOMES, value) if value else "—",
        duration=duration,
        link=link,
    )


# --- shared pieces --------------------------------------------------------------------------


def line_name(office: Office, number: str) -> str:
    line = office.line(number)
    return line.staff_label if line is not None else ""


def caller_text(call: Call) -> str:
    """The caller as staff read it: a Russian number, «скрыт», or the raw caller ID."""
    if call.caller:
        return national(call.caller)
    if call.anonymised_at is not None:
        return "обезличен"
    if call.caller_kind is CallerKind.WITHHELD or not call.caller_raw:
        return "скрыт"
    return call.caller_raw


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


def link(endpoint: str, **values: Any) -> str | None:
    """The URL of another staff page, or None while that page does not exist yet."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
