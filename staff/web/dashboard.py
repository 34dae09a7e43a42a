"""Today: the page staff open first."""

from __future__ import annotations

from flask import render_template

from calllog.office import get_office
from calllog.today import today as today_figures
from db import get_session
from staff.web import bp


@bp.get("/")
def today() -> str:
    office = get_office()
    figures = today_figures(get_session(), office.now())
    names = {line.number: line.staff_label for line in office.lines}
    return render_template("staff/today.html", figures=figures, line_names=names)
