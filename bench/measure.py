"""What every benchmark prints: its figures, and each against a baseline of the same run.

A benchmark prints one ``bench:`` line per figure, so that a run can be read by eye::

    bench: webhooks sqlite: new_call_rps=812.4 floor_rps=1,530.2 ratio=0.53 target>=0.5 met

With ``BENCH_RESULTS`` set (``bin/bench`` sets it to ``bench/RESULTS.md``) each line also
replaces the previous run's line of the same name in that file, which the README links,
with when it was measured and on what: no figure is copied by hand.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


def percentile(samples: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest sample with ``share`` of them at or below."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Timings:
    """Durations in seconds of one kind of request or query."""

    samples: list[float] = field(default_factory=list)

    def time(self, work: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = work()
        self.samples.append(time.perf_counter() - started)
        return result

    @property
    def p50_ms(self) -> float:
        return percentile(self.samples, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples, 99) * 1000


def ratio(measured: float, baseline: float) -> float:
    return measured / baseline if baseline else math.inf


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def judged(value: float, target: float, *, at_most: bool = False, unit: str = "") -> dict[str, str]:
    """A report line's ``target`` and ``verdict``: ``value >= target``, or ``<=`` with
    ``at_most``; the target is printed from the number it is checked against."""
    met = value <= target if at_most else value >= target
    return {
        "target": f"{'<=' if at_most else '>='}{target:,g}{unit}",
        "verdict": verdict(met),
    }


def _format(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def report(name: str, **figures: object) -> str:
    """Print (and return) one ``bench:`` line: ``bench: <name>: key=value ...``."""
    line = f"bench: {name}: " + " ".join(f"{key}={_format(v)}" for key, v in figures.items())
    print(line, flush=True)
    if path := os.environ.get(RESULTS_VARIABLE):
        keep_result(Path(path), name, line)
    return line


RESULTS_VARIABLE = "BENCH_RESULTS"
RESULTS_HEADER = """# Benchmark results

The latest line of every figure, written by `bin/bench` (`bench/measure.py`) as it
measures: see README "Benchmarks" for what each benchmark does and its targets. The
machine is shared (2 cores, other work running), so the load average at the time is
given with each figure; ratios to a baseline measured in the same run are the figures
to compare across runs.

| figure | measured | conditions |
|---|---|---|
"""


def conditions() -> str:
    """The machine as a figure was measured on it."""
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, load {load:.1f}, Python {platform.python_version()}"


def keep_result(path: Path, name: str, line: str) -> None:
    """Put ``line`` in the results file at ``path`` in place of the last one of ``name``.

    The figures are kept as JSON beside it (``.json``) and the Markdown file is written
    from them, sorted by name.
    """
    store = path.with_suffix(".json")
    results = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    results[name] = {
        "line": line,
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "conditions": conditions(),
    }
    store.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    rows = [
        f"| `{line['line'].removeprefix('bench: ')}` | {line['at']} | {line['conditions']} |"
        for _, line in sorted(results.items())
    ]
    path.write_text(RESULTS_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
