"""``bin/bench`` keeps the latest figures in a results file, one line per figure's name."""

from __future__ import annotations

import json

from bench.measure import RESULTS_VARIABLE, report


def test_each_figure_replaces_its_previous_line_in_the_results_file(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    monkeypatch.setenv(RESULTS_VARIABLE, str(results))

    report("export sqlite", rows_per_s=50_000.0)
    report("webhooks postgresql new_call/floor", ratio=0.12)
    report("export sqlite", rows_per_s=120_000.0)

    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results")
    assert "`export sqlite: rows_per_s=120,000.0`" in text
    assert "50,000" not in text
    assert text.index("export sqlite") < text.index("webhooks postgresql")
    kept = json.loads(results.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(kept) == {"export sqlite", "webhooks postgresql new_call/floor"}
    assert "cores, load" in kept["export sqlite"]["conditions"]


def test_without_the_variable_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(RESULTS_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)

    report("export sqlite", rows_per_s=1.0)

    assert capsys.readouterr().out == "bench: export sqlite: rows_per_s=1.00\n"
    assert list(tmp_path.iterdir()) == []
