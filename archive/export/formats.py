"""The text formats of a timeline: NDJSON, CSV and JSON, written as the posts stream by."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

import orjson

from archive.export.posts import CONTROL, AthleteHead, TimelinePost
from archive.records import COUNT_KEYS

CSV_BOM = "\ufeff"  # the byte-order mark every CSV of podium starts with
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
    *COUNT_KEYS,
    "availability",
    "edits",
    "articles",
    "source_url",
    "first_seen_at",
    "last_seen_at",
)
# Cells a spreadsheet would run as a formula (OWASP's list, with tab and carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_chunks(chunks: Iterable[str]) -> Iterator[str]:
    """The last guard of every format: no control character reaches the output bytes."""
    for chunk in chunks:
        yield CONTROL.sub("\ufffd", chunk)


def neutralize_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: ``'`` before a leading ``= + - @`` (tab, CR)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _dumps(value: object) -> str:
    """Compact UTF-8 JSON (orjson: several times faster than the json module on big exports)."""
    return orjson.dumps(value).decode()


def ndjson(posts: Iterable[TimelinePost]) -> Iterator[str]:
    """One JSON object per line."""
    lines: list[str] = []
    for p in posts:
        lines.append(_dumps(p))
        if len(lines) == 200:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


def _csv_row(p: TimelinePost) -> list[object]:
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


def csv_chunks(posts: Iterable[TimelinePost]) -> Iterator[str]:
    """A header row, then one row per post; lists joined by spaces, cells neutralized."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    # A BOM, so spreadsheet programs read UTF-8 (accents, CJK, emoji) without an import dialog;
    # every CSV podium writes has one (the CLI's tables in CSV print it too).
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


def json_chunks(athlete: AthleteHead, posts: Iterable[TimelinePost]) -> Iterator[str]:
    """One JSON document: the athlete, then the posts, one per line."""
    yield '{"athlete": ' + json.dumps(athlete, ensure_ascii=False) + ',\n "posts": ['
    sep = "\n  "
    for p in posts:
        yield sep + _dumps(p)
        sep = ",\n  "
    yield "\n ]}\n"
