"""Replaying the spool: what callers left while the database was down goes into it."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from calllog import calls
from calllog.lines import match_line
from calllog.messages import save_message, save_name
from calllog.office import get_office
from db import get_session
from twilio_turn import spool
from twilio_turn.form import call_facts, recording_facts

log = logging.getLogger(__name__)


def apply_entry(entry: spool.Entry) -> None:
    """Write one spooled webhook as if it had arrived at ``entry.received_at``; commit."""
    office = get_office()
    session = get_session()
    now = entry.received_at.astimezone(office.clock.tz)
    facts, recording = call_facts(entry.params), recording_facts(entry.params)
    try:
        if entry.kind == "message":
            save_message(session, office, facts, recording, now)
        elif entry.kind == "appeal":
            topic = entry.args.get("topic")
            save_message(session, office, facts, recording, now, topic=topic)
        elif entry.kind == "name":
            appointment = entry.args.get("appointment")
            save_name(session, office, facts, recording, now, appointment)
        elif entry.kind == "status":
            call, _ = calls.start_call(session, facts, match_line(office.lines, facts), now)
            due = office.hours.next_working_time(now)
            calls.apply_status(session, call, facts, now, due)
        else:
            raise ValueError(f"unknown spool entry kind {entry.kind!r}")
        session.commit()
    except Exception:
        session.rollback()
        raise


def can_never_succeed(error: Exception) -> bool:
    """Whether replaying an entry again is useless: not a database that is (still) down."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return False
    return not isinstance(
        error, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError
    )


def replay_spool() -> int | None:
    """Replay the spool once; None when another process is replaying it right now."""
    folder = Path(current_app.config["SPOOL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".replay.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        count = spool.replay(folder, apply_entry, can_never_succeed)
    if count:
        log.info("replayed %d spooled webhooks into the database", count)
    return count
