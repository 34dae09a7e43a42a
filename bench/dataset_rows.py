"""The rows of the benchmark dataset: each call, its menu path and what it produced.

:class:`Rows` turns a batch of call start times into rows for every table, as the voice
menu would have written them: events per step, an appeal with its recording, status
history and consent for a request left, an appointment in a free slot for a booking, a
callback with its attempts for a caller who asked for one. Ids are given here, ascending
with time, so rows can refer to each other before they are written.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from bench.dataset_calendar import PERM, Callers, Slots
from bench.dataset_history import appeal_history, callback_attempts
from bench.dataset_paths import DURATIONS, PATHS
from bench.dataset_texts import said, summary
from calllog import appeal_search
from calllog.hours import OfficeHours
from models import CallOutcome

LINES = ("+73422368229", "+73422368458", "+73422367992")
LINE_WEIGHTS = (0.5, 0.3, 0.2)
TOPICS = ("housing", "social", "health", "education", "transport", "other")
TOPIC_WEIGHTS = (0.33, 0.22, 0.14, 0.09, 0.1, 0.12)
PROMPT_VERSION = "v1"
OPERATORS = tuple(f"staff:operator{n}" for n in range(1, 9))
OPEN_CALLBACKS_AT_LEAST = 10
Table = str
Batch = dict[Table, list[dict]]


class Rows:
    """Rows for every table, a batch of calls at a time, with ids and unique keys kept."""

    def __init__(
        self, rng: random.Random, now: datetime, callers: Callers, slots: Slots, callbacks: int
    ) -> None:
        self.rng, self.now, self.callers, self.slots = rng, now, callers, slots
        #: The last few callbacks wait in the queue however small the log is.
        self.open_after = callbacks - OPEN_CALLBACKS_AT_LEAST
        self.hours = OfficeHours()
        self.ids: dict[Table, int] = defaultdict(int)
        self.used_numbers: set[str] = set()
        self.used_codes: set[str] = set()
        self.pending_phones: set[str] = set()
        self.appeal_numbers: list[str] = []

    def next_id(self, table: Table) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def batch(self, starts: list[float], outcomes: list[CallOutcome]) -> Batch:
        out: Batch = defaultdict(list)
        for start, outcome in zip(starts, outcomes, strict=True):
            self.call(out, datetime.fromtimestamp(start, UTC), outcome)
        return out

    def call(self, out: Batch, started: datetime, outcome: CallOutcome) -> None:
        rng = self.rng
        call_id = self.next_id("call")
        caller, raw, kind = self.caller(outcome)
        line = rng.choices(LINES, LINE_WEIGHTS)[0]
        status = "completed"
        if outcome is CallOutcome.ABANDONED and rng.random() < 0.2:
            status = rng.choice(("canceled", "canceled", "failed", "no-answer"))
        low, high = DURATIONS[outcome]
        duration = rng.randint(low, high) if status == "completed" else 0
        ended = started + timedelta(seconds=duration + 1)
        details = {"topic": rng.choices(TOPICS, TOPIC_WEIGHTS)[0]}
        links: dict[str, int | None] = {"callback_id": None}
        if outcome is CallOutcome.REQUEST_LEFT:
            details["appeal"] = self.appeal(out, call_id, caller, ended, details["topic"])
        elif outcome is CallOutcome.BOOKED:
            details["slot"], details["code"] = self.appointment(out, call_id, caller, ended)
        elif outcome is CallOutcome.CALLBACK_REQUESTED:
            links["callback_id"] = self.callback(out, caller or "", ended)
        elif outcome is CallOutcome.STATUS_CHECKED and self.appeal_numbers:
            details["number"] = rng.choice(self.appeal_numbers)
        out["call"].append(
            {
                "id": call_id,
                "sid": f"CA{rng.getrandbits(128):032x}",
                "direction": "inbound",
                "line": line,
                "caller": caller,
                "caller_raw": raw,
                "caller_kind": kind,
                "started_at": started,
                "answered_at": started + timedelta(seconds=1) if duration else None,
                "ended_at": ended,
                "duration_s": duration,
                "status": status,
                "status_sequence": 3,
                "outcome": outcome.value,
                "callback_id": links["callback_id"],
                "anonymised_at": None,
            }
        )
        self.events(out, call_id, started, ended, line, outcome, status, details)

    def caller(self, outcome: CallOutcome) -> tuple[str | None, str, str]:
        """(E.164 or None, raw caller ID, kind); a callback needs a number to call."""
        draw = self.rng.random()
        if outcome is not CallOutcome.CALLBACK_REQUESTED and draw < 0.04:
            return None, "anonymous", "withheld"
        if outcome is not CallOutcome.CALLBACK_REQUESTED and draw < 0.045:
            return None, f"+38050{self.rng.randrange(10**7):07d}", "foreign"
        number = self.callers.pick(self.rng)
        return number, number, "russian"

    def events(
        self,
        out: Batch,
        call_id: int,
        started: datetime,
        ended: datetime,
        line: str,
        outcome: CallOutcome,
        status: str,
        details: dict[str, str],
    ) -> None:
        steps = [("started", f"line {line}"), ("menu", "try 1")]
        if outcome is CallOutcome.ABANDONED and self.rng.random() < 0.4:
            steps += [("no_input", ""), ("menu", "try 2")]
        for kind, detail in PATHS[outcome]:
            steps.append((kind, detail.format_map(defaultdict(str, details))))
        if outcome is CallOutcome.TRANSFERRED:
            steps[-1] = ("dial_result", "completed")
        steps += [("ended", status), ("outcome", outcome.value)]
        span = (ended - started) / len(steps)
        for index, (kind, detail) in enumerate(steps):
            at = started + span * index
            out["call_event"].append(
                {"id": self.next_id("call_event"), "call_id": call_id, "at": at, "kind": kind}
                | {"detail": detail}
            )

    def unique_digits(self, used: set[str], lengths: tuple[int, ...]) -> str:
        while True:
            length = self.rng.choice(lengths)
            value = str(10 ** (length - 1) + self.rng.randrange(9 * 10 ** (length - 1)))
            if value not in used:
                used.add(value)
                return value

    def consent(self, out: Batch, call_id: int, purpose: str, at: datetime) -> None:
        row = {"id": self.next_id("consent"), "call_id": call_id, "purpose": purpose}
        out["consent"].append(row | {"prompt_version": PROMPT_VERSION, "at": at})

    def recording(self, out: Batch, call_id: int, kind: str, at: datetime, **owner: int) -> None:
        rng = self.rng
        sid = f"RE{rng.getrandbits(128):032x}"
        seconds = rng.randint(3, 15) if kind == "name" else rng.randint(15, 180)
        stored = self.now - at < timedelta(days=365)
        out["recording"].append(
            {
                "id": self.next_id("recording"),
                "sid": sid,
                "call_id": call_id,
                "kind": kind,
                "twilio_url": None,
                "duration_s": seconds,
                "state": "stored" if stored else "purged",
                "created_at": at,
                "appeal_id": owner.get("appeal_id"),
                "appointment_id": owner.get("appointment_id"),
                "storage_key": f"{at:%Y/%m}/{sid}.mp3" if stored else None,
                "size_bytes": seconds * 4000 if stored else None,
                "sha256": f"{rng.getrandbits(256):064x}" if stored else None,
                "attempts": 1,
                "last_error": None,
                "next_attempt_at": None,
                "deleted_from_twilio_at": at + timedelta(minutes=5),
                "purged_at": None if stored else at + timedelta(days=365),
            }
        )

    def appeal(self, out: Batch, call_id: int, phone: str | None, at: datetime, topic: str) -> str:
        appeal_id = self.next_id("appeal")
        number = self.unique_digits(self.used_numbers, (6, 7, 7, 7, 8))
        self.appeal_numbers.append(number)
        local_day = at.astimezone(PERM).date()
        history = appeal_history(self.rng, at, self.now)
        for at_, status, note, actor in history:
            out["appeal_status_change"].append(
                {"id": self.next_id("appeal_status_change"), "appeal_id": appeal_id, "at": at_}
                | {"status": status, "note": note, "actor": actor}
            )
        heard = said(self.rng, topic)
        # Staff have written the summary of most appeals past registration.
        written = summary(self.rng, topic) if len(history) > 1 else None
        out["appeal"].append(
            {
                "id": appeal_id,
                "number": number,
                "topic": topic,
                "channel": "phone",
                "status": history[-1][1],
                "phone": phone or self.callers.pick(self.rng),
                "name": None,
                "address": None,
                "transcript": written,
                "created_at": at,
                "register_due": local_day + timedelta(days=3),
                "answer_due": local_day + timedelta(days=30),
                "extended": self.rng.random() < 0.03,
            }
        )
        out["call_appeal"].append({"call_id": call_id, "appeal_id": appeal_id})
        self.transcript(out, call_id, appeal_id, at, heard)
        document = "\n".join(part for part in (written, heard) if part)
        out["appeal_search"].append({"appeal_id": appeal_id, "document": document})
        out["appeal_fts"].append(
            {"rowid": appeal_id, "stems": " ".join(appeal_search.stems(document))}
        )
        self.consent(out, call_id, "appeal", at - timedelta(seconds=60))
        self.recording(out, call_id, "message", at, appeal_id=appeal_id)
        return number

    def transcript(self, out: Batch, call_id: int, appeal_id: int, at: datetime, text: str) -> None:
        """What the live transcription heard of the request, one segment a sentence."""
        confidence = round(self.rng.uniform(0.55, 0.98), 3)
        segments = {
            str(index): [sentence.strip() + ".", confidence]
            for index, sentence in enumerate(text.split(". "), start=2)
            if sentence.strip()
        }
        out["transcript"].append(
            {
                "id": self.next_id("transcript"),
                "call_id": call_id,
                "name": "request-topic-1",
                "kind": "message",
                "sid": f"GT{self.rng.getrandbits(128):032x}",
                "state": "stopped",
                "segments": segments,
                "text": text,
                "confidence": confidence,
                "error_code": None,
                "appeal_id": appeal_id,
                "appointment_id": None,
                "created_at": at,
                "updated_at": at,
            }
        )

    def appointment(
        self, out: Batch, call_id: int, phone: str | None, at: datetime
    ) -> tuple[str, str]:
        rng = self.rng
        cancelled = rng.random() < 0.1
        slot = self.slots.book(rng, at.timestamp(), active=not cancelled)
        appointment_id = self.next_id("appointment")
        code = self.unique_digits(self.used_codes, (4, 5, 5, 6))
        past = slot["starts_at"] < self.now
        status = "cancelled" if cancelled else "booked"
        if past and not cancelled:
            status = "attended" if rng.random() < 0.85 else "no_show"
        reminder = slot["starts_at"] - timedelta(days=1)
        out["appointment"].append(
            {
                "id": appointment_id,
                "slot_id": slot["id"],
                "code": code,
                "phone": phone or self.callers.pick(rng),
                "status": status,
                "source": "phone",
                "created_at": at,
                "cancelled_at": at + (slot["starts_at"] - at) / 2 if cancelled else None,
                "reminder_sent_at": reminder if past and not cancelled and reminder > at else None,
            }
        )
        out["call_appointment"].append({"call_id": call_id, "appointment_id": appointment_id})
        self.consent(out, call_id, "booking", at - timedelta(seconds=60))
        self.recording(out, call_id, "name", at, appointment_id=appointment_id)
        return slot["starts_at"].astimezone(PERM).isoformat(timespec="minutes"), code

    def callback(self, out: Batch, phone: str, at: datetime) -> int:
        callback_id = self.next_id("callback")
        due = self.hours.next_working_time(at)
        recent = self.now - at < timedelta(days=3) or callback_id > self.open_after
        pending = recent and phone not in self.pending_phones
        if pending:
            self.pending_phones.add(phone)
        status, attempts = callback_attempts(self.rng, due, self.now, pending=pending)
        for when, result in attempts:
            out["callback_attempt"].append(
                {"id": self.next_id("callback_attempt"), "callback_id": callback_id, "at": when}
                | {"result": result, "note": "", "actor": self.rng.choice(OPERATORS)}
                | {"call_id": None}
            )
        reason = "person_no_answer" if self.hours.is_open(at) else "person_out_of_hours"
        out["callback"].append(
            {
                "id": callback_id,
                "phone": phone,
                "reasons": [reason],
                "status": status,
                "created_at": at,
                "due_at": due if pending else max(due, at),
                "closed_at": None if pending else attempts[-1][0],
            }
        )
        return callback_id
