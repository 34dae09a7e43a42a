"""Faults under load: a gunicorn worker killed mid-request, PostgreSQL stopped and started.

The same callers as the soak (:mod:`tests.reliability.driver`) keep calling while the
fault is injected. Afterwards:

* no answer was a 5xx or anything but TwiML or a 204, and no caller was left with
  Twilio's "application error" (silence from us): a request lost with its worker goes to
  the fallback URL, which apologises and takes a message;
* while the database is down, the voice webhook and the fallback URL answer with the
  apology and a ``<Record>`` (a message and a callback), and the message is kept;
* once the database is back (and the spool replayed, as the worker does every minute), calls
  are logged again, and nothing the callers completed before the fault is missing;
* the soak's invariants hold over the whole database (:mod:`tests.reliability.invariants`).
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pytest
import sqlalchemy as sa

import db
from settings import ROOT
from simulator import Simulator
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, LINE, is_postgres
from tests.reliability import harness, invariants
from tests.reliability.driver import CallTrace, Soak
from tests.reliability.harness import Gunicorn, PgServer, appeal_numbers, server_errors

KILLS = [
    pytest.param(120, 4, id="120-calls-4-kills"),
    pytest.param(1_000, 25, id="1000-calls-25-kills", marks=pytest.mark.slow),
]
RESTARTS = [
    pytest.param(120, 1, 3.0, id="120-calls-1-restart"),
    pytest.param(1_000, 3, 6.0, id="1000-calls-3-restarts", marks=pytest.mark.slow),
]
#: A voice URL that fails, so that Twilio asks the fallback URL.
BROKEN_URL = "/twilio/no-such-url"
#: What gunicorn and the service may log when a fault is injected on purpose.
EXPECTED_UNDER_FAULT = (
    "was sent SIGKILL",
    "OperationalError",
    "InterfaceError",
    "database unavailable",
    "spooled a",
    "Twilio used the fallback URL",
)


def unexpected_errors(log: Path) -> list[str]:
    """Error lines other than the fault itself: a bug would hide behind the apology."""
    found = []
    for line in server_errors(log):
        if "Traceback" in line or not any(mark in line for mark in EXPECTED_UNDER_FAULT):
            found.append(line)
    return found


def tolerant(latest: Callable[[], list[str]]) -> Callable[[], list[str]]:
    """The driver's look-up of appeal numbers, which must survive the outage itself."""
    known: list[str] = []

    def look_up() -> list[str]:
        nonlocal known
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            known = latest()
        return known

    return look_up


def committed(engine: sa.Engine) -> dict[str, set[str]]:
    """What is in the database now: call sids, appeal numbers, booked codes."""
    with engine.connect() as connection:
        return {
            "calls": set(connection.scalars(sa.text("SELECT sid FROM call"))),
            "appeals": set(connection.scalars(sa.text("SELECT number FROM appeal"))),
            "appointments": set(
                connection.scalars(
                    sa.text("SELECT code FROM appointment WHERE status != 'cancelled'")
                )
            ),
            "recordings": set(connection.scalars(sa.text("SELECT sid FROM recording"))),
        }


def missing(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, int]:
    lost = {name: len(rows - after[name]) for name, rows in before.items()}
    # An appointment may since have been cancelled by its caller, in a later call.
    lost.pop("appointments")
    return {name: count for name, count in lost.items() if count}


def replay_spool(env: dict[str, str]) -> str:
    """``flask --app app spool replay``, as the worker runs it every minute."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "spool", "replay"],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout + result.stderr


def spool_left(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json")) if folder.exists() else []


def serving(pid: int, port: int) -> bool:
    """Whether the worker ``pid`` holds a client connection: it is mid-request."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(
        c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
        for c in connections
    )


def busy_worker(web: Gunicorn, rng: random.Random, patience: float = 1.0) -> tuple[int, bool]:
    """A worker serving a request right now if one shows up in time, else any worker."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        busy = [pid for pid in web.worker_pids() if serving(pid, web.port)]
        if busy:
            return rng.choice(busy), True
        time.sleep(0.002)
    return rng.choice(web.worker_pids()), False


def assert_nothing_wrong(soak: Soak, found: invariants.Findings, log: Path) -> None:
    assert soak.stats.problems == [], "\n".join(soak.stats.problems[:20])
    silenced = [trace.sid for trace in soak.traces if trace.silenced]
    assert silenced == [], f"{len(silenced)} callers heard Twilio's application error"
    assert found.violations == [], "\n".join(found.violations[:30])
    assert unexpected_errors(log) == [], "\n".join(unexpected_errors(log)[:20])


# --- a worker killed mid-request ----------------------------------------------------------


@pytest.mark.parametrize(("calls", "kills"), KILLS)
def test_a_worker_killed_mid_request_loses_nothing(
    calls: int, kills: int, reliability_database: str, tmp_path: Path, report
) -> None:
    engine = db.create_engine(reliability_database, poolclass=sa.NullPool)
    env = harness.server_environment(reliability_database, tmp_path)
    log = tmp_path / "gunicorn.log"
    rng = random.Random(6)
    killed = mid_request = 0
    started = time.monotonic()
    with Gunicorn(env, log, workers=4) as web:
        soak = Soak(web.url, calls, threads=8, seed=66, refresh_appeals=appeal_numbers(engine))
        load = threading.Thread(target=soak.run)
        load.start()
        # Spread the kills over the run: one every few calls.
        every = max(1, calls // (kills + 1))
        while load.is_alive() and killed < kills:
            if len(soak.traces) < every * (killed + 1):
                time.sleep(0.05)
                continue
            victim, busy = busy_worker(web, rng)
            web.kill_worker(victim)
            killed += 1
            mid_request += busy
        load.join()
        deadline = time.monotonic() + 20
        while len(web.worker_pids()) < web.workers and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(web.worker_pids()) == web.workers  # the master replaced every one
    replay_spool(env)
    found = invariants.check(engine, soak.traces)
    engine.dispose()
    report(
        calls=len(soak.traces),
        requests=soak.stats.requests,
        faults=killed,
        workers_killed_mid_request=mid_request,
        requests_lost_with_a_worker=soak.stats.unreachable,
        apologies=soak.stats.apologies,
        records_checked=found.records_checked,
        violations=len(found.violations),
        problems=len(soak.stats.problems),
        wall_s=round(time.monotonic() - started, 1),
    )
    assert killed == kills
    assert mid_request > 0
    assert_nothing_wrong(soak, found, log)


# --- PostgreSQL stopped and started -------------------------------------------------------


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[PgServer, str]]:
    """A PostgreSQL server of the test's own (``bin/pg-test-server`` on another port) and a
    database on it with a month of reception sessions; the test stops and starts it."""
    if not is_postgres(os.environ.get("TEST_DATABASE_URL", "")):
        pytest.skip(
            "the database restart runs on PostgreSQL: set TEST_DATABASE_URL "
            '(eval "$(bin/pg-test-server start)") to run this variant'
        )
    server = PgServer(harness.FAULT_PG_PORT)
    was_running = server.accepts_connections()
    server.start()
    try:
        with harness.scratch_database(server.admin_url, tmp_path) as url:
            try:
                harness.seed_schedule(url, datetime.now(ZoneInfo("Asia/Yekaterinburg")), 25)
                yield server, url
            finally:
                server.start()
    finally:
        if not was_running:
            server.stop()


def probe_call(web_url: str, *, broken_voice_url: bool = False) -> tuple[CallTrace, list[str]]:
    """A citizen calling while the database is down: the apology, a message, goodbye.

    With ``broken_voice_url`` the voice URL fails and Twilio asks the fallback URL.
    """
    from tests.reliability.driver import ChaosTransport, Stats

    stats = Stats()
    transport = ChaosTransport(web_url, random.Random(1), stats)
    simulator = Simulator(transport, AUTH_TOKEN, ACCOUNT_SID, BASE_URL)
    call = simulator.incoming_call(
        from_=f"+7902{random.randrange(10**7):07d}",
        to=LINE,
        voice_path=BROKEN_URL if broken_voice_url else "/twilio/voice",
        fallback_path="/twilio/fallback",
    )
    transport.call = call
    call.start()
    heard = [call.last_said]
    trace = CallTrace(sid=call.sid, caller=call.leg.params["From"], line=LINE)
    if call.waiting_for == "record":
        call.record(12, "#")
        heard.append(call.last_said)
    call.finish()
    trace.learn(transport.sent)
    trace.errors = [str(error) for error in call.errors if error.code != 11200]
    trace.errors += [problem for problem in stats.problems if BROKEN_URL not in problem]
    return trace, heard


@pytest.mark.parametrize(("calls", "restarts", "outage_s"), RESTARTS)
def test_the_database_restarting_under_load_loses_nothing(
    calls: int,
    restarts: int,
    outage_s: float,
    own_postgres: tuple[PgServer, str],
    tmp_path: Path,
    report,
) -> None:
    server, url = own_postgres
    engine = db.create_engine(url, poolclass=sa.NullPool)
    env = harness.server_environment(url, tmp_path)
    log = tmp_path / "gunicorn.log"
    probes: list[CallTrace] = []
    checked = 0
    started = time.monotonic()
    back_at: list[float] = []
    before_each: list[dict[str, set[str]]] = []
    with Gunicorn(env, log, workers=4) as web:
        looked_up = tolerant(appeal_numbers(engine))
        # The last third of the calls waits for the database to be back for good.
        restarted = threading.Event()

        def after_the_faults(index: int) -> None:
            if index >= calls * 2 // 3:
                restarted.wait(timeout=300)

        soak = Soak(
            web.url,
            calls,
            threads=8,
            seed=77,
            refresh_appeals=looked_up,
            between_calls=after_the_faults,
        )
        load = threading.Thread(target=soak.run)
        load.start()
        for restart in range(restarts):
            while len(soak.traces) < calls * 2 // 3 * (restart + 1) // (restarts + 1) - 8:
                time.sleep(0.05)
            before_each.append(committed(engine))
            server.stop()
            assert not server.accepts_connections()
            down_at = time.monotonic()
            for broken in (False, True):
                trace, heard = probe_call(web.url, broken_voice_url=broken)
                assert trace.errors == []
                assert "технические неполадки" in heard[0]  # the apology, and a Record
                assert "сообщение сохранено" in heard[-1]
                probes.append(trace)
            time.sleep(max(0.0, outage_s - (time.monotonic() - down_at)))
            server.start()
            back_at.append(time.monotonic())
        restarted.set()
        load.join()
        replay_spool(env)
        assert spool_left(Path(env["SPOOL_DIR"])) == []
        after = committed(engine)
    for before in before_each:
        assert missing(before, after) == {}
        checked += sum(map(len, before.values()))
    # Calls that began once the database was back were answered and logged as usual.
    later = [trace for trace in soak.traces if trace.started > back_at[-1]]
    assert later, "no call after the database came back"
    assert all(trace.greeted for trace in later)
    found = invariants.check(engine, [*soak.traces, *probes])
    engine.dispose()
    report(
        calls=len(soak.traces) + len(probes),
        requests=soak.stats.requests,
        faults=restarts,
        outage_s=outage_s * restarts,
        apologies=soak.stats.apologies,
        messages_kept_while_down=sum(len(probe.spoken("message")) for probe in probes),
        records_checked=found.records_checked + checked,
        violations=len(found.violations),
        problems=len(soak.stats.problems),
        wall_s=round(time.monotonic() - started, 1),
    )
    assert soak.stats.apologies > 0  # the outage was felt, and answered
    assert_nothing_wrong(soak, found, log)
