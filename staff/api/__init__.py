"""The JSON API under ``/api/``, authenticated with ``Authorization: Bearer <token>``.

This package holds the blueprint, authentication and the helpers every resource uses
(dates, keyset cursors, JSON bodies); each resource has its own module below it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Response, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException

from calllog import audit
from calllog.office import get_office
from calllog.tokens import verify_token
from db import get_session
from models import ApiToken, StaffRole
from staff.paging import decode_cursor, encode_cursor

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
FIRST_DATE = date.min + timedelta(days=2)
LAST_DATE = date.max - timedelta(days=2)

View = TypeVar("View", bound=Callable[..., Any])
Row = TypeVar("Row")


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


@bp.before_request
def refuse_nul() -> None:
    """Refuse NUL characters, which no database stores in text (PostgreSQL refuses them)."""
    if any("\x00" in value for _, value in request.args.items(multi=True)):
        abort(400, "query arguments must not contain NUL characters")


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


def actor() -> str:
    """Who is acting: the name of the request's API token."""
    token: ApiToken = g.api_token
    return token.name


# Answers that hold no personal data: the API's own description and aggregate figures.
UNAUDITED = {"api.openapi", "api.report_summary"}


@bp.after_request
def audit_personal_data(response: Response) -> Response:
    """Every read or change of personal data through the API leaves an audit entry (§11).

    The entry names the token and the path; never the query string, which may hold a
    phone number.
    """
    token: ApiToken | None = g.get("api_token")
    if token is None or response.status_code >= 400 or request.endpoint in UNAUDITED:
        return response
    action = "api_view" if request.method == "GET" else "api_change"
    session = get_session()
    audit.record(
        session, f"token:{token.name}", action, request.path, get_office().now(), request.method
    )
    session.commit()
    return response


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException) -> tuple[Response, int, dict[str, str]]:
    headers = {name: value for name, value in error.get_headers() if name == "Allow"}
    if error.code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return jsonify(error=error.description), error.code or 500, headers


def local_date(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(400, f"{name} must be a date like 2026-12-02")
    if not FIRST_DATE <= day <= LAST_DATE:
        # The day's bounds in UTC must exist too.
        abort(400, f"{name} must be between {FIRST_DATE} and {LAST_DATE}")
    return day


def day_start(day: date) -> datetime:
    """The first moment of a local calendar day in the office's time zone."""
    return datetime.combine(day, time(), get_office().clock.tz)


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` moments for local dates ``since`` to ``until``, inclusive; a period
    ending before it starts is a 400."""
    if since and until and until < since:
        abort(400, "until must not be before since")
    start = day_start(since) if since else None
    end = day_start(until + timedelta(days=1)) if until else None
    return start, end


def page_limit() -> int:
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        abort(400, "limit must be a whole number")
    if not 1 <= limit <= MAX_LIMIT:
        abort(400, f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def keyset_page(
    query: sa.Select[tuple[Row]],
    columns: tuple[sa.ColumnElement[datetime], sa.ColumnElement[int]],
    key: Callable[[Row], tuple[datetime, int]],
    *,
    descending: bool,
) -> tuple[Sequence[Row], str | None]:
    """One page of ``query`` (already ordered by ``columns``) and the cursor to the next.

    ``columns`` is the ordering key, a moment and a row id; ``key`` reads the same pair
    from a row, for the cursor of the last row on the page.
    """
    limit = page_limit()
    if cursor := request.args.get("cursor"):
        moment, row_id = decode_cursor(cursor)
        position = sa.tuple_(*columns)
        query = query.where(
            position < (moment, row_id) if descending else position > (moment, row_id)
        )
    rows = get_session().scalars(query.limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = encode_cursor(*key(page[-1])) if len(rows) > limit else None
    return page, next_cursor


def choice(name: str, allowed: Sequence[str], value: str | None = None) -> str | None:
    """The query argument ``name`` (or ``value``), refused (400) unless one of ``allowed``."""
    value = request.args.get(name) if value is None else value
    if not value:
        return None
    if value not in allowed:
        abort(400, f"{name} must be one of: {', '.join(allowed)}")
    return value


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "send a JSON object with Content-Type: application/json")
    return body


def text_field(body: dict[str, Any], name: str, *, max_length: int, required: bool = True) -> str:
    """A string member of a JSON body, stripped; 400 when missing (if required) or too long."""
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        abort(400, f"{name} must be a non-empty string")
    value = value.strip()
    if "\x00" in value:
        abort(400, f"{name} must not contain NUL characters")
    if len(value) > max_length:
        abort(400, f"{name} must be at most {max_length} characters")
    return value


# The resources register their views on ``bp`` when imported.
from staff.api import (  # noqa: E402
    appeals,
    appointments,
    callbacks,
    calls,
    openapi,
    reports,
    sessions,
)
from staff.api.calls import calls_query, get_call, list_calls  # noqa: E402

__all__ = [
    "appeals",
    "appointments",
    "bp",
    "callbacks",
    "calls",
    "calls_query",
    "get_call",
    "list_calls",
    "openapi",
    "reports",
    "require_role",
    "sessions",
]
