"""Reports: any period's figures as the office publishes them, with charts."""

from __future__ import annotations

from datetime import date

from flask import flash, render_template, request

from calllog.call_queries import REVERSED_RUSSIAN
from calllog.office import get_office
from calllog.phones import national
from calllog.reports import summary
from db import get_session
from models import StaffRole
from staff.web import bp, role_required
from staff.web.charts import bars, calls_per_day
from staff.web.labels import APPEAL_STATUSES, OUTCOMES, label


class PeriodError(ValueError):
    """A period the report cannot show; ``str()`` is the Russian message."""


def _date_arg(name: str, default: date) -> date:
    value = request.args.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError("Дата должна быть как 2026-12-02.") from None


#: What an empty chart says: why it has nothing to show.
NO_CALLS = "За выбранный период звонков не было."


@bp.get("/reports")
@role_required(StaffRole.SUPERVISOR)
def reports() -> tuple[str, int]:
    """The period's report; a date it cannot read, or an end before the start, is said so
    (400) above the report of the month so far."""
    office = get_office()
    today = office.now().date()
    status = 200
    try:
        since = _date_arg("since", today.replace(day=1))
        until = _date_arg("until", today)
        if until < since:
            raise PeriodError(REVERSED_RUSSIAN)
    except PeriodError as error:
        flash(str(error), "error")
        since, until, status = today.replace(day=1), today, 400
    figures = summary(get_session(), since, until, office.clock.tz)
    lines = [(line.number, f"{national(line.number)} {line.staff_label}") for line in office.lines]
    known = {number for number, _ in lines}
    lines += [(number, number) for number in figures.by_line if number not in known]
    topics = sorted(figures.by_topic.items(), key=lambda item: -item[1])
    charts = {
        "days": calls_per_day(
            figures.calls_per_day,
            lines,
            since,
            until,
            title="Звонки по дням и линиям",
            empty=NO_CALLS,
        ),
        "outcomes": bars(
            [(label(OUTCOMES, k), v) for k, v in figures.by_outcome.items()],
            title="Чем закончились звонки",
            empty=NO_CALLS,
        ),
        "topics": bars(
            [(office.topic_name(k), v) for k, v in topics],
            title="Темы обращений",
            empty="За выбранный период обращений не было.",
        ),
    }
    return render_template(
        "staff/reports.html",
        figures=figures,
        since=since,
        until=until,
        charts=charts,
        topics=[(office.topic_name(k), v) for k, v in topics],
        statuses=[(label(APPEAL_STATUSES, k), v) for k, v in figures.by_appeal_status.items()],
        lines=[(name, figures.by_line.get(number, 0)) for number, name in lines],
    ), status
