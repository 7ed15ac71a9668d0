"""Per-athlete timeline export, streamed: NDJSON, CSV, JSON and a self-contained HTML page.

Posts come from one server-side/chunked query ordered by ``posted_at`` then ``id``; their tags,
mentions, edits, articles (and for JSON/HTML, caption versions and count snapshots) are fetched
per chunk, and each format writes as it goes, so memory stays flat however long the timeline is.
Nothing in the output depends on the clock or on dict order: two exports of the same archive
diff cleanly.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from archive import store
from archive.errors import QueryError

log = logging.getLogger(__name__)

__all__ = [
    "FORMATS",
    "clean_text",
    "export_timeline",
    "html_chunks",
    "iter_timeline",
    "neutralize_cell",
    "safe_link",
]

FORMATS = ("ndjson", "csv", "json", "html")
CSV_BOM = "\ufeff"  # the byte-order mark every CSV of podium starts with
CHUNK = 1000
COUNTS = ("views", "likes", "comments", "shares", "saves")
CSV_COLUMNS = (
    "posted_at",
    "platform",
    "platform_post_id",
    "url",
    "handle",
    "caption",
    "language",
    "declared_language",
    "hashtags",
    "mentions",
    "sound",
    *COUNTS,
    "availability",
    "edits",
    "articles",
    "source_url",
    "first_seen_at",
    "last_seen_at",
)
# Cells a spreadsheet would run as a formula (OWASP's list, with tab and carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters other than tab, newline and carriage return (C0, DEL, C1) and lone
# surrogates: captions carry them (NUL from broken payloads), but HTML forbids them, JSON
# readers and spreadsheets choke on them, and a NUL ends a string in C tools. Each becomes U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidi embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")

post_t, account_t, sound_t = store.post_t, store.account_t, store.sound_t
payload_t, version_t, metric_t = store.payload_t, store.version_t, store.metric_t


@functools.lru_cache(maxsize=1024)
def iso(value: Any) -> str | None:
    """A UTC timestamp as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (SQLite text or a datetime).

    Cached: first/last-seen times repeat across a crawl's posts.
    """
    if value is None:
        return None
    if isinstance(value, str):  # SQLite keeps naive UTC text: no parsing needed
        return value.replace(" ", "T", 1).removesuffix(".000000") + "Z"
    text: str = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def clean_text(value: Any) -> Any:
    """A string without control characters (tab, newline, CR kept): each becomes U+FFFD.

    Anything else is returned as it is. Every text field of every export goes through this.
    """
    if isinstance(value, str):
        return _CONTROL.sub("\ufffd", value)
    return value


def _clean_chunks(chunks: Iterable[str]) -> Iterator[str]:
    """The last guard of every format: no control character reaches the output bytes."""
    for chunk in chunks:
        yield _CONTROL.sub("\ufffd", chunk)


def neutralize_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: ``'`` before a leading ``= + - @`` (tab, CR)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _bounds(since: date | None, until: date | None) -> list[Any]:
    conds = []
    if since is not None:
        conds.append(post_t.c.posted_at >= datetime.combine(since, time(0), tzinfo=UTC))
    if until is not None:
        conds.append(
            post_t.c.posted_at < datetime.combine(until, time(0), tzinfo=UTC) + timedelta(days=1)
        )
    return conds


def _text_ts(conn: Connection, col: Any) -> Any:
    # On SQLite, read the stored text as is (formatted by iso()); parsing 3 datetimes per row
    # would be most of the export's time. PostgreSQL hands datetimes over anyway.
    return sa.type_coerce(col, sa.String) if conn.dialect.name == "sqlite" else col


def _post_query(
    conn: Connection, athlete_id: int, platform: str | None, since: date | None, until: date | None
) -> Any:
    ts = [
        _text_ts(conn, post_t.c[c]).label(c) for c in ("posted_at", "first_seen_at", "last_seen_at")
    ]
    accounts = sa.select(account_t.c.id).where(account_t.c.athlete_id == athlete_id)
    conds = [post_t.c.account_id.in_(accounts), *_bounds(since, until)]
    if platform:
        conds.append(post_t.c.platform == platform)
    return (
        sa.select(
            post_t.c.id,
            post_t.c.platform,
            post_t.c.platform_post_id,
            post_t.c.url,
            account_t.c.handle,
            *ts,
            post_t.c.caption,
            post_t.c.language,
            post_t.c.declared_language,
            post_t.c.availability,
            *(post_t.c[c] for c in COUNTS),
            sound_t.c.title.label("sound_title"),
            sound_t.c.artist.label("sound_artist"),
            payload_t.c.source_url,
        )
        .select_from(
            post_t.join(account_t, account_t.c.id == post_t.c.account_id)
            .outerjoin(sound_t, sound_t.c.id == post_t.c.sound_id)
            .outerjoin(payload_t, payload_t.c.id == post_t.c.raw_payload_id)
        )
        .where(*conds)
        .order_by(post_t.c.posted_at.is_(None), post_t.c.posted_at, post_t.c.id)
    )


def _grouped(conn: Connection, stmt: Any, ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in conn.execute(stmt, {"ids": _ids_param(conn, ids)}).tuples().all():
        out.setdefault(row[0], []).append(row)
    return out


def _ids_param(conn: Connection, ids: Sequence[int]) -> Any:
    return json.dumps(list(ids)) if conn.dialect.name == "sqlite" else list(ids)


def _in_ids(conn: Connection, col: Any) -> Any:
    """``col`` in the chunk's ids, as one bound value (a 1000-item IN list costs its compile)."""
    if conn.dialect.name == "sqlite":
        each = sa.func.json_each(sa.bindparam("ids")).table_valued("value")
        return col.in_(sa.select(each.c.value))
    return col == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer)))


def _related(conn: Connection, ids: Sequence[int], history: bool) -> dict[str, dict[int, Any]]:
    """Tags, mentions, edit counts, articles (and versions, snapshots) of a chunk of posts."""
    ht, pht, men = store.hashtag_t, store.post_hashtag_t, store.mention_t
    art, emb = store.article_t, store.embed_t
    rel: dict[str, dict[int, Any]] = {
        "hashtags": _grouped(
            conn,
            sa.select(pht.c.post_id, ht.c.display)
            .join(ht, ht.c.id == pht.c.hashtag_id)
            .where(_in_ids(conn, pht.c.post_id))
            .order_by(pht.c.post_id, pht.c.position),
            ids,
        ),
        "mentions": _grouped(
            conn,
            sa.select(men.c.post_id, men.c.display)
            .where(_in_ids(conn, men.c.post_id))
            .order_by(men.c.post_id, men.c.position),
            ids,
        ),
        "versions_n": {
            pid: rows[0][1]
            for pid, rows in _grouped(
                conn,
                sa.select(version_t.c.post_id, sa.func.count())
                .where(_in_ids(conn, version_t.c.post_id), version_t.c.source_kind == "platform")
                .group_by(version_t.c.post_id),
                ids,
            ).items()
        },
        "articles": _grouped(
            conn,
            sa.select(emb.c.post_id, art.c.url, art.c.title)
            .join(art, art.c.id == emb.c.article_id)
            .where(_in_ids(conn, emb.c.post_id))
            .order_by(emb.c.post_id, art.c.url, emb.c.position),
            ids,
        ),
    }
    if history:
        rel["versions"] = _grouped(
            conn,
            sa.select(
                version_t.c.post_id,
                _text_ts(conn, version_t.c.observed_at).label("observed_at"),
                version_t.c.source_kind,
                version_t.c.caption,
                _text_ts(conn, version_t.c.edited_at).label("edited_at"),
            )
            .where(_in_ids(conn, version_t.c.post_id))
            .order_by(version_t.c.post_id, version_t.c.observed_at, version_t.c.id),
            ids,
        )
        rel["snapshots"] = _grouped(
            conn,
            sa.select(
                metric_t.c.post_id,
                _text_ts(conn, metric_t.c.captured_at).label("captured_at"),
                *(metric_t.c[c] for c in COUNTS),
            )
            .where(_in_ids(conn, metric_t.c.post_id))
            .order_by(metric_t.c.post_id, metric_t.c.captured_at),
            ids,
        )
    return rel


def _post_dict(r: tuple[Any, ...], rel: dict[str, dict[int, Any]], history: bool) -> dict[str, Any]:
    # Positional: the columns of _post_query, in order (attribute access per field is slow).
    (
        pid,
        platform,
        platform_post_id,
        url,
        handle,
        posted_at,
        first_seen_at,
        last_seen_at,
        caption,
        language,
        declared_language,
        availability,
        views,
        likes,
        comments,
        shares,
        saves,
        sound_title,
        sound_artist,
        source_url,
    ) = r
    empty: tuple[Any, ...] = ()
    c = clean_text
    post: dict[str, Any] = {
        "platform": platform,
        "platform_post_id": c(platform_post_id),
        "url": c(url),
        "handle": c(handle),
        "posted_at": iso(posted_at),
        "caption": c(caption),
        "language": language,
        "declared_language": c(declared_language),
        "hashtags": [c(t[1]) for t in rel["hashtags"].get(pid, empty)],
        "mentions": [c(m[1]) for m in rel["mentions"].get(pid, empty)],
        "sound": {"title": c(sound_title), "artist": c(sound_artist)}
        if sound_title or sound_artist
        else None,
        "counts": {
            "views": views,
            "likes": likes,
            "comments": comments,
            "shares": shares,
            "saves": saves,
        },
        "availability": availability,
        "edits": max(0, rel["versions_n"].get(pid, 1) - 1),
        "articles": [{"url": c(a[1]), "title": c(a[2])} for a in rel["articles"].get(pid, empty)],
        "source_url": c(source_url),
        "first_seen_at": iso(first_seen_at),
        "last_seen_at": iso(last_seen_at),
    }
    if history:
        post["versions"] = [
            {
                "observed_at": iso(v[1]),
                "source_kind": v[2],
                "caption": c(v[3]),
                "edited_at": iso(v[4]),
            }
            for v in rel["versions"].get(pid, empty)
        ]
        post["snapshots"] = [
            {"captured_at": iso(s[1]), **dict(zip(COUNTS, s[2:], strict=True))}
            for s in rel["snapshots"].get(pid, empty)
        ]
    return post


def _athlete(engine: Engine, slug: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = store.require_athlete(conn, slug)
    return {
        "slug": clean_text(row["slug"]),
        "name": clean_text(row["name"]),
        "sport": clean_text(row["sport"]),
        "country": clean_text(row["country"]),
        "id": row["id"],
    }


def _iter_posts(
    engine: Engine,
    athlete_id: int,
    platform: str | None,
    since: date | None,
    until: date | None,
    history: bool,
) -> Iterator[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
            _post_query(conn, athlete_id, platform, since, until)
        )
        for rows in result.tuples().partitions():
            rel = _related(conn, [r[0] for r in rows], history)
            for r in rows:
                yield _post_dict(r, rel, history)


def iter_timeline(
    engine: Engine,
    athlete: str,
    *,
    platform: str | None = None,
    since: date | None = None,
    until: date | None = None,
    history: bool = False,
) -> Iterator[dict[str, Any]]:
    """One athlete's posts as dicts, oldest first (``history`` adds versions and snapshots).

    The athlete is checked at once (UnknownAthleteError names close matches); the posts are
    read lazily, a chunk at a time.
    """
    a = _athlete(engine, athlete)
    return _iter_posts(engine, a["id"], platform, since, until, history)


def _weekly(
    engine: Engine, athlete_id: int, platform: str | None, since: date | None, until: date | None
) -> dict[tuple[date, str], int]:
    """Posts per UTC week (its Monday) and platform: one small GROUP BY per day."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            day: Any = sa.func.date(post_t.c.posted_at)
        else:
            day = sa.cast(sa.func.timezone("UTC", post_t.c.posted_at), sa.Date)
        accounts = sa.select(account_t.c.id).where(account_t.c.athlete_id == athlete_id)
        conds = [
            post_t.c.account_id.in_(accounts),
            post_t.c.posted_at.is_not(None),
            *_bounds(since, until),
        ]
        if platform:
            conds.append(post_t.c.platform == platform)
        rows = conn.execute(
            sa.select(day.label("day"), post_t.c.platform, sa.func.count())
            .where(*conds)
            .group_by(day, post_t.c.platform)
        ).all()
    weeks: dict[tuple[date, str], int] = {}
    for d, plat, n in rows:
        d = date.fromisoformat(d) if isinstance(d, str) else d
        monday = d - timedelta(days=d.weekday())
        weeks[(monday, plat)] = weeks.get((monday, plat), 0) + n
    return weeks


def _dumps(value: Any) -> str:
    """Compact UTF-8 JSON (orjson: several times faster than the json module on big exports)."""
    return orjson.dumps(value).decode()


def _ndjson(posts: Iterable[dict[str, Any]]) -> Iterator[str]:
    lines: list[str] = []
    for p in posts:
        lines.append(_dumps(p))
        if len(lines) == 200:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


def _csv_row(p: dict[str, Any]) -> list[Any]:
    sound = p["sound"]
    values = {
        **p,
        **p["counts"],
        "hashtags": " ".join("#" + t for t in p["hashtags"]),
        "mentions": " ".join("@" + m for m in p["mentions"]),
        "sound": " - ".join(x for x in (sound["title"], sound["artist"]) if x) if sound else "",
        "articles": " ".join(a["url"] for a in p["articles"]),
    }
    return [neutralize_cell(values[c]) for c in CSV_COLUMNS]


def _csv(posts: Iterable[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    # A BOM, so spreadsheet programs read UTF-8 (accents, CJK, emoji) without an import dialog;
    # every CSV podium writes has one (archive.cli.CSV_BOM: athletes list, search, runs, problems).
    writer.writerow(CSV_COLUMNS)
    yield CSV_BOM + buf.getvalue()
    buf.seek(0)
    buf.truncate(0)
    for n, p in enumerate(posts, 1):
        writer.writerow(_csv_row(p))
        if n % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate(0)
    yield buf.getvalue()


def _json(athlete: dict[str, Any], posts: Iterable[dict[str, Any]]) -> Iterator[str]:
    head = {k: v for k, v in athlete.items() if k != "id"}
    yield '{"athlete": ' + json.dumps(head, ensure_ascii=False) + ',\n "posts": ['
    sep = "\n  "
    for p in posts:
        yield sep + _dumps(p)
        sep = ",\n  "
    yield "\n ]}\n"


# --- HTML -------------------------------------------------------------------------------------

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


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bdi(value: Any) -> str:
    """Text from a platform or the roster, escaped and direction-isolated: a right-to-left
    override (U+202E) or a stray isolate in it cannot reorder the text around it."""
    return f"<bdi>{_e(value)}</bdi>"


def _plain_isolated(value: Any) -> str:
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
    """Posts per UTC week, stacked by platform, as inline SVG (tooltips via <title>, no JS)."""
    if not weeks:
        return '<p class="empty">No dated posts.</p>'
    first = min(w for w, _ in weeks)
    last = max(w for w, _ in weeks)
    n = (last - first).days // 7 + 1
    platforms = sorted({p for _, p in weeks})
    totals = dict.fromkeys((first + timedelta(weeks=i) for i in range(n)), 0)
    for (w, _), c in weeks.items():
        totals[w] += c
    peak = max(totals.values())
    left, top, height, width = 34, 8, 140, 860
    bar = (width - left - 4) / n
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
    per = {p: sum(c for (_, q), c in weeks.items() if q == p) for p in platforms}
    legend = "".join(
        f'<span><i style="background:{PLATFORM_COLORS.get(p, "#8896a5")}"></i>'
        f"{_e(PLATFORM_NAMES.get(p, p))} {per[p]}</span>"
        for p in platforms
    )
    return "".join(out) + f'<div class="legend">{legend}</div>'


def _card(p: dict[str, Any]) -> str:
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
            + "".join(f"<td>{'' if s[c] is None else f'{s[c]:,}'}</td>" for c in COUNTS)
            + "</tr>"
            for s in p["snapshots"]
        )
        header = "".join(f"<th>{c}</th>" for c in COUNTS)
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
    athlete: dict[str, Any],
    weeks: dict[tuple[date, str], int],
    posts: Iterable[dict[str, Any]],
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


def export_timeline(
    engine: Engine,
    athlete: str,
    *,
    fmt: str = "ndjson",
    platform: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Iterator[str]:
    """One athlete's timeline as text chunks in ``fmt`` (ndjson, csv, json, html), streamed.

    Checks the athlete and format at once (UnknownAthleteError with close matches, QueryError);
    returns an iterator that reads and writes the posts a chunk at a time. ``since``/``until``
    are inclusive UTC dates. JSON and HTML carry each post's caption versions and count history.
    """
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    a = _athlete(engine, athlete)
    history = fmt in ("json", "html")
    posts = _iter_posts(engine, a["id"], platform, since, until, history)
    if fmt == "ndjson":
        return _clean_chunks(_ndjson(posts))
    if fmt == "csv":
        return _clean_chunks(_csv(posts))
    if fmt == "json":
        return _clean_chunks(_json(a, posts))
    weeks = _weekly(engine, a["id"], platform, since, until)
    return _clean_chunks(html_chunks(a, weeks, posts, platform=platform, since=since, until=until))
