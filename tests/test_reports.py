"""The period report against a hand-computed fixture (§1, §7)."""

from __future__ import annotations

from datetime import datetime

import pytest

from calllog import appeals
from calllog.tokens import create_token
from models import AppealChannel, AppealStatus, Call, CallerKind, CallOutcome, StaffRole
from tests.conftest import PERM

A, B = "+79024712233", "+79120000001"
L1, L2 = "+73422368229", "+73422367992"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


CALLS = [
    # (started, line, caller, outcome)
    (at(1, 0, 10), L1, A, CallOutcome.BOOKED),  # just after local midnight: in
    (at(1, 11), L1, B, CallOutcome.REQUEST_LEFT),
    (at(2, 12), L2, A, CallOutcome.INFO),
    (at(2, 16), L2, None, CallOutcome.ABANDONED),
    (at(3, 23, 50), L1, None, CallOutcome.REQUEST_LEFT),  # just before midnight: in
    (at(4, 0, 5), L1, A, CallOutcome.INFO),  # the day after: out
    (datetime(2026, 11, 30, 23, 59, tzinfo=PERM), L2, B, CallOutcome.INFO),  # before: out
]
# 10 appeals in the period: 4 practical help (resolved), 3 explained, 2 in review, 1 new.
APPEALS = [
    ("housing", AppealStatus.PRACTICAL_HELP),
    ("housing", AppealStatus.PRACTICAL_HELP),
    ("housing", AppealStatus.EXPLAINED),
    ("housing", AppealStatus.IN_REVIEW),
    ("housing", AppealStatus.REGISTERED),
    ("social", AppealStatus.PRACTICAL_HELP),
    ("social", AppealStatus.EXPLAINED),
    ("social", AppealStatus.IN_REVIEW),
    ("health", AppealStatus.PRACTICAL_HELP),
    ("health", AppealStatus.EXPLAINED),
]


@pytest.fixture
def period(records):
    with records() as session:
        for n, (started, line, caller, outcome) in enumerate(CALLS):
            session.add(
                Call(
                    sid=f"CA{n:032d}",
                    direction="inbound",
                    line=line,
                    caller=caller,
                    caller_raw=caller or "anonymous",
                    caller_kind=CallerKind.RUSSIAN if caller else CallerKind.WITHHELD,
                    started_at=started,
                    status="completed",
                    outcome=outcome,
                )
            )
        for n, (topic, status) in enumerate(APPEALS):
            appeal = appeals.create_appeal(
                session, topic=topic, channel=AppealChannel.PHONE, phone=A, now=at(1 + n % 3, 12)
            )
            appeal.status = status
        appeals.create_appeal(  # outside the period
            session, topic="health", channel=AppealChannel.PHONE, phone=A, now=at(4, 9)
        )
        session.commit()


@pytest.fixture
def supervisor_token(records, clock) -> str:
    with records() as session:
        _, secret = create_token(session, "head", StaffRole.SUPERVISOR, clock.now())
        session.commit()
    return secret


def test_the_summary_matches_the_hand_computed_figures(client, period, supervisor_token):
    reply = client.get(
        "/api/reports/summary?since=2026-12-01&until=2026-12-03",
        headers={"Authorization": f"Bearer {supervisor_token}"},
    )

    assert reply.status_code == 200
    assert reply.json == {
        "since": "2026-12-01",
        "until": "2026-12-03",
        "calls": 5,
        "callers": 2,
        "by_line": {L1: 3, L2: 2},
        "by_outcome": {"abandoned": 1, "booked": 1, "info": 1, "request_left": 2},
        "appeals": 10,
        "by_topic": {"health": 2, "housing": 5, "social": 3},
        "by_appeal_status": {
            "explained": 3,
            "in_review": 2,
            "practical_help": 4,
            "registered": 1,
        },
        "resolved": 4,
        "resolved_share": 0.4,
        "calls_per_day": {
            "2026-12-01": {L1: 2},
            "2026-12-02": {L2: 2},
            "2026-12-03": {L1: 1},
        },
    }


def test_an_operator_token_cannot_read_reports(client, records, clock):
    with records() as session:
        _, secret = create_token(session, "desk", StaffRole.OPERATOR, clock.now())
        session.commit()

    reply = client.get(
        "/api/reports/summary?since=2026-12-01&until=2026-12-03",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert reply.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "",
        "since=2026-12-01",
        "since=2026-12-03&until=2026-12-01",
        "since=2020-01-01&until=2026-01-01",
    ],
)
def test_a_bad_period_is_400_json(client, supervisor_token, query):
    reply = client.get(
        f"/api/reports/summary?{query}", headers={"Authorization": f"Bearer {supervisor_token}"}
    )

    assert reply.status_code == 400
    assert "error" in reply.json


def test_the_report_page_shows_the_figures_and_charts(client, period, sign_in):
    sign_in(StaffRole.SUPERVISOR)

    page = client.get("/reports?since=2026-12-01&until=2026-12-03").get_data(as_text=True)

    assert "<strong>5 звонков</strong>\n  от <strong>2 абонентов</strong>" in page
    assert "<strong>10 обращений</strong>" in page
    assert "<strong>4</strong>" in page
    assert "(<strong>40,0\u00a0%</strong>)" in page  # Russian: a comma, a space before %
    assert "жилищно-коммунальное хозяйство 50,0\u00a0%" in page
    assert page.count('<svg class="chart"') == 3
    assert "Звонки по дням и линиям" in page


def test_operators_cannot_open_reports(client, sign_in):
    sign_in(StaffRole.OPERATOR)

    assert client.get("/reports").status_code == 403
