"""What must hold over the whole database after thousands of calls, whatever happened.

* one call per CallSid, with its final status;
* one appeal per recorded request (two seconds or more), linked to the call it came from;
* no slot with two active appointments;
* one open callback per number;
* every ``abandoned`` call from a known number queued for a callback.

:func:`check` reads every row once and returns the violations found, with the number of
records it checked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from tests.reliability.driver import CallTrace


@dataclass
class Findings:
    records_checked: int = 0
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        if len(self.violations) < 100:
            self.violations.append(message)
        self.counts["violations"] = self.counts.get("violations", 0) + 1


def check(engine: sa.Engine, traces: Iterable[CallTrace]) -> Findings:
    """Check the invariants over every row; ``traces`` say what the callers did.

    What the service acknowledged must be there: a call whose final status callback was
    answered with a 2xx is in the log with that status, and a request or message of two
    seconds or more that any of its requests got a 2xx for is an appeal.
    """
    traces = list(traces)
    found = Findings()
    with engine.connect() as connection:
        calls = connection.execute(
            sa.text(
                "SELECT id, sid, status, outcome, ended_at, caller, direction, callback_id "
                "FROM call"
            )
        ).all()
        recordings = connection.execute(
            sa.text(
                "SELECT sid, kind, appeal_id, appointment_id, call_id, duration_s FROM recording"
            )
        ).all()
        appeals = connection.execute(sa.text("SELECT id, number, channel, phone FROM appeal")).all()
        call_appeal = connection.execute(
            sa.text("SELECT call_id, appeal_id FROM call_appeal")
        ).all()
        appointments = connection.execute(
            sa.text("SELECT id, slot_id, status, phone FROM appointment")
        ).all()
        call_appointment = connection.execute(
            sa.text("SELECT call_id, appointment_id FROM call_appointment")
        ).all()
        callbacks = connection.execute(
            sa.text("SELECT id, phone, status, reasons FROM callback")
        ).all()
    found.records_checked = sum(
        map(
            len,
            (calls, recordings, appeals, call_appeal, appointments, call_appointment, callbacks),
        )
    )
    found.counts.update(
        calls=len(calls),
        recordings=len(recordings),
        appeals=len(appeals),
        appointments=len(appointments),
        active_appointments=sum(1 for row in appointments if row.status != "cancelled"),
        callbacks=len(callbacks),
        pending_callbacks=sum(1 for row in callbacks if row.status == "pending"),
    )

    # One call per CallSid, with its final status.
    by_sid: dict[str, list[sa.Row]] = defaultdict(list)
    for row in calls:
        by_sid[row.sid].append(row)
    for sid, rows in by_sid.items():
        if len(rows) > 1:
            found.fail(f"call {sid} logged {len(rows)} times")
    for trace in traces:
        rows = by_sid.get(trace.sid, [])
        if not trace.final_acknowledged:
            found.counts["final_status_unanswered"] = (
                found.counts.get("final_status_unanswered", 0) + 1
            )
            continue
        if not rows:
            found.fail(f"call {trace.sid} not in the log ({' > '.join(trace.steps[:8])})")
            continue
        row = rows[0]
        if row.status != trace.final_status:
            found.fail(
                f"call {trace.sid}: status {row.status!r}, Twilio said {trace.final_status!r}"
            )
        if row.ended_at is None or row.outcome is None:
            found.fail(f"call {trace.sid}: no end or outcome ({row.status}, {row.outcome})")
    outcomes = Counter(row.outcome for row in calls)
    found.counts.update({f"outcome_{name}": count for name, count in outcomes.items() if name})

    # One appeal per recorded request, linked to its call.
    call_ids = {row.sid: row.id for row in calls}
    recording_by_sid = {row.sid: row for row in recordings}
    appeals_of_call: dict[int, set[int]] = defaultdict(set)
    for link in call_appeal:
        appeals_of_call[link.call_id].add(link.appeal_id)
    spoken = 0
    for trace in traces:
        for recording_sid in trace.spoken("request") + trace.spoken("message"):
            spoken += 1
            recording = recording_by_sid.get(recording_sid)
            if recording is None:
                found.fail(f"request {recording_sid} of call {trace.sid} lost: no recording")
                continue
            if recording.appeal_id is None:
                found.fail(f"request {recording_sid} of call {trace.sid}: no appeal")
                continue
            if recording.appeal_id not in appeals_of_call.get(call_ids.get(trace.sid, -1), set()):
                found.fail(f"request {recording_sid}: appeal not linked to call {trace.sid}")
    found.counts["requests_spoken"] = spoken
    recordings_per_appeal = Counter(row.appeal_id for row in recordings if row.appeal_id)
    for appeal in appeals:
        if appeal.channel == "phone" and recordings_per_appeal.get(appeal.id, 0) != 1:
            found.fail(
                f"phone appeal {appeal.number} has {recordings_per_appeal.get(appeal.id, 0)} "
                "recordings"
            )
    for recording in recordings:
        if recording.kind == "message" and recording.duration_s >= 2 and not recording.appeal_id:
            found.fail(f"message recording {recording.sid} ({recording.duration_s} s): no appeal")

    # No slot with two active appointments.
    active_per_slot = Counter(row.slot_id for row in appointments if row.status != "cancelled")
    for slot_id, count in active_per_slot.items():
        if count > 1:
            found.fail(f"slot {slot_id} has {count} active appointments")
    booked_calls = {link.call_id for link in call_appointment}
    for trace in traces:
        if trace.booked and call_ids.get(trace.sid) not in booked_calls:
            found.fail(f"call {trace.sid} booked a slot but has no appointment")

    # One open callback per number; every abandoned known caller queued.
    open_per_phone = Counter(row.phone for row in callbacks if row.status == "pending")
    for phone, count in open_per_phone.items():
        if count > 1:
            found.fail(f"{count} open callbacks for one number ({phone[:5]}…)")
    callback_by_id = {row.id: row for row in callbacks}
    for row in calls:
        if row.outcome != "abandoned" or row.caller is None or row.direction != "inbound":
            continue
        callback = callback_by_id.get(row.callback_id)
        reasons = _reasons(callback.reasons) if callback is not None else []
        if callback is None or callback.status != "pending" or "abandoned" not in reasons:
            found.fail(f"abandoned call {row.sid} from a known number is not queued")
    found.counts["abandoned_known"] = sum(
        1
        for row in calls
        if row.outcome == "abandoned" and row.caller is not None and row.direction == "inbound"
    )
    return found


def _reasons(value: object) -> list[str]:
    if isinstance(value, str):
        import json

        return list(json.loads(value))
    return list(value or [])
