"""The call log's CSV export over every call: ``python -m bench.export URL``.

Both files are measured: the Russian one staff download (``/calls/export.csv``) and the
codes variant for machines (``?format=codes``, the bytes the export gave before it spoke
Russian).

The export is served in a child process (the real route, through a signed-in test client,
read as it streams), so that its peak memory is its own: the child reports its ``VmHWM``.
Baseline in the same run: the same calls read with a plain DB-API cursor and written with
``csv.writer`` to ``/dev/null``. Targets: at least 100,000 rows/s, the first byte within
200 ms, at most 150 MB resident.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

import db
from bench.measure import judged, ratio, report
from bench.staff_client import signed_in

#: The variants measured, by the name they are reported under.
EXPORT_PATHS = {
    "": "/calls/export.csv?since=&until=",
    "codes": "/calls/export.csv?since=&until=&format=codes",
}
TARGET_ROWS_PER_S, TARGET_TTFB_MS, TARGET_RSS_MB = 100_000.0, 200.0, 150.0
BASELINE_SQL = (
    'SELECT sid, started_at, line, caller, caller_raw, status, outcome, duration_s FROM "call" '
    "ORDER BY started_at DESC, id DESC"
)


@dataclass
class ExportResult:
    rows: int
    seconds: float
    ttfb_ms: float
    first_row_ms: float
    peak_rss_mb: float
    baseline_rows_per_s: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def serve_export(url: str, variant: str, out: Path | None) -> dict[str, float]:
    """In the child: fetch the export as it streams; rows, timings, the bytes to ``out``."""
    staff = signed_in(url)
    lines = 0
    first_byte = first_row = 0.0
    with open(out or os.devnull, "wb") as sink:
        started = time.perf_counter()
        reply = staff.client.get(EXPORT_PATHS[variant], buffered=False)
        if reply.status_code != 200:
            raise SystemExit(f"export answered {reply.status_code}")
        for chunk in reply.response:
            if not first_byte:
                first_byte = time.perf_counter() - started
            lines += chunk.count(b"\r\n")
            if not first_row and lines > 1:
                first_row = time.perf_counter() - started
            sink.write(chunk)
        seconds = time.perf_counter() - started
        reply.close()
    return {
        "rows": lines - 1,
        "seconds": seconds,
        "ttfb": first_byte,
        "first_row": first_row,
        "peak_rss_kb": peak_rss_kb(),
    }


def peak_rss_kb() -> int:
    """This process's own peak resident set (``VmHWM``).

    Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's peak over into a child
    through ``fork`` and ``exec``, so a child started after the baseline had read a million
    rows into the parent would report the parent's peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def baseline_rows_per_s(url: str) -> float:
    """The same calls through a plain DB-API cursor into ``csv.writer`` on ``/dev/null``."""
    engine = db.create_engine(url)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        cursor.execute(BASELINE_SQL)
        rows = 0
        with open(os.devnull, "w", newline="") as sink:
            writer = csv.writer(sink, delimiter=";")
            while batch := cursor.fetchmany(10_000):
                writer.writerows(batch)
                rows += len(batch)
        seconds = time.perf_counter() - started
        cursor.close()
    finally:
        connection.close()
        engine.dispose()
    return rows / seconds if seconds else 0.0


def run(
    url: str, *, variant: str = "", out: Path | None = None, quiet: bool = False
) -> ExportResult:
    """Serve one variant of the export in a child process and measure it; ``out`` keeps
    the CSV."""
    command = [sys.executable, "-m", "bench.export", url, "--serve", "--variant", variant]
    if out is not None:
        command += ["--out", str(out)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    assert child.stdout is not None
    with child.stdout:
        output = child.stdout.read()
    if child.wait() != 0:
        raise RuntimeError(f"the export child failed with {child.returncode}")
    figures = json.loads(output.decode().strip().splitlines()[-1])
    result = ExportResult(
        rows=int(figures["rows"]),
        seconds=figures["seconds"],
        ttfb_ms=figures["ttfb"] * 1000,
        first_row_ms=figures["first_row"] * 1000,
        peak_rss_mb=figures["peak_rss_kb"] / 1024,
        baseline_rows_per_s=baseline_rows_per_s(url),
    )
    if not quiet:
        name = " ".join(filter(None, ["export", sa.make_url(url).get_backend_name(), variant]))
        report(
            name,
            rows=result.rows,
            seconds=result.seconds,
            rows_per_s=result.rows_per_s,
            baseline_rows_per_s=result.baseline_rows_per_s,
            ratio=ratio(result.rows_per_s, result.baseline_rows_per_s),
            **judged(result.rows_per_s, TARGET_ROWS_PER_S),
        )
        report(
            f"{name} latency",
            ttfb_ms=result.ttfb_ms,
            first_row_ms=result.first_row_ms,
            **judged(result.ttfb_ms, TARGET_TTFB_MS, at_most=True, unit="ms"),
        )
        report(
            f"{name} memory",
            peak_rss_mb=result.peak_rss_mb,
            **judged(result.peak_rss_mb, TARGET_RSS_MB, at_most=True, unit="MB"),
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="URL of a database made by bench.dataset")
    parser.add_argument("--serve", action="store_true", help="be the child serving the export")
    parser.add_argument(
        "--out", type=Path, help="keep the CSV (the last variant measured) in this file"
    )
    parser.add_argument("--variant", choices=EXPORT_PATHS, default="", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        figures = serve_export(arguments.url, arguments.variant, arguments.out)
        print(json.dumps(figures), flush=True)
    else:
        for variant in EXPORT_PATHS:
            run(arguments.url, variant=variant, out=arguments.out)


if __name__ == "__main__":
    main()
