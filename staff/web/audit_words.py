"""The audit log in staff's words: actions, subjects and details as Russian labels.

The entries keep their codes (``change``, ``appeal:123456``, ``status: registered ->
in_review``), which the filters and machines read; the page shows what they mean, with a
link to the record named. Personal data never enters an entry (§11), so nothing here has
any to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import url_for

from staff.web.labels import APPEAL_STATUSES, APPOINTMENT_STATUSES, CALLBACK_STATUSES, OUTCOMES

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

#: Subjects without a key: the lists viewed or exported.
LISTS = {
    "calls": "журнал звонков",
    "appeals": "список обращений",
    "appointments": "приёмы по дням",
    "callbacks": "обратные звонки",
    "staff_users": "сотрудники",
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
    "slot": "время приёма №",
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


@dataclass(frozen=True)
class Subject:
    label: str
    url: str | None = None


def _day(text: str) -> str:
    try:
        return f"{date.fromisoformat(text):%d.%m.%Y}"
    except ValueError:
        return text


def subject(code: str) -> Subject:
    """``appeal:123456`` → «обращение № 123456» with a link to its card."""
    if code in LISTS:
        return Subject(LISTS[code])
    if code.startswith("/api/"):
        return Subject(f"API: {code.removeprefix('/api/')}")
    kind, _, key = code.partition(":")
    links: dict[str, tuple[str, Callable[[str], str | None]]] = {
        "appeal": ("обращение № {}", lambda k: url_for("staff.appeal", number=k)),
        "call": ("звонок {}", lambda k: url_for("staff.call", sid=k)),
        "appointment": (
            "запись на приём, код {}",
            lambda k: url_for("staff.appointments", code=k),
        ),
        "callback": ("обратный звонок № {}", lambda k: url_for("staff.callback", callback_id=k)),
        "session": ("приём № {}", lambda k: url_for("staff.schedule_session", session_id=k)),
        "staff_user": ("сотрудник {}", lambda k: None),
        "api_token": ("ключ API {}", lambda k: None),
        "recording": ("запись разговора {}", lambda k: None),
    }
    if kind not in links or not key:
        return Subject(code)
    words, link = links[kind]
    label = words.format(key[-8:] if kind == "call" else key)
    try:
        return Subject(label, link(key) if key.isalnum() else None)
    except Exception:  # noqa: BLE001 (a page no longer there: the label alone)
        return Subject(label)


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
        re.compile(r"status=(\w+)"),
        lambda m: (
            "статус: "
            + {**CALLBACK_STATUSES, **APPEAL_STATUSES, **APPOINTMENT_STATUSES}.get(m[1], m[1])
        ),
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
    (re.compile(r"call:(CA\w+)"), lambda m: f"звонок {m[1][-8:]}"),
    (re.compile(r"slot=(\d+) -> slot=(\d+)"), lambda m: f"время приёма № {m[1]} → № {m[2]}"),
]

CARD_WORDS = {
    "topic": "тема",
    "name": "имя",
    "address": "адрес",
    "transcript": "содержание",
    "anonymous": "анонимное",
}


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


def detail(text: str) -> str:
    """The detail in words: a known pattern, or ``key=value`` filters, else as written."""
    if text in DETAILS:
        return DETAILS[text]
    for pattern, words in _RULES:
        if pattern.fullmatch(text):
            return words(pattern.fullmatch(text))  # type: ignore[arg-type]
    if "=" in text:
        return _filters(text)
    return text


def _filters(text: str) -> str:
    parts = []
    for item in text.split():
        key, _, value = item.partition("=")
        if value in ("", "-"):
            continue
        if key == "outcome":
            value = OUTCOMES.get(value, value)
        elif key in ("since", "until", "date"):
            value = _day(value)
        parts.append(f"{FILTERS.get(key, key)} {value}")
    return ", ".join(parts) or "без фильтров"


def action(code: str) -> str:
    return ACTIONS.get(code, code)


#: Who acted, by the prefix of the actor the entries keep (``staff:olga``, ``token:crm``).
ACTOR_KINDS = {"staff": "", "token": "ключ API ", "cli": "командная строка: "}


def who(actor: str) -> str:
    """The actor in words: a staff member's login alone, a key or the command line named."""
    kind, _, name = actor.partition(":")
    return ACTOR_KINDS[kind] + name if name and kind in ACTOR_KINDS else actor


#: The words staff may type in the subject filter, for the codes the entries keep.
SUBJECT_WORDS = {
    "обращение": "appeal",
    "звонок": "call",
    "запись": "appointment",
    "обратный": "callback",
    "приём": "session",
    "сотрудник": "staff_user",
}


def subject_code(text: str) -> str:
    """«обращение 123456» (or «обращение № 123456») → ``appeal:123456``; codes as typed."""
    words = text.replace("№", " ").split()
    if words and words[0].lower() in SUBJECT_WORDS:
        key = words[-1] if len(words) > 1 and words[-1] != "звонок" else ""
        return f"{SUBJECT_WORDS[words[0].lower()]}:{key}"
    return text
