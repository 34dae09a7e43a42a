"""Staff pages for appeals: the list, the card, registration, status changes, extension."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from calllog import appeals, calls, recordings
from models import (
    Appeal,
    AppealChannel,
    AppealStatus,
    AuditEntry,
    RecordingKind,
    RecordingState,
    StaffRole,
)
from staff.web import appeals as appeals_page
from tests.conftest import LINE, MOBILE, OPEN_TIME, form_token
from twilio_turn.form import call_facts, recording_facts

LANDLINE = "+73422123456"


@pytest.fixture
def appeal(records, clock):
    """``appeal(...)``: register an appeal as the phone line does; returns its number."""

    def make(
        *,
        days_ago: int = 0,
        topic: str = "housing",
        phone: str | None = MOBILE,
        channel: AppealChannel = AppealChannel.PHONE,
        status: list[AppealStatus] | None = None,
        name: str | None = None,
        recording: RecordingState | None = None,
        registered: bool = False,
    ) -> str:
        """With ``status`` (a path along the appeal's statuses) or ``registered``, staff
        have registered it with a full card first."""
        now = clock.now() - timedelta(days=days_ago)
        with records() as session:
            call = None
            if channel is AppealChannel.PHONE:
                params = {"CallSid": "CA" + uuid.uuid4().hex, "From": phone or "", "To": LINE}
                call = calls.start_call(session, call_facts(params), LINE, now)[0]
            made = appeals.create_appeal(
                session, topic=topic, channel=channel, phone=phone, now=now, call=call
            )
            made.name = name
            if status or registered:
                made.name = name or "Петров Пётр Петрович"
                made.address, made.transcript = "г. Пермь, ул. Ленина, 1", "Просит помочь."
                made.registered_at, made.registered_by = now, "staff:someone"
            for step in status or []:
                appeals.change_status(session, made, step, "сделано", now, "staff:someone")
            if recording is not None:
                params = {"RecordingSid": "RE" + uuid.uuid4().hex, "RecordingDuration": "42"}
                saved = recordings.attach(
                    session, call, recording_facts(params), RecordingKind.MESSAGE, now
                )
                saved.appeal = made
                saved.state = recording
            session.commit()
            return made.number

    return make


@pytest.fixture
def operator(sign_in):
    return sign_in(StaffRole.OPERATOR, "anna")


def load(records, number: str) -> Appeal:
    return records().scalar(sa.select(Appeal).where(Appeal.number == number))


def audit_entries(records, action: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(records().scalars(query))


def listed(client, **query) -> list[str]:
    """The appeal numbers the list shows for ``query``, in order."""
    reply = client.get("/appeals", query_string=query)
    assert reply.status_code == 200
    return re.findall(r'<a href="/appeals/(\d+)">', reply.get_data(as_text=True))


def post(client, path: str, **data: str):
    return client.post(path, data={"csrf_token": form_token(client, "/"), **data})


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash (\w+)">', page)


# --- access --------------------------------------------------------------------------


def test_the_appeals_need_a_signed_in_operator(client, appeal):
    number = appeal()

    for path in ("/appeals", f"/appeals/{number}", "/appeals/new"):
        reply = client.get(path)
        assert reply.status_code == 302
        assert reply.location.startswith("/login")


def test_an_unknown_appeal_is_a_404(client, operator):
    assert client.get("/appeals/999999").status_code == 404
    assert client.get("/appeals/abc").status_code == 404
    assert post(client, "/appeals/999999/status", status="closed").status_code == 404


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_each_appeal_in_russian(client, operator, appeal, records):
    number = appeal(topic="health", name="Петрова Анна Ивановна")

    page = client.get("/appeals").get_data(as_text=True)

    row = page[page.index(f"/appeals/{number}") :]
    row = row[: row.index("</tr>")]
    assert "02.12.2026" in row
    assert "Здравоохранение" in row
    assert "зарегистрировано" in row
    assert "по телефону" in row
    assert "8 (902) 471-22-33" in row
    assert "01.01.2027" in row
    assert "Петрова Анна Ивановна" in row
    assert "продлён" not in row
    assert 'href="/appeals/new"' in page


def test_the_list_filters_by_status_topic_phone_and_period(client, operator, appeal):
    old = appeal(days_ago=3, topic="health")
    reviewed = appeal(days_ago=1, topic="health", status=[AppealStatus.IN_REVIEW])
    new = appeal(topic="housing", phone=LANDLINE)

    assert listed(client) == [new, reviewed, old]
    assert listed(client, status="in_review") == [reviewed]
    assert listed(client, status="registered") == [new, old]
    assert listed(client, topic="health") == [reviewed, old]
    assert listed(client, phone="8 (342) 212-34-56") == [new]
    assert listed(client, phone="+79024712233") == [reviewed, old]
    assert listed(client, phone="22-33") == [reviewed, old]
    assert listed(client, since="2026-12-01") == [new, reviewed]
    assert listed(client, until="2026-12-01") == [reviewed, old]
    assert listed(client, since="2026-12-01", until="2026-12-01") == [reviewed]


def test_bad_filters_are_reported_and_ignored(client, operator, appeal):
    number = appeal()

    reply = client.get("/appeals", query_string={"status": "lost", "phone": "%%%"})

    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "field-error" in page
    assert listed(client, status="lost") == [number]
    assert listed(client, phone="%_%") == [number]  # no digits: reported, not a LIKE pattern


def test_the_deadline_filter_and_overdue_rows(client, operator, appeal, clock):
    late = appeal(days_ago=31)
    answered = appeal(days_ago=31, status=[AppealStatus.IN_REVIEW, AppealStatus.EXPLAINED])
    soon = appeal(days_ago=24)  # due on the 1st of January: in 6 days' time
    fresh = appeal()

    assert listed(client, deadline="overdue") == [late]
    assert listed(client, deadline="soon") == [soon]
    assert listed(client) == [fresh, soon, answered, late]
    page = client.get("/appeals").get_data(as_text=True)
    overdue_rows = re.findall(r'<tr class="overdue">\s*<td><a href="/appeals/(\d+)"', page)
    assert overdue_rows == [late]

    clock.advance(days=7)  # the appeal due soon is past its date now
    assert listed(client, deadline="overdue") == [soon, late]


def test_the_list_is_paged_by_keyset(client, operator, appeal, monkeypatch):
    monkeypatch.setattr(appeals_page, "PAGE_SIZE", 2)
    numbers = [appeal(days_ago=days) for days in range(5)]

    seen, url = [], "/appeals?topic=housing"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r'<a href="/appeals/(\d+)">', page)
        found = re.search(r'<a href="([^"]+)">Дальше', page)
        url = found[1].replace("&amp;", "&") if found else None
        if url:
            assert "topic=housing" in url

    assert seen == numbers
    assert client.get("/appeals?cursor=garbage!").status_code == 400


def test_viewing_the_list_is_audited_without_the_phone_searched(client, operator, records):
    client.get("/appeals", query_string={"status": "registered", "phone": "4712233"})

    (entry,) = audit_entries(records, "view")
    assert (entry.actor, entry.subject) == ("staff:anna", "appeals")
    assert "status=registered" in entry.detail
    assert "4712233" not in entry.detail


# --- the card ------------------------------------------------------------------------


def test_the_card_shows_fields_deadlines_calls_and_history(client, operator, appeal, records):
    number = appeal(status=[AppealStatus.IN_REVIEW])
    call_sid = load(records, number).calls[0].sid

    page = client.get(f"/appeals/{number}").get_data(as_text=True)

    assert f"Обращение № {number}" in page
    assert "на рассмотрении" in page
    assert "Жилищно-коммунальное хозяйство" in page
    assert "8 (902) 471-22-33" in page
    assert "05.12.2026" in page  # register within 3 days
    assert "09.12.2026" in page  # forward within 7 days
    assert "01.01.2027" in page  # answer within 30 days
    assert "Зарегистрировано" in page
    assert "8 (342) 236-82-29" in page  # the line the call came in on
    assert f'href="/calls/{call_sid}"' in page
    history = page[page.index("<h2>История</h2>") :]
    assert "по телефону" in history
    assert "линия" in history
    assert "someone" in history


def test_the_card_plays_stored_recordings_and_says_why_others_do_not_play(
    client, operator, appeal, records
):
    stored = appeal(recording=RecordingState.STORED)
    pending = appeal(recording=RecordingState.PENDING)
    purged = appeal(recording=RecordingState.PURGED)
    recording_id = load(records, stored).recordings[0].id

    page = client.get(f"/appeals/{stored}").get_data(as_text=True)
    assert f'<audio controls preload="none" src="/recordings/{recording_id}">' in page
    page = client.get(f"/appeals/{pending}").get_data(as_text=True)
    assert "запись ещё не скопирована" in page
    assert "<audio" not in page
    page = client.get(f"/appeals/{purged}").get_data(as_text=True)
    assert "удалена по сроку хранения" in page
    assert "<audio" not in page


def test_viewing_a_card_is_audited(client, operator, appeal, records):
    number = appeal()

    client.get(f"/appeals/{number}")
    client.get(f"/appeals/{number}")

    views = [e for e in audit_entries(records, "view") if e.subject == f"appeal:{number}"]
    assert len(views) == 2
    assert views[0].actor == "staff:anna"


def test_registering_a_phone_appeal_completes_its_card(client, operator, appeal, records):
    number = appeal()

    reply = post(
        client,
        f"/appeals/{number}/card",
        topic="social",
        name="Петрова Анна Ивановна",
        address="г. Пермь, ул. Ленина, 1, кв. 2",
        transcript="Просит помочь с перерасчётом пенсии.",
    )

    assert reply.status_code == 302
    assert reply.location == f"/appeals/{number}"
    saved = load(records, number)
    assert saved.name == "Петрова Анна Ивановна"
    assert saved.address == "г. Пермь, ул. Ленина, 1, кв. 2"
    assert saved.transcript == "Просит помочь с перерасчётом пенсии."
    assert saved.topic == "social"
    assert saved.status is AppealStatus.REGISTERED
    last = saved.history[-1]
    assert last.actor == "staff:anna"
    assert last.note == "карточка заполнена: тема, имя, адрес, содержание"
    assert "Петрова" not in last.note
    (change,) = audit_entries(records, "change")
    assert change.subject == f"appeal:{number}"
    assert "Петрова" not in change.detail
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "Карточка обращения сохранена" in page
    assert "карточка не заполнена" not in page
    assert "Петрова Анна Ивановна" in client.get("/appeals").get_data(as_text=True)


def test_a_card_too_long_is_not_saved(client, operator, appeal, records):
    number = appeal()

    reply = post(client, f"/appeals/{number}/card", topic="housing", name="Я" * 201)

    assert reply.status_code == 422
    assert "error" in flashes(reply.get_data(as_text=True))
    assert load(records, number).name is None
    assert audit_entries(records, "change") == []


def test_the_status_form_offers_only_the_allowed_changes(client, operator, appeal):
    number = appeal(status=[AppealStatus.IN_REVIEW, AppealStatus.FORWARDED])

    page = client.get(f"/appeals/{number}").get_data(as_text=True)

    form = page[page.index('id="status"') :]
    form = form[: form.index("</form>")]
    assert re.findall(r'<option[^>]*value="(\w+)"', form) == ["closed"]


def test_an_allowed_status_change_is_made_with_its_note(client, operator, appeal, records):
    number = appeal(registered=True)

    reply = post(client, f"/appeals/{number}/status", status="in_review", note="взято в работу")

    assert reply.status_code == 302
    saved = load(records, number)
    assert saved.status is AppealStatus.IN_REVIEW
    assert (saved.history[-1].note, saved.history[-1].actor) == ("взято в работу", "staff:anna")
    (change,) = audit_entries(records, "change")
    assert change.detail == "status: registered -> in_review"
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "success" in flashes(page)


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "closed"),
        ([], "registered"),
        ([], "explained"),
        ([AppealStatus.IN_REVIEW], "in_review"),
        ([AppealStatus.IN_REVIEW, AppealStatus.FORWARDED], "explained"),
        ([AppealStatus.IN_REVIEW, AppealStatus.EXPLAINED, AppealStatus.CLOSED], "in_review"),
    ],
)
def test_a_refused_status_change_changes_nothing(client, operator, appeal, records, path, refused):
    number = appeal(status=path)

    reply = post(client, f"/appeals/{number}/status", status=refused, note="попытка")

    assert reply.status_code == 302
    saved = load(records, number)
    assert saved.status is (path[-1] if path else AppealStatus.REGISTERED)
    assert len(saved.history) == 1 + len(path)
    assert audit_entries(records, "change") == []
    page = client.get(reply.location).get_data(as_text=True)
    assert flashes(page) == ["error"]
    assert "нельзя перевести" in page


def test_a_status_must_be_chosen(client, operator, appeal, records):
    number = appeal()

    reply = post(client, f"/appeals/{number}/status", status="", note="x")

    assert reply.status_code == 422
    assert "Выберите новый статус" in reply.get_data(as_text=True)
    assert load(records, number).status is AppealStatus.REGISTERED


@pytest.mark.parametrize("status", ["practical_help", "explained"])
def test_an_answer_needs_a_note(client, operator, appeal, records, status):
    number = appeal(status=[AppealStatus.IN_REVIEW])

    reply = post(client, f"/appeals/{number}/status", status=status, note="  ")

    assert "без примечания нельзя" in client.get(reply.location).get_data(as_text=True)
    assert load(records, number).status is AppealStatus.IN_REVIEW
    assert audit_entries(records, "change") == []


def test_closing_needs_a_note_and_then_the_card_has_no_status_form(
    client, operator, appeal, records
):
    number = appeal(status=[AppealStatus.IN_REVIEW, AppealStatus.PRACTICAL_HELP])
    post(client, f"/appeals/{number}/status", status="closed")
    assert load(records, number).status is AppealStatus.PRACTICAL_HELP

    reply = post(client, f"/appeals/{number}/status", status="closed", note="ответ вручён")

    assert reply.status_code == 302
    assert load(records, number).status is AppealStatus.CLOSED
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "статус больше не меняется" in page
    assert f'action="/appeals/{number}/status"' not in page
    assert "Зарегистрировать до" not in page
    assert f'action="/appeals/{number}/card"' not in page


def test_an_empty_card_is_neither_answered_nor_closed(client, operator, appeal, records, clock):
    """Defect 3 (§12): registered → in review → answer → closed, and an answer only once
    the card has the name and address or the anonymous flag; the page says what is missing."""
    number = appeal()

    for status in ("explained", "closed", "in_review"):
        post(client, f"/appeals/{number}/status", status=status, note="ответ дан")
        assert load(records, number).status is AppealStatus.REGISTERED
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "Сначала зарегистрируйте обращение" in page

    clock.advance(hours=1)
    post(client, f"/appeals/{number}/card", topic="housing", transcript="Течёт крыша.")
    registered = load(records, number)
    assert (registered.registered_at, registered.registered_by) == (clock.now(), "staff:anna")
    post(client, f"/appeals/{number}/status", status="in_review", note="взято")
    reply = post(client, f"/appeals/{number}/status", status="explained", note="ответ дан")
    assert "Без фамилии и адреса ответ не даётся" in client.get(reply.location).get_data(
        as_text=True
    )
    assert load(records, number).status is AppealStatus.IN_REVIEW

    post(
        client, f"/appeals/{number}/card", topic="housing", transcript="Течёт крыша.", anonymous="y"
    )
    post(client, f"/appeals/{number}/status", status="explained", note="ответ дан")
    assert load(records, number).status is AppealStatus.EXPLAINED
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "анонимное, ответ не направляется" in page
    assert "в срок (до 05.12.2026)" in page


def test_a_registration_after_three_days_is_shown_as_missed(client, operator, appeal, records):
    number = appeal(days_ago=4)
    assert "срок регистрации пропущен" in client.get(f"/appeals/{number}").get_data(as_text=True)

    post(client, f"/appeals/{number}/card", topic="housing", transcript="Течёт крыша.")

    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "Зарегистрировано" in page
    assert "срок регистрации пропущен (01.12.2026)" in page


def test_the_answer_period_is_extended_once_with_a_note(client, operator, appeal, records):
    number = appeal()
    url = f"/appeals/{number}/extend"

    without_note = post(client, url, note="")
    assert without_note.status_code == 422
    assert load(records, number).answer_due == date(2027, 1, 1)

    reply = post(client, url, note="запрошены документы в администрации")
    assert reply.status_code == 302
    saved = load(records, number)
    assert (saved.answer_due, saved.extended) == (date(2027, 1, 31), True)
    assert saved.history[-1].note.endswith("запрошены документы в администрации")
    page = client.get(f"/appeals/{number}").get_data(as_text=True)
    assert "Срок ответа продлён до 31.01.2027" in page
    assert "продлён" in client.get("/appeals").get_data(as_text=True)
    assert f'action="{url}"' not in page

    again = post(client, url, note="ещё раз")
    assert again.status_code == 302
    assert load(records, number).answer_due == date(2027, 1, 31)
    assert "только один раз" in client.get(again.location).get_data(as_text=True)
    assert len(audit_entries(records, "change")) == 1


def test_no_extension_once_the_period_has_run_out(client, operator, appeal, records):
    number = appeal(days_ago=31)

    reply = post(client, f"/appeals/{number}/extend", note="поздно")

    assert load(records, number).extended is False
    assert "Срок ответа уже истёк" in client.get(reply.location).get_data(as_text=True)


# --- a new appeal --------------------------------------------------------------------


def test_staff_register_an_appeal_made_at_a_visit(client, operator, records):
    assert "Новое обращение" in client.get("/appeals/new").get_data(as_text=True)

    reply = post(
        client,
        "/appeals/new",
        channel="visit",
        topic="transport",
        phone="8 902 471-22-33",
        name="Сидоров Пётр",
        address="г. Пермь, ул. Мира, 5",
        transcript="Просит установить остановку.",
    )

    assert reply.status_code == 302
    number = reply.location.rsplit("/", 1)[1]
    saved = load(records, number)
    assert saved.channel is AppealChannel.VISIT
    assert saved.status is AppealStatus.REGISTERED
    assert (saved.topic, saved.phone, saved.name) == ("transport", MOBILE, "Сидоров Пётр")
    assert saved.transcript == "Просит установить остановку."
    assert (saved.history[0].note, saved.history[0].actor) == ("на личном приёме", "staff:anna")
    assert saved.created_at == OPEN_TIME
    (change,) = audit_entries(records, "change")
    assert change.subject == f"appeal:{number}"
    page = client.get(reply.location).get_data(as_text=True)
    assert f"зарегистрировано под номером {number}" in page


def test_a_written_appeal_may_come_without_a_phone(client, operator, records):
    reply = post(
        client, "/appeals/new", channel="written", topic="other", transcript="Письмо о мусоре."
    )

    saved = load(records, reply.location.rsplit("/", 1)[1])
    assert (saved.channel, saved.phone) == (AppealChannel.WRITTEN, None)


@pytest.mark.parametrize(
    "data",
    [
        {"channel": "visit", "topic": "other", "transcript": ""},
        {"channel": "phone", "topic": "other", "transcript": "x"},
        {"channel": "visit", "topic": "nonsense", "transcript": "x"},
        {"channel": "visit", "topic": "other", "transcript": "x", "phone": "12"},
    ],
)
def test_a_new_appeal_with_bad_fields_is_not_made(client, operator, records, data):
    reply = post(client, "/appeals/new", **data)

    assert reply.status_code == 422
    assert records().scalar(sa.select(sa.func.count(Appeal.id))) == 0


# --- CSRF ----------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused(config, client, operator, appeal, records):
    assert config.get("WTF_CSRF_ENABLED", True) is True
    number = appeal()

    reply = client.post(f"/appeals/{number}/status", data={"status": "in_review"})

    assert reply.status_code == 400
    assert load(records, number).status is AppealStatus.REGISTERED


# --- the appeal's text: bounded, and wrapped on the page ---------------------------------

APPEAL_TEXT_MAX = 10_000


def test_the_appeal_text_is_bounded_on_the_card(client, operator, appeal, records):
    number = appeal()

    reply = post(
        client, f"/appeals/{number}/card", topic="housing", transcript="а" * (APPEAL_TEXT_MAX + 1)
    )

    assert reply.status_code == 422
    assert "Не длиннее 10 000 символов." in reply.get_data(as_text=True)
    assert load(records, number).transcript is None
    reply = post(client, f"/appeals/{number}/card", topic="housing", transcript="а" * 10_000)
    assert reply.status_code == 302
    assert len(load(records, number).transcript) == APPEAL_TEXT_MAX


def test_the_appeal_text_is_bounded_on_a_new_appeal(client, operator, records):
    page = client.get("/appeals/new").get_data(as_text=True)
    assert f'maxlength="{APPEAL_TEXT_MAX}"' in page

    reply = post(
        client,
        "/appeals/new",
        topic="housing",
        channel="visit",
        transcript="а" * (APPEAL_TEXT_MAX + 1),
    )

    assert reply.status_code == 422
    assert "Не длиннее 10 000 символов." in reply.get_data(as_text=True)
    assert records().scalar(sa.select(sa.func.count(Appeal.id))) == 0


def test_a_long_appeal_text_wraps_on_the_page(client, operator, appeal, records, app):
    number = appeal()
    unbroken = "ы" * 500
    post(client, f"/appeals/{number}/card", topic="housing", transcript=f"{unbroken}\nвторая")

    page = client.get(f"/appeals/{number}").get_data(as_text=True)

    assert f'<dd class="transcript">{unbroken}\nвторая</dd>' in page
    reply = client.get("/static/staff/style.css")
    css = reply.get_data(as_text=True)
    reply.close()
    rule = re.search(r"dd\.transcript[^{]*\{([^}]*)\}", css).group(1)
    assert "white-space: pre-wrap" in rule
    assert "overflow-wrap: anywhere" in rule
