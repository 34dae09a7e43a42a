"""Finding an appointment across days: by its booking code, or by the phone it was booked for.

A code (4 to 6 digits) opens its day at its row; anything else with digits is a phone
number in any common format, or its last digits, and lists that number's appointments,
newest first. Looking a person up by number is a view of personal data: audited with the
number masked (§11).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import redirect, render_template, url_for
from sqlalchemy import orm

from calllog import booking
from calllog.appeal_queries import phone_condition
from calllog.audit import record
from calllog.office import get_office
from calllog.phones import mask
from db import get_session
from models import Appointment, Slot
from staff.web import actor
from staff.web.labels import APPOINTMENT_STATUSES, label

#: The most appointments one search lists (a number rarely holds more than a few).
FOUND_MAX = 100
SEARCH_MAX = 40


def search(typed: str) -> Any:
    """The answer to the appointments page's search box."""
    text = typed.strip()[:SEARCH_MAX]
    session = get_session()
    office = get_office()
    if text.isdigit() and 4 <= len(text) <= 6:
        found = booking.find_by_code(session, text)
        if found is not None:
            day = found.slot.starts_at.astimezone(office.clock.tz).date()
            return redirect(url_for("staff.appointments", date=day.isoformat()) + f"#code-{text}")
    if not any(char.isdigit() for char in text):
        return _page(text, [], "Введите код записи (4–6 цифр) или номер телефона."), 400
    appointments = session.scalars(
        sa.select(Appointment)
        .join(Appointment.slot)
        .where(phone_condition(Appointment.phone, text))
        .order_by(Slot.starts_at.desc(), Appointment.id.desc())
        .options(orm.contains_eager(Appointment.slot).joinedload(Slot.session))
        .limit(FOUND_MAX)
    ).all()
    record(session, actor(), "search", "appointments", office.now(), f"caller={mask(text)}")
    session.commit()
    return _page(text, appointments)


def _page(text: str, appointments: list[Appointment], error: str | None = None) -> str:
    return render_template(
        "staff/appointments_found.html",
        typed=text,
        appointments=appointments,
        error=error,
        limit=FOUND_MAX,
        status_name=lambda value: label(APPOINTMENT_STATUSES, value),
    )
