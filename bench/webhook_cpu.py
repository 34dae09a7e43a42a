"""In-process CPU per webhook: ``python -m bench.webhook_cpu URL [--requests N] [--profile]``.

The service (configured as :func:`bench.server.production_environment` configures it) on
the database at URL, driven by Flask's test client with requests signed as Twilio signs
them: ``requests`` new calls on ``/twilio/voice``, then key ``4`` pressed in the main
menu of each. The figure is this process's CPU time per request (``time.process_time``),
which a loaded machine inflates far less than wall time; the baseline is a request with a
wrong signature (403) through the same client. The requests go in ``--rounds`` rounds,
each of the three kinds in turn, and the figure is the median round (the best is printed
too): on this shared virtual machine one round may run a third slower than the next.
Target (issue 14): a new call at most 1.5 ms. ``--profile`` prints cProfile's costliest
functions for each kind of request, by CPU time too (waits on the database are not
counted), over one round.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from app import create_app
from bench.measure import judged, ratio, report
from bench.server import AUTH_TOKEN, BASE_URL, production_environment
from bench.webhooks import caller_of, fresh_sid, key_press, new_call
from bench.wrk import SignedRequest
from settings import DEFAULTS, ROOT

TARGET_NEW_CALL_MS = 1.5
#: Requests of each kind first, not measured: they load modules and fill caches.
WARM_UP = 20
ROUNDS = 10


def signed_poster(client: FlaskClient) -> Callable[[SignedRequest, bool], int]:
    validator = RequestValidator(AUTH_TOKEN)

    def post(request: SignedRequest, sign: bool = True) -> int:
        form = dict(request.form)
        signature = validator.compute_signature(BASE_URL + request.path, form) if sign else "x"
        reply = client.post(
            request.path,
            base_url=BASE_URL,
            data=form,
            headers={"X-Twilio-Signature": signature},
        )
        return reply.status_code

    return post


def cpu_ms(
    post: Callable[[SignedRequest, bool], int],
    requests: list[SignedRequest],
    *,
    sign: bool = True,
    expect: int = 200,
    profile: bool = False,
) -> float:
    """CPU milliseconds per request of ``requests``, each answered ``expect``."""
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for request in requests:
        status = post(request, sign)
        if status != expect:
            raise SystemExit(f"{request.path}: {status}, expected {expect}")
    if profiler:
        profiler.disable()
    spent = (time.process_time() - started) * 1000 / len(requests)
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumtime").print_stats(str(ROOT), 40)  # the project's own functions
        stats.sort_stats("tottime").print_stats(25)
    return spent


def run(
    url: str,
    *,
    requests: int = 500,
    rounds: int = ROUNDS,
    profile: bool = False,
    quiet: bool = False,
) -> dict[str, float]:
    """CPU milliseconds per request, the median round: ``forbidden``, ``new_call`` and
    ``key_press`` (and ``best_new_call``)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    environment = production_environment(url, folder, LOG_LEVEL="WARNING")
    app = create_app({name: value for name, value in environment.items() if name in DEFAULTS})
    post = signed_poster(app.test_client())
    rounds = 1 if profile else max(1, min(rounds, requests))
    sids = [fresh_sid() for _ in range(requests + WARM_UP)]
    calls = [new_call(sid, caller_of(n)) for n, sid in enumerate(sids)]
    presses = [key_press(sid, caller_of(n)) for n, sid in enumerate(sids)]
    cpu_ms(post, calls[:WARM_UP])
    cpu_ms(post, presses[:WARM_UP])
    spent: dict[str, list[float]] = {"forbidden": [], "new_call": [], "key_press": []}
    for part in range(rounds):
        these = slice(
            WARM_UP + part * requests // rounds, WARM_UP + (part + 1) * requests // rounds
        )
        spent["forbidden"].append(cpu_ms(post, calls[these], sign=False, expect=403))
        spent["new_call"].append(cpu_ms(post, calls[these], profile=profile))
        spent["key_press"].append(cpu_ms(post, presses[these], profile=profile))
    figures = {kind: statistics.median(figures) for kind, figures in spent.items()}
    figures["best_new_call"] = min(spent["new_call"])
    engine = app.extensions["sessionmaker"].kw["bind"]
    engine.dispose()
    if quiet:
        return figures
    name = f"webhook_cpu {engine.dialect.name}"
    report(
        f"{name} new_call",
        cpu_ms=figures["new_call"],
        best_round_cpu_ms=figures["best_new_call"],
        forbidden_cpu_ms=figures["forbidden"],
        ratio=ratio(figures["new_call"], figures["forbidden"]),
        requests=requests,
        rounds=rounds,
        **judged(figures["new_call"], TARGET_NEW_CALL_MS, at_most=True, unit="ms"),
    )
    report(f"{name} key_press", cpu_ms=figures["key_press"], requests=requests, rounds=rounds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="URL of a database made by bench.dataset")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()
    run(
        arguments.url,
        requests=arguments.requests,
        rounds=arguments.rounds,
        profile=arguments.profile,
    )


if __name__ == "__main__":
    main()
