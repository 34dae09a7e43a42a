"""The wording of SMS notices to citizens (Russian), in one place."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from calllog.appeals import ANSWER_WITHIN_DAYS


def when_text(moment: datetime) -> str:
    """«3 декабря в 11:00», in the time zone of ``moment``."""
    return format_datetime(moment, "d MMMM 'в' HH:mm", tzinfo=moment.tzinfo, locale="ru")


def sentences(*parts: str) -> str:
    """Join ``parts`` into sentences, whether or not a part already ends with a full stop."""
    return " ".join(part.rstrip(". ") + "." for part in parts if part)


def booking_confirmation(code: str, starts_at: datetime, expert: str, place: str) -> str:
    return sentences(
        f"Вы записаны на личный приём {when_text(starts_at)}",
        expert,
        place,
        "Возьмите паспорт",
        f"Код записи {code}",
    )


def booking_cancelled(code: str, starts_at: datetime, reason: str) -> str:
    return sentences(
        f"Ваша запись на личный приём {when_text(starts_at)} (код {code}) отменена",
        reason,
        "Записаться снова можно по телефону приёмной",
    )


def appeal_confirmation(number: str) -> str:
    return (
        f"Ваше обращение зарегистрировано, номер {number}. "
        f"Ответ будет дан в течение {ANSWER_WITHIN_DAYS} дней."
    )
