"""The cluster over time in inline SVG: members' sign-ups, then the members' API requests per hour.

Farms sign up in bursts or at a machine's steady rhythm and then pull answers around the clock;
both show at a glance here. The two panels have their own time axes, since sign-ups often span
hours and activity weeks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from statistics import median

from sybil.report.data import ReportData
from sybil.report.graph_svg import ACCOUNT_COLOURS, account_state

WIDTH, PANEL, LEFT, RIGHT = 1300, 150, 70, 20
EPOCH = datetime(1970, 1, 1)
_STEPS = [
    timedelta(minutes=m)
    for m in (1, 5, 10, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080, 20160, 43200)
]


def _secs(t: datetime) -> float:
    return (t.replace(tzinfo=None) - EPOCH).total_seconds()


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _ticks(start: float, end: float) -> tuple[list[float], str]:
    step = next((s for s in _STEPS if (end - start) / s.total_seconds() <= 8), _STEPS[-1])
    size = step.total_seconds()
    first = (start // size + 1) * size if start % size else start
    ticks = []
    t = first
    while t <= end:
        ticks.append(t)
        t += size
    return ticks, ("%m-%d %H:%M" if size < 86400 else "%Y-%m-%d")


def _axis(y: float, start: float, end: float, x_of: Callable[[float], float]) -> list[str]:
    ticks, fmt = _ticks(start, end)
    out = [f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#444"/>']
    for t in ticks:
        x = x_of(t)
        label = (EPOCH + timedelta(seconds=t)).strftime(fmt)
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="#444"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 16}" class="tick">{label}</text>')
    return out


def _range(values: list[float], pad_to: float) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < pad_to:
        mid = (lo + hi) / 2
        lo, hi = mid - pad_to / 2, mid + pad_to / 2
    pad = (hi - lo) * 0.02
    return lo - pad, hi + pad


def signup_summary(data: ReportData) -> str:
    times = sorted(_secs(m.created_at) for m in data.members if m.created_at is not None)
    if not times:
        return "no sign-up times"
    gaps = [b - a for a, b in itertools.pairwise(times)]
    text = f"{len(times)} sign-ups over {duration(times[-1] - times[0])}"
    if gaps:
        text += f", median gap {duration(median(gaps))}"
    return text


def render(data: ReportData) -> str:
    """Both panels as one `<svg>` element."""
    height = 2 * PANEL + 60
    plot = WIDTH - LEFT - RIGHT
    out = [
        f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="sign-ups and API requests over time">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fbfbfc"/>',
    ]
    # (seconds since the epoch, member) for members with a sign-up time, in sign-up order.
    signed = sorted(
        (_secs(m.created_at), m.account_id, m) for m in data.members if m.created_at is not None
    )
    base = PANEL - 10
    out.append(f'<text x="{LEFT}" y="16" class="panel">Sign-ups ({signup_summary(data)})</text>')
    if signed:
        start, end = _range([t for t, _, _ in signed], 3600.0)

        def x_of(t: float) -> float:
            return LEFT + (t - start) / (end - start) * plot

        columns: dict[int, int] = {}
        dots = []
        for t, _, m in signed:
            x = x_of(t)
            column = int(x // 6)
            level = columns.get(column, 0)
            columns[column] = level + 1
            dots.append((column * 6 + 3, level, m))
        top = max(columns.values())
        step = min(7.0, (base - 30) / max(top, 1))
        for x, level, m in dots:
            state = account_state(m)
            out.append(
                f'<circle class="signup" cx="{x:.1f}" cy="{base - 4 - level * step:.1f}" r="3" '
                f'fill="{ACCOUNT_COLOURS[state]}"><title>{escape(m.account_id)} '
                f"{m.created_at:%Y-%m-%d %H:%M:%S} UTC</title></circle>"
            )
        out += _axis(base, start, end, x_of)
    y0 = PANEL + 40
    base = y0 + PANEL - 10
    hours = [(_secs(h), r) for h, r in data.activity]
    total = sum(r for _, r in hours)
    out.append(
        f'<text x="{LEFT}" y="{y0 + 16}" class="panel">API requests per hour, all members '
        f"({total:,} requests in {len(hours):,} active hours)</text>"
    )
    if hours:
        start, end = _range([t for t, _ in hours] + [t + 3600 for t, _ in hours], 6 * 3600.0)

        def x_of(t: float) -> float:
            return LEFT + (t - start) / (end - start) * plot

        if signed:
            a = max(x_of(signed[0][0]), LEFT)
            b = min(x_of(signed[-1][0]), WIDTH - RIGHT)
            if b > LEFT and a < WIDTH - RIGHT:
                out.append(
                    f'<rect x="{a:.1f}" y="{y0 + 24}" width="{max(b - a, 2):.1f}" '
                    f'height="{base - y0 - 24}" fill="#f5d6d2" opacity="0.6">'
                    "<title>sign-up window</title></rect>"
                )
        peak = max(r for _, r in hours) or 1
        bar = max(plot * 3600 / (end - start), 1.0)
        for t, r in hours:
            h = (base - y0 - 30) * r / peak
            out.append(
                f'<rect class="activity" x="{x_of(t):.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="#2e5fa8"/>'
            )
        out.append(f'<text x="{LEFT - 6}" y="{y0 + 34}" class="ylab">{peak:,}</text>')
        out.append(f'<text x="{LEFT - 6}" y="{base}" class="ylab">0</text>')
        out += _axis(base, start, end, x_of)
    out.append("</svg>")
    return "\n".join(out)
