"""Whole calls through the Twilio-faithful simulator, the way thousands of citizens and
Twilio would make them: every branch of the menu, random hang-ups at every step, 10% of
webhooks delivered twice, status callbacks shuffled, recording callbacks both before and
after the ``<Record>`` action, and a hang-up's Record action overtaken by the callbacks.

The driver only reacts to the TwiML it gets (what the call is waiting for, and where the
input goes), so it follows the service wherever it leads; what each call did is kept in a
:class:`CallTrace` for the database checks afterwards (:mod:`tests.reliability.invariants`).
"""

from __future__ import annotations

import contextlib
import http.client
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from simulator import Call, HttpTransport, Reply, Simulator
from simulator.leg import APPLICATION_ERROR
from simulator.twiml import Dial, Gather, Record, TwimlError, parse_document
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL

LINES = ("+73422368229", "+73422368458", "+73422367992")
UNKNOWN_LINE = "+73422360000"
MAX_STEPS = 30
#: A request Twilio sends twice: retried after a timeout, with the same idempotency token.
DUPLICATE_SHARE = 0.10
#: The chance of hanging up before any one step.
HANGUP_SHARE = 0.06
TWIML_LIMIT = 64 * 1024
EVERY_EVENT = ("initiated", "ringing", "answered", "completed")
APOLOGY_MARK = '/twilio/message"'


def caller_pool(rng: random.Random, size: int) -> list[str]:
    """Caller IDs as Twilio sends them: mostly Russian mobiles, landlines, withheld, foreign."""
    pool = []
    for index in range(size):
        kind = rng.random()
        if kind < 0.62:
            pool.append(f"+7902{4_000_000 + index:07d}")
        elif kind < 0.82:
            pool.append(f"+7342{2_000_000 + index:07d}")
        elif kind < 0.90:
            pool.append(rng.choice(("anonymous", "+266696687", "unknown", "")))
        elif kind < 0.96:
            pool.append(f"+1415555{index % 10_000:04d}")
        else:
            pool.append(rng.choice(("client:alice", "sip:citizen@perm.example", "8342236")))
    return pool


@dataclass
class Stats:
    """What the transport saw, added up over every call of a run (thread-safe)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    duplicates: int = 0
    deferred: int = 0
    early_recording_callbacks: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    unreachable: int = 0
    #: Answers that were the apology (a Record whose action is ``/twilio/message``).
    apologies: int = 0

    def count(self, path: str, reply: Reply | None, problem: str | None) -> None:
        with self.lock:
            self.requests += 1
            self.by_route[path] += 1
            if reply is None:
                self.unreachable += 1
            else:
                self.statuses[reply.status] += 1
                if APOLOGY_MARK in reply.body:
                    self.apologies += 1
            if problem and len(self.problems) < 200:
                self.problems.append(problem)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def answer_problem(reply: Reply) -> str | None:
    """What is wrong with an answer to Twilio: anything but TwiML under 64 kB or a 204."""
    if reply.status == 204:
        return None
    if reply.status != 200:
        return f"status {reply.status}: {reply.body[:200]!r}"
    if reply.mimetype not in ("text/xml", "application/xml"):
        return f"content type {reply.content_type!r}"
    if len(reply.body.encode("utf-8")) >= TWIML_LIMIT:
        return "TwiML over 64 kB"
    if not reply.body.strip():
        return None
    try:
        parse_document(reply.body)
    except TwimlError as error:
        return f"not TwiML: {error}"
    return None


def route(url: str) -> str:
    return urlsplit(url).path


class ChaosTransport:
    """An :class:`HttpTransport` that delivers like a misbehaving network and Twilio.

    * 10% of requests are sent twice (the same signature and idempotency token), and the
      second answer is the one Twilio acts on, as after a retried timeout;
    * a ``<Record>`` action is, half the time, overtaken by its recording callbacks;
    * a Record action after the caller hung up is, half the time, held back until the
      call's status callbacks have all been delivered.

    Every answer, the discarded ones too, must be TwiML or a 204: anything else is kept
    in :attr:`Stats.problems`.
    """

    def __init__(
        self, server_url: str, rng: random.Random, stats: Stats, timeout: float = 15.0
    ) -> None:
        self.http = HttpTransport(base_url=server_url, timeout=timeout)
        self.rng = rng
        self.stats = stats
        self.call: Call | None = None
        self.deferred: list[tuple[str, list[tuple[str, str]], dict[str, str]]] = []
        #: Every request that really went out: (path, fields, HTTP status or None).
        self.sent: list[tuple[str, dict[str, str], int | None]] = []
        self._nested = False

    def _send(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        path = route(url)
        try:
            reply = self.http.post(url, params, headers)
        except (OSError, http.client.HTTPException) as error:
            # A worker killed under the request: no answer, or half of one. For Twilio
            # both are a failed request (the simulator reports it as 11205).
            self.sent.append((path, dict(params), None))
            self.stats.count(path, None, None)
            raise ConnectionError(f"no complete answer: {type(error).__name__}") from error
        self.sent.append((path, dict(params), reply.status))
        problem = answer_problem(reply)
        self.stats.count(path, reply, problem and f"{path}: {problem}")
        return reply

    def post(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        fields = dict(params)
        if not self._nested:
            is_record_action = "RecordingSid" in fields and "RecordingStatus" not in fields
            if is_record_action and self.rng.random() < 0.5:
                self._recording_callbacks_first()
            if fields.get("Digits") == "hangup" and self.rng.random() < 0.5:
                self.deferred.append((url, params, headers))
                self.stats.add(deferred=1)
                return Reply(200, "<Response/>", "text/xml")
        if self.rng.random() < DUPLICATE_SHARE:
            self.stats.add(duplicates=1)
            self._send(url, params, headers)
        return self._send(url, params, headers)

    def get(self, url: str, headers: dict[str, str]) -> Reply:
        raise AssertionError("the service names no GET URL")

    def _recording_callbacks_first(self) -> None:
        call = self.call
        if call is None:
            return
        early = [cb for cb in call.queue.pending if cb.kind == "recording"]
        if not early:
            return
        call.queue.pending[:] = [cb for cb in call.queue.pending if cb.kind != "recording"]
        self._nested = True
        try:
            for callback in early:
                call.webhooks.deliver(
                    callback.method, callback.url, callback.params, callback.token
                )
                self.stats.add(early_recording_callbacks=1)
        finally:
            self._nested = False

    def flush_deferred(self) -> None:
        """Send the held-back Record actions, after everything else of the call."""
        held, self.deferred = self.deferred, []
        self._nested = True
        try:
            for url, params, headers in held:
                with contextlib.suppress(OSError):
                    self.post(url, params, headers)
        finally:
            self._nested = False


#: Where a recording was made, by the path of its Record action or recording callback.
RECORDING_PATHS = {
    "/twilio/appeal/recorded": "request",
    "/twilio/appeal/recording/ready": "request",
    "/twilio/message": "message",
    "/twilio/message/ready": "message",
    "/twilio/booking/name": "name",
    "/twilio/booking/name/ready": "name",
}


@dataclass
class Spoken:
    """A recording the caller made: what for, how long, and whether the service took it."""

    kind: str
    duration: int = 0
    acknowledged: bool = False


@dataclass
class CallTrace:
    """What one simulated call did, as far as the caller and Twilio know."""

    sid: str
    caller: str
    line: str
    steps: list[str] = field(default_factory=list)
    recordings: dict[str, Spoken] = field(default_factory=dict)
    booked: bool = False
    final_status: str = "completed"
    #: Whether the service answered the final status callback with a 2xx.
    final_acknowledged: bool = False
    errors: list[str] = field(default_factory=list)
    hung_up: bool = False
    #: Requests that got no HTTP answer at all (a worker killed under them).
    unanswered: int = 0
    #: When the call started (``time.monotonic()``), and whether its first answer was the
    #: menu rather than the apology.
    started: float = 0.0
    greeted: bool = False
    #: Whether the caller heard Twilio's own "application error" (nothing of ours).
    silenced: bool = False

    def learn(self, sent: Sequence[tuple[str, dict[str, str], int | None]]) -> None:
        """Read what went out and what came back: recordings, the final status."""
        for path, fields, status in sent:
            answered = status is not None and 200 <= status < 300
            if status is None:
                self.unanswered += 1
            kind = RECORDING_PATHS.get(path)
            sid = fields.get("RecordingSid", "")
            if kind and sid.startswith("RE"):
                spoken = self.recordings.setdefault(sid, Spoken(kind))
                with contextlib.suppress(ValueError):
                    spoken.duration = max(
                        spoken.duration, int(fields.get("RecordingDuration") or 0)
                    )
                spoken.acknowledged = spoken.acknowledged or answered
            if path == "/twilio/status" and fields.get("CallStatus") == self.final_status:
                self.final_acknowledged = self.final_acknowledged or answered

    def spoken(self, kind: str) -> list[str]:
        """RecordingSids of ``kind`` ("request", "message") 2 s or longer that the service
        acknowledged: each must become exactly one appeal."""
        return [
            sid
            for sid, spoken in self.recordings.items()
            if spoken.kind == kind and spoken.duration >= 2 and spoken.acknowledged
        ]


@dataclass
class Shared:
    """What callers know of each other: appeal numbers to ask about."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    appeal_numbers: list[str] = field(default_factory=list)

    def some_appeal(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.appeal_numbers) if self.appeal_numbers else None


def weighted(rng: random.Random, options: Sequence[tuple[float, str]]) -> str:
    total = sum(weight for weight, _ in options)
    mark = rng.random() * total
    for weight, choice in options:
        mark -= weight
        if mark <= 0:
            return choice
    return options[-1][1]


def typed_number(rng: random.Random) -> str:
    return weighted(
        rng,
        [
            (5, f"8342{rng.randrange(2_000_000, 2_999_999)}#"),
            (4, f"9{rng.randrange(10**8, 10**9)}#"),
            (2, f"{rng.randrange(2_000_000, 2_999_999)}#"),
            (2, "123#"),
            (1, ""),
        ],
    )


def gather_keys(path: str, query: dict[str, list[str]], rng: random.Random, shared: Shared) -> str:
    """What a caller presses at the Gather whose action is ``path`` ('' is silence)."""
    menu = {
        "/twilio/menu": [
            (24, "1"),
            (26, "2"),
            (12, "3"),
            (10, "4"),
            (10, "0"),
            (3, "*"),
            (5, "7"),
            (5, ""),
        ],
        "/twilio/booking/existing": [(4, "8"), (4, "1"), (1, "*"), (1, "5"), (1, "")],
        "/twilio/booking/cancel": [(3, "1"), (1, "2"), (1, "")],
        "/twilio/booking/expert": [(6, "1"), (3, "2"), (1, "9"), (1, "7"), (1, "*"), (1, "")],
        "/twilio/booking/contact/check": [(6, "1"), (2, "2"), (1, "")],
        "/twilio/appeal/contact/check": [(6, "1"), (2, "2"), (1, "")],
        "/twilio/person/number/check": [(6, "1"), (2, "2"), (1, "")],
        "/twilio/booking/choose": [
            (6, "1"),
            (4, "2"),
            (3, "3"),
            (2, "9"),
            (1, "*"),
            (1, "0"),
            (1, "6"),
            (1, ""),
        ],
        "/twilio/booking/confirm": [(8, "1"), (2, "2"), (1, "*"), (1, "4"), (1, "")],
        "/twilio/booking/none": [(3, "2"), (1, "*"), (1, "")],
        "/twilio/booking/readback": [(1, "*"), (3, ""), (1, "5")],
        "/twilio/appeal/consent": [(9, "1"), (1, "3"), (1, "0"), (1, "")],
        "/twilio/appeal/topic": [
            *((2, str(key)) for key in range(1, 7)),
            (1, "9"),
            (1, "*"),
            (1, ""),
        ],
        "/twilio/appeal/readback": [(1, "*"), (3, ""), (1, "2")],
        "/twilio/status/callback": [(3, "1"), (1, "2"), (1, "")],
    }
    if path in ("/twilio/booking/contact", "/twilio/appeal/contact", "/twilio/person/number"):
        return typed_number(rng)
    if path == "/twilio/status/number":
        known = shared.some_appeal(rng)
        choice = weighted(rng, [(6, "known"), (2, "random"), (1, "silence")])
        if choice == "known" and known:
            return known + "#"
        if choice == "silence":
            return ""
        return f"{rng.randrange(100_000, 99_999_999)}#"
    return weighted(rng, menu.get(path, [(1, "1"), (1, "*"), (1, "")]))


def record_step(call: Call, rng: random.Random, trace: CallTrace) -> None:
    """Speak into a ``<Record>``: a normal message, an empty one, or a hang-up mid-sentence."""
    choice = weighted(rng, [(58, "key"), (16, "timeout"), (10, "empty"), (16, "hangup")])
    if choice == "empty":
        seconds, finish = rng.choice((0, 1)), rng.choice(("#", "timeout"))
    elif choice == "hangup":
        seconds, finish = rng.randrange(0, 40), "hangup"
        trace.hung_up = True
    else:
        seconds, finish = rng.randrange(2, 60), ("#" if choice == "key" else "timeout")
    call.record(seconds, finish)


def dial_step(call: Call, rng: random.Random) -> None:
    choice = weighted(rng, [(4, "accept"), (2, "decline"), (3, "unanswered"), (1, "gone")])
    if choice == "accept":
        call.dial(answer=True, staff_keys="1", talk_seconds=rng.randrange(10, 200))
    elif choice == "decline":
        call.dial(answer=True, staff_keys=rng.choice(("2", "")))
    elif choice == "unanswered":
        call.dial(status=rng.choice(("no-answer", "busy", "failed")))
    else:
        call.dial(answer=True, staff_keys="1", caller_hangs_up=True)


def drive(call: Call, rng: random.Random, shared: Shared, trace: CallTrace) -> None:
    """Run one call to its end, reacting to whatever the service answers."""
    call.start()
    steps = 0
    while not call.ended and steps < MAX_STEPS:
        steps += 1
        waiting = call.waiting
        if rng.random() < HANGUP_SHARE:
            trace.steps.append("hangup")
            trace.hung_up = True
            call.hangup()  # during a Record: Digits=hangup after 0 s
            break
        if isinstance(waiting, Gather):
            action = urlsplit(call.leg.resolve(waiting.action))
            keys = gather_keys(action.path, parse_qs(action.query), rng, shared)
            trace.steps.append(f"{action.path}:{keys or 'silence'}")
            call.press(keys)
            if action.path == "/twilio/booking/confirm" and keys == "1":
                trace.booked = trace.booked or _asks_for_name(call)
        elif isinstance(waiting, Record):
            trace.steps.append(f"record:{route(call.leg.resolve(waiting.action))}")
            record_step(call, rng, trace)
        elif isinstance(waiting, Dial):
            trace.steps.append("dial")
            dial_step(call, rng)
        else:
            break


def _asks_for_name(call: Call) -> bool:
    """Whether the answer to a confirmation is the name recording (the slot was booked)."""
    waiting = call.waiting
    if isinstance(waiting, Record):
        return route(call.leg.resolve(waiting.action)).startswith("/twilio/booking/name")
    # A caller who hangs up during the read-back or the name still holds the booking,
    # but the driver only counts what it saw.
    return False


@dataclass
class Soak:
    """A run of ``calls`` whole calls from ``threads`` callers at a time."""

    server_url: str
    calls: int
    threads: int = 8
    seed: int = 20261202
    #: The share of calls whose status callback reports every event (Twilio's default for a
    #: number is ``completed`` alone); their callbacks arrive shuffled.
    every_event_share: float = 0.3
    refresh_appeals: Callable[[], list[str]] | None = None
    fallback_path: str | None = "/twilio/fallback"
    stats: Stats = field(default_factory=Stats)
    traces: list[CallTrace] = field(default_factory=list)
    shared: Shared = field(default_factory=Shared)
    between_calls: Callable[[int], None] | None = None

    def run(self) -> Soak:
        rng = random.Random(self.seed)
        callers = caller_pool(rng, max(50, self.calls // 5))
        plan = [
            (
                rng.choice(callers),
                rng.choice((*LINES, *LINES, *LINES, UNKNOWN_LINE)),
                rng.randrange(2**32),
            )
            for _ in range(self.calls)
        ]
        lock = threading.Lock()

        def make_call(item: tuple[int, tuple[str, str, int]]) -> None:
            index, (caller, line, seed) = item
            if self.between_calls is not None:
                self.between_calls(index)
            if self.refresh_appeals is not None and index % 50 == 0:
                numbers = self.refresh_appeals()
                with self.shared.lock:
                    self.shared.appeal_numbers = numbers
            trace = self.one_call(caller, line, random.Random(seed))
            with lock:  # as each call ends: the fault tests watch the count grow
                self.traces.append(trace)

        with ThreadPoolExecutor(max_workers=self.threads) as callers_at_once:
            for _ in callers_at_once.map(make_call, enumerate(plan)):
                pass  # re-raises the first call that failed
        return self

    def one_call(self, caller: str, line: str, rng: random.Random) -> CallTrace:
        transport = ChaosTransport(self.server_url, rng, self.stats)
        simulator = Simulator(transport, AUTH_TOKEN, ACCOUNT_SID, BASE_URL)
        call = simulator.incoming_call(
            from_=caller,
            to=line,
            status_events=(
                EVERY_EVENT if rng.random() < self.every_event_share else ("completed",)
            ),
            fallback_path=self.fallback_path,
        )
        transport.call = call
        trace = CallTrace(sid=call.sid, caller=caller, line=line, started=time.monotonic())
        drive(call, rng, self.shared, trace)
        call.finish(shuffle=True, rng=rng)
        transport.flush_deferred()
        trace.final_status = call.leg.final_status
        trace.errors = [str(error) for error in call.errors]
        trace.silenced = APPLICATION_ERROR in call.said
        if call.log:
            first = call.log[0]
            trace.greeted = first.status == 200 and "<Gather" in first.body
        trace.learn(transport.sent)
        return trace


def timed(function: Callable[[], object]) -> float:
    started = time.monotonic()
    function()
    return time.monotonic() - started


def chunks(items: Sequence[CallTrace], size: int) -> Iterator[Sequence[CallTrace]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
