"""Appeals (обращения): registration under a short number, statuses and 59-FZ deadlines."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from models import Appeal, AppealChannel, AppealStatus, AppealStatusChange, Call

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
) -> Appeal:
    """Register a new appeal; its number is its registration (§4)."""
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
        appeal.history.append(
            AppealStatusChange(at=now, status=AppealStatus.REGISTERED, note="по телефону")
        )
        try:
            with session.begin_nested():
                session.add(appeal)
        except sa.exc.IntegrityError:
            continue  # the number was taken; draw another
        if call is not None:
            call.appeals.append(appeal)
        return appeal
    raise RuntimeError("no free appeal number after several draws")


def _random_number(length: int) -> str:
    low = 10 ** (length - 1)
    return str(low + secrets.randbelow(9 * low))
