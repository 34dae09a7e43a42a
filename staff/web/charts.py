"""Charts as inline SVG, drawn on the server: no script, no network, prints as it shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#e07b39", "#2e7d32", "#8e44ad", "#b3261e", "#00838f", "#6d4c41")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def bars(items: Sequence[tuple[str, int]], *, title: str, width: int = 560) -> Markup:
    """Horizontal bars with a label, the count and its share of the total."""
    total = sum(value for _, value in items) or 1
    label_width, row, top = 230, 24, 28
    height = top + row * max(len(items), 1) + 8
    longest = max((value for _, value in items), default=0) or 1
    scale = (width - label_width - 90) / longest
    parts = [_open(width, height, title), _title(title)]
    for n, (label, value) in enumerate(items):
        y = top + n * row
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{max(value * scale, 1):.1f}" '
            f'height="{row - 8}" fill="{PALETTE[n % len(PALETTE)]}"/>'
            f'<text x="{label_width + value * scale + 6:.1f}" y="{y + 15}" {FONT}>'
            f"{value} ({100 * value / total:.0f}%)</text>"
        )
    if not items:
        parts.append(f'<text x="{label_width}" y="{top + 15}" {FONT}>нет данных</text>')
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
) -> Markup:
    """Calls per day, stacked by line; ``series`` is ``(line number, label)`` in order."""
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    left, top, bottom, height = 40, 28, 40, 260
    plot_height = height - top - bottom
    step = (width - left - 10) / max(len(days), 1)
    peak = max((sum(counts.values()) for counts in per_day.values()), default=0) or 1
    scale = plot_height / peak
    parts = [_open(width, height + 20 * len(series), title), _title(title)]
    parts.append(
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" {FONT}>{peak}</text>'
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 10}" '
        f'y2="{top + plot_height}" stroke="#999"/>'
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
            f'<text x="{left + 18}" y="{y}" {FONT}>{escape(label)}</text>'
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
