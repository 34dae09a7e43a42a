"""Russian names of the values staff see: outcomes, statuses, reasons, channels."""

from __future__ import annotations

from calllog.appeals import STATUS_WORDS

OUTCOMES = {
    "booked": "записан на приём",
    "request_left": "оставил обращение",
    "transferred": "соединён с сотрудником",
    "callback_requested": "ждёт обратного звонка",
    "status_checked": "узнал статус",
    "info": "справка",
    "abandoned": "прервал звонок",
}

APPEAL_STATUSES = {status.value: words for status, words in STATUS_WORDS.items()}

APPEAL_CHANNELS = {"phone": "по телефону", "visit": "на приёме", "written": "письменно"}

APPOINTMENT_STATUSES = {
    "booked": "записан",
    "cancelled": "отменено",
    "attended": "пришёл",
    "no_show": "не пришёл",
}

CALLBACK_REASONS = {
    "abandoned": "звонок прерван",
    "no_choice": "не выбран пункт меню",
    "person_no_answer": "сотрудники не ответили",
    "person_out_of_hours": "звонок в нерабочее время",
    "status_request": "просьба заявителю о статусе",
    "fallback": "сообщение при сбое",
}

RECORDING_KINDS = {"name": "имя и фамилия", "message": "обращение"}

CALLBACK_STATUSES = {"pending": "ждёт", "done": "выполнен", "gave_up": "не дозвонились"}

ATTEMPT_RESULTS = {
    "reached": "дозвонились",
    "no_answer": "не ответил",
    "wrong_number": "неверный номер",
    "voicemail": "автоответчик",
}


def label(names: dict[str, str], value: object) -> str:
    """The Russian name of ``value`` (an enum or its string), or the value itself."""
    key = str(getattr(value, "value", value))
    return names.get(key, key)
