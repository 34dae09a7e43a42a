"""wrk on loopback, posting Twilio webhooks signed beforehand (wrk cannot sign them).

A pool of signed requests is written to a file that ``pool.lua`` loads in ``init`` and
cycles through in ``request()``; wrk's ``done()`` prints the figures as one JSON line.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench.server import AUTH_TOKEN, BASE_URL

WRK = "/usr/bin/wrk"
SCRIPT = Path(__file__).with_name("pool.lua")
#: One wrk thread per core of the benchmark machine.
THREADS = 2
CONNECTIONS = 16


@dataclass(frozen=True)
class SignedRequest:
    """A webhook as Twilio would send it: a path on the public URL, its form, its signature."""

    path: str
    form: Mapping[str, str]

    def line(self, validator: RequestValidator) -> str:
        signature = validator.compute_signature(BASE_URL + self.path, dict(self.form))
        return f"{self.path}\t{signature}\t{urlencode(list(self.form.items()))}"


def write_pool(requests: Iterable[SignedRequest], path: Path) -> Path:
    """Sign ``requests`` with the benchmark account's token, one line each, into ``path``."""
    validator = RequestValidator(AUTH_TOKEN)
    with path.open("w", encoding="utf-8") as pool:
        for request in requests:
            pool.write(request.line(validator) + "\n")
    return path


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured: completed requests, latency, and what went wrong."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    #: 200 answers that were the apology: the service failed and asked for a message.
    apologies: int
    socket_errors: int
    timeouts: int
    #: Requests sent after a thread's share of the pool ran out (it started over).
    wrapped: int
    #: Requests each thread sent, the unanswered ones at the end of the run included.
    sent: tuple[int, ...]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def sent_indexes(self, threads: int = THREADS) -> list[int]:
        """The pool lines that were sent, for a pool that did not wrap."""
        return [
            thread + threads * turn
            for thread, count in enumerate(self.sent)
            for turn in range(count)
        ]


def run_wrk(
    server_url: str,
    pool: Path,
    *,
    duration: float,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> WrkResult:
    """Post the pool's requests to ``server_url`` for ``duration`` seconds."""
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        server_url,
        "--",
        str(pool),
        str(threads),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_result(finished.stdout)


def parse_result(output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith("WRK_RESULT "):
            figures = json.loads(line.removeprefix("WRK_RESULT "))
            return WrkResult(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                non_2xx=figures["non_2xx"],
                apologies=figures["apologies"],
                socket_errors=figures["socket_errors"],
                timeouts=figures["timeouts"],
                wrapped=figures["wrapped"],
                sent=tuple(figures["sent"]),
            )
    raise RuntimeError(f"wrk printed no result:\n{output}")
