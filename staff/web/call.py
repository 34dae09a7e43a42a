"""One call in detail for staff: its steps, records and recordings, as staff read them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, render_template
from sqlalchemy import orm

from calllog import audit
from calllog.office import Office, get_office
from calllog.phones import national
from db import get_session
from models import Appointment, Call, CallEvent, Recording, RecordingState, Slot, StaffRole
from staff.web import actor, bp, role_required
from staff.web.calls import CALL_STATUSES, caller_text, duration, line_name, link
from staff.web.labels import (
    APPEAL_STATUSES,
    APPOINTMENT_STATUSES,
    CALLBACK_REASONS,
    CALLBACK_STATUSES,
    OUTCOMES,
    RECORDING_KINDS,
    label,
)

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
    "slots_offered": "Предложено время приёма",
    "slot_chosen": "Выбрано время приёма",
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
DIRECTIONS = {"inbound": "входящий"}


@bp.get("/calls/<sid>")
@role_required(StaffRole.OPERATOR)
def call(sid: str) -> str:
    if "\x00" in sid or len(sid) > 34:
        abort(404)
    session = get_session()
    found = session.scalar(
        sa.select(Call)
        .where(Call.sid == sid)
        .options(
            orm.selectinload(Call.events),
            orm.selectinload(Call.appeals),
            orm.selectinload(Call.appointments)
            .joinedload(Appointment.slot)
            .joinedload(Slot.session),
            orm.selectinload(Call.recordings).joinedload(Recording.appeal),
            orm.joinedload(Call.callback),
        )
    )
    if found is None:
        abort(404)
    office = get_office()
    audit.record(session, actor(), "view", f"call:{found.sid}", office.now())
    session.commit()
    return render_template(
        "staff/call.html",
        call=found,
        line_name=line_name(office, found.line),
        caller=caller_text(found),
        direction=DIRECTIONS.get(found.direction, "исходящий"),
        status_text=label(CALL_STATUSES, found.status) if found.status else "—",
        outcome_text=label(OUTCOMES, found.outcome) if found.outcome else "—",
        duration=duration,
        events=[timeline_entry(office, event) for event in found.events],
        appeal_status=lambda value: label(APPEAL_STATUSES, value),
        appointment_status=lambda value: label(APPOINTMENT_STATUSES, value),
        callback_status=lambda value: label(CALLBACK_STATUSES, value),
        reason=lambda value: label(CALLBACK_REASONS, value),
        topic=office.topic_name,
        recording_kind=lambda value: label(RECORDING_KINDS, value),
        stored=RecordingState.STORED,
        purged=RecordingState.PURGED,
        link=link,
    )


def timeline_entry(office: Office, event: CallEvent) -> dict[str, Any]:
    """One step of the call as staff read it: when, what, and the detail in words."""
    appeal = event.kind in APPEAL_EVENTS and event.detail.isdigit()
    return {
        "at": event.at,
        "kind": event.kind,
        "label": EVENT_KINDS.get(event.kind, event.kind),
        "detail": event_detail(office, event.kind, event.detail),
        "known": event.kind in EVENT_KINDS,
        "href": link("staff.appeal", number=event.detail) if appeal else None,
    }


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
