"""Staff read and correct what the line heard (issue 15): the appeal card, the appeals
search on the page, the appointments of the day. Calls come through the simulator with
``TRANSCRIPTION=twilio``."""

from __future__ import annotations

import html
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from models import Appeal, AuditEntry, StaffRole
from tests.conftest import LINE, MOBILE, PERM

SAID = "В доме нет отопления. Улица Ленина, дом пять."


@pytest.fixture
def transcribing(config):
    config["TRANSCRIPTION"] = "twilio"


@pytest.fixture
def operator(sign_in):
    return sign_in(StaffRole.OPERATOR, "anna")


def phone_request(twilio, records, confidence: float = 0.93) -> Appeal:
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(30, "#", words=SAID, confidence=confidence)
    call.silence()
    call.finish()
    (appeal,) = records().scalars(sa.select(Appeal)).all()
    return appeal


def page(client, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200
    return html.unescape(reply.get_data(as_text=True))


def test_the_card_shows_the_transcript_and_prefills_the_summary(
    transcribing, twilio, records, client, operator
):
    appeal = phone_request(twilio, records)

    card = page(client, f"/appeals/{appeal.number}")
    assert "Распознано автоматически" in card
    assert f'<p class="machine-text">{SAID}</p>' in card
    assert "уверенность распознавания: 93 %" in card
    assert "низкая уверенность" not in card
    assert f"\n{SAID}</textarea>" in card  # the summary starts from what was heard
    assert "карточка не заполнена" in card  # until staff save it


def test_low_confidence_is_marked(transcribing, twilio, records, client, operator):
    appeal = phone_request(twilio, records, confidence=0.41)
    card = page(client, f"/appeals/{appeal.number}")
    assert "низкая уверенность — сверьте с записью" in card
    assert "transcript-heard low-confidence" in card


def test_a_correction_is_audited_and_the_machine_text_kept(
    transcribing, twilio, records, client, operator, form_post
):
    appeal = phone_request(twilio, records)
    corrected = "Нет отопления третью неделю. Ул. Ленина, д. 5, кв. 2."

    reply = form_post(
        f"/appeals/{appeal.number}/card",
        {"topic": "housing", "name": "Петров Иван", "address": "", "transcript": corrected},
    )

    assert reply.status_code == 302
    saved = records().scalar(sa.select(Appeal).where(Appeal.id == appeal.id))
    assert saved.transcript == corrected
    assert [t.text for t in saved.transcripts] == [SAID]
    (change,) = records().scalars(sa.select(AuditEntry).where(AuditEntry.action == "change"))
    assert change.subject == f"appeal:{appeal.number}"
    assert "отоплен" not in change.detail
    assert "Петров" not in change.detail
    card = page(client, f"/appeals/{appeal.number}")
    assert f'<p class="machine-text">{SAID}</p>' in card
    assert "исправлено сотрудником" in card
    assert f"\n{corrected}</textarea>" in card


def test_the_appeals_page_finds_and_highlights_every_form_of_a_word(
    transcribing, twilio, records, client, operator
):
    appeal = phone_request(twilio, records)

    found = page(client, "/appeals?q=отопление")
    assert f">{appeal.number}</a>" in found
    assert "<mark>отопления</mark>" in found
    nothing = page(client, "/appeals?q=дорога")
    assert appeal.number not in nothing
    assert "Обращений по этим условиям нет." in nothing
    (entry, *_) = records().scalars(
        sa.select(AuditEntry).where(AuditEntry.subject == "appeals").order_by(AuditEntry.id.desc())
    )
    assert entry.detail == "list: text search"


def test_the_appointment_shows_the_visitors_name_as_heard(
    transcribing, twilio, records, schedule, client, operator
):
    schedule(datetime(2026, 12, 4, 10, 0, tzinfo=PERM), minutes=60)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1").record(4, "#", words="Петрова Анна Сергеевна")
    call.silence()
    call.finish()

    day = page(client, f"/appointments?date={date(2026, 12, 4).isoformat()}")
    assert "«Петрова Анна Сергеевна» <small>имя по распознаванию" in day
