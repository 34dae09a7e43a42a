"""The call log as CSV, for staff: the list's filters, every matching call, streamed.

UTF-8 with a byte-order mark and ``;`` between fields, which is what Excel with Russian
regional settings opens directly (Cyrillic intact, one value per column); lines end in
CRLF. Two variants of the same rows:

- ``/calls/export.csv`` (for people, the default): Russian headers, local times as
  ``02.12.2026 10:30:00``, the line's name, statuses and outcomes in words, «скрыт» for a
  withheld caller (:mod:`staff.web.export_words`).
- ``/calls/export.csv?format=codes`` (for machines, the file as it has always been):
  ``sid;started_at;line;caller;status;outcome;duration_s;appeals;appointments`` — times
  in the office's offset (ISO 8601), numbers in E.164 (a caller without one gets the raw
  caller ID), statuses and outcomes as the API's codes.

Both list several appeal numbers or booking codes separated by spaces.

The file is streamed from one query, newest call first, read a batch at a time (a
server-side cursor on PostgreSQL), so any period exports whole in constant memory; each
batch's appeal numbers and booking codes come in one query apiece.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import sqlalchemy as sa
from flask import Response, request, stream_with_context
from sqlalchemy import orm

from calllog import audit
from calllog.call_queries import CallFilters, FilterError, calls_query
from calllog.office import get_office
from db import get_session
from models import Appeal, Appointment, Call, StaffRole, call_appeal, call_appointment
from staff.web import actor, bp, role_required
from staff.web.calls import list_page, with_default_period
from staff.web.export_words import RUSSIAN_COLUMNS, ExportWords

#: Calls read (and written out as one chunk of the response) at a time.
EXPORT_BATCH = 10_000
CSV_DELIMITER = ";"
CSV_COLUMNS = (
    "sid",
    "started_at",
    "line",
    "caller",
    "status",
    "outcome",
    "duration_s",
    "appeals",
    "appointments",
)

#: ``format=``: words for people (the default) or the codes for machines.
EXPORT_FORMATS = ("", "codes")

#: A cell Excel or LibreOffice would run as a formula; phone numbers (``+79…``) are harmless.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"\+?\d*")

#: The appeal numbers and the booking codes of some calls, each call's in id order; the
#: calls are a select of their ids, bound with :meth:`~sqlalchemy.sql.Select.where`.
APPEAL_NUMBERS = sa.select(
    call_appeal.c.call_id,
    sa.select(Appeal.number).where(Appeal.id == call_appeal.c.appeal_id).scalar_subquery(),
).order_by(call_appeal.c.call_id, call_appeal.c.appeal_id)
BOOKING_CODES = sa.select(
    call_appointment.c.call_id,
    sa.select(Appointment.code)
    .where(Appointment.id == call_appointment.c.appointment_id)
    .scalar_subquery(),
).order_by(call_appointment.c.call_id, call_appointment.c.appointment_id)


@bp.get("/calls/export.csv")
@role_required(StaffRole.OPERATOR)
def calls_export() -> Response | tuple[str, int]:
    office = get_office()
    args = with_default_period(request.args, office)
    variant = args.pop("format", "")
    try:
        filters = CallFilters.from_args(args)
    except FilterError as error:
        return list_page(office, args, error=error.russian), 400
    if variant not in EXPORT_FORMATS:
        return list_page(office, args, error="Неизвестный вид выгрузки."), 400
    words = ExportWords.of(office) if variant == "" else None
    session = get_session()
    # The row count is not known before the last row is written: the entry names the filters.
    audit.record(session, actor(), "export", "calls", office.now(), filters.describe())
    session.commit()
    name = f"calls-{filters.since or 'all'}-{filters.until or 'now'}.csv"
    return Response(
        stream_with_context(csv_chunks(session, filters, office.clock.tz, words)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename={name}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def csv_chunks(
    session: orm.Session, filters: CallFilters, tz: tzinfo, words: ExportWords | None = None
) -> Iterator[bytes]:
    """The export: a header, then a chunk of rows per batch of calls, newest first.

    Rows are plain Core rows on the session's connection, their local start written by
    the database: no ORM loading and no per-row conversion of times in Python. Without
    ``words`` the codes are written; with them, each row is put in words on its way out.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    buffer.write("\ufeff")  # the byte-order mark: Excel then reads the file as UTF-8
    writer.writerow(CSV_COLUMNS if words is None else RUSSIAN_COLUMNS)
    yield _drain(buffer)
    connection = session.connection()
    offset = datetime.now(tz).utcoffset() or timedelta()
    matching = calls_query(filters, tz)
    export = matching.with_only_columns(
        Call.id,
        Call.sid,
        _shifted_start(connection.dialect.name, offset),
        Call.line,
        Call.caller,
        Call.caller_raw,
        Call.status,
        sa.type_coerce(Call.outcome, sa.String()),  # the API's code, as stored
        Call.duration_s,
        *([] if words is None else [sa.type_coerce(Call.caller_kind, sa.String())]),
    )
    for batch in _cursor_batches(connection, export):
        newest = datetime.fromisoformat(batch[0][2])
        oldest = datetime.fromisoformat(batch[-1][2])
        in_batch = (
            matching.with_only_columns(Call.id)
            # Starts were cut to the second: the range takes in the newest call's fraction.
            .where(Call.started_at >= oldest, Call.started_at < newest + timedelta(seconds=1))
            .order_by(None)
        )
        appeals = _joined(connection, APPEAL_NUMBERS, in_batch)
        bookings = _joined(connection, BOOKING_CODES, in_batch)
        shifted_right = _in_zone(newest, tz) == batch[0][2] and _in_zone(oldest, tz) == batch[-1][2]
        if words is not None:
            local = None if shifted_right else _put_right(tz)
            writer.writerows(words.rows(batch, appeals, bookings, local, _safe_cell))
        else:
            writer.writerows(
                (
                    sid,
                    started if shifted_right else _in_zone(datetime.fromisoformat(started), tz),
                    line,
                    caller or _safe_cell(raw),
                    status,
                    outcome,
                    seconds,
                    appeals.get(call_id, ""),
                    bookings.get(call_id, ""),
                )
                for call_id, sid, started, line, caller, raw, status, outcome, seconds in batch
            )
        yield _drain(buffer)


def _cursor_batches(connection: sa.Connection, statement: sa.Select[Any]) -> Iterator[list[Any]]:
    """The rows of ``statement``, ``EXPORT_BATCH`` at a time, as the DB-API cursor gives them.

    SQLAlchemy executes the statement (binding its parameters) on a server-side cursor on
    PostgreSQL; the rows are then read from the driver's cursor itself, as plain tuples,
    without a SQLAlchemy row object each: what the driver and ``csv`` cost is all that is
    left per row. The first row comes through the result, which has read it already.
    """
    # Options of this statement alone: the session's later statements are not streamed.
    result = connection.execute(statement.execution_options(stream_results=True))
    try:
        cursor = result.cursor
        first = result.fetchmany(1)  # an empty result has closed its cursor
        batch = [*first, *cursor.fetchmany(EXPORT_BATCH - 1)] if first else []
        while batch:
            yield batch
            batch = cursor.fetchmany(EXPORT_BATCH)
    finally:
        result.close()


def _shifted_start(dialect: str, offset: timedelta) -> sa.ColumnElement[str]:
    """``Call.started_at`` as ISO 8601 text to the second, at the UTC ``offset``.

    Russian time zones have kept one offset all year since 2014, so the offset of today is
    that of every call but the oldest; a batch it does not fit is put right in Python.
    """
    seconds = int(offset.total_seconds())
    suffix = datetime.now(timezone(offset)).isoformat(timespec="seconds")[
        len("2026-12-02T11:00:00") :
    ]
    if dialect == "sqlite":
        # The stored text ("2026-12-02 06:00:00.000000") cut to the second first: SQLite
        # would round the fraction, Python's isoformat() drops it.
        utc = sa.func.substr(sa.type_coerce(Call.started_at, sa.String()), 1, 19)
        local = sa.func.strftime("%Y-%m-%dT%H:%M:%S", utc, f"{seconds:+d} seconds")
    else:
        utc = sa.func.timezone("UTC", Call.started_at)
        shifted = utc + sa.literal_column(f"interval '{seconds} seconds'")
        local = sa.func.to_char(shifted, 'YYYY-MM-DD"T"HH24:MI:SS')
    return sa.type_coerce(local.concat(suffix), sa.String()).label("started_at")


def _put_right(tz: tzinfo) -> Callable[[str], str]:
    """A start as the database wrote it, written again in ``tz``."""
    return lambda started: _in_zone(datetime.fromisoformat(started), tz)


def _in_zone(moment: datetime, tz: tzinfo) -> str:
    """``moment`` as the export writes it: ISO 8601 to the second, in ``tz``."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _joined(
    connection: sa.Connection, query: sa.Select[tuple[int, str]], call_ids: sa.Select[Any]
) -> dict[int, str]:
    """Each call's texts from ``query``, space-separated, for the calls ``call_ids`` selects."""
    found: dict[int, list[str]] = {}
    rows = connection.execute(query.where(query.selected_columns[0].in_(call_ids))).all()
    for call_id, text in rows:
        found.setdefault(call_id, []).append(text)
    return {call_id: " ".join(texts) for call_id, texts in found.items()}


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _safe_cell(text: str | None) -> str:
    """A raw caller ID as a cell no spreadsheet runs as a formula."""
    text = text or ""
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
