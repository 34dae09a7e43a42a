"""The export's two variants: Russian words for people, the codes for machines (unchanged bytes).

``tests/golden/calls-export-codes.csv`` is the export as it was written before the Russian
variant existed (December 2026), for the calls :func:`fixed_log` writes: the codes variant
must keep giving exactly those bytes, so scripts reading it keep working.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm

from calllog.office import get_office
from calllog.phones import parse_caller
from models import (
    Appeal,
    AppealChannel,
    AppealStatus,
    Appointment,
    AppointmentStatus,
    BookingSource,
    Call,
    CallOutcome,
    StaffRole,
)
from staff.web.calls import line_name
from staff.web.export_words import RUSSIAN_COLUMNS
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM

GOLDEN = Path(__file__).parent / "golden" / "calls-export-codes.csv"
CODES_URL = "/calls/export.csv?since=&until=&format=codes"
BOM = b"\xef\xbb\xbf"
LINE_B = "+73422368458"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


@pytest.fixture
def fixed_log(records: Callable[[], orm.Session], schedule: Callable[..., list[int]]) -> None:
    """Calls with fixed sids: every outcome, a few statuses, both lines, odd caller IDs."""
    callers = [MOBILE, "+79124567890", "anonymous", '=HYPERLINK("x")', "+442079460000", MOBILE]
    outcomes = [*CallOutcome, None]
    statuses = [
        "completed",
        "busy",
        "no-answer",
        "completed",
        None,
        "failed",
        "completed",
        "canceled",
    ]
    rows = []
    for index, outcome in enumerate(outcomes):
        who = parse_caller(callers[index % len(callers)])
        started = local(1 + index % 2, 9 + index, 7 * index)
        rows.append(
            {
                "sid": f"CA{index:032x}",
                "direction": "inbound",
                "line": LINE_B if index % 3 == 0 else LINE,
                "caller": who.e164,
                "caller_raw": who.raw,
                "caller_kind": who.kind,
                "started_at": started,
                "ended_at": started + timedelta(seconds=30 * index),
                "duration_s": 30 * index if index != 4 else None,
                "status": statuses[index],
                "outcome": outcome,
            }
        )
    slots = schedule(OPEN_TIME + timedelta(days=1))
    with records() as session:
        session.execute(sa.insert(Call), rows)
        call = session.scalar(sa.select(Call).where(Call.sid == f"CA{0:032x}"))
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
        for code, slot in (("4821", slots[0]), ("5930", slots[1])):
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


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


def test_the_codes_variant_is_the_export_of_before_byte_for_byte(
    client: FlaskClient, operator: str, fixed_log: None
) -> None:
    reply = client.get(CODES_URL)

    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert reply.get_data() == GOLDEN.read_bytes()


def russian_rows(client: FlaskClient, **query: str) -> list[list[str]]:
    reply = client.get("/calls/export.csv?" + urlencode({"since": "", "until": "", **query}))
    assert reply.status_code == 200
    data = reply.get_data()
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_default_export_speaks_russian(
    app: Flask, client: FlaskClient, operator: str, fixed_log: None
) -> None:
    rows = russian_rows(client)
    with app.app_context():  # the lines' names as the call log shows them
        names = {number: line_name(get_office(), number) for number in (LINE, LINE_B)}

    assert rows[0] == list(RUSSIAN_COLUMNS)
    by_sid = {row[0]: row for row in rows[1:]}
    assert by_sid[f"CA{0:032x}"] == [
        f"CA{0:032x}",
        "01.12.2026 09:00:00",
        names[LINE_B],
        MOBILE,
        "завершён",
        "записан на приём",
        "0",
        "2026001 2026002",
        "4821 5930",
    ]
    assert by_sid[f"CA{1:032x}"][2] == names[LINE]
    assert "" not in names.values()
    assert names[LINE] != names[LINE_B]
    assert by_sid[f"CA{1:032x}"][4:6] == ["занято", "оставил обращение"]
    assert by_sid[f"CA{2:032x}"][3] == "скрыт"  # "anonymous" is no word for staff
    assert by_sid[f"CA{3:032x}"][3] == '\'=HYPERLINK("x")'  # still no formula
    assert by_sid[f"CA{4:032x}"][3:7] == ["+442079460000", "", "узнал статус", ""]
    assert by_sid[f"CA{7:032x}"][4:6] == ["отменён", ""]
    latin = {word for row in rows for cell in row[2:] for word in re.findall(r"[A-Za-z]+", cell)}
    assert latin == {"HYPERLINK", "x"}  # only what the caller ID itself held


def test_the_russian_export_keeps_the_codes_rows_and_order(
    client: FlaskClient, operator: str, fixed_log: None
) -> None:
    codes = list(
        csv.reader(io.StringIO(GOLDEN.read_bytes()[3:].decode(), newline=""), delimiter=";")
    )
    words = russian_rows(client)
    assert [row[0] for row in words] == ["Звонок (идентификатор Twilio)"] + [
        row[0] for row in codes[1:]
    ]
    assert [row[6:] for row in words[1:]] == [row[6:] for row in codes[1:]]


def test_an_unknown_variant_is_refused_in_russian(
    client: FlaskClient, operator: str, fixed_log: None
) -> None:
    reply = client.get("/calls/export.csv?format=xlsx")
    assert reply.status_code == 400
    assert "Неизвестный вид выгрузки." in reply.get_data(as_text=True)


def test_the_list_links_to_both_variants(client: FlaskClient, operator: str) -> None:
    page = client.get("/calls?since=2026-12-01&until=2026-12-02").get_data(as_text=True)
    assert 'href="/calls/export.csv?since=2026-12-01&amp;until=2026-12-02"' in page
    assert 'href="/calls/export.csv?since=2026-12-01&amp;until=2026-12-02&amp;format=codes"' in page
