"""``/api/reports/summary``: the period report's figures (supervisor)."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, jsonify

from calllog.office import get_office
from calllog.reports import Summary, summary
from db import get_session
from models import StaffRole
from staff.api import bp, local_date, require_role

MAX_DAYS = 3 * 366


def summary_json(figures: Summary) -> dict[str, object]:
    return {
        "since": figures.since.isoformat(),
        "until": figures.until.isoformat(),
        "calls": figures.calls,
        "callers": figures.callers,
        "by_line": figures.by_line,
        "by_outcome": figures.by_outcome,
        "appeals": figures.appeals,
        "by_topic": figures.by_topic,
        "by_appeal_status": figures.by_appeal_status,
        "resolved": figures.resolved,
        "resolved_share": figures.resolved_share,
        "calls_per_day": {day.isoformat(): lines for day, lines in figures.calls_per_day.items()},
    }


@bp.get("/reports/summary")
@require_role(StaffRole.SUPERVISOR)
def report_summary() -> Response:
    """The figures for the local days ``since`` to ``until`` (inclusive; both required)."""
    since, until = local_date("since"), local_date("until")
    if since is None or until is None:
        abort(400, "since and until are required, like 2026-12-01")
    if until < since:
        abort(400, "until must not be before since")
    if until - since > timedelta(days=MAX_DAYS):
        abort(400, f"a report covers at most {MAX_DAYS} days")
    figures = summary(get_session(), since, until, get_office().clock.tz)
    return jsonify(summary_json(figures))
