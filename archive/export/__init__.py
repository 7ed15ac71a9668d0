"""Per-athlete timeline export, streamed: NDJSON, CSV, JSON and a self-contained HTML page.

``posts`` shapes each post (read through ``archive.store.timeline_chunks``, a chunk at a time),
``formats`` writes the text formats and ``page`` the HTML page, each as it goes, so memory stays
flat however long the timeline is. Nothing in the output depends on the clock or on dict order:
two exports of the same archive diff cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy.engine import Engine

from archive import store
from archive.errors import QueryError
from archive.export.formats import clean_chunks, csv_chunks, json_chunks, ndjson, neutralize_cell
from archive.export.page import PLATFORM_COLORS, PLATFORM_NAMES, html_chunks, rhythm_svg, safe_link
from archive.export.posts import (
    TimelinePost,
    athlete_head,
    clean_text,
    iso,
    iter_posts,
    timeline_post,
)

__all__ = [
    "FORMATS",
    "PLATFORM_COLORS",
    "PLATFORM_NAMES",
    "TimelinePost",
    "athlete_head",
    "clean_text",
    "export_timeline",
    "html_chunks",
    "iso",
    "iter_timeline",
    "neutralize_cell",
    "rhythm_svg",
    "safe_link",
    "timeline_post",
]

FORMATS = ("ndjson", "csv", "json", "html")


def iter_timeline(
    engine: Engine,
    athlete: str,
    *,
    platform: str | None = None,
    since: date | None = None,
    until: date | None = None,
    history: bool = False,
) -> Iterator[TimelinePost]:
    """One athlete's posts as dicts, oldest first (``history`` adds versions and snapshots).

    The athlete is checked at once (UnknownAthleteError names close matches); the posts are
    read lazily, a chunk at a time.
    """
    athlete_id, _ = athlete_head(engine, athlete)
    return iter_posts(engine, athlete_id, platform, since, until, history)


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
    athlete_id, head = athlete_head(engine, athlete)
    history = fmt in ("json", "html")
    posts = iter_posts(engine, athlete_id, platform, since, until, history)
    if fmt == "ndjson":
        return clean_chunks(ndjson(posts))
    if fmt == "csv":
        return clean_chunks(csv_chunks(posts))
    if fmt == "json":
        return clean_chunks(json_chunks(head, posts))
    weeks = store.weekly_post_counts(
        engine, athlete_id, platform=platform, period=store.Period.of_days(since, until)
    )
    return clean_chunks(
        html_chunks(head, weeks, posts, platform=platform, since=since, until=until)
    )
