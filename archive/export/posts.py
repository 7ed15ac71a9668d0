"""A timeline's posts as the exports write them: one dict per post, text cleaned, times ISO.

Nothing here depends on the clock or on dict order: two exports of the same archive diff
cleanly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import NotRequired, TypedDict, overload

from sqlalchemy.engine import Engine

from archive import store
from archive.store.timeline import Related, StoredTime, TimelineRow
from archive.timestamps import utc_iso

#: Posts read per query (and per query of what belongs to them).
CHUNK = 1000
# Control characters other than tab, newline and carriage return (C0, DEL, C1) and lone
# surrogates: captions carry them (NUL from broken payloads), but HTML forbids them, JSON
# readers and spreadsheets choke on them, and a NUL ends a string in C tools. Each becomes U+FFFD.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class AthleteHead(TypedDict):
    """Who the timeline is of (the JSON export's ``athlete``, the HTML page's header)."""

    slug: str
    name: str
    sport: str | None
    country: str | None


class Sound(TypedDict):
    """A post's sound credit."""

    title: str | None
    artist: str | None


class Counts(TypedDict):
    """A post's latest counts; None where the platform did not say."""

    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None


class ArticleLink(TypedDict):
    """An article that embeds the post."""

    url: str
    title: str | None


class Version(TypedDict):
    """One caption as it was seen (``history`` only)."""

    observed_at: str | None
    source_kind: str
    caption: str
    edited_at: str | None


class Snapshot(TypedDict):
    """The counts at one moment (``history`` only)."""

    captured_at: str | None
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None


class TimelinePost(TypedDict):
    """One post of a timeline export, with provenance (source URL, first and last seen)."""

    platform: str
    platform_post_id: str
    url: str | None
    handle: str | None
    posted_at: str | None
    caption: str
    language: str
    declared_language: str | None
    hashtags: list[str]
    mentions: list[str]
    sound: Sound | None
    counts: Counts
    availability: str
    edits: int
    articles: list[ArticleLink]
    source_url: str | None
    first_seen_at: str | None
    last_seen_at: str | None
    versions: NotRequired[list[Version]]
    snapshots: NotRequired[list[Snapshot]]


@functools.lru_cache(maxsize=1024)
def iso(value: StoredTime | None) -> str | None:
    """A UTC timestamp as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (SQLite text or a datetime).

    Cached: first/last-seen times repeat across a crawl's posts.
    """
    if value is None:
        return None
    if isinstance(value, str):  # SQLite keeps naive UTC text: no parsing needed
        return value.replace(" ", "T", 1).removesuffix(".000000") + "Z"
    return utc_iso(value)


@overload
def clean_text(value: str) -> str: ...
@overload
def clean_text(value: str | None) -> str | None: ...
def clean_text(value: str | None) -> str | None:
    """A string without control characters (tab, newline, CR kept): each becomes U+FFFD.

    Anything else is returned as it is. Every text field of every export goes through this.
    A printable string (most ids, URLs, handles, one-line captions) has none of them (they are
    all of Unicode's categories Cc and Cs) and is returned without running the expression.
    """
    if isinstance(value, str) and not value.isprintable():
        return CONTROL.sub("\ufffd", value)
    return value


def _all_printable(texts: Iterable[str | None]) -> bool:
    """True when none of ``texts`` has a character ``clean_text`` would replace (one C-level
    test for a whole row: the export's hot path, where nearly every row is clean)."""
    return "".join(filter(None, texts)).isprintable()


def timeline_post(r: TimelineRow, rel: Related, history: bool) -> TimelinePost:
    """One row of a timeline read, with what belongs to it, as the exports write it."""
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
    c = clean_text
    texts = (platform_post_id, url, handle, caption, declared_language, sound_title, sound_artist)
    tags, names = rel.hashtags.get(pid, ()), rel.mentions.get(pid, ())
    if _all_printable((*texts, source_url, *tags, *names)):
        hashtags, mentions = list(tags), list(names)
    else:
        platform_post_id, url, handle, caption = c(platform_post_id), c(url), c(handle), c(caption)
        declared_language, source_url = c(declared_language), c(source_url)
        sound_title, sound_artist = c(sound_title), c(sound_artist)
        hashtags, mentions = [c(t) for t in tags], [c(m) for m in names]
    articles = rel.articles.get(pid)
    # Dict displays, not TypedDict calls: a call packs keyword arguments first, which cost a
    # tenth of the export's time over a long timeline.
    sound: Sound | None = (
        {"title": sound_title, "artist": sound_artist} if sound_title or sound_artist else None
    )
    counts: Counts = {
        "views": views,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "saves": saves,
    }
    post: TimelinePost = {
        "platform": platform,
        "platform_post_id": platform_post_id,
        "url": url,
        "handle": handle,
        "posted_at": iso(posted_at),
        "caption": caption,
        "language": language,
        "declared_language": declared_language,
        "hashtags": hashtags,
        "mentions": mentions,
        "sound": sound,
        "counts": counts,
        "availability": availability,
        "edits": max(0, rel.versions_n.get(pid, 1) - 1),
        "articles": [{"url": c(u), "title": c(t)} for u, t in articles] if articles else [],
        "source_url": source_url,
        "first_seen_at": iso(first_seen_at),
        "last_seen_at": iso(last_seen_at),
    }
    if history:
        post["versions"] = [
            Version(
                observed_at=iso(seen), source_kind=source_kind, caption=c(text), edited_at=iso(edit)
            )
            for seen, source_kind, text, edit in rel.versions.get(pid, ())
        ]
        post["snapshots"] = [
            Snapshot(
                captured_at=iso(s[0]),
                views=s[1],
                likes=s[2],
                comments=s[3],
                shares=s[4],
                saves=s[5],
            )
            for s in rel.snapshots.get(pid, ())
        ]
    return post


def athlete_head(engine: Engine, slug: str) -> tuple[int, AthleteHead]:
    """The athlete's id and head (UnknownAthleteError names close matches)."""
    with engine.connect() as conn:
        row = store.require_athlete(conn, slug)
    head = AthleteHead(
        slug=clean_text(row["slug"]),
        name=clean_text(row["name"]),
        sport=clean_text(row["sport"]),
        country=clean_text(row["country"]),
    )
    return row["id"], head


def iter_posts(
    engine: Engine,
    athlete_id: int,
    platform: str | None,
    since: date | None,
    until: date | None,
    history: bool,
) -> Iterator[TimelinePost]:
    """The athlete's posts, oldest first, read a chunk at a time as they are asked for."""
    for rows, rel in store.timeline_chunks(
        engine,
        athlete_id,
        platform=platform,
        period=store.Period.of_days(since, until),
        history=history,
        chunk=CHUNK,
    ):
        for r in rows:
            yield timeline_post(r, rel, history)
