"""The audit log page (supervisors): newest first, filters, keyset pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from calllog.audit import record
from models import StaffRole
from staff.web import appeals as appeals_page
from staff.web import audit_log


@pytest.fixture
def entries(records, clock):
    """``entries([(actor, action, subject), ...])``: one a minute, the last one newest."""

    def add(rows: list[tuple[str, str, str]], start=None) -> None:
        start = start or clock.now() - timedelta(minutes=len(rows))
        with records() as session:
            for index, (actor, action, subject) in enumerate(rows):
                record(session, actor, action, subject, start + timedelta(minutes=index))
            session.commit()

    return add


def subjects(client, **query) -> list[str]:
    reply = client.get("/audit", query_string=query)
    assert reply.status_code == 200
    table = reply.get_data(as_text=True).split('<table class="audit">')[1]
    return re.findall(r'<td class="subject">(?:<a [^>]+>)?([^<]*)(?:</a>)?</td>', table)


@pytest.mark.parametrize("role", [StaffRole.SUPERVISOR, StaffRole.ADMIN])
def test_supervisors_and_admins_see_the_log_newest_first(client, sign_in, entries, role):
    entries(
        [
            ("staff:anna", "view", "appeal:123456"),
            ("reports-bot", "export", "calls"),
            ("staff:boris", "change", "appeal:654321"),
        ]
    )
    sign_in(role)

    page = client.get("/audit").get_data(as_text=True)

    assert subjects(client) == [
        f"сотрудник {role.value}",  # the sign-in
        "обращение № 654321",
        "журнал звонков",
        "обращение № 123456",
    ]
    assert "вход" in page
    assert "изменение" in page
    assert "выгрузка" in page
    assert "02.12.2026 10:58:00" in page
    assert '<a href="/appeals/654321">обращение № 654321</a>' in page


def test_an_operator_gets_403(client, sign_in):
    sign_in(StaffRole.OPERATOR)

    assert client.get("/audit").status_code == 403
    assert "/audit" not in client.get("/").get_data(as_text=True)


def test_the_log_filters_by_actor_action_subject_and_period(client, sign_in, entries, clock):
    entries(
        [
            ("staff:anna", "view", "appeal:123456"),
            ("staff:boris", "view", "appeal:654321"),
            ("staff:anna", "change", "appeal:123456"),
            ("staff:anna", "view", "call:CA1"),
        ],
        start=clock.now() - timedelta(days=2),
    )
    sign_in(StaffRole.SUPERVISOR, "olga")

    assert subjects(client, actor="boris") == ["обращение № 654321"]
    assert subjects(client, actor="anna", action="view") == [
        "звонок не из журнала",
        "обращение № 123456",
    ]
    twice = ["обращение № 123456", "обращение № 123456"]
    assert subjects(client, subject="appeal:123456") == twice
    assert subjects(client, subject="обращение № 123456") == twice
    assert subjects(client, subject="call:") == ["звонок не из журнала"]
    assert subjects(client, subject="звонок") == ["звонок не из журнала"]
    assert subjects(client, subject="%") == []  # not a LIKE pattern
    assert subjects(client, until="2026-11-30") == [
        "звонок не из журнала",
        "обращение № 123456",
        "обращение № 654321",
        "обращение № 123456",
    ]
    assert subjects(client, since="2026-12-01", actor="anna") == []
    reply = client.get("/audit", query_string={"action": "delete"})
    assert "field-error" in reply.get_data(as_text=True)


def test_the_log_is_paged_by_keyset(client, sign_in, entries, monkeypatch):
    monkeypatch.setattr(appeals_page, "PAGE_SIZE", 2)
    entries([("staff:anna", "view", f"appeal:{100000 + i}") for i in range(5)])
    sign_in(StaffRole.SUPERVISOR, "olga")

    seen, url = [], "/audit?actor=anna"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r">обращение № (\d+)<", page)
        found = re.search(r'<a href="([^"]+)">Дальше', page)
        url = found[1].replace("&amp;", "&") if found else None

    assert seen == [str(100000 + i) for i in reversed(range(5))]
    assert audit_log.ACTIONS["view"] == "просмотр"


def test_what_staff_do_on_the_appeal_pages_shows_in_the_log(client, sign_in, records, clock):
    from calllog import appeals
    from models import AppealChannel

    with records() as session:
        number = appeals.create_appeal(
            session, topic="other", channel=AppealChannel.WRITTEN, phone=None, now=clock.now()
        ).number
        session.commit()
    sign_in(StaffRole.SUPERVISOR, "olga")
    client.get(f"/appeals/{number}")

    page = client.get("/audit", query_string={"subject": f"appeal:{number}"})

    text = page.get_data(as_text=True)
    assert "<td>olga</td>" in text  # the login, not the code "staff:olga"
    assert "staff:" not in text
    assert "просмотр" in text


def test_details_are_shown_in_words_and_codes_stay_in_the_data(client, sign_in, records, clock):
    rows = [
        ("staff:anna", "change", "appeal:123456", "status: registered -> in_review"),
        ("staff:anna", "change", "appeal:123456", "answer due extended to 2027-02-01"),
        ("staff:anna", "search", "calls", "since=2026-12-01 until=- outcome=booked"),
        ("token:bot", "api_view", "/api/calls", "GET"),
    ]
    with records() as session:
        for actor, action, subject, detail in rows:
            record(session, actor, action, subject, clock.now(), detail)
        session.commit()
    sign_in(StaffRole.SUPERVISOR, "olga")

    page = client.get("/audit").get_data(as_text=True).split('<table class="audit">')[1]

    assert "статус: зарегистрировано → на рассмотрении" in page
    assert "срок ответа продлён до 01.02.2027" in page
    assert "с 01.12.2026, итог записан на приём" in page
    assert "просмотр через API" in page
    for code in ("registered -> in_review", "api_view", ">search<", ">change<"):
        assert code not in page


def test_sign_in_failures_lockout_and_sign_out_are_audited(client, sign_in, records):
    import sqlalchemy as sa

    from models import AuditEntry
    from tests.conftest import form_token

    sign_in(StaffRole.OPERATOR, "anna")
    client.post("/logout", data={"csrf_token": form_token(client, "/")})
    for _ in range(5):
        client.post(
            "/login", data={"login": "anna", "password": "wrong", "csrf_token": form_token(client)}
        )
    client.post(
        "/login", data={"login": "никто", "password": "x", "csrf_token": form_token(client)}
    )

    rows = (
        records()
        .execute(
            sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject).order_by(
                AuditEntry.id
            )
        )
        .all()
    )
    actions = [(actor, action, subject) for actor, action, subject in rows]
    assert actions[:2] == [
        ("staff:anna", "sign_in", "staff_user:anna"),
        ("staff:anna", "sign_out", "staff_user:anna"),
    ]
    assert actions.count(("staff:anna", "sign_in_failed", "staff_user:anna")) == 5
    assert ("staff:anna", "locked", "staff_user:anna") in actions
    assert actions[-1] == ("—", "sign_in_failed", "staff_user:?")
    assert "никто" not in str(rows)
