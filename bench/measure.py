"""What every benchmark prints: its figures, and each against a baseline of the same run.

A benchmark prints one ``bench:`` line per figure, so that a run can be read by eye and
grepped into the README's table::

    bench: webhooks sqlite: new_call_rps=812.4 floor_rps=1,530.2 ratio=0.53 target>=0.5 met
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


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
    return line
