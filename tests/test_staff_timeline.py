"""One call's steps in words: offered and chosen times with the expert, recordings with a
player, booking codes and appeals linked, and the time the call was answered."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from models import Appointment, Call, RecordingState, StaffRole
from simulator import Simulator
from tests.conftest import EXPERT, LINE, MOBILE, OPEN_TIME, PERM
from tests.fakes import FakeTwilioHttp, fake_audio

THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=PERM)


@pytest.fixture(autouse=True)
def copies(config: dict, tmp_path: Path, fake_twilio: FakeTwilioHttp) -> None:
    """Recordings are copied home when Twilio says they are ready; Twilio has audio."""
    config["RECORDINGS_DIR"] = str(tmp_path / "recordings")
    config["RECORDINGS_COPY"] = "queue"
    config["SMS_FROM"] = "PriemnayaPR"
    fake_twilio.any_audio = fake_audio("mp3", 6000)


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


def book_by_phone(twilio: Simulator) -> str:
    """A whole call: key 1, the first time offered, consent, a name of 4 seconds."""
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=4, finish="#")
    call.silence()
    call.finish()
    assert call.errors == []
    return call.sid


def steps(page: str) -> list[str]:
    """The timeline's lines as text, without tags and players."""
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    items = re.findall(r"<li>(.*?)</li>", timeline, flags=re.S)
    items = [re.sub(r"<audio.*?</audio>", "", item, flags=re.S) for item in items]
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_offered_and_chosen_times_are_told_with_the_expert(
    client: FlaskClient,
    twilio: Simulator,
    operator: str,
    schedule: Callable[..., list[int]],
    records: Callable[[], orm.Session],
) -> None:
    schedule(THURSDAY, minutes=120)
    sid = book_by_phone(twilio)
    (appointment,) = records().scalars(sa.select(Appointment)).all()

    page = client.get(f"/calls/{sid}").get_data(as_text=True)
    lines = steps(page)

    assert f"11:00:00 Предложено: 3 декабря 10:00, 10:20, 10:40 — {EXPERT}" in lines
    assert f"11:00:00 Выбрано: 3 декабря 10:00 — {EXPERT}" in lines
    assert f"11:00:00 Записан на приём: код {appointment.code}" in lines
    assert f'href="/appointments?code={appointment.code}"' in page
    assert not any(re.search(r"Предложено: \d+ \d+", line) for line in lines)  # no slot ids


def test_a_recording_is_told_by_its_length_and_played_through_the_service(
    client: FlaskClient,
    twilio: Simulator,
    operator: str,
    schedule: Callable[..., list[int]],
    records: Callable[[], orm.Session],
) -> None:
    schedule(THURSDAY, minutes=120)
    sid = book_by_phone(twilio)
    call = records().scalar(sa.select(Call).where(Call.sid == sid))
    (recording,) = call.recordings
    assert recording.state is RecordingState.STORED

    page = client.get(f"/calls/{sid}").get_data(as_text=True)

    assert "11:00:00 Записаны имя и фамилия: запись 0:04" in steps(page)
    assert recording.sid not in page  # no SID shown to staff
    player = f'<audio controls preload="none" src="/recordings/{recording.id}">'
    assert page.count(player) == 2  # in the recordings and beside the step
    reply = client.get(f"/recordings/{recording.id}")
    assert reply.status_code == 200
    assert reply.get_data() == fake_audio("mp3", 6000)
    reply.close()


def test_a_slot_no_longer_in_the_schedule_is_said_so(
    client: FlaskClient,
    operator: str,
    log_calls: Callable[..., list[str]],
    records: Callable[[], orm.Session],
) -> None:
    from calllog.events import add_event

    (sid,) = log_calls(1)
    with records() as session:
        call = session.scalar(sa.select(Call).where(Call.sid == sid))
        add_event(call, "slots_offered", "999999 1000000", OPEN_TIME)
        add_event(call, "name_recorded", "RE" + "0" * 32, OPEN_TIME)
        session.commit()

    lines = steps(client.get(f"/calls/{sid}").get_data(as_text=True))

    assert "11:00:00 Предложено: время, которого уже нет в расписании" in lines
    assert "11:00:00 Записаны имя и фамилия: запись" in lines


def test_an_answered_call_shows_when_it_was_answered(
    client: FlaskClient,
    twilio: Simulator,
    operator: str,
    schedule: Callable[..., list[int]],
    records: Callable[[], orm.Session],
) -> None:
    schedule(THURSDAY, minutes=120)
    sid = book_by_phone(twilio)
    call = records().scalar(sa.select(Call).where(Call.sid == sid))
    assert call.answered_at == OPEN_TIME  # the service answered its first request

    page = client.get(f"/calls/{sid}").get_data(as_text=True)

    assert "<dt>Ответ</dt><dd>11:00:00</dd>" in page


def test_a_call_never_answered_by_the_service_has_no_answer_time(
    client: FlaskClient, operator: str, log_calls: Callable[..., list[str]]
) -> None:
    (sid,) = log_calls(1)
    page = client.get(f"/calls/{sid}").get_data(as_text=True)
    assert "<dt>Ответ</dt><dd>—</dd>" in page


def test_a_booking_code_leads_to_its_day_from_the_call_and_the_log(
    client: FlaskClient,
    twilio: Simulator,
    operator: str,
    schedule: Callable[..., list[int]],
    records: Callable[[], orm.Session],
) -> None:
    schedule(THURSDAY, minutes=120)
    sid = book_by_phone(twilio)
    (appointment,) = records().scalars(sa.select(Appointment)).all()
    code_link = f'<a href="/appointments?code={appointment.code}">{appointment.code}</a>'

    assert code_link in client.get(f"/calls/{sid}").get_data(as_text=True)
    assert code_link in client.get("/calls").get_data(as_text=True)
    reply = client.get(f"/appointments?code={appointment.code}")
    assert reply.location == f"/appointments?date=2026-12-03#code-{appointment.code}"
