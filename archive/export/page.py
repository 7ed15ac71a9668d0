"""The timeline as one self-contained HTML page: cards per post, a posts-per-week chart in UTC
weeks, inline CSS and SVG, no scripts; everything escaped, only http(s) links."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from archive.export.posts import AthleteHead, TimelinePost
from archive.records import COUNT_KEYS

# Bidi embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")

PLATFORM_NAMES = {
    "tiktok": "TikTok",
    "instagram": "Instagram",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "youtube": "YouTube",
    "x": "X",
}
PLATFORM_COLORS = {
    "tiktok": "#111827",
    "instagram": "#c13584",
    "bluesky": "#1185fe",
    "mastodon": "#6364ff",
    "youtube": "#e62117",
    "x": "#4b5563",
}
_CSS = """
:root{--bg:#f4f5f7;--card:#fff;--ink:#1f2933;--muted:#66788a;--line:#e4e7eb;--accent:#0b6bcb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP",sans-serif}
main{max-width:860px;margin:0 auto;padding:32px 20px 64px}
header.top h1{margin:0;font-size:30px;letter-spacing:-.01em}
header.top p{margin:4px 0 0;color:var(--muted)}
.chart{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:16px 18px;
 margin:24px 0 8px}
.chart h2{font-size:14px;margin:0 0 8px;color:var(--muted);font-weight:600;text-transform:uppercase;
 letter-spacing:.06em}
.chart svg{width:100%;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:8px;font-size:13px;color:var(--muted)}
.legend i{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px}
h2.month{position:sticky;top:0;z-index:1;background:var(--bg);margin:28px 0 10px;padding:8px 0;
 font-size:18px;border-bottom:1px solid var(--line)}
article{background:var(--card);border:1px solid var(--line);border-radius:14px;
 padding:14px 18px 12px;margin:0 0 12px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
article.gone{background:#fbf7f7;border-style:dashed}
article header{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;font-size:13px;
 color:var(--muted)}
.badge{color:#fff;border-radius:999px;padding:1px 10px;font-weight:600;font-size:12px}
.state{border-radius:999px;padding:1px 8px;font-size:12px;font-weight:600;background:#fde8e8;
 color:#b42318}
.caption{white-space:pre-wrap;overflow-wrap:anywhere;margin:10px 0 8px;font-size:15.5px;
 unicode-bidi:isolate}
bdi{unicode-bidi:isolate}
article.gone .caption{color:#6b5f5f}
.tags{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0;padding:0;list-style:none}
.tags li{background:#eef4fb;color:#0b4f91;border-radius:6px;padding:0 7px;font-size:13px}
.tags li.m{background:#f1effa;color:#5a3ea8}
.sound{font-size:13px;color:#4a5a6a;margin:6px 0}
.counts{display:flex;flex-wrap:wrap;gap:4px 18px;margin:8px 0 4px;font-size:13px}
.counts b{font-variant-numeric:tabular-nums}
.counts span{color:var(--muted)}
footer{font-size:12.5px;color:var(--muted);border-top:1px solid var(--line);margin-top:8px;
 padding-top:8px;overflow-wrap:anywhere}
footer a,article a{color:var(--accent);text-decoration:none}
details{margin-top:6px}
summary{cursor:pointer;color:#8a5a00;font-size:13px}
details ol{margin:6px 0 0;padding-left:20px;font-size:13.5px}
details li{margin-bottom:6px}
details li .caption{margin:2px 0;font-size:13.5px}
table.hist{border-collapse:collapse;font-size:12.5px;margin-top:6px}
table.hist td,table.hist th{padding:2px 10px 2px 0;text-align:right;
 font-variant-numeric:tabular-nums}
table.hist th:first-child,table.hist td:first-child{text-align:left}
.empty{color:var(--muted);font-style:italic}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bdi(value: object) -> str:
    """Text from a platform or the roster, escaped and direction-isolated: a right-to-left
    override (U+202E) or a stray isolate in it cannot reorder the text around it."""
    return f"<bdi>{_e(value)}</bdi>"


def _plain_isolated(value: object) -> str:
    """Isolated text where no element may go (``<title>``): FSI … PDI around it, with the bidi
    controls inside taken out, since an unmatched PDI there would end the isolation early."""
    return "\u2068" + _e(_BIDI_CONTROL.sub("", "" if value is None else str(value))) + "\u2069"


def safe_link(url: str | None, label: str) -> str:
    """An ``<a>`` for http(s) URLs only; anything else (javascript:, data:) is shown as text.

    The label, and a URL shown as text, are direction-isolated (``<bdi>``).
    """
    if url:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            return f'<a href="{_e(url.strip())}" rel="noopener noreferrer">{_bdi(label)}</a>'
    return _bdi(label) if not url else f"{_bdi(label)}: {_bdi(url)}"


def _when(ts: str | None) -> str:
    return ts.replace("T", " ")[:16] + " UTC" if ts else "no date"


def _chart(weeks: dict[tuple[date, str], int]) -> str:
    """The chart and its legend (colours as inline styles: the page is self-contained)."""
    if not weeks:
        return '<p class="empty">No dated posts.</p>'
    platforms = sorted({p for _, p in weeks})
    per = {p: sum(c for (_, q), c in weeks.items() if q == p) for p in platforms}
    legend = "".join(
        f'<span><i style="background:{PLATFORM_COLORS.get(p, "#8896a5")}"></i>'
        f"{_e(PLATFORM_NAMES.get(p, p))} {per[p]}</span>"
        for p in platforms
    )
    return rhythm_svg(weeks) + f'<div class="legend">{legend}</div>'


def rhythm_svg(weeks: dict[tuple[date, str], int]) -> str:
    """Posts per UTC week, stacked by platform, as inline SVG (tooltips via <title>, no JS, no
    style attributes: a page whose policy forbids inline styles shows it as well); ``""`` for
    no weeks."""
    if not weeks:
        return ""
    first = min(w for w, _ in weeks)
    last = max(w for w, _ in weeks)
    n = (last - first).days // 7 + 1
    platforms = sorted({p for _, p in weeks})
    totals = dict.fromkeys((first + timedelta(weeks=i) for i in range(n)), 0)
    for (w, _), c in weeks.items():
        totals[w] += c
    peak = max(totals.values())
    left, top, height, width = 34, 8, 140, 860
    bar = min((width - left - 4) / n, 28.0)  # a few weeks: bars, not one block
    out = [
        f'<svg viewBox="0 0 {width:.0f} {top + height + 24}" role="img" '
        f'aria-label="posts per week">',
        f'<line x1="{left}" y1="{top + height}" x2="{width}" y2="{top + height}" '
        'stroke="#cbd2d9"/>',
        f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end" '
        f'fill="#66788a">{peak}</text>',
        f'<text x="{left - 6}" y="{top + height}" font-size="11" text-anchor="end" '
        'fill="#66788a">0</text>',
    ]
    label_every = "year" if n > 80 else "month"
    prev = None
    last_label = -1000.0
    for i, w in enumerate(totals):
        x = left + i * bar
        key = w.year if label_every == "year" else (w.year, w.month)
        if key != prev and x - last_label >= 64:
            last_label = x
            label = str(w.year) if label_every == "year" else w.strftime("%b %Y")
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + height}" '
                'stroke="#eef0f3"/>'
                f'<text x="{x:.1f}" y="{top + height + 16}" font-size="11" '
                f'fill="#66788a">{_e(label)}</text>'
            )
            prev = key
        y: float = top + height
        for p in platforms:
            c = weeks.get((w, p), 0)
            if not c:
                continue
            h = height * c / peak
            y -= h
            out.append(
                f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(bar - 1, 1):.1f}" '
                f'height="{h:.1f}" rx="1" fill="{PLATFORM_COLORS.get(p, "#8896a5")}">'
                f"<title>week of {w.isoformat()}: {c} on "
                f"{_e(PLATFORM_NAMES.get(p, p))}</title></rect>"
            )
    out.append("</svg>")
    return "".join(out)


def _card(p: TimelinePost) -> str:
    plat = p["platform"]
    gone = p["availability"] != "active"
    head = [
        f'<span class="badge" style="background:{PLATFORM_COLORS.get(plat, "#8896a5")}">'
        f"{_e(PLATFORM_NAMES.get(plat, plat))}</span>",
        f'<time datetime="{_e(p["posted_at"])}">{_e(_when(p["posted_at"]))}</time>',
    ]
    if p["handle"]:
        head.append(f"<span>@{_bdi(p['handle'])}</span>")
    if gone:
        head.append(f'<span class="state">{_e(p["availability"])}</span>')
    if p["edits"]:
        head.append(
            f'<span class="state" style="background:#fff4e0;color:#8a5a00">edited '
            f"{p['edits']}×</span>"
        )
    # dir="auto": each caption takes its direction from its own first strong letter, isolated
    # from the page (an Arabic caption reads right to left; an RLO in it stays inside).
    body = [
        f'<p class="caption" dir="auto">{_e(p["caption"])}</p>'
        if p["caption"]
        else '<p class="caption"><span class=empty>no caption</span></p>'
    ]
    tags = [f"<li>#{_bdi(t)}</li>" for t in p["hashtags"]]
    tags += [f'<li class="m">@{_bdi(m)}</li>' for m in p["mentions"]]
    if tags:
        body.append(f'<ul class="tags">{"".join(tags)}</ul>')
    if p["sound"]:
        s = p["sound"]
        body.append(
            f'<p class="sound">♪ {_bdi(s["title"] or "")}'
            f"{' — ' + _bdi(s['artist']) if s['artist'] else ''}</p>"
        )
    counts = [f"<span><b>{v:,}</b> {c}</span>" for c, v in p["counts"].items() if v is not None]
    if counts:
        body.append(f'<div class="counts">{"".join(counts)}</div>')
    if len(p["versions"]) > 1:
        items = "".join(
            f"<li><time>{_e(_when(v['observed_at']))}</time> · {_e(v['source_kind'])}"
            f'<p class="caption" dir="auto">{_e(v["caption"])}</p></li>'
            for v in p["versions"]
        )
        body.append(
            f"<details><summary>{len(p['versions'])} caption versions</summary>"
            f"<ol>{items}</ol></details>"
        )
    if len(p["snapshots"]) > 1:
        rows = "".join(
            "<tr><td>"
            + _e(_when(s["captured_at"]))
            + "</td>"
            + "".join(f"<td>{'' if v is None else f'{v:,}'}</td>" for v in map(s.get, COUNT_KEYS))
            + "</tr>"
            for s in p["snapshots"]
        )
        header = "".join(f"<th>{c}</th>" for c in COUNT_KEYS)
        body.append(
            f"<details><summary>{len(p['snapshots'])} count snapshots</summary>"
            f'<table class="hist"><tr><th>captured</th>{header}</tr>{rows}</table>'
            "</details>"
        )
    foot = [f"language {_e(p['language'])}"]
    foot.append(safe_link(p["url"], "original post"))
    if p["source_url"] and p["source_url"] != p["url"]:
        foot.append(safe_link(p["source_url"], "fetched from"))
    foot.append(
        f"first seen {_e(_when(p['first_seen_at']))}, last seen {_e(_when(p['last_seen_at']))}"
    )
    foot += ["in " + safe_link(a["url"], a["title"] or a["url"]) for a in p["articles"]]
    return (
        f'<article class="{"gone" if gone else ""}"><header>{"".join(head)}</header>'
        f"{''.join(body)}<footer>{' · '.join(foot)}</footer></article>\n"
    )


def html_chunks(
    athlete: AthleteHead,
    weeks: dict[tuple[date, str], int],
    posts: Iterable[TimelinePost],
    *,
    platform: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Iterator[str]:
    """The self-contained HTML page: inline CSS and SVG, no scripts, no external assets."""
    name = athlete["name"] or athlete["slug"]
    about = " · ".join(_bdi(x) for x in (athlete["sport"], athlete["country"]) if x)
    scope = [f"on {_e(PLATFORM_NAMES.get(platform, platform))}" if platform else "all platforms"]
    if since or until:
        scope.append(f"{since or '…'} to {until or '…'}")
    total = sum(weeks.values())
    yield (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_plain_isolated(name)} — Podium timeline</title><style>{_CSS}</style></head>"
        f'<body><main><header class="top"><h1 dir="auto">{_e(name)}</h1>'
        f"<p>{about}{' · ' if about else ''}"
        f"{_e(athlete['slug'])} · {total:,} dated posts, {' '.join(scope)}</p></header>"
        f'<section class="chart"><h2>Posts per week (UTC)</h2>{_chart(weeks)}</section>\n'
    )
    month = None
    count = 0
    for p in posts:
        m = p["posted_at"][:7] if p["posted_at"] else "undated"
        if m != month:
            label = (
                datetime.strptime(m, "%Y-%m").strftime("%B %Y")  # noqa: DTZ007
                if m != "undated"
                else "Undated"
            )
            yield f'<h2 class="month" id="m-{_e(m)}">{_e(label)}</h2>\n'
            month = m
        count += 1
        yield _card(p)
    if not count:
        yield '<p class="empty">No posts in the archive for this selection.</p>'
    yield "</main></body></html>\n"
