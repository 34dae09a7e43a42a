"""The call log as CSV: Excel-ready (UTF-8 with BOM, ``;``), filtered, streamed whole, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from models import (
    Appeal,
    AppealChannel,
    AppealStatus,
    Appointment,
    AppointmentStatus,
    AuditEntry,
    BookingSource,
    Call,
    CallOutcome,
    StaffRole,
)
from staff.web.export import CSV_COLUMNS, EXPORT_BATCH
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM

LINE_B = "+73422368458"
OTHER = "+79124567890"
BOM = b"\xef\xbb\xbf"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


def export(client: FlaskClient, **query: str) -> tuple[object, list[list[str]]]:
    """The codes variant's response and its rows (the header first), read as Excel would.

    The Russian variant (the default) is :mod:`tests.test_staff_export_variants`'s.
    """
    reply = client.get("/calls/export.csv?" + urlencode({**query, "format": "codes"}))
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    data = reply.get_data()
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode("utf-8")
    return reply, list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


@pytest.fixture
def log(log_calls: Callable[..., list[str]]) -> dict[str, str]:
    made: dict[str, str] = {}
    (made["old"],) = log_calls(1, start=local(1, 10), outcome=CallOutcome.ABANDONED)
    (made["booked"],) = log_calls(1, start=local(2, 9), line=LINE_B, caller=OTHER)
    (made["hidden"],) = log_calls(1, start=local(2, 10), caller="anonymous", duration_s=None)
    (made["mobile"],) = log_calls(1, start=local(2, 10, 30), outcome=CallOutcome.REQUEST_LEFT)
    return made


def test_the_export_needs_sign_in(client: FlaskClient) -> None:
    reply = client.get("/calls/export.csv")
    assert reply.status_code == 302
    assert reply.location.startswith("/login")


def test_the_export_is_a_csv_attachment_excel_reads(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    reply, rows = export(client, since="2026-12-01", until="2026-12-02")

    assert reply.mimetype == "text/csv"
    assert reply.mimetype_params["charset"] == "utf-8"
    assert reply.headers["Content-Disposition"] == (
        "attachment; filename=calls-2026-12-01-2026-12-02.csv"
    )
    assert reply.get_data().count(b"\r\n") == 5  # CRLF line ends, as Excel writes them
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == [log[n] for n in ("mobile", "hidden", "booked", "old")]


def test_rows_carry_local_times_e164_numbers_and_codes(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    _, rows = export(client)
    by_sid = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}

    mobile = by_sid[log["mobile"]]
    assert mobile["started_at"] == "2026-12-02T10:30:00+05:00"
    assert mobile["line"] == LINE
    assert mobile["caller"] == MOBILE
    assert mobile["status"] == "completed"
    assert mobile["outcome"] == "request_left"
    assert mobile["duration_s"] == "42"
    assert mobile["appeals"] == ""
    hidden = by_sid[log["hidden"]]
    assert hidden["caller"] == "anonymous"  # no number: the raw caller ID
    assert hidden["duration_s"] == ""
    assert by_sid[log["booked"]]["line"] == LINE_B


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["mobile", "hidden", "booked"]),  # today, as the list opens
        ({"since": "", "until": ""}, ["mobile", "hidden", "booked", "old"]),
        ({"since": "2026-12-01", "until": "2026-12-01"}, ["old"]),
        ({"line": LINE_B}, ["booked"]),
        ({"outcome": "request_left"}, ["mobile"]),
        ({"caller": "8 912 456-78-90"}, ["booked"]),
        ({"caller": "4712233", "since": ""}, ["mobile", "old"]),
        ({"status": "busy"}, []),
    ],
    ids=lambda value: urlencode(value) if isinstance(value, dict) else None,
)
def test_the_export_follows_the_filters(
    client: FlaskClient,
    operator: str,
    log: dict[str, str],
    query: dict[str, str],
    expected: list[str],
) -> None:
    _, rows = export(client, **query)
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == [log[name] for name in expected]


def test_the_list_links_to_the_export_of_its_filters(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    page = client.get("/calls?" + urlencode({"line": LINE_B})).get_data(as_text=True)
    assert (
        'href="/calls/export.csv?since=2026-12-02&amp;until=2026-12-02&amp;line=%2B73422368458"'
        in page
    )


def test_appeal_numbers_and_booking_codes_are_listed(
    client: FlaskClient,
    operator: str,
    log: dict[str, str],
    records: Callable[[], orm.Session],
    schedule: Callable[..., list[int]],
) -> None:
    slot_id, other_slot = schedule(OPEN_TIME + timedelta(days=1))[:2]
    with records() as session:
        call = session.scalar(sa.select(Call).where(Call.sid == log["mobile"]))
        for number in ("2026001", "2026002"):
            call.appeals.append(
                Appeal(
                    number=number,
                    topic="housing",
                    channel=AppealChannel.PHONE,
                    status=AppealStatus.REGISTERED,
                    phone=MOBILE,
                    created_at=OPEN_TIME,
                    register_due=OPEN_TIME.date(),
                    answer_due=OPEN_TIME.date(),
                )
            )
        for code, slot in (("4821", slot_id), ("5930", other_slot)):
            call.appointments.append(
                Appointment(
                    slot_id=slot,
                    code=code,
                    phone=MOBILE,
                    status=AppointmentStatus.BOOKED,
                    source=BookingSource.PHONE,
                    created_at=OPEN_TIME,
                )
            )
        session.commit()

    _, rows = export(client)
    row = next(row for row in rows if row[0] == log["mobile"])
    assert row[CSV_COLUMNS.index("appeals")] == "2026001 2026002"
    assert row[CSV_COLUMNS.index("appointments")] == "4821 5930"


def test_a_caller_id_that_looks_like_a_formula_is_neutralised(
    client: FlaskClient, operator: str, log_calls: Callable[..., list[str]]
) -> None:
    (formula,) = log_calls(1, caller='=HYPERLINK("http://evil.example","x")')
    (foreign,) = log_calls(1, caller="+442079460000")
    _, rows = export(client)
    callers = {row[0]: row[CSV_COLUMNS.index("caller")] for row in rows[1:]}
    assert callers[formula] == '\'=HYPERLINK("http://evil.example","x")'
    assert callers[foreign] == "+442079460000"  # a number is a number


def test_a_large_export_is_streamed_whole(
    client: FlaskClient, operator: str, log_calls: Callable[..., list[str]]
) -> None:
    count = 5 * EXPORT_BATCH - 1
    step = timedelta(seconds=-1)  # every call today, whatever the batch size
    assert -step * (count + 1) < timedelta(hours=23, minutes=59)
    sids = log_calls(count, start=local(2, 23, 59), step=step)
    # A few calls at one moment, across the fifth batch's end.
    sids += log_calls(3, start=local(2, 23, 59) + step * count, step=timedelta(0))

    reply = client.get("/calls/export.csv")

    assert reply.status_code == 200
    assert reply.is_streamed
    assert reply.content_length is None
    chunks = list(reply.response)
    assert len(chunks) > 5  # written a batch at a time
    data = b"".join(chunks)
    rows = list(csv.reader(io.StringIO(data[len(BOM) :].decode(), newline=""), delimiter=";"))
    exported = [row[0] for row in rows[1:]]
    assert len(exported) == count + 3
    assert len(set(exported)) == count + 3
    assert exported[:count] == sids[:count]
    assert set(exported[count:]) == set(sids[count:])


def test_an_export_is_audited_with_its_filters(
    client: FlaskClient, operator: str, log: dict[str, str], records: Callable[[], orm.Session]
) -> None:
    export(client, line=LINE_B, caller="8 902 471-22-33", outcome="info", since="2026-12-01")

    (entry,) = records().scalars(sa.select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.actor == "staff:operator"
    assert entry.subject == "calls"
    assert entry.at == OPEN_TIME
    assert "since=2026-12-01" in entry.detail
    assert "until=-" in entry.detail  # open-ended: only "since" was given
    assert f"line={LINE_B}" in entry.detail
    assert "outcome=info" in entry.detail
    assert "caller=+7902*****33" in entry.detail  # the number searched for, masked
    assert "4712233" not in entry.detail


@pytest.mark.parametrize(
    "query", [{"since": "yesterday"}, {"outcome": "exploded"}, {"until": "2026-13-01"}]
)
def test_a_bad_filter_exports_nothing(
    client: FlaskClient,
    operator: str,
    log: dict[str, str],
    records: Callable[[], orm.Session],
    query: dict[str, str],
) -> None:
    reply = client.get("/calls/export.csv?" + urlencode(query))
    assert reply.status_code == 400
    assert reply.mimetype == "text/html"
    exports = sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "export")
    assert records().scalar(exports) == 0
