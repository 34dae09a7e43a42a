"""Appeals (обращения): registration under a short number, statuses and 59-FZ deadlines."""

from __future__ import annotations

import secrets
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
    **fields: str | None,
) -> list[str]:
    """Set the card fields staff typed (``topic``, ``name``, ``address``, ``transcript``).

    For a phone appeal this is its registration by staff: the name, address and summary
    heard on the recording. Blank text clears a field (except the topic). A history row
    names the fields changed, never their contents (they are personal data). Returns the
    names of the fields that changed; nothing is written when none did.
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
    if changed:
        words = ", ".join(CARD_FIELDS[field] for field in changed)
        _add_history(appeal, appeal.status, f"карточка заполнена: {words}", now, actor)
        session.flush()
    if "transcript" in changed:
        appeal_search.index(session, appeal)
    return changed


def _random_number(length: int) -> str:
    low = 10 ** (length - 1)
    return str(low + secrets.randbelow(9 * low))


# Status changes (§4): registered → in_review → forwarded, or answered (practical_help or
# explained) → closed. Staff may forward or answer straight from registered.
TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    AppealStatus.REGISTERED: frozenset(
        {
            AppealStatus.IN_REVIEW,
            AppealStatus.FORWARDED,
            AppealStatus.PRACTICAL_HELP,
            AppealStatus.EXPLAINED,
        }
    ),
    AppealStatus.IN_REVIEW: frozenset(
        {AppealStatus.FORWARDED, AppealStatus.PRACTICAL_HELP, AppealStatus.EXPLAINED}
    ),
    AppealStatus.FORWARDED: frozenset({AppealStatus.CLOSED}),
    AppealStatus.PRACTICAL_HELP: frozenset({AppealStatus.CLOSED}),
    AppealStatus.EXPLAINED: frozenset({AppealStatus.CLOSED}),
    AppealStatus.CLOSED: frozenset(),
}

#: Statuses in which the reception still owes the citizen an answer: the answer period
#: runs (an appeal past ``answer_due`` is overdue) and may be extended. A forwarded appeal
#: is the competent authority's to answer; an answered one is done.
AWAITING_ANSWER = frozenset({AppealStatus.REGISTERED, AppealStatus.IN_REVIEW})


class TransitionError(ValueError):
    """The change is not allowed from the appeal's current state."""


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
    (including "changing" to the status it already has).
    """
    if status not in TRANSITIONS[appeal.status]:
        raise TransitionError(f"an appeal cannot go from {appeal.status} to {status}")
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
        raise TransitionError("the answer period has already been extended once")
    if appeal.status not in AWAITING_ANSWER:
        raise TransitionError(f"an appeal that is {appeal.status} awaits no answer")
    if appeal.answer_due < now.date():
        raise TransitionError(
            f"the answer period ended on {appeal.answer_due.isoformat()}; it cannot be extended"
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
