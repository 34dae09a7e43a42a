"""Records lead to each other: booking codes to their day, callbacks and their calls both
ways, Today's figures to their lists; appointments found across days by code or phone;
lists say how many records they hold in all."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from calllog import booking, callbacks
from calllog.audit import record
from models import AuditEntry, BookingSource, Call, CallOutcome, StaffRole
from tests.conftest import MOBILE, OPEN_TIME, PERM

OTHER = "+79124567890"
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=PERM)


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


@pytest.fixture
def booked(records: Callable[[], orm.Session], schedule: Callable[..., list[int]]) -> list[str]:
    """Three appointments on two days: two for MOBILE, one for OTHER; their codes."""
    first = schedule(MONDAY)
    second = schedule(MONDAY + timedelta(days=1))
    codes = []
    with records() as session:
        for slot, phone in ((first[0], MOBILE), (second[1], MOBILE), (first[2], OTHER)):
            made = booking.book(
                session, slot_id=slot, phone=phone, now=OPEN_TIME, source=BookingSource.STAFF
            )
            codes.append(made.code)
        session.commit()
    return codes


def test_a_code_typed_in_the_search_box_opens_its_day(
    client: FlaskClient, operator: str, booked: list[str]
) -> None:
    page = client.get("/appointments").get_data(as_text=True)
    assert '<input type="search" name="q"' in page

    reply = client.get("/appointments", query_string={"q": f" {booked[1]} "})

    assert reply.status_code == 302
    assert reply.location == f"/appointments?date=2026-12-08#code-{booked[1]}"


def test_a_phone_finds_its_appointments_across_days(
    client: FlaskClient,
    operator: str,
    booked: list[str],
    records: Callable[[], orm.Session],
) -> None:
    reply = client.get("/appointments", query_string={"q": "8 902 471-22-33"})

    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "Всего: 2 записи" in page
    codes = re.findall(r"<td>(\d{4,6})</td>", page)
    assert codes == [booked[1], booked[0]]  # the later day first
    assert f'href="/appointments?date=2026-12-08#code-{booked[1]}"' in page
    assert f'href="/appointments?date=2026-12-07#code-{booked[0]}"' in page
    (entry,) = records().scalars(sa.select(AuditEntry).where(AuditEntry.action == "search"))
    assert entry.subject == "appointments"
    assert "4712233" not in entry.detail  # the number searched for, masked


def test_the_last_digits_of_a_phone_find_it_too(
    client: FlaskClient, operator: str, booked: list[str]
) -> None:
    page = client.get("/appointments", query_string={"q": "567890"}).get_data(as_text=True)
    assert re.findall(r"<td>(\d{4,6})</td>", page) == [booked[2]]


def test_a_search_without_digits_is_answered_in_russian(client: FlaskClient, operator: str) -> None:
    reply = client.get("/appointments", query_string={"q": "Иванова"})
    assert reply.status_code == 400
    assert "Введите код записи (4–6 цифр) или номер телефона." in reply.get_data(as_text=True)


def test_an_unknown_code_lists_nothing(client: FlaskClient, operator: str) -> None:
    page = client.get("/appointments", query_string={"q": "9999"}).get_data(as_text=True)
    assert "Всего: 0 записей" in page
    assert "Записей с кодом или номером «9999» нет." in page


def test_a_callback_and_its_call_lead_to_each_other(
    client: FlaskClient,
    operator: str,
    log_calls: Callable[..., list[str]],
    records: Callable[[], orm.Session],
) -> None:
    (sid,) = log_calls(1, outcome=CallOutcome.ABANDONED)
    with records() as session:
        call = session.scalar(sa.select(Call).where(Call.sid == sid))
        queued = callbacks.request(session, MOBILE, "abandoned", call, OPEN_TIME, OPEN_TIME)
        session.commit()
        callback_id = queued.id

    listed = client.get("/calls").get_data(as_text=True)
    shown = client.get(f"/calls/{sid}").get_data(as_text=True)
    queue = client.get(f"/callbacks/{callback_id}").get_data(as_text=True)

    assert f'<a href="/callbacks/{callback_id}">обратный звонок № {callback_id}</a>' in listed
    assert f'href="/callbacks/{callback_id}"' in shown
    assert f'href="/calls/{sid}"' in queue


def test_todays_figures_lead_to_their_lists(
    client: FlaskClient, operator: str, log_calls: Callable[..., list[str]]
) -> None:
    log_calls(2)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/calls?line=%2B73422368229"' in page


def test_todays_missed_calls_lead_to_the_missed_calls(
    client: FlaskClient, operator: str, log_calls: Callable[..., list[str]]
) -> None:
    log_calls(2)
    missed = log_calls(1, status="no-answer") + log_calls(1, status="busy")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/calls?status=missed"' in page

    listed = client.get("/calls?status=missed").get_data(as_text=True)
    assert "Всего: 2 звонка" in listed
    assert all(f'href="/calls/{sid}"' in listed for sid in missed)
    assert '<option value="missed" selected>' in listed


def test_lists_say_how_many_in_all(
    client: FlaskClient,
    sign_in: Callable[..., str],
    log_calls: Callable[..., list[str]],
    records: Callable[[], orm.Session],
    clock,
) -> None:
    log_calls(51)  # more than one page of fifty
    log_calls(1, outcome=CallOutcome.ABANDONED)
    with records() as session:
        for index in range(3):
            record(session, "staff:anna", "view", f"appeal:12345{index}", clock.now())
        session.commit()
    sign_in(StaffRole.SUPERVISOR, "olga")

    assert "Всего: 52 звонка" in client.get("/calls").get_data(as_text=True)
    assert "Всего: 1 звонок" in client.get("/calls?outcome=abandoned").get_data(as_text=True)
    assert "Всего: 0 обращений" in client.get("/appeals").get_data(as_text=True)
    audit = client.get("/audit?subject=appeal:12345").get_data(as_text=True)
    assert "Всего: 3 записи" in audit
