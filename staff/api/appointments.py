"""``/api/appointments``: the day's personal visits."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Response, abort, jsonify
from sqlalchemy import orm

from calllog.office import get_office
from models import Appointment, AppointmentStatus, Slot
from staff.api import bp, choice, day_start, keyset_page, local_date
from staff.serialize import appointment_json

STATUSES = [status.value for status in AppointmentStatus]


@bp.get("/appointments")
def list_appointments() -> Response:
    """Appointments whose slot is on the local ``date`` (required), in time order.

    Cancelled ones are included (their ``status`` says so) unless ``status`` filters.
    """
    day = local_date("date")
    if day is None:
        abort(400, "date is required, like 2026-12-02")
    query = (
        sa.select(Appointment)
        .join(Appointment.slot)
        .where(Slot.starts_at >= day_start(day), Slot.starts_at < day_start(day + timedelta(1)))
        .options(
            orm.contains_eager(Appointment.slot).joinedload(Slot.session),
            orm.selectinload(Appointment.calls),
        )
        .order_by(Slot.starts_at, Appointment.id)
    )
    if status := choice("status", STATUSES):
        query = query.where(Appointment.status == AppointmentStatus(status))
    page, next_cursor = keyset_page(
        query,
        (Slot.starts_at, Appointment.id),
        lambda appointment: (appointment.slot.starts_at, appointment.id),
        descending=False,
    )
    tz = get_office().clock.tz
    return jsonify(items=[appointment_json(item, tz) for item in page], next=next_cursor)
