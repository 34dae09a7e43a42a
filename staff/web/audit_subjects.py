"""Who and what an audit entry names, in staff's words, with a link to the record.

The entries keep their codes (``staff:anna``, ``appeal:123456``, ``/api/calls``), which
the filters and machines read; :mod:`staff.web.audit_words` does the same for details.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from flask import url_for

#: Subjects without a key: the lists viewed or exported.
LISTS = {
    "personal_data": "персональные данные по номеру",
    "calls": "журнал звонков",
    "appeals": "список обращений",
    "appointments": "приёмы по дням",
    "callbacks": "обратные звонки",
    "staff_users": "сотрудники",
}


@dataclass(frozen=True)
class Subject:
    label: str
    url: str | None = None


def subject(code: str, call_times: Mapping[str, str] | None = None) -> Subject:
    """``appeal:123456`` → «обращение № 123456» with a link to its card."""
    if code in LISTS:
        return Subject(LISTS[code])
    if code.startswith("/api/"):
        return _api_subject(code.removeprefix("/api/"))
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
    label = words.format(call_time(key, call_times) if kind == "call" else key)
    try:
        return Subject(label, link(key) if key.isalnum() else None)
    except Exception:  # noqa: BLE001 (a page no longer there: the label alone)
        return Subject(label)


#: ``/api/<resource>``: the list it is, and the kind of record ``/api/<resource>/<key>`` is.
API_RESOURCES = {
    "calls": ("журнал звонков", "call"),
    "appeals": ("список обращений", "appeal"),
    "appointments": ("приёмы по дням", "appointment"),
    "callbacks": ("обратные звонки", "callback"),
    "sessions": ("расписание приёмов", "session"),
    "reports": ("отчёт", ""),
}


def call_time(sid: str, call_times: Mapping[str, str] | None) -> str:
    """A call as staff know it: when it started («2 декабря 11:00»), not its SID."""
    return (call_times or {}).get(sid, "не из журнала")


CALL_SID = re.compile(r"CA[0-9a-f]{32}")


def call_sids(codes: Iterable[str]) -> set[str]:
    """The calls the subjects or details of a page name, to be read once."""
    return {sid for code in codes for sid in CALL_SID.findall(code)}


def _api_subject(path: str) -> Subject:
    """``calls`` → «через API: журнал звонков»; ``appeals/123456`` → the appeal, linked."""
    resource, _, rest = path.partition("/")
    if resource not in API_RESOURCES:
        return Subject("через API: другой адрес")
    words, kind = API_RESOURCES[resource]
    key = rest.split("/")[0]
    if not key or not kind or resource == "reports":
        return Subject(f"через API: {words}")
    record = subject(f"{kind}:{key}")
    return Subject(f"через API: {record.label}", record.url)


def actor_words(code: str) -> str:
    """``staff:anna`` → «anna»; ``token:reports`` → «ключ API reports»; ``cli:root`` →
    «команда на сервере (root)»."""
    kind, _, name = code.partition(":")
    if kind == "staff" and name:
        return name
    if kind == "token" and name:
        return f"ключ API {name}"
    if kind == "cli" and name:
        return f"команда на сервере ({name})"
    return code


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
