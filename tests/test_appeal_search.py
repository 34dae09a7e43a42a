"""Searching appeals by what was said and written, with Russian stemming (issue 15).

``GET /api/appeals?q=`` and the appeals page; on SQLite (FTS5 of Snowball stems) and on
PostgreSQL (``to_tsvector('russian', …)``) alike.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import orm

import db
from calllog import appeal_search, appeals, calls
from calllog.migrate import alembic_config
from calllog.tokens import create_token
from models import Appeal, AppealChannel, StaffRole
from tests.conftest import LINE, MOBILE, OPEN_TIME
from twilio_turn.form import call_facts

SUMMARIES = {
    "heating": "Заявитель сообщает, что в доме нет отопления с ноября.",
    "road": "Просит отремонтировать дорогу у школы № 12.",
    "both": "Нет отопления в подъезде; отопление отключают каждую зиму, и дорогу не чистят.",
    "other": "Вопрос о детском саде.",
}


@pytest.fixture
def api(app):
    with app.app_context():
        session = db.get_session()
        _, secret = create_token(session, "operator-anna", StaffRole.OPERATOR, OPEN_TIME)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def written(app) -> dict[str, str]:
    """Appeals whose cards staff filled in: key -> appeal number."""
    numbers = {}
    with app.app_context():
        session = db.get_session()
        for key, summary in SUMMARIES.items():
            params = {"CallSid": "CA" + uuid.uuid4().hex, "From": MOBILE, "To": LINE}
            call = calls.start_call(session, call_facts(params), LINE, OPEN_TIME)[0]
            appeal = appeals.create_appeal(
                session,
                topic="housing",
                channel=AppealChannel.PHONE,
                phone=MOBILE,
                now=OPEN_TIME,
                call=call,
            )
            appeals.complete_card(session, appeal, OPEN_TIME, "staff:anna", transcript=summary)
            numbers[key] = appeal.number
        session.commit()
    return numbers


def found(client, api, query: str, **args: str) -> list[str]:
    reply = client.get("/api/appeals", query_string={"q": query, **args}, headers=api)
    assert reply.status_code == 200, reply.get_json()
    return [item["number"] for item in reply.get_json()["items"]]


def test_a_word_finds_its_other_forms(client, api, written):
    assert set(found(client, api, "отопление")) == {written["heating"], written["both"]}
    assert set(found(client, api, "дороги")) == {written["road"], written["both"]}
    assert found(client, api, "детские сады") == [written["other"]]


def test_every_word_must_be_there(client, api, written):
    assert found(client, api, "дорога отопление") == [written["both"]]
    assert found(client, api, "канализация") == []


def test_the_best_match_comes_first(client, api, written):
    assert found(client, api, "отопление")[0] == written["both"]


def test_search_pages_like_the_other_lists(client, api, written):
    first = client.get("/api/appeals", query_string={"q": "отопление", "limit": 1}, headers=api)
    body = first.get_json()
    assert set(body) == {"items", "next"}
    assert len(body["items"]) == 1
    assert body["next"]
    second = client.get(
        "/api/appeals",
        query_string={"q": "отопление", "limit": 1, "cursor": body["next"]},
        headers=api,
    ).get_json()
    assert second["next"] is None
    numbers = [body["items"][0]["number"], second["items"][0]["number"]]
    assert set(numbers) == {written["heating"], written["both"]}


def test_search_keeps_the_other_filters(client, api, written):
    assert found(client, api, "отопление", status="closed") == []
    assert len(found(client, api, "отопление", status="registered")) == 2


def test_what_search_refuses(client, api, written):
    too_long = client.get("/api/appeals", query_string={"q": "а" * 201}, headers=api)
    assert too_long.status_code == 400
    forged = client.get("/api/appeals", query_string={"q": "дом", "cursor": "bm9wZQ"}, headers=api)
    assert forged.status_code == 400
    assert found(client, api, "   ") != []  # blank: the whole list
    assert found(client, api, "«»!?") == []  # no words: nothing matches


def test_a_correction_by_staff_is_found_at_once(app, client, api, written):
    with app.app_context():
        session = db.get_session()
        appeal = appeals.find_appeal(session, written["other"])
        appeals.complete_card(
            session, appeal, OPEN_TIME, "staff:anna", transcript="Яма на дороге у дома."
        )
        session.commit()
    assert written["other"] in found(client, api, "дорогу")
    assert found(client, api, "детские сады") == []


def test_the_highlight_marks_every_form_of_the_words_asked_for():
    pieces = appeal_search.marked("Нет отопления; отопление и дорогу.", "отопление дороги")
    assert [text for text, hit in pieces if hit] == ["отопления", "отопление", "дорогу"]
    assert "".join(text for text, _ in pieces) == "Нет отопления; отопление и дорогу."


def test_summaries_written_before_the_search_existed_are_found(tmp_path) -> None:
    """The migration that adds the search indexes the summaries staff had written."""
    engine = db.create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        for target in ("b7d41c2e9f05", "head"):
            with engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                if target == "head":
                    connection.execute(
                        sa.text(
                            "INSERT INTO appeal (id, number, topic, channel, status, "
                            "transcript, created_at, register_due, answer_due, extended) "
                            "VALUES (1, '2026001', 'housing', 'phone', 'registered', "
                            "'Нет отопления в доме', '2026-12-01 06:00:00', '2026-12-04', "
                            "'2026-12-31', 0)"
                        )
                    )
                command.upgrade(config, target)
        with orm.Session(engine) as session:
            found = session.scalars(
                appeal_search.ranked(session, sa.select(Appeal), "отоплению")
            ).all()
        assert [appeal.number for appeal in found] == ["2026001"]
    finally:
        engine.dispose()
