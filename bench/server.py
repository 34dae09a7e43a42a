"""Real servers for the benchmarks and the reliability tests: gunicorn on 127.0.0.1.

A :class:`Gunicorn` serves ``app:create_app()`` (or the floor app of :mod:`bench.floor`)
with sync workers on a free loopback port, configured by environment variables exactly as
in production (:func:`production_environment`); its log goes to a file.

Workers: the benchmark machine has two cores, so four sync workers: two to use the cores
while the other two wait on the database or the network (gunicorn's ``2 × cores`` rule).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from settings import ROOT

SERVICE_APP = "app:create_app()"
FLOOR_APP = "bench.floor:create_app()"
WORKERS = 4

#: The Twilio account the benchmarks pretend to be; requests are signed with its token.
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "2" * 32
#: The public address Twilio signs; the requests themselves go to 127.0.0.1.
BASE_URL = "https://reception.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_environment(
    database_url: str,
    folder: Path,
    *,
    auth_token: str = AUTH_TOKEN,
    account_sid: str = ACCOUNT_SID,
    base_url: str = BASE_URL,
    **extra: str,
) -> dict[str, str]:
    """What production sets (README "Running in production"), for a local server.

    Recordings are not copied and no SMS is sent (no worker runs the queue): nothing may
    leave this machine. The
    office is open around the clock so that every branch of the menu can be reached.
    """
    keep = {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "local-server-secret",
            "TWILIO_ACCOUNT_SID": account_sid,
            "TWILIO_AUTH_TOKEN": auth_token,
            "PUBLIC_BASE_URL": base_url,
            "DATABASE_URL": database_url,
            "SPOOL_DIR": str(folder / "spool"),
            "RECORDINGS_DIR": str(folder / "recordings"),
            "RECORDINGS_COPY": "off",
            "TASKS_DB": str(folder / "tasks.sqlite3"),
            "STAFF_PHONES": "+79120000001,+79120000002",
            "OFFICE_HOURS": "mon-sun 0:00-23:59",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    """``gunicorn <app>`` with ``workers`` sync workers on 127.0.0.1."""

    env: Mapping[str, str]
    log_path: Path
    workers: int = WORKERS
    app: str = SERVICE_APP
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Gunicorn:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--chdir",
                str(ROOT),
                self.app,
            ],
            env=dict(self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}")
            if self._answers() and len(self.worker_pids()) >= self.workers:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start in {timeout} s: see {self.log_path}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"GET /login HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return sock.recv(12).startswith(b"HTTP/1.")
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        """The live workers, as the master's children."""
        if self.process is None:
            return []
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []
        return [child.pid for child in children if child.status() != psutil.STATUS_ZOMBIE]

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one worker, mid-request or not: the master starts another."""
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serving(
    database_url: str, folder: Path, *, app: str = SERVICE_APP, workers: int = WORKERS
) -> Iterator[Gunicorn]:
    """The service (or the floor app) under gunicorn on ``database_url``, logging in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    name = "floor" if app == FLOOR_APP else "service"
    env = production_environment(database_url, folder)
    with Gunicorn(env, folder / f"gunicorn-{name}.log", workers=workers, app=app) as server:
        yield server
