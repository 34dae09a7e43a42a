"""Charts as inline SVG, drawn on the server: no script, no network, prints as it shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from babel.numbers import format_percent
from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#e07b39", "#2e7d32", "#8e44ad", "#b3261e", "#00838f", "#6d4c41")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
#: The width of a character of ``FONT``, generously: labels are measured before drawing.
CHAR_WIDTH = 8.0
NO_DATA = "нет данных за выбранный период"


def _fit(label: str, room: float) -> str:
    """``label`` cut to ``room`` pixels with «…» (the whole label stays in its tooltip)."""
    most = max(int(room / CHAR_WIDTH), 4)
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def _share(value: int, total: int) -> str:
    return format_percent(value / total, "#,##0\u00a0%", locale="ru")


def _tick_step(peak: int) -> int:
    """A round step (1, 2, 5, 10, 20, 50 …) giving at most five ticks up to ``peak``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= 5 * step * factor:
                return step * factor
        step *= 10


def bars(
    items: Sequence[tuple[str, int]], *, title: str, width: int = 560, empty: str = NO_DATA
) -> Markup:
    """Horizontal bars with a label, the count and its share of the total.

    Labels get the room the longest needs (up to half the width; a longer one is cut
    with «…» and shown whole as its tooltip); without items the chart says ``empty``.
    """
    total = sum(value for _, value in items) or 1
    row, top, figures_width = 24, 28, 90
    longest_label = max((len(label) for label, _ in items), default=0)
    label_width = min(max(longest_label * CHAR_WIDTH + 16, 80), width * 0.5)
    height = top + row * max(len(items), 1) + 8
    longest = max((value for _, value in items), default=0) or 1
    scale = (width - label_width - figures_width) / longest
    parts = [_open(width, height, title), _title(title)]
    for n, (label, value) in enumerate(items):
        y = top + n * row
        parts.append(
            f'<text x="{label_width - 8:.1f}" y="{y + 15}" text-anchor="end" {FONT}>'
            f"<title>{escape(label)}</title>{escape(_fit(label, label_width - 12))}</text>"
            f'<rect x="{label_width:.1f}" y="{y + 3}" width="{max(value * scale, 1):.1f}" '
            f'height="{row - 8}" fill="{PALETTE[n % len(PALETTE)]}"/>'
            f'<text x="{label_width + value * scale + 6:.1f}" y="{y + 15}" {FONT}>'
            f"{value} ({_share(value, total)})</text>"
        )
    if not items:
        parts.append(f'<text x="10" y="{top + 15}" {FONT}>{escape(empty)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def calls_per_day(
    per_day: dict[date, dict[str, int]],
    series: Sequence[tuple[str, str]],
    since: date,
    until: date,
    *,
    title: str,
    width: int = 860,
    empty: str = NO_DATA,
) -> Markup:
    """Calls per day, stacked by line; ``series`` is ``(line number, label)`` in order.

    The y-axis has round ticks with grid lines; a period without calls says ``empty``.
    """
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    left, top, bottom, height = 40, 28, 40, 260
    plot_height = height - top - bottom
    step = (width - left - 10) / max(len(days), 1)
    peak = max((sum(counts.values()) for counts in per_day.values()), default=0)
    step_value = _tick_step(max(peak, 1))
    axis_top = -(-max(peak, 1) // step_value) * step_value
    scale = plot_height / axis_top
    parts = [_open(width, height + 20 * len(series), title), _title(title)]
    for value in range(0, axis_top + 1, step_value):
        y = top + plot_height - value * scale
        grid = "#999" if value == 0 else "#e3e7ec"
        parts.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{grid}"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{value}</text>'
        )
    if not peak:
        parts.append(
            f'<text x="{(left + width) / 2:.1f}" y="{top + plot_height / 2:.1f}" '
            f'text-anchor="middle" {FONT}>{escape(empty)}</text>'
        )
    label_every = max(1, len(days) // 12)
    for n, day in enumerate(days):
        x = left + n * step
        base = top + plot_height
        for index, (line, _) in enumerate(series):
            count = per_day.get(day, {}).get(line, 0)
            if count:
                bar = count * scale
                base -= bar
                parts.append(
                    f'<rect x="{x + 1:.1f}" y="{base:.1f}" width="{max(step - 2, 1):.1f}" '
                    f'height="{bar:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                    f"<title>{day:%d.%m}: {count}</title></rect>"
                )
        if n % label_every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{top + plot_height + 16}" '
                f'text-anchor="middle" {FONT}>{day:%d.%m}</text>'
            )
    for index, (_, label) in enumerate(series):
        y = height + 20 * index
        parts.append(
            f'<rect x="{left}" y="{y - 10}" width="12" height="12" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{left + 18}" y="{y}" {FONT}><title>{escape(label)}</title>'
            f"{escape(_fit(label, width - left - 28))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
    )


def _title(title: str) -> str:
    return f'<text x="10" y="18" font-weight="600" {FONT}>{escape(title)}</text>'
