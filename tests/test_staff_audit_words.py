"""Every detail, actor and subject the service writes into the audit log reads as Russian
words on the audit page; the codes stay in the data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm

from calllog.audit import record
from models import AuditEntry, StaffRole
from staff.web.audit_subjects import actor_words, subject
from staff.web.audit_words import detail
from tests.conftest import EXPERT, PERM

#: Latin words staff may meet: the service's own names for things staff know.
ALLOWED = {"API", "SMS"}

#: One of every detail the code writes (grep ``record(`` in staff/, cli/, tasks/, calllog/).
DETAILS = [
    "status: registered -> in_review",  # staff/web/appeal.py, cli/appeals.py
    "answer due extended to 2027-02-01",
    "card: topic, name, address, transcript, anonymous",
    "created: visit",  # staff/web/appeal_new.py
    "list",  # staff/web/appeals.py
    "list: status=in_review, topic=housing, deadline=overdue, phone search, text search, "
    "period, next page",
    "since=2026-12-01 until=- line=+73422368229 outcome=booked status=busy caller=+7902*****33",
    "date=2026-12-03",  # staff/web/appointments.py
    "status=pending",  # staff/web/callbacks.py
    "status=no_show",  # staff/web/appointment.py
    "attempt no_answer",  # staff/web/callback.py
    "attempt 12 no_answer -> reached",
    "call:CA0123456789abcdef0123456789abcdef",
    "created",  # staff/web/schedule.py
    "edited expert,place,times",
    "deleted",
    "created, role operator",  # staff/web/users.py
    "changed: role operator -> supervisor, full_name, active",
    "revoked token #3",
    "password reset",
    "reactivated",
    "deactivated",
    "unknown login",  # staff/web/auth.py
    "until 14:30",
    "create-token, role supervisor",  # cli/__init__.py
    "revoke-token: 2",
    "add-user, role admin",
    "GET",  # staff/api
    "PATCH",
    "копия аудиозаписи: ошибка TimeoutError, будет повторена",  # tasks/queue.py
    "копия аудиозаписи: ошибка KeyError, попытки исчерпаны",
]


def latin(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text)) - ALLOWED


@pytest.mark.parametrize("code", DETAILS)
def test_every_detail_reads_as_russian(app: Flask, code: str) -> None:
    with app.test_request_context():
        words = detail(code)
    assert latin(words) == set(), words


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("attempt 12 no_answer -> reached", "попытка № 12 исправлена: не ответили → дозвонились"),
        ("created: visit", "зарегистрировано на приёме"),
        (
            "list: status=in_review, phone search",
            "список: статус на рассмотрении, поиск по номеру",
        ),
        ("status=pending", "статус: ждёт"),
        (
            "копия аудиозаписи: ошибка TimeoutError, будет повторена",
            "копия аудиозаписи: ошибка (не дождались ответа), будет повторена",
        ),
    ],
)
def test_details_in_words(app: Flask, code: str, words: str) -> None:
    with app.test_request_context():
        assert detail(code) == words


@pytest.mark.parametrize(
    ("code", "words", "url"),
    [
        ("/api/calls", "через API: журнал звонков", None),
        ("/api/appeals/123456", "через API: обращение № 123456", "/appeals/123456"),
        ("/api/callbacks/7/attempts", "через API: обратный звонок № 7", "/callbacks/7"),
        ("/api/reports/summary", "через API: отчёт", None),
        ("/api/whatever", "через API: другой адрес", None),
        ("personal_data", "персональные данные по номеру", None),
        ("appointment:4821", "запись на приём, код 4821", "/appointments?code=4821"),
    ],
)
def test_subjects_in_words_link_to_their_record(
    app: Flask, code: str, words: str, url: str | None
) -> None:
    with app.test_request_context():
        named = subject(code)
    assert (named.label, named.url) == (words, url)


def test_actors_in_words() -> None:
    assert actor_words("staff:anna") == "anna"
    assert actor_words("token:reports") == "ключ API reports"
    assert actor_words("cli:root") == "команда на сервере (root)"
    assert actor_words("очередь задач") == "очередь задач"


def test_a_booking_names_its_time_not_a_slot_id(
    client: FlaskClient,
    sign_in: Callable[..., str],
    records: Callable[[], orm.Session],
    schedule: Callable[..., list[int]],
    clock,
) -> None:
    first, second = schedule(datetime(2026, 12, 8, 10, 0, tzinfo=PERM))[:2]
    with records() as session:
        record(session, "staff:anna", "book", "appointment:4821", clock.now(), f"slot={first}")
        record(
            session,
            "staff:anna",
            "move",
            "appointment:4821",
            clock.now() + timedelta(seconds=1),
            f"slot={first} -> slot={second}",
        )
        record(session, "token:bot", "api_view", "/api/appeals/123456", clock.now(), "GET")
        session.commit()
    sign_in(StaffRole.SUPERVISOR, "olga")

    page = client.get("/audit").get_data(as_text=True).split('<table class="audit">')[1]

    assert f"время приёма: 8 декабря 10:00, {EXPERT}" in page
    assert f"перенос: 8 декабря 10:00, {EXPERT} → 8 декабря 10:20, {EXPERT}" in page
    assert '<a href="/appeals/123456">через API: обращение № 123456</a>' in page
    assert "<td>ключ API bot</td>" in page
    assert "slot=" not in page
    stored = records().scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "move"))
    assert stored.all() == [f"slot={first} -> slot={second}"]  # the codes stay in the data


def test_a_call_is_named_by_when_it_started_not_by_its_sid(
    client: FlaskClient,
    sign_in: Callable[..., str],
    records: Callable[[], orm.Session],
    log_calls: Callable[..., list[str]],
    clock,
) -> None:
    (sid,) = log_calls(1)
    with records() as session:
        record(session, "staff:anna", "view", f"call:{sid}", clock.now())
        record(session, "staff:anna", "call", "callback:3", clock.now(), f"call:{sid}")
        session.commit()
    sign_in(StaffRole.SUPERVISOR, "olga")

    page = client.get("/audit").get_data(as_text=True).split('<table class="audit">')[1]

    assert f'<a href="/calls/{sid}">звонок 2 декабря 11:00</a>' in page
    assert "<small>звонок 2 декабря 11:00</small>" in page
    assert sid not in page.replace(f'href="/calls/{sid}"', "")
