"""The call log for staff: the filtered list and one call in detail.

The filters, their checks and the keyset pages are those of the JSON API
(:mod:`calllog.call_queries`). The list opens on today; clearing both dates shows every day.
The list's CSV export is :mod:`staff.web.export`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from sqlalchemy import orm
from werkzeug.routing import BuildError

from calllog import audit
from calllog.call_queries import (
    CallFilters,
    FilterError,
    calls_page,
    calls_query,
    decode_cursor,
)
from calllog.phones import national
from db import get_session
from models import (
    Appointment,
    Call,
    CallerKind,
    CallEvent,
    Recording,
    RecordingState,
    Slot,
    StaffRole,
)
from office import Office, get_office
from staff.web import actor, bp, role_required
from staff.web.labels import (
    APPEAL_STATUSES,
    APPOINTMENT_STATUSES,
    CALLBACK_REASONS,
    CALLBACK_STATUSES,
    OUTCOMES,
    RECORDING_KINDS,
    label,
)

PAGE_SIZE = 50

#: Twilio's ``CallStatus`` values.
CALL_STATUSES = {
    "queued": "в очереди",
    "ringing": "звонит",
    "in-progress": "идёт разговор",
    "completed": "завершён",
    "busy": "занято",
    "no-answer": "нет ответа",
    "failed": "не состоялся",
    "canceled": "отменён",
}

#: What the call log's events mean; an unknown kind is shown as it is.
EVENT_KINDS = {
    "started": "Звонок начался",
    "menu": "Главное меню",
    "key": "Нажата клавиша",
    "no_input": "Нет ответа",
    "wrong_key": "Неверная клавиша",
    "consent": "Согласие на обработку персональных данных",
    "consent_refused": "Согласие не дано",
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
    "appeal_not_found": "Обращение не найдено",
    "status_told": "Сообщён статус обращения",
    "status_withheld": "Статус не сообщён: звонок не с номера заявителя",
    "info": "Адрес и часы работы",
    "person": "Просьба соединить с сотрудником",
    "dial": "Вызов сотрудников",
    "dial_result": "Результат соединения",
    "callback_queued": "Поставлен в очередь обратных звонков",
    "outcome": "Итог звонка",
    "status": "Статус звонка",
    "ended": "Звонок завершён",
    "recording_found": "Найдена запись",
    "recording_failed": "Запись не удалось скопировать",
    "recording_purged": "Запись удалена по сроку хранения",
    "callback_dial": "Сотрудник перезванивает из приложения",
    "callback_bridge": "Соединение сотрудника с гражданином",
}

#: Events whose detail is an appeal number.
APPEAL_EVENTS = frozenset({"appeal_registered", "status_told", "status_withheld"})
CONSENT_PURPOSES = {"appeal": "для обращения", "booking": "для записи на приём"}
DIRECTIONS = {"inbound": "входящий"}
PERIODS = (("Сегодня", 0), ("7 дней", 6), ("30 дней", 29))


# --- the list -------------------------------------------------------------------------------


@bp.get("/calls")
@role_required(StaffRole.OPERATOR)
def calls() -> tuple[str, int] | str:
    office = get_office()
    tz = office.clock.tz
    args = with_default_period(request.args, office)
    try:
        filters = CallFilters.from_args(args)
        cursor = args.get("cursor") or None
        position = decode_cursor(cursor) if cursor else None
    except FilterError as error:
        return list_page(office, args, error=error.russian), 400
    session = get_session()
    query = calls_query(filters, tz).options(
        orm.selectinload(Call.appeals), orm.selectinload(Call.appointments)
    )
    page, next_cursor = calls_page(session, query, PAGE_SIZE, position)
    if filters.caller:
        # Looking a person up by number is a view of their personal data (§11).
        audit.record(session, actor(), "search", "calls", office.now(), filters.describe())
        session.commit()
    return list_page(
        office, args, filters=filters, calls=page, next_cursor=next_cursor, first=cursor is None
    )


def with_default_period(args: Mapping[str, str], office: Office) -> dict[str, str]:
    """The query's arguments, opening on today when it names no period at all."""
    values = dict(args.items())
    if "since" not in values and "until" not in values:
        today = office.now().astimezone(office.clock.tz).date().isoformat()
        values.update(since=today, until=today)
    return values


def list_page(
    office: Office,
    args: Mapping[str, str],
    *,
    filters: CallFilters | None = None,
    calls: Iterable[Call] = (),
    next_cursor: str | None = None,
    first: bool = True,
    error: str | None = None,
) -> str:
    query_args = filters.to_args() if filters is not None else dict(args)
    query_args.pop("cursor", None)
    today = office.now().astimezone(office.clock.tz).date()
    periods = [
        (
            name,
            url_for(
                "staff.calls",
                since=(today - timedelta(days=days)).isoformat(),
                until=today.isoformat(),
            ),
        )
        for name, days in PERIODS
    ]
    periods.append(("Всё время", url_for("staff.calls", since="", until="")))
    lines = [(line.number, f"{national(line.number)} — {line.name}") for line in office.lines]
    if args.get("line") and args["line"] not in dict(lines):
        lines.append((args["line"], national(args["line"])))
    return render_template(
        "staff/calls.html",
        args=args,
        calls=list(calls),
        error=error,
        first=first,
        next_url=url_for("staff.calls", **query_args, cursor=next_cursor) if next_cursor else None,
        start_url=url_for("staff.calls", **query_args),
        export_url=url_for("staff.calls_export", **query_args),
        periods=periods,
        lines=lines,
        outcomes=OUTCOMES,
        statuses=CALL_STATUSES,
        line_name=lambda number: line_name(office, number),
        caller_text=caller_text,
        status_text=lambda value: label(CALL_STATUSES, value) if value else "—",
        outcome_text=lambda value: label(OUTCOMES, value) if value else "—",
        duration=duration,
        link=link,
    )


# --- one call -------------------------------------------------------------------------------


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
    if kind in ("status", "ended", "dial_result"):
        return label(CALL_STATUSES, detail)
    if kind == "callback_queued":
        return label(CALLBACK_REASONS, detail)
    if kind == "consent":
        return CONSENT_PURPOSES.get(detail, detail)
    if kind == "topic":
        return office.topic_name(detail)
    if kind == "dial":
        return f"сотрудников: {detail}"
    return detail


# --- shared pieces --------------------------------------------------------------------------


def line_name(office: Office, number: str) -> str:
    line = office.line(number)
    return line.name if line is not None else ""


def caller_text(call: Call) -> str:
    """The caller as staff read it: a Russian number, «скрыт», or the raw caller ID."""
    if call.caller:
        return national(call.caller)
    if call.anonymised_at is not None:
        return "обезличен"
    if call.caller_kind is CallerKind.WITHHELD or not call.caller_raw:
        return "скрыт"
    return call.caller_raw


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


def link(endpoint: str, **values: Any) -> str | None:
    """The URL of another staff page, or None while that page does not exist yet."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
