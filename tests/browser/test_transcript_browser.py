"""Transcripts in a real browser (issue 15): the card shows what the line heard, the
operator corrects it, and the appeals search finds the appeal by the corrected text."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.browser.conftest import shot, sign_in
from tests.conftest import LINE

pytestmark = pytest.mark.browser

HEARD = "Во дворе прорвало трубы, нет отопления. Улица Ленина, дом пять."
CORRECTED = "Во дворе прорвало канализацию, в доме нет отопления. Ул. Ленина, д. 5, кв. 2."


@pytest.fixture
def transcribing(live_app: Flask) -> Iterator[None]:
    """``TRANSCRIPTION=twilio`` on the live server for one test."""
    speaker = live_app.extensions["speaker"]
    live_app.extensions["speaker"] = dataclasses.replace(speaker, transcription=True)
    yield
    live_app.extensions["speaker"] = speaker


def test_the_card_shows_the_transcript_staff_correct_it_and_the_search_finds_it(
    page, twilio_live, transcribing
):
    call = twilio_live.incoming_call(from_="+79120000099", to=LINE).start()
    call.press("2").press("1").press("1").record(30, "#", words=HEARD, confidence=0.62)
    call.silence()
    call.finish(shuffle=True, duplicate=True)
    sign_in(page, "operator")

    page.click("nav >> text=Обращения")
    page.fill("input[name=phone]", "9120000099")
    page.click("form.filters button[type=submit]")
    page.locator("table tbody tr").first.locator("a").first.click()
    heard = page.locator("#heard")
    assert HEARD in heard.inner_text()
    assert "низкая уверенность" in heard.inner_text()
    summary = page.locator("#card textarea[name=transcript]")
    assert summary.input_value() == HEARD
    shot(page, "09-appeal-transcript")

    page.fill("#card input[name=name]", "Сидорова Вера Ивановна")
    summary.fill(CORRECTED)
    page.click("#card button[type=submit]")

    assert "Карточка обращения сохранена" in page.content()
    assert CORRECTED in page.locator("dd.transcript").inner_text()
    assert HEARD in page.locator("#heard").inner_text()  # the machine text kept beside
    assert "исправлено сотрудником" in page.locator("#heard").inner_text()

    page.click("nav >> text=Обращения")
    page.fill("input[name=q]", "канализации")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Сидорова Вера Ивановна" in rows.first.inner_text()
    assert rows.first.locator("mark").first.inner_text() == "канализацию"
    shot(page, "10-appeals-search")
