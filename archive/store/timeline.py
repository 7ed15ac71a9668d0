"""Reading one athlete's timeline (``archive.export``): posts in order, a chunk at a time, with
what belongs to each chunk's posts, and posts per UTC week.

Posts come from one server-side/chunked query ordered by ``posted_at`` then ``id``; their hashtags,
mentions, edits, articles (and with ``history``, caption versions and count snapshots) are read
per chunk, so memory stays flat however long the timeline is.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from archive.records import COUNT_KEYS
from archive.store._common import (
    Period,
    account_t,
    article_t,
    embed_t,
    hashtag_t,
    mention_t,
    metric_t,
    payload_t,
    post_hashtag_t,
    post_t,
    sound_t,
    version_t,
)
from archive.store.accounts import athlete_account_ids

#: A time as the timeline reads it: SQLite's stored text (naive UTC) as is, else a datetime.
StoredTime: TypeAlias = str | datetime

#: One post of a timeline, positionally (attribute access per field is slow on long exports):
#: id, platform, platform_post_id, url, handle, posted_at, first_seen_at, last_seen_at,
#: caption, language, declared_language, availability, views, likes, comments, shares, saves,
#: sound title, sound artist, source_url.
TimelineRow: TypeAlias = tuple[
    int,
    str,
    str,
    str | None,
    str | None,
    StoredTime | None,
    StoredTime,
    StoredTime,
    str,
    str,
    str | None,
    str,
    int | None,
    int | None,
    int | None,
    int | None,
    int | None,
    str | None,
    str | None,
    str | None,
]
#: observed_at, source_kind, caption, edited_at
VersionRow: TypeAlias = tuple[StoredTime, str, str, StoredTime | None]
#: captured_at, views, likes, comments, shares, saves
SnapshotRow: TypeAlias = tuple[
    StoredTime, int | None, int | None, int | None, int | None, int | None
]


@dataclass(frozen=True, slots=True)
class Related:
    """What belongs to the posts of one chunk, by post id."""

    hashtags: dict[int, list[str]]
    mentions: dict[int, list[str]]
    #: platform caption versions per post (edits are one fewer)
    versions_n: dict[int, int]
    #: (url, title) of the articles that embed the post
    articles: dict[int, list[tuple[str, str | None]]]
    versions: dict[int, list[VersionRow]] = field(default_factory=dict)
    snapshots: dict[int, list[SnapshotRow]] = field(default_factory=dict)


def accounts_of(athlete_id: int, platform: str | None) -> sa.Select[tuple[int]]:
    """A subquery: the ids of the athlete's accounts (on ``platform`` only, when given).

    The platform is chosen through the account, not ``post.platform``: without statistics
    SQLite would read ``post.platform = ?`` through the (platform, platform_post_id) key and
    scan every post of the platform (seconds on a 1M-post archive) instead of the athlete's
    posts through ``post(account_id, posted_at)``.
    """
    ids = athlete_account_ids(athlete_id)
    return ids if platform is None else ids.where(account_t.c.platform == platform)


def _text_ts(dialect: str, col: Any) -> Any:
    # On SQLite, read the stored text as is (the export formats it); parsing 3 datetimes per row
    # would be most of the export's time. PostgreSQL hands datetimes over anyway.
    return sa.type_coerce(col, sa.String) if dialect == "sqlite" else col


def timeline_query(
    conn: Connection, athlete_id: int, platform: str | None, period: Period
) -> sa.Select[Any]:
    """The athlete's posts as :data:`TimelineRow` columns, oldest first (undated last)."""
    ts = [
        _text_ts(conn.dialect.name, post_t.c[c]).label(c)
        for c in ("posted_at", "first_seen_at", "last_seen_at")
    ]
    conds = [post_t.c.account_id.in_(accounts_of(athlete_id, platform)), *period.where()]
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
            *(post_t.c[c] for c in COUNT_KEYS),
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


def _ids_param(conn: Connection, ids: Sequence[int]) -> str | list[int]:
    return json.dumps(list(ids)) if conn.dialect.name == "sqlite" else list(ids)


def _in_ids(dialect: str, col: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """``col`` in the chunk's ids, as one bound value (a 1000-item IN list costs its compile)."""
    if dialect == "sqlite":
        each = sa.func.json_each(sa.bindparam("ids")).table_valued("value")
        return col.in_(sa.select(each.c.value))
    return col == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer)))


def _tuples(conn: Connection, stmt: sa.Select[Any], params: dict[str, Any]) -> list[Any]:
    """All rows of ``stmt`` as tuples.

    On SQLite straight from a driver cursor: these selects bind only ids, keys and plain text,
    read nothing that needs converting (times as text), and a SQLAlchemy row per row costs more
    than SQLite reading it.
    """
    driver = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or driver is None:
        return list(conn.execute(stmt, params).tuples())
    compiled = _compiled(stmt, conn.dialect)
    values = compiled.construct_params(params)
    cursor = driver.cursor()
    try:
        return list(cursor.execute(str(compiled), [values[k] for k in compiled.positiontup or ()]))
    finally:
        cursor.close()


@functools.lru_cache(maxsize=64)
def _compiled(stmt: sa.Select[Any], dialect: Dialect) -> SQLCompiler:
    """``stmt`` compiled once (the statements of :func:`_statements` are built once a dialect)."""
    return stmt.compile(dialect=dialect)


def _grouped(conn: Connection, stmt: sa.Select[Any], ids: Sequence[int]) -> dict[int, list[Any]]:
    """The rows of ``stmt`` (post id first) by post id: each row's second column, or with more
    columns the row without its id."""
    out: dict[int, list[Any]] = {}
    rows = _tuples(conn, stmt, {"ids": _ids_param(conn, ids)})
    if rows and len(rows[0]) == 2:
        for post_id, value in rows:
            out.setdefault(post_id, []).append(value)
    else:
        for row in rows:
            out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


@dataclass(frozen=True, slots=True)
class _RelatedStatements:
    """The selects of :func:`related` (the chunk's ids bound as ``ids``)."""

    hashtags: sa.Select[Any]
    mentions: sa.Select[Any]
    versions_n: sa.Select[Any]
    articles: sa.Select[Any]
    versions: sa.Select[Any]
    snapshots: sa.Select[Any]


@functools.lru_cache(maxsize=4)
def _statements(dialect: str) -> _RelatedStatements:
    """The selects of :func:`related`, built once a dialect: an export reads a chunk of 1,000
    posts at a time, and building and compiling six selects per chunk was a tenth of its time."""
    ht, pht, men, art, emb = hashtag_t, post_hashtag_t, mention_t, article_t, embed_t
    return _RelatedStatements(
        hashtags=sa.select(pht.c.post_id, ht.c.display)
        .join(ht, ht.c.id == pht.c.hashtag_id)
        .where(_in_ids(dialect, pht.c.post_id))
        .order_by(pht.c.post_id, pht.c.position),
        mentions=sa.select(men.c.post_id, men.c.display)
        .where(_in_ids(dialect, men.c.post_id))
        .order_by(men.c.post_id, men.c.position),
        versions_n=sa.select(version_t.c.post_id, sa.func.count())
        .where(_in_ids(dialect, version_t.c.post_id), version_t.c.source_kind == "platform")
        .group_by(version_t.c.post_id),
        articles=sa.select(emb.c.post_id, art.c.url, art.c.title)
        .join(art, art.c.id == emb.c.article_id)
        .where(_in_ids(dialect, emb.c.post_id))
        .order_by(emb.c.post_id, art.c.url, emb.c.position),
        versions=sa.select(
            version_t.c.post_id,
            _text_ts(dialect, version_t.c.observed_at).label("observed_at"),
            version_t.c.source_kind,
            version_t.c.caption,
            _text_ts(dialect, version_t.c.edited_at).label("edited_at"),
        )
        .where(_in_ids(dialect, version_t.c.post_id))
        .order_by(version_t.c.post_id, version_t.c.observed_at, version_t.c.id),
        snapshots=sa.select(
            metric_t.c.post_id,
            _text_ts(dialect, metric_t.c.captured_at).label("captured_at"),
            *(metric_t.c[c] for c in COUNT_KEYS),
        )
        .where(_in_ids(dialect, metric_t.c.post_id))
        .order_by(metric_t.c.post_id, metric_t.c.captured_at),
    )


def related(conn: Connection, ids: Sequence[int], history: bool) -> Related:
    """Tags, mentions, edit counts, articles (and versions, snapshots) of a chunk of posts."""
    stmts = _statements(conn.dialect.name)
    rel = Related(
        hashtags=_grouped(conn, stmts.hashtags, ids),
        mentions=_grouped(conn, stmts.mentions, ids),
        versions_n=dict(_tuples(conn, stmts.versions_n, {"ids": _ids_param(conn, ids)})),
        articles=_grouped(conn, stmts.articles, ids),
    )
    if history:
        rel.versions.update(_grouped(conn, stmts.versions, ids))
        rel.snapshots.update(_grouped(conn, stmts.snapshots, ids))
    return rel


def timeline_chunks(
    engine: Engine,
    athlete_id: int,
    *,
    platform: str | None,
    period: Period,
    history: bool,
    chunk: int,
) -> Iterator[tuple[Sequence[TimelineRow], Related]]:
    """The athlete's posts, oldest first (undated last), ``chunk`` at a time with what belongs
    to them (``history``: caption versions and count snapshots too). Read lazily."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
            timeline_query(conn, athlete_id, platform, period)
        )
        for rows in result.tuples().partitions():
            yield cast(Sequence[TimelineRow], rows), related(conn, [r[0] for r in rows], history)


def language_is(code: str) -> sa.ColumnElement[bool]:
    """The post's language is ``code``: the detected one, or the declared one where detection
    said ``und`` (as search filters it)."""
    return sa.or_(
        post_t.c.language == code,
        sa.and_(post_t.c.language == "und", sa.func.lower(post_t.c.declared_language) == code),
    )


def weekly_post_counts(
    engine: Engine,
    athlete_id: int,
    *,
    platform: str | None,
    period: Period,
    language: str | None = None,
) -> dict[tuple[date, str], int]:
    """Posts per UTC week (its Monday) and platform: one small GROUP BY per day (``language``:
    only posts in it, see :func:`language_is`)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            day: Any = sa.func.date(post_t.c.posted_at)
        else:
            day = sa.cast(sa.func.timezone("UTC", post_t.c.posted_at), sa.Date)
        conds = [
            post_t.c.account_id.in_(accounts_of(athlete_id, platform)),
            post_t.c.posted_at.is_not(None),
            *period.where(),
        ]
        if language:
            conds.append(language_is(language))
        # Grouped by account, whose platform is the post's: the post(account_id, posted_at)
        # index answers it alone, without reading the athlete's post rows.
        per_account = (
            sa.select(day.label("day"), post_t.c.account_id, sa.func.count().label("n"))
            .where(*conds)
            .group_by(day, post_t.c.account_id)
            .subquery()
        )
        rows = conn.execute(
            sa.select(per_account.c.day, account_t.c.platform, per_account.c.n).join(
                account_t, account_t.c.id == per_account.c.account_id
            )
        ).all()
    weeks: dict[tuple[date, str], int] = {}
    for d, plat, n in rows:
        d = date.fromisoformat(d) if isinstance(d, str) else d
        monday = d - timedelta(days=d.weekday())
        weeks[(monday, plat)] = weeks.get((monday, plat), 0) + n
    return weeks
