"""A call's steps as staff read them: times, experts, booking codes and recordings in words.

The call log stores each step as a kind and a short detail (slot ids, a booking code, a
recording's SID, an appeal number). :class:`Timeline` reads the slots and recordings the
steps name in one query apiece and writes each step out: «Предложено: 8 декабря 10:20,
10:40 — Иванова И. И.», «Записаны имя и фамилия: запись 0:04» with a player, a booking
code or an appeal number linked to its record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import url_for
from sqlalchemy import orm

from calllog.office import Office
from calllog.phones import national
from models import Call, CallEvent, Recording, RecordingState, Slot
from staff.web.calls import CALL_STATUSES, duration, link
from staff.web.labels import CALLBACK_REASONS, OUTCOMES, label

#: What the call log's events mean; an unknown kind is shown as it is.
EVENT_KINDS = {
    "started": "Звонок начался",
    "menu": "Главное меню",
    "key": "Нажата клавиша",
    "no_input": "Нет ответа",
    "wrong_key": "Неверная клавиша",
    "consent": "Согласие на обработку персональных данных",
    "consent_refused": "Согласие не дано",
    "experts_offered": "Предложены специалисты",
    "expert_chosen": "Выбран специалист",
    "no_choice": "Выбор не сделан",
    "slots_offered": "Предложено",
    "slot_chosen": "Выбрано",
    "slot_taken": "Время уже занято",
    "no_free_slots": "Свободного времени нет",
    "booked": "Записан на приём",
    "booking_existing": "Названа имеющаяся запись",
    "booking_cancelled": "Запись отменена",
    "name_recorded": "Записаны имя и фамилия",
    "topic": "Выбрана тема обращения",
    "appeal_registered": "Обращение зарегистрировано",
    "empty_recording": "Пустая запись",
    "contact_typed": "Введён номер для связи",
    "contact_invalid": "Номер для связи не распознан",
    "contact_retype": "Номер для связи вводится заново",
    "status_request": "Запрос статуса обращения",
    "appeal_not_found": "Обращение не найдено",
    "status_told": "Сообщён статус обращения",
    "status_withheld": "Статус не сообщён: звонок не с номера заявителя",
    "info": "Адрес и часы работы",
    "person": "Просьба соединить с сотрудником",
    "dial": "Вызов сотрудников",
    "staff_accepted": "Сотрудник принял звонок",
    "dial_result": "Результат соединения",
    "callback_queued": "Поставлен в очередь обратных звонков",
    "outcome": "Итог звонка",
    "status": "Статус звонка",
    "ended": "Звонок завершён",
    "recording_found": "Найдена запись",
    "recording_failed": "Запись не удалось скопировать",
    "recording_purged": "Запись удалена по сроку хранения",
    "recording_erased": "Запись удалена по отзыву согласия",
    "callback_dial": "Сотрудник перезванивает из приложения",
    "callback_bridge": "Соединение сотрудника с гражданином",
}

#: Events whose detail is an appeal number.
APPEAL_EVENTS = frozenset({"appeal_registered", "status_told", "status_withheld"})
CONSENT_PURPOSES = {"appeal": "для обращения", "booking": "для записи на приём"}


#: Events whose detail names slots (ids, space-separated).
SLOT_EVENTS = frozenset({"slots_offered", "slot_chosen", "slot_taken"})
#: Events whose detail is a booking code.
BOOKING_EVENTS = frozenset({"booked", "booking_existing", "booking_cancelled"})
#: Events whose detail is a recording's SID.
RECORDING_EVENTS = frozenset(
    {"name_recorded", "recording_found", "recording_failed", "recording_purged", "recording_erased"}
)


@dataclass(frozen=True)
class Step:
    """One step of the call: when, what, its detail in words, and what it links to."""

    at: datetime
    kind: str
    label: str
    known: bool
    detail: str = ""
    href: str | None = None
    #: The URL of a stored recording to play beside the step.
    audio: str | None = None


def timeline(session: orm.Session, office: Office, call: Call) -> list[Step]:
    """The call's steps in order, each in words (the slots they name read in one query)."""
    slot_ids = {
        int(word)
        for event in call.events
        if event.kind in SLOT_EVENTS
        for word in event.detail.split()
        if word.isdigit() and len(word) < 10
    }
    slots = (
        {
            slot.id: slot
            for slot in session.scalars(
                sa.select(Slot).where(Slot.id.in_(slot_ids)).options(orm.joinedload(Slot.session))
            )
        }
        if slot_ids
        else {}
    )
    recordings = {recording.sid: recording for recording in call.recordings}
    return [step(office, event, slots, recordings) for event in call.events]


def step(
    office: Office, event: CallEvent, slots: dict[int, Slot], recordings: dict[str, Recording]
) -> Step:
    kind, detail = event.kind, event.detail
    known = kind in EVENT_KINDS
    plain = Step(
        event.at, kind, EVENT_KINDS.get(kind, kind), known, event_detail(office, kind, detail)
    )
    if not detail:
        return plain
    if kind in APPEAL_EVENTS and detail.isdigit():
        return replace(plain, detail=f"№ {detail}", href=link("staff.appeal", number=detail))
    if kind in SLOT_EVENTS:
        named = [
            slots[int(word)] for word in detail.split() if word.isdigit() and int(word) in slots
        ]
        if len(named) == len(detail.split()):
            return replace(plain, detail=slots_text(office, named))
        return replace(plain, detail="время, которого уже нет в расписании")
    if kind in BOOKING_EVENTS and detail.isdigit():
        href = link("staff.appointments", code=detail)
        return replace(plain, detail=f"код {detail}", href=href)
    if kind in RECORDING_EVENTS:
        recording = recordings.get(detail)
        if recording is None:
            return replace(plain, detail="запись")
        audio = None
        if recording.state is RecordingState.STORED and recording.storage_key:
            audio = url_for("staff.recording", recording_id=recording.id)
        return replace(plain, detail=f"запись {duration(recording.duration_s)}", audio=audio)
    return plain


def slots_text(office: Office, slots: Sequence[Slot]) -> str:
    """«8 декабря 10:20, 10:40 — Иванова И. И.; 9 декабря 11:00 — Петров П. П.»"""
    groups: list[tuple[str, str, list[str]]] = []
    for slot in slots:
        moment = slot.starts_at.astimezone(office.clock.tz)
        day = format_datetime(moment, "d MMMM", tzinfo=office.clock.tz, locale="ru")
        expert = slot.session.expert
        if groups and groups[-1][:2] == (day, expert):
            groups[-1][2].append(moment.strftime("%H:%M"))
        else:
            groups.append((day, expert, [moment.strftime("%H:%M")]))
    return "; ".join(f"{day} {', '.join(times)} — {expert}" for day, expert, times in groups)


def event_detail(office: Office, kind: str, detail: str) -> str:
    if not detail:
        return ""
    if kind == "started" and detail.startswith("line "):
        return "линия " + national(detail.removeprefix("line "))
    if kind == "menu" and detail.startswith("try "):
        return "попытка " + detail.removeprefix("try ")
    if kind == "outcome":
        return label(OUTCOMES, detail)
    if kind == "ended" and detail == "completed":
        return ""
    if kind == "dial_result":  # "completed 238 s"
        status, _, seconds = detail.partition(" ")
        words = label(CALL_STATUSES, status)
        return f"{words}, {seconds.removesuffix(' s')} с" if seconds.endswith(" s") else words
    if kind in ("status", "ended"):
        return label(CALL_STATUSES, detail)
    if kind.endswith("_recorded") and detail.startswith("RE"):
        return ""  # a recording's SID: the recording is listed above, with its player
    if kind == "callback_queued":
        return label(CALLBACK_REASONS, detail)
    if kind == "consent":
        return CONSENT_PURPOSES.get(detail, detail)
    if kind == "topic":
        return office.topic_name(detail)
    if kind == "dial":
        return f"сотрудников: {detail}"
    return detail
