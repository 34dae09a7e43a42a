"""The callback queue: who to call back and why, by status.

One item, and working it (an attempt recorded by hand or «Позвонить»), is
:mod:`staff.web.callback`. The list writes an audit entry (it shows phone numbers, §11).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from sqlalchemy import orm
from werkzeug.routing import IntegerConverter

from calllog import callbacks as service
from calllog.audit import record
from calllog.office import get_office
from db import get_session
from models import Call, Callback, CallbackAttempt, CallbackStatus, StaffRole
from staff.web import actor, bp, role_required
from staff.web.labels import ATTEMPT_RESULTS, CALLBACK_REASONS, CALLBACK_STATUSES, label

LIMIT = 200
STATUS_TABS = (
    (CallbackStatus.PENDING, "Ждут звонка"),
    (CallbackStatus.DONE, "Выполнены"),
    (CallbackStatus.GAVE_UP, "Не дозвонились"),
)


@bp.get("/callbacks", endpoint="callbacks")
@role_required(StaffRole.OPERATOR)
def queue() -> str:
    status = _status_arg()
    session = get_session()
    office = get_office()
    now = office.now()
    query = (
        sa.select(Callback)
        .where(Callback.status == status)
        .options(
            orm.selectinload(Callback.calls),
            orm.selectinload(Callback.attempts),
        )
    )
    if status is CallbackStatus.PENDING:
        query = query.order_by(Callback.due_at, Callback.id)
    else:
        query = query.order_by(Callback.closed_at.desc(), Callback.id.desc())
    items = session.scalars(query.limit(LIMIT + 1)).all()
    counts = dict(
        session.execute(sa.select(Callback.status, sa.func.count()).group_by(Callback.status)).all()
    )
    record(session, actor(), "view", "callbacks", now, f"status={status.value}")
    session.commit()
    return render_template(
        "staff/callbacks.html",
        items=items[:LIMIT],
        more=len(items) > LIMIT,
        limit=LIMIT,
        status=status,
        tabs=[(tab, name, counts.get(tab, 0)) for tab, name in STATUS_TABS],
        now=now,
        **template_helpers(),
    )


def _status_arg() -> CallbackStatus:
    value = request.args.get("status", "")
    try:
        return CallbackStatus(value)
    except ValueError:
        return CallbackStatus.PENDING


# --- template helpers (the queue and one item) ---------------------------------------------


def template_helpers() -> dict[str, Any]:
    return {
        "reason_name": lambda reason: label(CALLBACK_REASONS, reason),
        "status_name": lambda status: label(CALLBACK_STATUSES, status),
        "result_name": lambda result: label(ATTEMPT_RESULTS, result),
        "who": _who,
        "line_name": _line_name,
        "call_url": call_url,
        "call_of": _call_of,
        "outbound": service.OUTBOUND,
    }


def _who(actor_name: str | None) -> str:
    if not actor_name:
        return "линия"
    return actor_name.removeprefix("staff:")


def _line_name(number: str) -> str:
    line = get_office().line(number)
    return line.staff_label if line else ""


def _call_of(attempt: CallbackAttempt, callback: Callback) -> Call | None:
    return next((call for call in callback.calls if call.id == attempt.call_id), None)


def call_url(call: Call) -> str | None:
    """The call's page, once the call log registers ``staff.call``; None before that."""
    rules = list(current_app.url_map.iter_rules("staff.call")) if _has_call_page() else []
    if len(rules) != 1 or len(rules[0].arguments) != 1:
        return None
    (name,) = rules[0].arguments
    converter = getattr(rules[0], "_converters", {}).get(name)
    value = call.id if isinstance(converter, IntegerConverter) else call.sid
    return url_for("staff.call", **{name: value})


def _has_call_page() -> bool:
    return "staff.call" in current_app.view_functions
