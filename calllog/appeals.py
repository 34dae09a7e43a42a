"""Appeals (обращения): registration under a short number, statuses and 59-FZ deadlines."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from calllog import appeal_search
from models import (
    Appeal,
    AppealChannel,
    AppealStatus,
    AppealStatusChange,
    Call,
)

REGISTER_WITHIN_DAYS = 3
ANSWER_WITHIN_DAYS = 30
EXTENSION_DAYS = 30
# Six digits while they last, then longer: short enough to type on a keypad.
NUMBER_LENGTHS = (6, 6, 6, 6, 7, 7, 7, 8, 8, 8)


def find_appeal(session: orm.Session, number: str) -> Appeal | None:
    return session.scalar(sa.select(Appeal).where(Appeal.number == number))


def create_appeal(
    session: orm.Session,
    *,
    topic: str,
    channel: AppealChannel,
    phone: str | None,
    now: datetime,
    call: Call | None = None,
    actor: str | None = None,
) -> Appeal:
    """Register a new appeal; its number is its registration (§4).

    ``actor`` is the member of staff who typed in an appeal made at a visit or in writing;
    None when the phone line registered it.
    """
    today = now.date()
    for length in NUMBER_LENGTHS:
        appeal = Appeal(
            number=_random_number(length),
            topic=topic,
            channel=channel,
            status=AppealStatus.REGISTERED,
            phone=phone,
            created_at=now,
            register_due=today + timedelta(days=REGISTER_WITHIN_DAYS),
            answer_due=today + timedelta(days=ANSWER_WITHIN_DAYS),
        )
        if channel is not AppealChannel.PHONE:
            # Typed in by staff from a visit or a letter: registered by them, now.
            appeal.registered_at, appeal.registered_by = now, actor[:100] if actor else None
        _add_history(appeal, AppealStatus.REGISTERED, CHANNEL_NOTES[channel], now, actor)
        try:
            with session.begin_nested():
                session.add(appeal)
        except sa.exc.IntegrityError:
            continue  # the number was taken; draw another
        if call is not None:
            call.appeals.append(appeal)
        return appeal
    raise RuntimeError("no free appeal number after several draws")


#: The statuses in the staff's words (the appeal card and the refusals use them).
STATUS_WORDS = {
    AppealStatus.REGISTERED: "зарегистрировано",
    AppealStatus.IN_REVIEW: "на рассмотрении",
    AppealStatus.FORWARDED: "направлено по компетенции",
    AppealStatus.PRACTICAL_HELP: "оказана практическая помощь",
    AppealStatus.EXPLAINED: "даны разъяснения",
    AppealStatus.CLOSED: "закрыто",
}

#: The first history row of an appeal says how it came in.
CHANNEL_NOTES = {
    AppealChannel.PHONE: "по телефону",
    AppealChannel.VISIT: "на личном приёме",
    AppealChannel.WRITTEN: "письменное обращение",
}

#: The card fields staff type in, with the words the history uses for them.
CARD_FIELDS = {"topic": "тема", "name": "имя", "address": "адрес", "transcript": "содержание"}


def complete_card(
    session: orm.Session,
    appeal: Appeal,
    now: datetime,
    actor: str | None,
    *,
    anonymous: bool | None = None,
    **fields: str | None,
) -> list[str]:
    """Set the card fields staff typed (``topic``, ``name``, ``address``, ``transcript``) and
    the flag «анонимное, ответ не направляется» (``anonymous``).

    For a phone appeal, the first card with its content is its registration by staff: who
    and when are recorded (:func:`registration`). Blank text clears a field (except the
    topic). A history row names the fields changed, never their contents (they are personal
    data). Returns the names of the fields that changed; nothing is written when none did.
    """
    unknown = set(fields) - set(CARD_FIELDS)
    if unknown:
        raise TypeError(f"not card fields: {', '.join(sorted(unknown))}")
    changed = []
    for field, value in fields.items():
        value = (value or "").strip() or None
        if field == "topic" and value is None:
            continue
        if getattr(appeal, field) != value:
            setattr(appeal, field, value)
            changed.append(field)
    if anonymous is not None and appeal.anonymous != anonymous:
        appeal.anonymous = anonymous
        changed.append("anonymous")
    if changed:
        words = ", ".join(CARD_WORDS[field] for field in changed)
        _add_history(appeal, appeal.status, f"карточка заполнена: {words}", now, actor)
        if appeal.registered_at is None and appeal.transcript:
            appeal.registered_at, appeal.registered_by = now, actor[:100] if actor else None
        session.flush()
    if "transcript" in changed:
        appeal_search.index(session, appeal)
    return changed


#: Every card field with its word in the history, the flag included.
CARD_WORDS = CARD_FIELDS | {"anonymous": "анонимное"}


def registration(appeal: Appeal, today: date) -> str:
    """``met`` or ``missed`` once registered (by :data:`REGISTER_WITHIN_DAYS`), else
    ``due`` or ``overdue`` (a closed appeal never registered is ``missed``)."""
    if appeal.registered_at is not None:
        return "met" if appeal.registered_at.date() <= appeal.register_due else "missed"
    if appeal.status is AppealStatus.CLOSED:
        return "missed"
    return "overdue" if appeal.register_due < today else "due"


def card_is_filled(appeal: Appeal) -> bool:
    """An answer needs the applicant's name and address, or the anonymous flag (§12)."""
    return appeal.anonymous or bool(appeal.name and appeal.address)


def _random_number(length: int) -> str:
    low = 10 ** (length - 1)
    return str(low + secrets.randbelow(9 * low))


#: Answers (§12): forwarded to the competent authority, practical help, or explained.
ANSWERS = frozenset({AppealStatus.FORWARDED, AppealStatus.PRACTICAL_HELP, AppealStatus.EXPLAINED})

#: The one appeal path, for pages, API and CLI alike (§12): registered → in_review →
#: answer → closed.
TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    AppealStatus.REGISTERED: frozenset({AppealStatus.IN_REVIEW}),
    AppealStatus.IN_REVIEW: ANSWERS,
    AppealStatus.FORWARDED: frozenset({AppealStatus.CLOSED}),
    AppealStatus.PRACTICAL_HELP: frozenset({AppealStatus.CLOSED}),
    AppealStatus.EXPLAINED: frozenset({AppealStatus.CLOSED}),
    AppealStatus.CLOSED: frozenset(),
}


@dataclass(frozen=True)
class Precondition:
    """What a status needs before an appeal may take it; ``en`` for the API, ``ru`` for staff."""

    holds: Callable[[Appeal, str], bool]
    en: str
    ru: str


_REGISTERED = Precondition(
    lambda appeal, _note: appeal.registered_at is not None,
    "the appeal is not registered yet: fill in its card with the content first",
    "Сначала зарегистрируйте обращение: заполните карточку и содержание.",
)
_CARD_FILLED = Precondition(
    lambda appeal, _note: card_is_filled(appeal),
    "an answer needs the applicant's name and address, or the anonymous flag",
    "Без фамилии и адреса ответ не даётся: заполните карточку или отметьте "
    "«анонимное, ответ не направляется».",
)
_NOTE = Precondition(
    lambda _appeal, note: bool(note.strip()),
    "say what was done in the note",
    "Напишите, что сделано: без примечания нельзя.",
)

#: The preconditions of each status, checked in this order.
PRECONDITIONS: dict[AppealStatus, tuple[Precondition, ...]] = {
    AppealStatus.IN_REVIEW: (_REGISTERED,),
    AppealStatus.FORWARDED: (_REGISTERED, _CARD_FILLED, _NOTE),
    AppealStatus.PRACTICAL_HELP: (_REGISTERED, _CARD_FILLED, _NOTE),
    AppealStatus.EXPLAINED: (_REGISTERED, _CARD_FILLED, _NOTE),
    AppealStatus.CLOSED: (_NOTE,),
}

#: Statuses in which the reception still owes the citizen an answer: the answer period
#: runs (an appeal past ``answer_due`` is overdue) and may be extended. A forwarded appeal
#: is the competent authority's to answer; an answered one is done.
AWAITING_ANSWER = frozenset({AppealStatus.REGISTERED, AppealStatus.IN_REVIEW})


class TransitionError(ValueError):
    """The change is not allowed from the appeal's current state; ``ru`` for staff."""

    def __init__(self, message: str, ru: str = "") -> None:
        super().__init__(message)
        self.ru = ru or message


def is_overdue(appeal: Appeal, today: date) -> bool:
    return appeal.status in AWAITING_ANSWER and appeal.answer_due < today


def change_status(
    session: orm.Session,
    appeal: Appeal,
    status: AppealStatus,
    note: str,
    now: datetime,
    actor: str | None,
) -> AppealStatusChange:
    """Move ``appeal`` to ``status`` and add the change to its history.

    Raises :class:`TransitionError` when the move is not one of :data:`TRANSITIONS`
    (including "changing" to the status it already has) or one of its
    :data:`PRECONDITIONS` does not hold.
    """
    if status not in TRANSITIONS[appeal.status]:
        raise TransitionError(
            f"an appeal cannot go from {appeal.status} to {status}",
            f"Обращение со статусом «{STATUS_WORDS[appeal.status]}» нельзя перевести "
            f"в «{STATUS_WORDS[status]}».",
        )
    for precondition in PRECONDITIONS.get(status, ()):
        if not precondition.holds(appeal, note):
            raise TransitionError(precondition.en, precondition.ru)
    appeal.status = status
    change = _add_history(appeal, status, note, now, actor)
    session.flush()
    return change


def extend_answer_due(
    session: orm.Session, appeal: Appeal, note: str, now: datetime, actor: str | None
) -> AppealStatusChange:
    """Extend the answer period once by :data:`EXTENSION_DAYS`, with a note saying why (59-FZ).

    ``now`` is in the office's time zone. Raises ``ValueError`` without a note and
    :class:`TransitionError` when the period was extended before, the appeal no longer
    awaits an answer, or the period has already run out (an extension is decided before
    the deadline, not after it).
    """
    if not note.strip():
        raise ValueError("an extension of the answer period needs a note saying why")
    if appeal.extended:
        raise TransitionError(
            "the answer period has already been extended once",
            "Срок ответа уже продлевался: по 59-ФЗ его продлевают только один раз.",
        )
    if appeal.status not in AWAITING_ANSWER:
        raise TransitionError(
            f"an appeal that is {appeal.status} awaits no answer",
            "Обращение уже не ждёт ответа: продлевать нечего.",
        )
    if appeal.answer_due < now.date():
        raise TransitionError(
            f"the answer period ended on {appeal.answer_due.isoformat()}; it cannot be extended",
            "Срок ответа уже истёк: продлевают до его окончания.",
        )
    appeal.answer_due += timedelta(days=EXTENSION_DAYS)
    appeal.extended = True
    text = f"срок ответа продлён до {appeal.answer_due:%d.%m.%Y}: {note.strip()}"
    change = _add_history(appeal, appeal.status, text, now, actor)
    session.flush()
    return change


def _add_history(
    appeal: Appeal, status: AppealStatus, note: str, now: datetime, actor: str | None
) -> AppealStatusChange:
    change = AppealStatusChange(
        at=now, status=status, note=note.strip()[:500], actor=actor[:100] if actor else None
    )
    appeal.history.append(change)
    return change
