"""Charts drawn on the server as SVG: a post's counts over time, and when it was seen.

Only numbers and fixed words reach the markup (no caption, no name), and colours are
attributes, not styles: the pages' Content-Security-Policy forbids inline styles and scripts.
The posting-rhythm chart is the timeline export's (``archive.export.rhythm_svg``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from archive.records import COUNT_KEYS

COUNT_COLORS = {
    "views": "#0b6bcb",
    "likes": "#c13584",
    "comments": "#2f855a",
    "shares": "#b7791f",
    "saves": "#6364ff",
}


@dataclass(frozen=True, slots=True)
class Sparkline:
    """One count over time: its first and last value, and the SVG."""

    key: str
    first: int
    last: int
    svg: str


def _x(t: datetime, start: datetime, span: float, left: float, width: float) -> float:
    return left + (width * (t - start).total_seconds() / span if span else width / 2)


def count_sparklines(
    snapshots: Sequence[tuple[datetime, dict[str, int | None]]],
) -> list[Sparkline]:
    """A small line chart per count that has at least one value, each on its own scale (views
    and comments differ by orders of magnitude); a dot per snapshot, its value in a tooltip."""
    if not snapshots:
        return []
    start, end = snapshots[0][0], snapshots[-1][0]
    span = (end - start).total_seconds()
    width, height, pad = 240.0, 48.0, 5.0
    out = []
    for key in COUNT_KEYS:
        points = [(t, v[key]) for t, v in snapshots if v.get(key) is not None]
        if not points:
            continue
        values = [int(v) for _, v in points if v is not None]
        low, high = min(values), max(values)
        rng = (high - low) or 1
        xy = [
            (
                _x(t, start, span, pad, width - 2 * pad),
                height - pad - (height - 2 * pad) * ((int(v or 0) - low) / rng),
            )
            for t, v in points
        ]
        color = COUNT_COLORS[key]
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        dots = "".join(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
            f"<title>{t:%Y-%m-%d %H:%M} UTC: {int(v or 0):,} {key}</title></circle>"
            for (x, y), (t, v) in zip(xy, points, strict=True)
        )
        svg = (
            f'<svg viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-label="{key} over time" class="spark">'
            f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
            'stroke="#e4e7eb"/>'
            f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2" '
            'stroke-linejoin="round"/>'
            f"{dots}</svg>"
        )
        out.append(Sparkline(key, values[0], values[-1], svg))
    return out


AVAILABILITY_COLORS = {
    "active": "#2f855a",
    "deleted": "#c53030",
    "blocked": "#b7791f",
    "private": "#6b46c1",
    "unknown": "#8896a5",
}


@dataclass(frozen=True, slots=True)
class Stretch:
    """A stretch of time in one state."""

    state: str
    start: datetime
    end: datetime


def availability_svg(stretches: Sequence[Stretch], seen: Sequence[datetime]) -> str:
    """A band of the post's states from its first sighting on, a tick at each time the archive
    holds an observation of it (a caption version, a count snapshot)."""
    if not stretches:
        return ""
    start, end = stretches[0].start, stretches[-1].end
    span = (end - start).total_seconds()
    width, left, right = 600.0, 4.0, 4.0
    inner = width - left - right
    parts = [
        f'<svg viewBox="0 0 {width:.0f} 46" role="img" aria-label="availability over time" '
        'class="avail">'
    ]
    for i, s in enumerate(stretches):
        x0 = _x(s.start, start, span, left, inner) if span else left
        x1 = _x(s.end, start, span, left, inner) if span else left + inner
        w = max(x1 - x0, 3.0)
        if i == len(stretches) - 1 and i and w < 24:  # the state it ended in stays visible
            x0, w = min(x0, width - right - 24), 24.0
        parts.append(
            f'<rect x="{x0:.1f}" y="8" width="{w:.1f}" height="16" rx="3" '
            f'fill="{AVAILABILITY_COLORS.get(s.state, "#8896a5")}">'
            f"<title>{s.state}: {s.start:%Y-%m-%d %H:%M} to {s.end:%Y-%m-%d %H:%M} UTC"
            "</title></rect>"
        )
    for t in seen:
        x = _x(t, start, span, left, inner) if span else left + inner / 2
        parts.append(
            f'<line x1="{x:.1f}" y1="27" x2="{x:.1f}" y2="33" stroke="#1f2933" stroke-width="1.5">'
            f"<title>observed {t:%Y-%m-%d %H:%M} UTC</title></line>"
        )
    parts.append(
        f'<text x="{left}" y="44" font-size="10" fill="#66788a">{start:%Y-%m-%d}</text>'
        f'<text x="{width - right}" y="44" font-size="10" fill="#66788a" '
        f'text-anchor="end">{end:%Y-%m-%d}</text></svg>'
    )
    return "".join(parts)
