"""The JSON API for appeals, sessions, appointments and callbacks (§7), through HTTP."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

import db
from calllog import appeals, booking, callbacks, calls, recordings, schedule
from calllog.tokens import create_token
from models import (
    AppealChannel,
    AppealStatus,
    BookingSource,
    Call,
    ReceptionSession,
    RecordingKind,
    StaffRole,
)
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM
from twilio_turn.form import call_facts, recording_facts

LANDLINE = "+73422123456"
OTHER_MOBILE = "+79125550011"
TOMORROW = date(2026, 12, 3)


@pytest.fixture
def auth(app):
    """``auth(role, name)``: headers with a fresh bearer token."""

    def headers(role: StaffRole = StaffRole.OPERATOR, name: str = "operator-anna") -> dict:
        with app.app_context():
            session = db.get_session()
            _, secret = create_token(session, name, role, OPEN_TIME)
            session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return headers


@pytest.fixture
def operator(auth):
    return auth()


@pytest.fixture
def supervisor(auth):
    return auth(StaffRole.SUPERVISOR, "head-olga")


def start_call(session, now: datetime, caller: str = MOBILE) -> Call:
    params = {"CallSid": "CA" + uuid.uuid4().hex, "From": caller, "To": LINE}
    return calls.start_call(session, call_facts(params), LINE, now)[0]


def make_appeal(app, now=OPEN_TIME, topic="housing", phone=MOBILE, recording=False, card=True):
    """A phone appeal; with ``card``, registered by staff with the applicant's name and
    address (written straight into the record, without a history row)."""
    with app.app_context():
        session = db.get_session()
        call = start_call(session, now, phone)
        appeal = appeals.create_appeal(
            session, topic=topic, channel=AppealChannel.PHONE, phone=phone, now=now, call=call
        )
        if card:
            appeal.name, appeal.address = "Петров Пётр", "г. Пермь, ул. Ленина, 1"
            appeal.transcript = "Просит отремонтировать крышу."
            appeal.registered_at, appeal.registered_by = now, "staff:oper"
        if recording:
            params = {"RecordingSid": "RE" + "a" * 32, "RecordingDuration": "42"}
            recordings.attach(
                session, call, recording_facts(params), RecordingKind.MESSAGE, now
            ).appeal = appeal
        session.commit()
        return appeal.number, call.sid


def make_session(app, day: date = TOMORROW, **overrides) -> ReceptionSession:
    values = {
        "expert": "Иванова Мария Петровна",
        "title": "депутат",
        "place": "ул. Екатерининская, 210",
        "starts_at": datetime(day.year, day.month, day.day, 10, tzinfo=PERM),
        "ends_at": datetime(day.year, day.month, day.day, 12, tzinfo=PERM),
        "slot_minutes": 30,
    } | overrides
    with app.app_context():
        session = db.get_session()
        reception = schedule.create_session(session, **values)
        session.commit()
        return reception


# --- authentication and roles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/appeals"),
        ("get", "/api/appeals/123456"),
        ("patch", "/api/appeals/123456"),
        ("post", "/api/sessions"),
        ("get", "/api/appointments?date=2026-12-03"),
        ("get", "/api/callbacks"),
        ("post", "/api/callbacks/1/attempts"),
    ],
)
def test_every_endpoint_needs_a_token(client, method, url):
    reply = getattr(client, method)(url, json={})
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert reply.get_json() == {"error": "a valid bearer token is required"}

    bad = getattr(client, method)(url, json={}, headers={"Authorization": "Bearer rl_nope"})
    assert bad.status_code == 401


SESSION_BODY = {
    "expert": "Смирнов Алексей Викторович",
    "title": "юрист",
    "place": "ул. Екатерининская, 210, кабинет 3",
    "starts_at": "2026-12-08T10:00:00+05:00",
    "ends_at": "2026-12-08T13:00:00+05:00",
    "slot_minutes": 20,
}


def test_an_operator_cannot_create_sessions_a_supervisor_and_an_admin_can(client, auth):
    reply = client.post("/api/sessions", json=SESSION_BODY, headers=auth())
    assert reply.status_code == 403
    assert reply.get_json() == {"error": "this needs the supervisor role"}

    supervisor = auth(StaffRole.SUPERVISOR, "head")
    assert client.post("/api/sessions", json=SESSION_BODY, headers=supervisor).status_code == 201
    later = SESSION_BODY | {"starts_at": "2026-12-09T10:00:00+05:00"}
    later["ends_at"] = "2026-12-09T11:00:00+05:00"
    admin = auth(StaffRole.ADMIN, "it")
    assert client.post("/api/sessions", json=later, headers=admin).status_code == 201


# --- appeals --------------------------------------------------------------------------


def test_an_appeal_answers_every_field(app, client, operator):
    number, sid = make_appeal(app, recording=True, card=False)

    reply = client.get(f"/api/appeals/{number}", headers=operator)

    assert reply.status_code == 200
    assert reply.get_json() == {
        "number": number,
        "topic": "housing",
        "status": "registered",
        "channel": "phone",
        "phone": MOBILE,
        "created_at": "2026-12-02T11:00:00+05:00",
        "answer_due": "2027-01-01",
        "register_due": "2026-12-05",
        "registered_at": None,
        "registered_by": None,
        "anonymous": False,
        "recordings": [
            {"sid": "RE" + "a" * 32, "kind": "message", "duration_s": 42, "state": "pending"}
        ],
        "calls": [sid],
        "history": [
            {
                "at": "2026-12-02T11:00:00+05:00",
                "status": "registered",
                "note": "по телефону",
                "by": None,
            }
        ],
        "name": None,
        "address": None,
        "transcript": None,
        "transcript_source": None,
    }
    assert isinstance(reply.get_json()["number"], str)


def test_an_unknown_appeal_is_a_json_404(client, operator):
    reply = client.get("/api/appeals/999", headers=operator)
    assert reply.status_code == 404
    assert reply.get_json() == {"error": "no appeal with that number"}


def test_appeals_are_listed_newest_first_one_page_at_a_time(app, client, operator):
    numbers = [make_appeal(app, now=OPEN_TIME + timedelta(minutes=i))[0] for i in range(5)]

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        reply = client.get("/api/appeals", query_string=query, headers=operator).get_json()
        assert set(reply) == {"items", "next"}
        seen += [item["number"] for item in reply["items"]]
        pages += 1
        cursor = reply["next"]
        if cursor is None:
            break

    assert seen == numbers[::-1]
    assert pages == 3
    bad = client.get("/api/appeals?cursor=garbage!", headers=operator)
    assert bad.status_code == 400
    assert "error" in bad.get_json()


def test_appeals_filter_by_status_topic_and_dates(app, client, operator):
    old, _ = make_appeal(app, now=OPEN_TIME - timedelta(days=3), topic="health")
    new, _ = make_appeal(app, topic="housing")
    reviewed, _ = make_appeal(app, now=OPEN_TIME - timedelta(days=1), topic="health")
    client.patch(f"/api/appeals/{reviewed}", json={"status": "in_review"}, headers=operator)

    def numbers(**query) -> list[str]:
        reply = client.get("/api/appeals", query_string=query, headers=operator)
        assert reply.status_code == 200, reply.get_json()
        return [item["number"] for item in reply.get_json()["items"]]

    assert numbers(topic="health") == [reviewed, old]
    assert numbers(status="in_review") == [reviewed]
    assert numbers(status="registered") == [new, old]
    assert numbers(since="2026-12-01") == [new, reviewed]
    assert numbers(until="2026-12-01") == [reviewed, old]
    assert numbers(since="2026-12-01", until="2026-12-01") == [reviewed]
    assert client.get("/api/appeals?status=lost", headers=operator).status_code == 400
    assert client.get("/api/appeals?since=yesterday", headers=operator).status_code == 400


def test_overdue_means_past_the_answer_date_and_still_unanswered(app, client, operator):
    late, _ = make_appeal(app, now=OPEN_TIME - timedelta(days=31))
    answered, _ = make_appeal(app, now=OPEN_TIME - timedelta(days=31))
    due_today, _ = make_appeal(app, now=OPEN_TIME - timedelta(days=30))
    make_appeal(app)
    for status in ("in_review", "explained"):
        body = {"status": status, "note": "дан ответ"}
        assert (
            client.patch(f"/api/appeals/{answered}", json=body, headers=operator).status_code == 200
        )

    reply = client.get("/api/appeals?overdue=1", headers=operator).get_json()

    assert [item["number"] for item in reply["items"]] == [late]
    assert due_today not in [item["number"] for item in reply["items"]]
    everything = client.get("/api/appeals?overdue=0", headers=operator).get_json()
    assert len(everything["items"]) == 4


def test_an_appeal_goes_through_its_statuses_with_history(app, client, clock, auth):
    number, _ = make_appeal(app)
    anna = auth(StaffRole.OPERATOR, "operator-anna")

    steps = [("in_review", "взято в работу"), ("explained", "дан ответ"), ("closed", "отправлено")]
    for status, note in steps:
        clock.advance(hours=1)
        reply = client.patch(
            f"/api/appeals/{number}", json={"status": status, "note": note}, headers=anna
        )
        assert reply.status_code == 200, reply.get_json()
        assert reply.get_json()["status"] == status

    history = client.get(f"/api/appeals/{number}", headers=anna).get_json()["history"]
    assert history[1:] == [
        {
            "at": "2026-12-02T12:00:00+05:00",
            "status": "in_review",
            "note": "взято в работу",
            "by": "operator-anna",
        },
        {
            "at": "2026-12-02T13:00:00+05:00",
            "status": "explained",
            "note": "дан ответ",
            "by": "operator-anna",
        },
        {
            "at": "2026-12-02T14:00:00+05:00",
            "status": "closed",
            "note": "отправлено",
            "by": "operator-anna",
        },
    ]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "closed"),
        ([], "registered"),
        (["in_review"], "in_review"),
        (["in_review"], "registered"),
        ([], "explained"),
        ([], "forwarded"),
        (["in_review", "forwarded"], "explained"),
        (["in_review", "practical_help", "closed"], "in_review"),
    ],
)
def test_a_transition_not_allowed_is_a_409(app, client, operator, path, refused):
    number, _ = make_appeal(app)
    for status in path:
        body = {"status": status, "note": "сделано"}
        reply = client.patch(f"/api/appeals/{number}", json=body, headers=operator)
        assert reply.status_code == 200

    reply = client.patch(f"/api/appeals/{number}", json={"status": refused}, headers=operator)

    assert reply.status_code == 409
    assert "cannot go from" in reply.get_json()["error"]
    after = client.get(f"/api/appeals/{number}", headers=operator).get_json()
    assert len(after["history"]) == 1 + len(path)


@pytest.mark.parametrize("status", ["forwarded", "practical_help", "explained"])
def test_an_answer_needs_the_card_filled_or_the_anonymous_flag(app, client, operator, status):
    """Defect 3 (§12), through the API: the same rule as the appeal's page."""
    number, _ = make_appeal(app, card=False)
    url = f"/api/appeals/{number}"
    unregistered = client.patch(url, json={"status": "in_review"}, headers=operator)
    assert unregistered.status_code == 409
    assert "not registered" in unregistered.get_json()["error"]
    with app.app_context():
        session = db.get_session()
        appeal = appeals.find_appeal(session, number)
        appeals.complete_card(session, appeal, OPEN_TIME, "staff:oper", transcript="Крыша течёт")
        session.commit()
    assert client.patch(url, json={"status": "in_review"}, headers=operator).status_code == 200

    empty = client.patch(url, json={"status": status, "note": "ответ"}, headers=operator)
    assert empty.status_code == 409
    assert "name and address" in empty.get_json()["error"]
    with app.app_context():
        session = db.get_session()
        appeal = appeals.find_appeal(session, number)
        appeals.complete_card(session, appeal, OPEN_TIME, "staff:oper", anonymous=True)
        session.commit()
    noteless = client.patch(url, json={"status": status}, headers=operator)
    assert noteless.status_code == 409
    reply = client.patch(url, json={"status": status, "note": "ответ"}, headers=operator)
    assert reply.status_code == 200
    assert reply.get_json()["status"] == status
    assert reply.get_json()["anonymous"] is True
    assert reply.get_json()["registered_at"] == "2026-12-02T11:00:00+05:00"


@pytest.mark.parametrize(
    "body",
    [{"status": "lost"}, {"status": 3}, {}, {"note": "только заметка"}, {"extend": "yes"}],
)
def test_a_bad_change_is_a_400(app, client, operator, body):
    number, _ = make_appeal(app)
    reply = client.patch(f"/api/appeals/{number}", json=body, headers=operator)
    assert reply.status_code == 400
    assert set(reply.get_json()) == {"error"}


def test_a_patch_needs_a_json_body(app, client, operator):
    number, _ = make_appeal(app)
    reply = client.patch(f"/api/appeals/{number}", data="status=closed", headers=operator)
    assert reply.status_code == 400


def test_the_answer_period_is_extended_once_with_a_note(app, client, operator):
    number, _ = make_appeal(app)
    url = f"/api/appeals/{number}"

    without_note = client.patch(url, json={"extend": True}, headers=operator)
    assert without_note.status_code == 400
    assert "note" in without_note.get_json()["error"]

    reply = client.patch(
        url, json={"extend": True, "note": "запрошены документы"}, headers=operator
    )
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["answer_due"] == "2027-01-31"
    assert body["status"] == "registered"
    assert body["history"][-1]["by"] == "operator-anna"
    assert body["history"][-1]["note"].endswith("запрошены документы")

    again = client.patch(url, json={"extend": True, "note": "ещё раз"}, headers=operator)
    assert again.status_code == 409
    assert client.get(url, headers=operator).get_json()["answer_due"] == "2027-01-31"


def test_no_extension_after_the_deadline_or_once_forwarded(app, client, operator):
    late, _ = make_appeal(app, now=OPEN_TIME - timedelta(days=31))
    reply = client.patch(
        f"/api/appeals/{late}", json={"extend": True, "note": "x"}, headers=operator
    )
    assert reply.status_code == 409

    forwarded, _ = make_appeal(app)
    for status in ("in_review", "forwarded"):
        body = {"status": status, "note": "направлено"}
        assert (
            client.patch(f"/api/appeals/{forwarded}", json=body, headers=operator).status_code
            == 200
        )
    reply = client.patch(
        f"/api/appeals/{forwarded}", json={"extend": True, "note": "x"}, headers=operator
    )
    assert reply.status_code == 409


def test_a_refused_change_changes_nothing(app, client, operator):
    number, _ = make_appeal(app)
    client.patch(f"/api/appeals/{number}", json={"extend": True, "note": "x"}, headers=operator)
    # The second extension is refused, so the status change sent with it is not made either.
    reply = client.patch(
        f"/api/appeals/{number}",
        json={"extend": True, "note": "y", "status": "in_review"},
        headers=operator,
    )
    assert reply.status_code == 409
    assert client.get(f"/api/appeals/{number}", headers=operator).get_json()["status"] == (
        AppealStatus.REGISTERED.value
    )


# --- sessions -------------------------------------------------------------------------


def test_a_session_is_created_with_its_slots(app, client, supervisor):
    reply = client.post("/api/sessions", json=SESSION_BODY | {"outreach": True}, headers=supervisor)

    assert reply.status_code == 201
    body = reply.get_json()
    assert body == {
        "id": body["id"],
        "expert": "Смирнов Алексей Викторович",
        "title": "юрист",
        "place": "ул. Екатерининская, 210, кабинет 3",
        "outreach": True,
        "starts_at": "2026-12-08T10:00:00+05:00",
        "ends_at": "2026-12-08T13:00:00+05:00",
        "slot_minutes": 20,
        "slot_count": 9,
    }
    with app.app_context():
        reception = db.get_session().get(ReceptionSession, body["id"])
        assert len(reception.slots) == 9
        assert reception.outreach is True


def test_session_times_in_utc_are_answered_in_the_office_offset(client, supervisor):
    body = SESSION_BODY | {"starts_at": "2026-12-08T05:00:00Z", "ends_at": "2026-12-08T06:00:00Z"}
    reply = client.post("/api/sessions", json=body, headers=supervisor)
    assert reply.status_code == 201
    assert reply.get_json()["starts_at"] == "2026-12-08T10:00:00+05:00"
    assert reply.get_json()["slot_count"] == 3


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "8 декабря 10:00"},
        {"starts_at": "2026-12-08T10:00:00"},
        {"ends_at": "2026-12-08T09:00:00+05:00"},
        {"ends_at": "2026-12-08T10:00:00+05:00"},
        {"slot_minutes": 240},
        {"slot_minutes": 2},
        {"slot_minutes": 5},
        {"slot_minutes": 7},
        {"slot_minutes": 61},
        {"starts_at": "2026-12-08T01:00:00+05:00", "ends_at": "2026-12-08T05:00:00+05:00"},
        {"ends_at": "2026-12-08T21:20:00+05:00"},
        {"starts_at": "2026-12-13T10:00:00+05:00", "ends_at": "2026-12-13T13:00:00+05:00"},
        {"non_working_day": "yes"},
        {"slot_minutes": "20"},
        {"slot_minutes": True},
        {"expert": ""},
        {"place": None},
        {"title": "x" * 201},
        {"outreach": "yes"},
        {"ends_at": "2026-12-09T13:00:00+05:00"},
    ],
)
def test_a_bad_session_is_a_400_and_creates_nothing(app, client, supervisor, change):
    reply = client.post("/api/sessions", json=SESSION_BODY | change, headers=supervisor)

    assert reply.status_code == 400
    assert set(reply.get_json()) == {"error"}
    with app.app_context():
        assert db.get_session().scalar(sa.select(sa.func.count(ReceptionSession.id))) == 0


def test_an_overlapping_session_of_the_same_expert_is_a_409(app, client, supervisor):
    """Defect 2 (§12), through the API: the same rule as the schedule page."""
    assert client.post("/api/sessions", json=SESSION_BODY, headers=supervisor).status_code == 201
    inside = SESSION_BODY | {
        "starts_at": "2026-12-08T11:00:00+05:00",
        "ends_at": "2026-12-08T12:00:00+05:00",
    }

    reply = client.post("/api/sessions", json=inside, headers=supervisor)

    assert reply.status_code == 409
    assert "another session" in reply.get_json()["error"]
    other_expert = inside | {"expert": "Иванова Мария Петровна"}
    assert client.post("/api/sessions", json=other_expert, headers=supervisor).status_code == 201
    with app.app_context():
        assert db.get_session().scalar(sa.select(sa.func.count(ReceptionSession.id))) == 2


def test_a_session_on_a_non_working_day_needs_the_flag(client, supervisor):
    sunday = SESSION_BODY | {
        "starts_at": "2026-12-13T10:00:00+05:00",
        "ends_at": "2026-12-13T13:00:00+05:00",
    }
    reply = client.post(
        "/api/sessions", json=sunday | {"non_working_day": True}, headers=supervisor
    )
    assert reply.status_code == 201


def test_the_database_refuses_overlapping_sessions_on_postgresql(app, database_url):
    """The exclusion constraint holds even for a writer that skips the service (§12)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on the service")
    start = datetime(2026, 12, 8, 10, tzinfo=PERM)
    with app.app_context():
        session = db.get_session()
        for offset in (0, 1):
            session.add(
                ReceptionSession(
                    expert="Одна и та же",
                    title="юрист",
                    place="кабинет 3",
                    starts_at=start + timedelta(hours=offset),
                    ends_at=start + timedelta(hours=offset + 3),
                    slot_minutes=20,
                )
            )
        with pytest.raises(sa.exc.IntegrityError, match="ex_reception_session_expert_overlap"):
            session.flush()
        session.rollback()


# --- appointments ---------------------------------------------------------------------


def test_the_days_appointments_answer_every_field_in_time_order(app, client, operator):
    reception = make_session(app)
    make_session(app, day=date(2026, 12, 4))
    slots = [slot.id for slot in reception.slots]
    with app.app_context():
        session = db.get_session()
        call = start_call(session, OPEN_TIME)
        by_phone = booking.book(
            session,
            slot_id=slots[1],
            phone=MOBILE,
            now=OPEN_TIME,
            source=BookingSource.PHONE,
            call=call,
        )
        walk_in = booking.book(
            session, slot_id=slots[0], phone=None, now=OPEN_TIME, source=BookingSource.STAFF
        )
        cancelled = booking.book(
            session, slot_id=slots[2], phone=LANDLINE, now=OPEN_TIME, source=BookingSource.PHONE
        )
        booking.cancel(session, cancelled, OPEN_TIME)
        session.commit()
        codes = (walk_in.code, by_phone.code, cancelled.code)
        sid = call.sid

    reply = client.get("/api/appointments?date=2026-12-03", headers=operator)

    assert reply.status_code == 200
    expert, place = "Иванова Мария Петровна", "ул. Екатерининская, 210"
    assert reply.get_json() == {
        "items": [
            {
                "code": codes[0],
                "starts_at": "2026-12-03T10:00:00+05:00",
                "expert": expert,
                "place": place,
                "phone": None,
                "status": "booked",
                "call": None,
                "source": "staff",
            },
            {
                "code": codes[1],
                "starts_at": "2026-12-03T10:30:00+05:00",
                "expert": expert,
                "place": place,
                "phone": MOBILE,
                "status": "booked",
                "call": sid,
                "source": "phone",
            },
            {
                "code": codes[2],
                "starts_at": "2026-12-03T11:00:00+05:00",
                "expert": expert,
                "place": place,
                "phone": LANDLINE,
                "status": "cancelled",
                "call": None,
                "source": "phone",
            },
        ],
        "next": None,
    }
    booked = client.get("/api/appointments?date=2026-12-03&status=booked", headers=operator)
    assert [item["code"] for item in booked.get_json()["items"]] == list(codes[:2])
    other_day = client.get("/api/appointments?date=2026-12-04", headers=operator).get_json()
    assert other_day == {"items": [], "next": None}

    first = client.get("/api/appointments?date=2026-12-03&limit=2", headers=operator).get_json()
    assert [item["code"] for item in first["items"]] == list(codes[:2])
    rest = client.get(
        "/api/appointments",
        query_string={"date": "2026-12-03", "limit": 2, "cursor": first["next"]},
        headers=operator,
    ).get_json()
    assert [item["code"] for item in rest["items"]] == [codes[2]]
    assert rest["next"] is None


@pytest.mark.parametrize("query", ["", "?date=", "?date=03.12.2026", "?date=2026-12-03&status=x"])
def test_appointments_need_a_good_date(client, operator, query):
    reply = client.get(f"/api/appointments{query}", headers=operator)
    assert reply.status_code == 400
    assert set(reply.get_json()) == {"error"}


# --- callbacks ------------------------------------------------------------------------


def make_callback(app, phone=MOBILE, reason="no_choice", due=OPEN_TIME) -> tuple[int, str]:
    with app.app_context():
        session = db.get_session()
        call = start_call(session, OPEN_TIME, phone)
        callback = callbacks.request(session, phone, reason, call, OPEN_TIME, due)
        session.commit()
        return callback.id, call.sid


def attempt(client, headers, callback_id, result, note=""):
    return client.post(
        f"/api/callbacks/{callback_id}/attempts",
        json={"result": result, "note": note},
        headers=headers,
    )


def test_pending_callbacks_are_listed_earliest_due_first(app, client, operator):
    later, _ = make_callback(app, OTHER_MOBILE, due=OPEN_TIME + timedelta(hours=3))
    first, sid = make_callback(app, MOBILE, "abandoned")
    done, _ = make_callback(app, LANDLINE)
    attempt(client, operator, done, "reached")

    reply = client.get("/api/callbacks", headers=operator)

    assert reply.status_code == 200
    body = reply.get_json()
    assert [item["id"] for item in body["items"]] == [first, later]
    assert body["items"][0] == {
        "id": first,
        "phone": MOBILE,
        "reasons": ["abandoned"],
        "status": "pending",
        "due_at": "2026-12-02T11:00:00+05:00",
        "calls": [sid],
        "attempts": [],
    }
    assert body["next"] is None
    closed = client.get("/api/callbacks?status=done", headers=operator).get_json()["items"]
    assert [item["id"] for item in closed] == [done]
    assert closed[0]["attempts"] == [
        {"at": "2026-12-02T11:00:00+05:00", "result": "reached", "note": "", "by": "operator-anna"}
    ]
    paged = client.get("/api/callbacks?limit=1", headers=operator).get_json()
    assert [item["id"] for item in paged["items"]] == [first]
    rest = client.get(f"/api/callbacks?limit=1&cursor={paged['next']}", headers=operator)
    assert [item["id"] for item in rest.get_json()["items"]] == [later]
    assert client.get("/api/callbacks?status=open", headers=operator).status_code == 400


def test_reached_closes_the_callback(app, client, operator):
    callback_id, _ = make_callback(app)
    reply = attempt(client, operator, callback_id, "reached", "записан на приём")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "done"
    assert body["attempts"] == [
        {
            "at": "2026-12-02T11:00:00+05:00",
            "result": "reached",
            "note": "записан на приём",
            "by": "operator-anna",
        }
    ]


def test_a_wrong_number_gives_up(app, client, operator):
    callback_id, _ = make_callback(app)
    assert attempt(client, operator, callback_id, "wrong_number").get_json()["status"] == "gave_up"


def test_three_unanswered_working_days_give_up(app, client, clock, operator):
    callback_id, _ = make_callback(app)

    first = attempt(client, operator, callback_id, "no_answer").get_json()
    assert first["status"] == "pending"
    assert first["due_at"] == "2026-12-03T10:00:00+05:00"
    clock.advance(hours=4)  # the same day again does not count twice
    assert attempt(client, operator, callback_id, "no_answer").get_json()["status"] == "pending"

    clock.set(datetime(2026, 12, 3, 10, 30, tzinfo=PERM))  # Thursday
    second = attempt(client, operator, callback_id, "no_answer").get_json()
    assert second["status"] == "pending"
    assert second["due_at"] == "2026-12-04T10:00:00+05:00"

    clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=PERM))  # Friday
    third = attempt(client, operator, callback_id, "no_answer", "не берут трубку").get_json()
    assert third["status"] == "gave_up"
    assert [a["result"] for a in third["attempts"]] == ["no_answer"] * 4
    assert client.get("/api/callbacks", headers=operator).get_json()["items"] == []


def test_a_no_answer_on_friday_is_due_on_monday(app, client, clock, operator):
    clock.set(datetime(2026, 12, 4, 12, 0, tzinfo=PERM))
    callback_id, _ = make_callback(app)
    reply = attempt(client, operator, callback_id, "no_answer").get_json()
    assert reply["due_at"] == "2026-12-07T10:00:00+05:00"


def test_an_attempt_on_a_closed_callback_is_a_409(app, client, operator):
    callback_id, _ = make_callback(app)
    attempt(client, operator, callback_id, "reached")
    reply = attempt(client, operator, callback_id, "no_answer")
    assert reply.status_code == 409
    assert reply.get_json() == {"error": "the callback is done, not pending"}


@pytest.mark.parametrize(
    "body", [{"result": "busy"}, {}, {"result": None}, {"result": "reached", "note": 5}]
)
def test_a_bad_attempt_is_a_400(app, client, operator, body):
    callback_id, _ = make_callback(app)
    reply = client.post(f"/api/callbacks/{callback_id}/attempts", json=body, headers=operator)
    assert reply.status_code == 400
    assert set(reply.get_json()) == {"error"}


@pytest.mark.parametrize("callback_id", ["999999", "abc", "١"])
def test_an_unknown_callback_is_a_json_404(client, operator, callback_id):
    reply = attempt(client, operator, callback_id, "reached")
    assert reply.status_code == 404
    assert reply.get_json() == {"error": "no callback with that id"}


# --- hostile input: 4xx JSON, never a 500 (also on PostgreSQL) -------------------------


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/appeals/12%0034", 404),
        ("/api/appeals?topic=%00", 400),
        ("/api/appeals?since=0001-01-01", 400),
        ("/api/appeals?until=9999-12-31", 400),
        ("/api/appointments?date=9999-12-31", 400),
        ("/api/appointments?date=0001-01-01", 400),
        (f"/api/appeals?cursor={b64('2026-12-02T10:00:00|5')}", 400),
        (f"/api/callbacks?cursor={b64('2026-12-02T10:00:00+05:00|' + '9' * 30)}", 400),
        (f"/api/appointments?date=2026-12-03&cursor={b64('0001-01-01T00:00:00+05:00|1')}", 400),
        ("/api/callbacks/99999999999999999999999/attempts", 404),
    ],
)
def test_hostile_input_is_a_json_4xx(client, operator, url, status):
    method = client.post if url.endswith("/attempts") else client.get
    reply = method(url, json={"result": "reached"}, headers=operator)
    assert reply.status_code == status
    assert set(reply.get_json()) == {"error"}


def test_a_nul_in_a_note_or_a_name_is_a_400(app, client, operator, supervisor):
    number, _ = make_appeal(app)
    reply = client.patch(
        f"/api/appeals/{number}", json={"status": "in_review", "note": "a\x00b"}, headers=operator
    )
    assert reply.status_code == 400
    bad_session = SESSION_BODY | {"expert": "Иванова\x00"}
    assert client.post("/api/sessions", json=bad_session, headers=supervisor).status_code == 400


def test_every_read_and_change_through_the_api_is_audited(client, records, clock):
    from calllog.tokens import create_token
    from models import AuditEntry, StaffRole

    with records() as session:
        _, secret = create_token(session, "crm", StaffRole.SUPERVISOR, clock.now())
        session.commit()
    auth = {"Authorization": f"Bearer {secret}"}

    client.get("/api/calls?caller=%2B79024712233", headers=auth)
    client.get("/api/callbacks", headers=auth)
    client.get("/api/openapi.json", headers=auth)
    client.get("/api/calls/CA0000", headers=auth)  # 404: nothing was shown

    entries = records().scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor, e.action, e.subject) for e in entries] == [
        ("token:crm", "api_view", "/api/calls"),
        ("token:crm", "api_view", "/api/callbacks"),
    ]
    assert all("7902" not in e.detail + e.subject for e in entries)
