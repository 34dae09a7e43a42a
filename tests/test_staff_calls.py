"""The staff call log: filters, phone search, keyset pages, one call in detail, recordings.

Lists and pages use rows written straight into the database (``log_calls``); the detail
page and the recordings use calls made through the Twilio simulator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm

from calllog.call_queries import encode_cursor
from calllog.recording_copies import app_storage
from models import (
    AuditEntry,
    Call,
    CallOutcome,
    Recording,
    RecordingKind,
    RecordingState,
    StaffRole,
)
from simulator import Simulator
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM
from tests.fakes import FakeTwilioHttp, fake_audio

LINE_B = "+73422368458"
LINE_C = "+73422367992"
OTHER = "+79124567890"
LANDLINE = "+73422367992"
SID_LINK = re.compile(r'href="/calls/(CA[0-9a-f]{32})"')


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


def listed(client: FlaskClient, **query: str) -> list[str]:
    """The CallSids the call log lists for ``query``, in the order shown."""
    reply = client.get("/calls?" + urlencode(query))
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return SID_LINK.findall(reply.get_data(as_text=True))


def audit_entries(records: Callable[[], orm.Session], action: str) -> list[AuditEntry]:
    return list(records().scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


@pytest.fixture
def log(log_calls: Callable[..., list[str]]) -> dict[str, str]:
    """Six calls over three local days, on three lines, with different callers and outcomes."""
    made: dict[str, str] = {}

    def one(name: str, at: datetime, **fields: object) -> None:
        (made[name],) = log_calls(1, start=at, **fields)

    one("old", local(1, 10), line=LINE, caller=MOBILE, outcome=CallOutcome.ABANDONED)
    one("booked", local(2, 9), line=LINE_B, caller=OTHER, outcome=CallOutcome.BOOKED)
    one("request", local(2, 10), line=LINE, caller=MOBILE, outcome=CallOutcome.REQUEST_LEFT)
    one("hidden", local(2, 10, 30), line=LINE_C, caller="anonymous", outcome=CallOutcome.INFO)
    one("landline", local(2, 10, 45), line=LINE_C, caller=LANDLINE, outcome=CallOutcome.INFO)
    one(
        "talking",
        local(2, 10, 50),
        line=LINE_B,
        caller="+442079460000",
        status="in-progress",
        outcome=None,
        duration_s=None,
    )
    return made


@pytest.fixture(autouse=True)
def own_storage(config: dict, tmp_path: Path) -> Path:
    """Recordings go into a folder of the test; nothing copies them unless a test says so."""
    config["RECORDINGS_DIR"] = str(tmp_path / "recordings")
    config["RECORDINGS_COPY"] = "off"
    return tmp_path / "recordings"


# --- sign-in and roles ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/calls", "/calls/export.csv", "/calls/CA123", "/recordings/1"])
def test_the_call_log_needs_sign_in(client: FlaskClient, path: str) -> None:
    reply = client.get(path)
    assert reply.status_code == 302
    assert reply.location.startswith("/login?next=")


def test_the_call_log_is_in_the_menu_for_operators(client: FlaskClient, operator: str) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/calls"' in page
    assert "Журнал звонков" in page


# --- the list and its filters --------------------------------------------------------------


def test_the_log_opens_on_today_newest_first(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    today = ["talking", "landline", "hidden", "request", "booked"]
    assert listed(client) == [log[name] for name in today]
    assert listed(client, since="", until="") == [log[name] for name in [*today, "old"]]


def test_rows_show_local_time_line_caller_status_and_outcome(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    page = client.get("/calls").get_data(as_text=True)
    assert "02.12.2026 10:00" in page  # local time, not UTC (05:00)
    assert "8 (342) 236-82-29" in page  # the line, nationally
    assert "Справочная линия" in page  # and its label (nominative: staff read it)
    assert "8 (902) 471-22-33" in page  # a Russian caller
    assert "скрыт" in page  # a withheld one
    assert "+442079460000" in page  # a foreign caller ID, as it came
    for text in ("оставил обращение", "записан на приём", "завершён", "идёт разговор"):
        assert text in page
    assert "0:42" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"line": LINE_B}, ["talking", "booked"]),
        ({"line": LINE_C}, ["landline", "hidden"]),
        ({"outcome": "booked"}, ["booked"]),
        ({"outcome": "request_left"}, ["request"]),
        ({"outcome": "abandoned"}, []),  # only on the 1st, outside today
        ({"status": "in-progress"}, ["talking"]),
        ({"status": "busy"}, []),
        ({"caller": MOBILE}, ["request"]),
        ({"since": "2026-12-01", "until": "2026-12-01"}, ["old"]),
        ({"since": "2026-12-01", "until": "2026-12-02", "outcome": "abandoned"}, ["old"]),
        ({"since": "2026-12-01", "until": "", "caller": MOBILE}, ["request", "old"]),
        ({"line": LINE, "outcome": "request_left"}, ["request"]),
        ({"line": LINE_C, "caller": LANDLINE}, ["landline"]),
    ],
    ids=lambda value: urlencode(value) if isinstance(value, dict) else None,
)
def test_each_filter_narrows_the_list(
    client: FlaskClient,
    operator: str,
    log: dict[str, str],
    query: dict[str, str],
    expected: list[str],
) -> None:
    assert listed(client, **query) == [log[name] for name in expected]


@pytest.mark.parametrize(
    "typed",
    ["8 902 471-22-33", "+7(902)4712233", "9024712233", "+79024712233", "4712233", "471-22-33"],
)
def test_a_phone_in_any_common_format_finds_the_call(
    client: FlaskClient, operator: str, log: dict[str, str], typed: str
) -> None:
    assert listed(client, caller=typed, since="", until="") == [log["request"], log["old"]]


def test_a_local_perm_number_finds_a_landline_caller(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    assert listed(client, caller="2367992") == [log["landline"]]
    assert listed(client, caller="236-79-92") == [log["landline"]]
    assert listed(client, caller="8 (342) 236-79-92") == [log["landline"]]


def test_searching_by_phone_is_audited_with_the_number_masked(
    client: FlaskClient, operator: str, log: dict[str, str], records: Callable[[], orm.Session]
) -> None:
    listed(client)
    assert audit_entries(records, "search") == []
    listed(client, caller="8 902 471-22-33")
    (entry,) = audit_entries(records, "search")
    assert entry.actor == "staff:operator"
    assert entry.subject == "calls"
    assert "4712233" not in entry.detail
    assert "caller=+7902*****33" in entry.detail


def test_the_filter_form_keeps_what_was_chosen(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    page = client.get(
        "/calls?" + urlencode({"line": LINE_B, "outcome": "booked", "caller": "4712233"})
    ).get_data(as_text=True)
    assert f'<option value="{LINE_B}" selected>' in page
    assert '<option value="booked" selected>' in page
    assert 'value="4712233"' in page
    assert 'name="since" value="2026-12-02"' in page


@pytest.mark.parametrize(
    "query",
    [
        {"since": "02.12.2026"},
        {"until": "2026-02-30"},
        {"outcome": "exploded"},
        {"caller": "\x00"},
        {"line": "+7342\x00"},
        {"status": "\x00"},
        {"cursor": "garbage!"},
        {"cursor": encode_cursor(OPEN_TIME, 2**31)},  # past a 32-bit id
    ],
    ids=lambda value: urlencode(value),
)
def test_a_bad_filter_is_explained_in_russian(
    client: FlaskClient, operator: str, log: dict[str, str], query: dict[str, str]
) -> None:
    reply = client.get("/calls?" + urlencode(query))
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert 'class="flash error"' in page
    assert re.search("[а-яА-Я]{4}", page.split('class="flash error"')[1])
    assert SID_LINK.findall(page) == []


# --- keyset pages --------------------------------------------------------------------------


@pytest.fixture
def hundred_and_twenty(log_calls: Callable[..., list[str]]) -> list[str]:
    """120 calls of today, newest first; ten of them share one moment."""
    newest = log_calls(60, start=local(2, 17), step=timedelta(minutes=-1))
    same_moment = log_calls(10, start=local(2, 16), step=timedelta(0))
    older = log_calls(50, start=local(2, 15), step=timedelta(minutes=-1))
    # Calls of one moment come newest id first.
    return newest + list(reversed(same_moment)) + older


@pytest.fixture
def statements(engine: sa.Engine) -> Iterator[list[tuple[str, object]]]:
    """Every SQL statement run while the test goes on, with its parameters."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", note)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", note)


def test_pages_of_fifty_follow_each_other_by_keyset(
    client: FlaskClient,
    operator: str,
    hundred_and_twenty: list[str],
    statements: list[tuple[str, object]],
) -> None:
    seen: list[str] = []
    sizes = []
    url: str | None = "/calls"
    while url is not None:
        page = client.get(url).get_data(as_text=True)
        found = SID_LINK.findall(page)
        sizes.append(len(found))
        seen.extend(found)
        if len(sizes) > 1:
            assert "В начало" in page
        else:
            assert "В начало" not in page
        more = re.search(r'href="([^"]+)" rel="next">Дальше', page)
        url = more[1].replace("&amp;", "&") if more else None
        assert len(sizes) < 10

    assert sizes == [50, 50, 20]
    assert seen == hundred_and_twenty
    assert len(set(seen)) == 120
    # Never an OFFSET (SQLite's dialect writes "LIMIT ? OFFSET ?" with 0 for any LIMIT).
    offsets = [params[-1] for statement, params in statements if "OFFSET" in statement]
    assert all(offset == 0 for offset in offsets)
    assert any("(call.started_at, call.id) <" in statement for statement, _ in statements)


def test_the_next_page_keeps_the_filters(
    client: FlaskClient, operator: str, log_calls: Callable[..., list[str]]
) -> None:
    wanted = log_calls(60, start=local(2, 17), line=LINE_B)
    log_calls(60, start=local(2, 16, 30), line=LINE)
    first = client.get("/calls?" + urlencode({"line": LINE_B})).get_data(as_text=True)
    more = re.search(r'href="([^"]+)" rel="next">Дальше', first)[1].replace("&amp;", "&")
    assert "line=%2B73422368458" in more
    second = client.get(more).get_data(as_text=True)
    assert SID_LINK.findall(first) + SID_LINK.findall(second) == wanted
    back = re.search(r'href="([^"]+)">В начало', second)[1].replace("&amp;", "&")
    assert "cursor" not in back
    assert SID_LINK.findall(client.get(back).get_data(as_text=True)) == wanted[:50]


def test_an_api_cursor_works_on_the_page(
    client: FlaskClient, operator: str, log: dict[str, str]
) -> None:
    cursor = encode_cursor(local(2, 10, 30), 2**31 - 1)
    assert listed(client, cursor=cursor) == [log["hidden"], log["request"], log["booked"]]


# --- one call ------------------------------------------------------------------------------


@pytest.fixture
def copies(own_storage: Path, config: dict, fake_twilio: FakeTwilioHttp) -> Path:
    """Recordings are copied home as soon as Twilio says they are ready; Twilio has audio."""
    config["RECORDINGS_COPY"] = "queue"
    fake_twilio.any_audio = fake_audio("mp3", 6000)
    return own_storage


def leave_request(twilio: Simulator) -> str:
    """A whole call: the caller leaves a request about social protection (key 2, topic 2)."""
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("2").record(seconds=40, finish="#")
    call.silence()
    call.finish()
    assert call.errors == []
    return call.sid


def the_call(records: Callable[[], orm.Session], sid: str) -> Call:
    return records().scalar(sa.select(Call).where(Call.sid == sid))


def test_a_call_shows_its_timeline_appeal_and_recording_player(
    copies: Path,
    client: FlaskClient,
    twilio: Simulator,
    operator: str,
    records: Callable[[], orm.Session],
) -> None:
    sid = leave_request(twilio)
    call = the_call(records, sid)
    (appeal,) = call.appeals
    (recording,) = call.recordings
    assert recording.state is RecordingState.STORED

    reply = client.get(f"/calls/{sid}")

    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "8 (902) 471-22-33" in page
    assert "8 (342) 236-82-29" in page
    assert "оставил обращение" in page
    # The timeline in order, in words, in local time.
    steps = [
        "Звонок начался",
        "Главное меню",
        "Нажата клавиша",
        "Согласие на обработку персональных данных",
        "Выбрана тема обращения",
        "Обращение зарегистрировано",
    ]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "<time>11:00:00</time>" in page
    assert "Социальная защита" in page
    # The appeal links to its card; the recording plays through the service.
    assert f'href="/appeals/{appeal.number}"' in page
    assert f'<audio controls preload="none" src="/recordings/{recording.id}">' in page
    assert "api.twilio.com" not in page


def test_viewing_a_call_is_audited(
    client: FlaskClient, operator: str, log: dict[str, str], records: Callable[[], orm.Session]
) -> None:
    assert client.get(f"/calls/{log['request']}").status_code == 200
    (entry,) = audit_entries(records, "view")
    assert entry.subject == f"call:{log['request']}"
    assert entry.actor == "staff:operator"


def test_a_withheld_caller_and_an_unknown_event_are_shown_plainly(
    client: FlaskClient, operator: str, log: dict[str, str], records: Callable[[], orm.Session]
) -> None:
    from calllog.events import add_event

    with records() as session:
        call = session.scalar(sa.select(Call).where(Call.sid == log["hidden"]))
        add_event(call, "started", f"line {LINE_C}", call.started_at)
        add_event(call, "teleported", "somewhere", call.started_at + timedelta(seconds=3))
        session.commit()
    page = client.get(f"/calls/{log['hidden']}").get_data(as_text=True)
    assert "скрыт" in page
    assert "Справочная линия" in page
    assert '<code>teleported</code>: <span class="detail">somewhere</span>' in page
    assert "<time>10:30:03</time>" in page


@pytest.mark.parametrize("sid", ["CA" + "0" * 32, "CA123", "nothing", "x" * 300, "CA%00"])
def test_an_unknown_call_is_404(
    client: FlaskClient, operator: str, log: dict[str, str], sid: str
) -> None:
    assert client.get(f"/calls/{sid}").status_code == 404


# --- recordings ----------------------------------------------------------------------------

AUDIO = b"ID3" + bytes(range(256)) * 40


@pytest.fixture
def recorded(log: dict[str, str], records: Callable[[], orm.Session]) -> Callable[..., Recording]:
    """Attach a recording to the ``request`` call, in ``state`` (its file is the test's job)."""
    made = 0

    def attach(state: RecordingState = RecordingState.STORED, audio: bytes = AUDIO) -> Recording:
        nonlocal made
        made += 1
        sid = f"RE{made:032x}"
        key = f"2026/12/{sid}.mp3"
        with records() as session:
            call = session.scalar(sa.select(Call).where(Call.sid == log["request"]))
            recording = Recording(
                sid=sid,
                call=call,
                kind=RecordingKind.MESSAGE,
                twilio_url=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}",
                duration_s=12,
                state=state,
                created_at=call.started_at,
                storage_key=key if state is RecordingState.STORED else None,
                size_bytes=len(audio) if state is RecordingState.STORED else None,
            )
            session.add(recording)
            session.commit()
        return recording

    return attach


def test_a_stored_recording_streams_its_bytes_to_signed_in_staff(
    app: Flask,
    client: FlaskClient,
    operator: str,
    recorded: Callable[..., Recording],
    records: Callable[[], orm.Session],
) -> None:
    recording = recorded()
    app_storage(app).put(recording.storage_key, AUDIO)

    with client.get(f"/recordings/{recording.id}") as reply:
        body = reply.get_data()

    assert reply.status_code == 200
    assert reply.mimetype == "audio/mpeg"
    assert reply.headers["Accept-Ranges"] == "bytes"
    assert reply.content_length == len(AUDIO)
    assert "no-store" in reply.headers["Cache-Control"]
    assert body == AUDIO
    (entry,) = audit_entries(records, "listen")
    assert entry.subject == f"recording:{recording.sid}"
    assert entry.actor == "staff:operator"


def test_a_range_request_gets_part_of_the_recording_and_one_audit_entry(
    app: Flask,
    client: FlaskClient,
    operator: str,
    recorded: Callable[..., Recording],
    records: Callable[[], orm.Session],
    clock,
) -> None:
    recording = recorded()
    app_storage(app).put(recording.storage_key, AUDIO)

    with client.get(f"/recordings/{recording.id}", headers={"Range": "bytes=0-99"}) as first:
        start = first.get_data()
    with client.get(f"/recordings/{recording.id}", headers={"Range": "bytes=5000-"}) as seek:
        rest = seek.get_data()

    assert first.status_code == 206
    assert start == AUDIO[:100]
    assert first.headers["Content-Range"] == f"bytes 0-99/{len(AUDIO)}"
    assert seek.status_code == 206
    assert rest == AUDIO[5000:]
    assert len(audit_entries(records, "listen")) == 1  # one sitting, one entry
    clock.advance(minutes=11)
    client.get(f"/recordings/{recording.id}", headers={"Range": "bytes=0-1"}).close()
    assert len(audit_entries(records, "listen")) == 2


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (RecordingState.PENDING, "запись ещё не скопирована"),
        (RecordingState.FAILED, "запись ещё не скопирована"),
        (RecordingState.PURGED, "удалена по сроку хранения"),
    ],
)
def test_a_recording_without_a_stored_copy_has_no_player_and_is_404(
    client: FlaskClient,
    operator: str,
    log: dict[str, str],
    recorded: Callable[..., Recording],
    records: Callable[[], orm.Session],
    state: RecordingState,
    shown: str,
) -> None:
    recording = recorded(state)

    page = client.get(f"/calls/{log['request']}").get_data(as_text=True)

    assert shown in page
    assert "<audio" not in page
    assert "api.twilio.com" not in page
    assert client.get(f"/recordings/{recording.id}").status_code == 404
    assert audit_entries(records, "listen") == []


def test_a_stored_recording_whose_file_is_gone_is_404(
    client: FlaskClient, operator: str, recorded: Callable[..., Recording]
) -> None:
    recording = recorded()  # nothing put into storage
    assert client.get(f"/recordings/{recording.id}").status_code == 404


@pytest.mark.parametrize("recording_id", ["999999", str(2**40), "abc", "-1"])
def test_an_unknown_recording_is_404(client: FlaskClient, operator: str, recording_id: str) -> None:
    assert client.get(f"/recordings/{recording_id}").status_code == 404


def test_a_recording_needs_sign_in_even_when_its_id_is_known(
    app: Flask, client: FlaskClient, recorded: Callable[..., Recording]
) -> None:
    recording = recorded()
    app_storage(app).put(recording.storage_key, AUDIO)
    reply = client.get(f"/recordings/{recording.id}")
    assert reply.status_code == 302
    assert reply.location.startswith("/login")


def test_a_copied_recording_of_a_simulated_call_plays_the_stored_bytes(
    copies: Path,
    app: Flask,
    client: FlaskClient,
    twilio: Simulator,
    operator: str,
    records: Callable[[], orm.Session],
) -> None:
    sid = leave_request(twilio)
    (recording,) = the_call(records, sid).recordings

    with client.get(f"/recordings/{recording.id}") as reply:
        body = reply.get_data()

    assert reply.status_code == 200
    assert body == b"".join(app_storage(app).read(recording.storage_key))
    assert body == (copies / recording.storage_key).read_bytes()


# --- no Twilio URL anywhere ----------------------------------------------------------------


def test_no_page_names_a_twilio_url(
    copies: Path, client: FlaskClient, twilio: Simulator, operator: str
) -> None:
    sid = leave_request(twilio)
    for path in ("/calls", f"/calls/{sid}", "/calls/export.csv", "/calls?since=&until="):
        reply = client.get(path)
        assert reply.status_code == 200
        assert b"api.twilio.com" not in reply.get_data()
        assert b"twilio.com" not in reply.get_data()


def test_numbers_and_plurals_are_russian(app):
    """Percentages and large numbers through Babel's Russian locale, plurals by one helper."""
    from staff.web import counted, number, percent

    assert percent(0.5714) == "57,1\u00a0%"
    assert number(12345) == "12\u00a0345"
    assert counted(1, "звонок", "звонка", "звонков") == "1 звонок"
    assert counted(22, "звонок", "звонка", "звонков") == "22 звонка"
    assert counted(11, "звонок", "звонка", "звонков") == "11 звонков"


def test_todays_cards_lead_to_their_filtered_lists(client, sign_in, log_calls):
    log_calls(3)
    sign_in(StaffRole.OPERATOR)

    page = client.get("/").get_data(as_text=True)

    assert '<span class="figure">3</span> <a href="/calls">звонка</a>' in page
    assert 'href="/calls?outcome=abandoned"' in page
    assert 'href="/appeals?deadline=overdue"' in page
    assert 'href="/callbacks"' in page
