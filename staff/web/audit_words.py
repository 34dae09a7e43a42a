"""The audit log in staff's words: actions and details as Russian labels.

The entries keep their codes (``change``, ``status: registered -> in_review``), which
the filters and machines read; the page shows what they mean. Who acted and on which
record is :mod:`staff.web.audit_subjects`. Personal data never enters an entry (§11), so
nothing here has any to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from calllog.office import get_office
from staff.web.audit_subjects import call_time
from staff.web.calls import CALL_STATUSES
from staff.web.labels import (
    APPEAL_CHANNELS,
    APPEAL_STATUSES,
    APPOINTMENT_STATUSES,
    CALLBACK_STATUSES,
    OUTCOMES,
)

ACTIONS = {
    "view": "просмотр",
    "search": "поиск",
    "export": "выгрузка",
    "change": "изменение",
    "listen": "прослушивание записи",
    "call": "звонок из браузера",
    "book": "запись на приём",
    "move": "перенос записи",
    "api_view": "просмотр через API",
    "api_change": "изменение через API",
    "sign_in": "вход",
    "sign_in_failed": "неудачный вход",
    "locked": "блокировка после неудачных входов",
    "sign_out": "выход",
    "password_change": "смена пароля",
    "cli": "команда на сервере",
    "erase": "удаление",
    "task": "фоновая задача",
}

ROLES = {"operator": "оператор", "supervisor": "руководитель", "admin": "администратор"}
ATTEMPTS = {
    "reached": "дозвонились",
    "no_answer": "не ответили",
    "wrong_number": "неверный номер",
    "voicemail": "автоответчик",
}
SESSION_FIELDS = {
    "expert": "эксперт",
    "title": "должность",
    "place": "место",
    "outreach": "выездной",
    "times": "время",
}
USER_FIELDS = {"role": "роль", "full_name": "имя", "phone": "телефон", "active": "активность"}
FILTERS = {
    "since": "с",
    "until": "по",
    "line": "линия",
    "outcome": "итог",
    "status": "статус",
    "caller": "номер",
    "date": "дата",
    "topic": "тема",
    "deadline": "срок",
}
DETAILS = {
    "created": "создан",
    "deleted": "удалён",
    "account": "учётная запись",
    "list": "список",
    "reactivated": "учётная запись включена",
    "deactivated": "учётная запись отключена",
    "password reset": "пароль сброшен",
    "unknown login": "неизвестный логин",
    "GET": "",
    "PATCH": "",
    "POST": "",
}


def _day(text: str) -> str:
    try:
        return f"{date.fromisoformat(text):%d.%m.%Y}"
    except ValueError:
        return text


_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"status: (\w+) -> (\w+)"),
        lambda m: f"статус: {APPEAL_STATUSES.get(m[1], m[1])} → {APPEAL_STATUSES.get(m[2], m[2])}",
    ),
    (
        re.compile(r"answer due extended to (\d{4}-\d\d-\d\d)"),
        lambda m: f"срок ответа продлён до {_day(m[1])}",
    ),
    (re.compile(r"card: (.+)"), lambda m: "карточка: " + _fields(m[1], CARD_WORDS)),
    (re.compile(r"attempt (\w+)"), lambda m: "попытка: " + ATTEMPTS.get(m[1], m[1])),
    (
        re.compile(r"attempt (\d+) (\w+) -> (\w+)"),
        lambda m: (
            f"попытка № {m[1]} исправлена: {ATTEMPTS.get(m[2], m[2])} → {ATTEMPTS.get(m[3], m[3])}"
        ),
    ),
    (
        re.compile(r"created: (\w+)"),
        lambda m: "зарегистрировано " + APPEAL_CHANNELS.get(m[1], m[1]),
    ),
    (re.compile(r"list(?:: (.+))?"), lambda m: _list_view(m[1] or "")),
    (
        re.compile(r"(.+): ошибка (\w+), (.+)"),
        lambda m: f"{m[1]}: ошибка ({ERRORS.get(m[2], 'сбой программы')}), {m[3]}",
    ),
    (
        re.compile(r"status=(\w+)"),
        lambda m: "статус: " + _status(m[1]),
    ),
    (re.compile(r"edited (.+)"), lambda m: "изменено: " + _fields(m[1], SESSION_FIELDS)),
    (
        re.compile(r"created, role (\w+)"),
        lambda m: f"создана, роль: {ROLES.get(m[1], m[1])}",
    ),
    (re.compile(r"changed: (.+)"), lambda m: "изменено: " + _user_changes(m[1])),
    (re.compile(r"revoked token #(\d+)"), lambda m: f"ключ № {m[1]} отозван"),
    (re.compile(r"until (\d\d:\d\d)"), lambda m: f"до {m[1]}"),
    (
        re.compile(r"create-token, role (\w+)"),
        lambda m: f"выдан ключ API, роль: {ROLES.get(m[1], m[1])}",
    ),
    (re.compile(r"revoke-token: (\d+)"), lambda m: f"отозвано ключей API: {m[1]}"),
    (
        re.compile(r"add-user, role (\w+)"),
        lambda m: f"создана учётная запись, роль: {ROLES.get(m[1], m[1])}",
    ),
]

#: How a task failed, for the error class names the queue records.
ERRORS = {
    "TimeoutError": "не дождались ответа",
    "ConnectionError": "нет связи",
    "OSError": "ошибка ввода-вывода",
}
DEADLINE_WORDS = {"overdue": "просрочены", "due_soon": "срок в ближайшие 7 дней"}
#: What an appeals list view was filtered by (the filters' values stay in the data).
LIST_PARTS = {
    "phone search": "поиск по номеру",
    "text search": "поиск по тексту",
    "period": "период",
    "next page": "следующая страница",
}

CARD_WORDS = {
    "topic": "тема",
    "name": "имя",
    "address": "адрес",
    "transcript": "содержание",
    "anonymous": "анонимное",
}


def _list_view(text: str) -> str:
    """``list: status=in_review, phone search`` → «список: статус на рассмотрении, поиск…»."""
    parts = []
    for part in filter(None, (part.strip() for part in text.split(","))):
        if "=" in part:
            parts.append(_filters(part))
        else:
            parts.append(LIST_PARTS.get(part, part))
    return "список" + (": " + ", ".join(parts) if parts else "")


def _role(code: str) -> str:
    return ROLES.get(code, code)


def _fields(text: str, words: dict[str, str]) -> str:
    return ", ".join(words.get(part.strip(), part.strip()) for part in text.split(","))


def _user_changes(text: str) -> str:
    parts = []
    for part in text.split(", "):
        found = re.fullmatch(r"role (\w+) -> (\w+)", part)
        if found:
            parts.append(f"роль: {ROLES.get(found[1], found[1])} → {ROLES.get(found[2], found[2])}")
        else:
            parts.append(USER_FIELDS.get(part, part))
    return ", ".join(parts)


def detail(
    text: str,
    slot_times: Mapping[int, str] | None = None,
    call_times: Mapping[str, str] | None = None,
) -> str:
    """The detail in words: a known pattern, or ``key=value`` filters, else as written.

    ``slot_times`` names the slots a booking's detail gives by id («8 декабря 10:20»),
    ``call_times`` the calls it gives by SID.
    """
    if text in DETAILS:
        return DETAILS[text]
    if text.startswith("call:"):
        return "звонок " + call_time(text.removeprefix("call:"), call_times)
    if moved := SLOT_MOVE.fullmatch(text):
        return f"перенос: {_slot(moved[1], slot_times)} → {_slot(moved[2], slot_times)}"
    if booked := SLOT_BOOKED.fullmatch(text):
        return f"время приёма: {_slot(booked[1], slot_times)}"
    for pattern, words in _RULES:
        if pattern.fullmatch(text):
            return words(pattern.fullmatch(text))  # type: ignore[arg-type]
    if "=" in text:
        return _filters(text)
    return text


SLOT_BOOKED = re.compile(r"slot=(\d+)")
SLOT_MOVE = re.compile(r"slot=(\d+) -> slot=(\d+)")


def slot_ids(details: Iterable[str]) -> set[int]:
    """The slots the details name by id, to be read once for a page of entries."""
    return {
        int(found)
        for text in details
        if SLOT_BOOKED.fullmatch(text) or SLOT_MOVE.fullmatch(text)
        for found in re.findall(r"\d+", text)
        if len(found) < 10
    }


def _slot(slot_id: str, slot_times: Mapping[int, str] | None) -> str:
    return (slot_times or {}).get(int(slot_id), "время, которого уже нет в расписании")


def _status(code: str) -> str:
    for words in (APPOINTMENT_STATUSES, APPEAL_STATUSES, CALLBACK_STATUSES, CALL_STATUSES):
        if code in words:
            return words[code]
    return code


def _filters(text: str) -> str:
    parts = []
    for item in text.split():
        key, _, value = item.partition("=")
        if value in ("", "-"):
            continue
        if key == "outcome":
            value = OUTCOMES.get(value, value)
        elif key == "status":
            value = _status(value)
        elif key == "deadline":
            value = DEADLINE_WORDS.get(value, value)
        elif key == "topic":
            value = f"«{get_office().topic_name(value)}»"
        elif key in ("since", "until", "date"):
            value = _day(value)
        parts.append(f"{FILTERS.get(key, key)} {value}")
    return ", ".join(parts) or "без фильтров"


def action(code: str) -> str:
    return ACTIONS.get(code, code)
