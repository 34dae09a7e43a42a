"""What each kind of call did in the voice menu: its path of events, its length, its share."""

from __future__ import annotations

import random

from models import CallOutcome

#: The menu path of each outcome: (event kind, detail) after "started" and the first menu.
PATHS: dict[CallOutcome, tuple[tuple[str, str], ...]] = {
    CallOutcome.ABANDONED: (),
    CallOutcome.INFO: (("key", "4"), ("info", ""), ("menu", "try 1")),
    CallOutcome.REQUEST_LEFT: (
        ("key", "2"),
        ("consent", "appeal"),
        ("key", "1"),
        ("topic", "{topic}"),
        ("contact_typed", ""),
        ("appeal_registered", "{appeal}"),
    ),
    CallOutcome.BOOKED: (
        ("key", "1"),
        ("slots_offered", "3"),
        ("key", "1"),
        ("slot_chosen", "{slot}"),
        ("consent", "booking"),
        ("booked", "{code}"),
        ("name_recorded", ""),
    ),
    CallOutcome.TRANSFERRED: (("key", "0"), ("person", ""), ("dial", "2"), ("dial_result", "")),
    CallOutcome.CALLBACK_REQUESTED: (
        ("key", "0"),
        ("person", ""),
        ("dial", "2"),
        ("dial_result", "no-answer"),
        ("callback_queued", "person_no_answer"),
    ),
    CallOutcome.STATUS_CHECKED: (("key", "3"), ("status_told", "{number}")),
}
DURATIONS = {
    CallOutcome.ABANDONED: (3, 40),
    CallOutcome.INFO: (40, 150),
    CallOutcome.REQUEST_LEFT: (120, 330),
    CallOutcome.BOOKED: (150, 360),
    CallOutcome.TRANSFERRED: (60, 600),
    CallOutcome.CALLBACK_REQUESTED: (40, 100),
    CallOutcome.STATUS_CHECKED: (40, 120),
}


def outcome_plan(rng: random.Random, calls: int) -> list[CallOutcome]:
    """One outcome per call, shuffled: exactly calls/5 appeals, /20 bookings, /50 callbacks;
    a third abandoned or info only; the rest transfers and status checks."""
    counts = {
        CallOutcome.REQUEST_LEFT: calls // 5,
        CallOutcome.BOOKED: calls // 20,
        CallOutcome.CALLBACK_REQUESTED: calls // 50,
        CallOutcome.ABANDONED: calls * 20 // 100,
        CallOutcome.INFO: calls * 13 // 100,
        CallOutcome.STATUS_CHECKED: calls * 12 // 100,
    }
    counts[CallOutcome.TRANSFERRED] = calls - sum(counts.values())
    plan = [outcome for outcome, count in counts.items() for _ in range(count)]
    rng.shuffle(plan)
    return plan
