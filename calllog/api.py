"""The JSON API under ``/api/``, authenticated with ``Authorization: Bearer <token>``."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Response, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException

from calllog.phones import search_variants
from calllog.serialize import call_detail, call_summary
from calllog.tokens import verify_token
from db import get_session
from models import ApiToken, Call, CallOutcome, StaffRole
from office import get_office

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

View = TypeVar("View", bound=Callable[..., Any])


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    token = None
    if scheme.lower() == "bearer" and secret:
        token = verify_token(get_session(), secret.strip(), get_office().now())
    if token is None:
        abort(401, "a valid bearer token is required")
    g.api_token = token


def require_role(role: StaffRole) -> Callable[[View], View]:
    """Refuse (403) tokens whose role is below ``role``."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token: ApiToken = g.api_token
            if not token.role.includes(role):
                abort(403, f"this needs the {role.value} role")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException) -> tuple[Response, int, dict[str, str]]:
    headers = {"WWW-Authenticate": "Bearer"} if error.code == 401 else {}
    return jsonify(error=error.description), error.code or 500, headers


def local_date(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"{name} must be a date like 2026-12-02")


def day_start(day: date) -> datetime:
    """The first moment of a local calendar day in the office's time zone."""
    return datetime.combine(day, time(), get_office().clock.tz)


def page_limit() -> int:
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        abort(400, "limit must be a whole number")
    if not 1 <= limit <= MAX_LIMIT:
        abort(400, f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(moment: datetime, row_id: int) -> str:
    raw = f"{moment.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, row_id = raw.split("|")
        return datetime.fromisoformat(moment), int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        abort(400, "cursor is not one this API gave out")


def calls_query() -> sa.Select[tuple[Call]]:
    """The calls matching the request's filters, newest first."""
    query = sa.select(Call)
    if line := request.args.get("line"):
        query = query.where(Call.line == line)
    if outcome := request.args.get("outcome"):
        if outcome not in CallOutcome.__members__.values():
            abort(400, f"unknown outcome {outcome!r}")
        query = query.where(Call.outcome == outcome)
    if status := request.args.get("status"):
        query = query.where(Call.status == status)
    if caller := request.args.get("caller"):
        variants = search_variants(caller) or [caller]
        term = variants[0]
        query = query.where(
            Call.caller == term if term.startswith("+") else Call.caller.endswith(term)
        )
    if since := local_date("since"):
        query = query.where(Call.started_at >= day_start(since))
    if until := local_date("until"):
        query = query.where(Call.started_at < day_start(until + timedelta(days=1)))
    return query.order_by(Call.started_at.desc(), Call.id.desc())


@bp.get("/calls")
def list_calls() -> Response:
    limit = page_limit()
    query = calls_query()
    if cursor := request.args.get("cursor"):
        moment, row_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(Call.started_at, Call.id) < (moment, row_id))
    rows = get_session().scalars(query.limit(limit + 1)).all()
    tz = get_office().clock.tz
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].started_at, page[-1].id) if len(rows) > limit else None
    return jsonify(items=[call_summary(call, tz) for call in page], next=next_cursor)


@bp.get("/calls/<sid>")
def get_call(sid: str) -> Response:
    call = get_session().scalar(sa.select(Call).where(Call.sid == sid))
    if call is None:
        abort(404, "no call with that sid")
    return jsonify(call_detail(call, get_office().clock.tz))
