"""The staff application in a real browser: what an operator and the head of reception do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import shot, sign_in
from tests.conftest import LINE, MOBILE

pytestmark = pytest.mark.browser


def test_sign_in_and_see_today(page, twilio_live):
    twilio_live.incoming_call(from_=MOBILE, to=LINE).start().hangup().finish()
    page.goto("/")
    assert "/login" in page.url
    shot(page, "01-sign-in")

    sign_in(page, "operator")

    assert page.locator("h1").inner_text() == "Сегодня"
    assert page.locator(".card").first.inner_text().startswith("1")
    shot(page, "02-today")


def test_the_head_of_reception_opens_the_report_with_its_charts(page, twilio_live):
    sign_in(page, "head")
    page.click("nav >> text=Отчёты")

    assert page.locator("h1").inner_text() == "Отчёт за период"
    assert page.locator("svg.chart").count() == 3
    assert "звонок от 1 абонента" in page.locator("p.summary").inner_text()
    shot(page, "03-report")


def test_an_operator_filters_the_log_opens_a_call_and_plays_its_recording(page, twilio_live):
    call = twilio_live.incoming_call(from_="+79120000055", to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=20, finish="#")
    call.finish()
    sign_in(page, "operator")

    page.click("nav >> text=Журнал звонков")
    page.fill("input[name=caller]", "8 912 000-00-55")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "8 (912) 000-00-55" in rows.first.inner_text()
    shot(page, "04-call-log-filtered")

    rows.first.locator("a").first.click()
    assert "оставил обращение" in page.content()
    audio = page.locator("audio").first
    source = audio.get_attribute("src")
    assert source.startswith("/recordings/")
    played = page.request.get(source)  # with the signed-in session, as the player asks
    assert played.status == 200
    assert played.headers["content-type"] == "audio/mpeg"
    assert "api.twilio.com" not in page.content()
    shot(page, "05-call-detail")


def test_the_csv_export_downloads_the_filtered_log(page, twilio_live):
    twilio_live.incoming_call(from_="+79120000066", to=LINE).start().hangup().finish()
    sign_in(page, "operator")
    page.goto("/calls?caller=9120000066")

    with page.expect_download() as download:
        page.click("text=Скачать CSV")
    content = Path(download.value.path()).read_bytes()

    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Звонок (идентификатор Twilio);Начало;Линия;Номер звонившего")
    assert len(lines) == 2
    assert "+79120000066" in lines[1]

    with page.expect_download() as download:
        page.click("text=CSV с кодами")
    codes = Path(download.value.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert codes[0].startswith("sid;started_at;line;caller")
    assert codes[1].split(";")[0] == lines[1].split(";")[0]


def test_an_operator_works_a_callback_to_done(page, twilio_live):
    twilio_live.incoming_call(from_="+79120000077", to=LINE).start().hangup().finish()
    sign_in(page, "operator")

    page.click("nav >> text=Обратные звонки")
    page.click("text=8 (912) 000-00-77")
    assert "звонок прерван" in page.content()
    page.check("input[value=reached]")
    page.fill("textarea[name=note]", "Записали на приём по телефону")
    shot(page, "06-callback-item")
    page.click("button:has-text('Записать')")

    assert "выполнен" in page.content().lower()
    page.click("nav >> text=Обратные звонки")
    assert "8 (912) 000-00-77" not in page.locator("main").inner_text()
    shot(page, "07-callback-queue")


def test_an_operator_registers_a_phone_request_and_changes_its_status(page, twilio_live):
    call = twilio_live.incoming_call(from_="+79120000088", to=LINE).start()
    call.press("2").press("1").press("3").record(seconds=30, finish="#")
    call.finish()
    sign_in(page, "operator")

    page.click("nav >> text=Обращения")
    page.locator("table tbody tr").first.locator("a").first.click()
    assert "зарегистрировано" in page.content()
    page.select_option("select[name=status]", "in_review")
    page.fill("#status textarea[name=note]", "Передано юристу")
    page.click("button:has-text('Изменить статус')")
    assert "Сначала зарегистрируйте обращение" in page.locator("main").inner_text()

    page.fill("#card textarea[name=transcript]", "Просит отремонтировать крышу дома.")
    page.click("button:has-text('Зарегистрировать обращение')")
    page.select_option("select[name=status]", "in_review")
    page.fill("#status textarea[name=note]", "Передано юристу")
    page.click("button:has-text('Изменить статус')")
    assert "на рассмотрении" in page.locator("main").inner_text().lower()
    assert "Передано юристу" in page.content()

    # An answer only once the card has the applicant's name and address (§12).
    page.select_option("select[name=status]", "explained")
    page.fill("#status textarea[name=note]", "Дан ответ по телефону")
    page.click("button:has-text('Изменить статус')")
    assert "Без фамилии и адреса ответ не даётся" in page.locator("main").inner_text()
    page.fill("#card input[name=name]", "Петрова Анна Ивановна")
    page.fill("#card input[name=address]", "г. Пермь, ул. Ленина, 1, кв. 2")
    page.click("button:has-text('Сохранить карточку')")
    page.select_option("select[name=status]", "explained")
    page.fill("#status textarea[name=note]", "Дан ответ по телефону")
    page.click("button:has-text('Изменить статус')")
    assert "даны разъяснения" in page.locator("main").inner_text().lower()
    shot(page, "08-appeal")
