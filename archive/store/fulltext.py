"""Full-text reads (``archive.search``): matching posts, ranked, per backend, with filters.

SQLite asks its Tantivy side index (``search_index``: top-k by BM25, filters inside the index)
when it is in step with the database, else the FTS5 table ``post_fts`` (bm25 rank); PostgreSQL
the ``post.search_tsv`` tsvector (``ts_rank``). All three match the same set of posts. The MATCH
expression and the tsquery arrive ready-quoted from ``archive.search`` and are always bound
parameters; so are every filter value and LIKE pattern; the side index gets query objects, never
a query string.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import tantivy
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Row

from archive.store import search_index
from archive.store._common import (
    Period,
    account_t,
    athlete_t,
    hashtag_t,
    mention_t,
    post_fts_t,
    post_hashtag_t,
    post_search_tsv,
    post_t,
    sound_t,
)
from archive.store.accounts import athlete_account_ids
from archive.store.search_index import TextTerm

log = logging.getLogger(__name__)

_MATCH = sa.literal_column("post_fts").op("MATCH")


@dataclass(frozen=True, slots=True)
class FullTextQuery:
    """One query as each backend's index reads it: an FTS5 MATCH expression, a tsquery text, and
    for the side index its terms: an AND of OR-groups, and the terms no hit may contain."""

    fts5: str
    tsquery: str
    groups: tuple[tuple[TextTerm, ...], ...] = ()
    excluded: tuple[TextTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class TagTerm:
    """A hashtag or mention a post must carry, by key (case-folded). A mention key without
    ``@instance`` also matches that name on any Mastodon instance."""

    form: str  # hashtag, mention
    key: str


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a matching post must also be. Values arrive cleaned (platform and language lower
    case); ``sound`` is part of a title or artist, matched literally."""

    athlete_id: int | None = None
    platform: str | None = None
    #: the detected language, or the declared one where detection said ``und``
    language: str | None = None
    hashtag: str | None = None
    sound: str | None = None
    period: Period = field(default_factory=Period)
    #: each group: the post carries one of these tags or mentions
    tag_groups: tuple[tuple[TagTerm, ...], ...] = ()
    #: the post carries none of these
    excluded_tags: tuple[TagTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class PostMatch:
    """A matching post, with its athlete's slug, handle and score (higher is better)."""

    post_id: int
    platform: str
    platform_post_id: str
    url: str | None
    posted_at: datetime | None
    language: str
    caption: str
    availability: str
    athlete: str | None
    handle: str | None
    score: float


def _like_escape(text: str) -> str:
    """``text`` as a LIKE pattern that matches it literally (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tag_filter(term: TagTerm) -> sa.ColumnElement[bool]:
    # EXISTS, looked up by primary key per candidate: a popular tag has 100k+ posts, and an
    # IN (...) list of them would be built before the first row is checked.
    pht, ht, men = post_hashtag_t, hashtag_t, mention_t
    if term.form == "hashtag":
        return sa.exists().where(
            pht.c.post_id == post_t.c.id, pht.c.hashtag_id == ht.c.id, ht.c.key == term.key
        )
    key = term.key
    if "@" in key:
        return sa.exists().where(men.c.post_id == post_t.c.id, men.c.key == key)
    # A bare name matches it on any Mastodon instance: ``jonas`` finds ``jonas@rad.example``.
    return sa.exists().where(
        men.c.post_id == post_t.c.id,
        sa.or_(men.c.key == key, men.c.key.like(_like_escape(key) + "@%", escape="\\")),
    )


def _conditions(conn: Connection, f: SearchFilters) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if f.athlete_id is not None:
        conds.append(post_t.c.account_id.in_(athlete_account_ids(f.athlete_id)))
    if f.platform is not None:
        conds.append(post_t.c.platform == f.platform)
    if f.language is not None:
        conds.append(
            sa.or_(
                post_t.c.language == f.language,
                sa.and_(
                    post_t.c.language == "und",
                    sa.func.lower(post_t.c.declared_language) == f.language,
                ),
            )
        )
    if f.hashtag is not None:
        conds.append(_tag_filter(TagTerm("hashtag", f.hashtag)))
    if f.sound is not None:
        pattern = f"%{_like_escape(f.sound)}%"
        like = sa.Column.ilike if conn.dialect.name == "postgresql" else sa.Column.like
        conds.append(
            post_t.c.sound_id.in_(
                sa.select(sound_t.c.id).where(
                    sa.or_(
                        like(sound_t.c.title, pattern, escape="\\"),
                        like(sound_t.c.artist, pattern, escape="\\"),
                    )
                )
            )
        )
    conds += f.period.where()
    conds += [sa.or_(*map(_tag_filter, group)) for group in f.tag_groups]
    conds += [~_tag_filter(t) for t in f.excluded_tags]
    return conds


def _columns() -> list[Any]:
    return [
        post_t.c.id,
        post_t.c.platform,
        post_t.c.platform_post_id,
        post_t.c.url,
        post_t.c.posted_at,
        post_t.c.language,
        post_t.c.caption,
        post_t.c.availability,
        athlete_t.c.slug.label("athlete"),
        account_t.c.handle,
    ]


def _from(base: Any) -> Any:
    return base.outerjoin(account_t, account_t.c.id == post_t.c.account_id).outerjoin(
        athlete_t, athlete_t.c.id == account_t.c.athlete_id
    )


def _order(sort: str, score: Any) -> list[Any]:
    if sort == "date":
        return [post_t.c.posted_at.is_(None), post_t.c.posted_at.desc(), post_t.c.id.desc()]
    return [score.desc(), post_t.c.id]


def _search_sqlite(
    conn: Connection, query: FullTextQuery, conds: list[Any], sort: str, limit: int
) -> Sequence[Row[Any]]:
    fts = post_fts_t
    match = _MATCH(sa.bindparam("m", query.fts5))
    inner = sa.select(fts.c.rowid.label("id"), fts.c.rank.label("rank")).where(match)
    if sort == "date":
        hits = inner.subquery()
        stmt = (
            sa.select(*_columns(), (-hits.c.rank).label("score"))
            .select_from(_from(post_t.join(hits, hits.c.id == post_t.c.id)))
            .where(*conds)
            .order_by(*_order(sort, -hits.c.rank))
            .limit(limit)
        )
        return conn.execute(stmt).all()
    # bm25 over a frequent word is the cost: let FTS5 pick the best k by rank first, then filter.
    # When filters reject too many of those, rank every match that passes the filters instead.
    k = limit if not conds else max(limit * 10, 200)
    hits = inner.order_by(fts.c.rank).limit(k).subquery()
    stmt = (
        sa.select(*_columns(), (-hits.c.rank).label("score"))
        .select_from(_from(post_t.join(hits, hits.c.id == post_t.c.id)))
        .where(*conds)
        .order_by(hits.c.rank, post_t.c.id)
        .limit(limit)
    )
    rows = conn.execute(stmt).all()
    if len(rows) >= limit:
        return rows
    total = conn.execute(sa.select(sa.func.count()).select_from(fts).where(match)).scalar_one()
    if total <= k:
        return rows  # every match was looked at
    stmt = (
        sa.select(*_columns(), (-fts.c.rank).label("score"))
        .select_from(_from(post_t.join(fts, fts.c.rowid == post_t.c.id)))
        .where(match, *conds)
        .order_by(fts.c.rank, post_t.c.id)
        .limit(limit)
    )
    return conn.execute(stmt).all()


def _search_postgresql(
    conn: Connection, query: FullTextQuery, conds: list[Any], sort: str, limit: int
) -> Sequence[Row[Any]]:
    tsquery = sa.cast(sa.bindparam("q", query.tsquery), postgresql.TSQUERY)
    score = sa.func.ts_rank(post_search_tsv, tsquery)
    stmt = (
        sa.select(*_columns(), score.label("score"))
        .select_from(_from(post_t))
        .where(post_search_tsv.op("@@")(tsquery), *conds)
        .order_by(*_order(sort, score))
        .limit(limit)
    )
    return conn.execute(stmt).all()


def _match(row: Any, score: float | None = None) -> PostMatch:
    return PostMatch(
        post_id=row.id,
        platform=row.platform,
        platform_post_id=row.platform_post_id,
        url=row.url,
        posted_at=row.posted_at,
        language=row.language,
        caption=row.caption,
        availability=row.availability,
        athlete=row.athlete,
        handle=row.handle,
        score=float(row.score if score is None else score),
    )


def match_posts(
    conn: Connection, query: FullTextQuery, filters: SearchFilters, *, sort: str, limit: int
) -> list[PostMatch]:
    """Up to ``limit`` posts matching ``query`` and ``filters``, best (``sort="rank"``) or
    newest (``"date"``) first."""
    side = _side_index(conn, query)
    if side is not None:
        try:
            return _search_side(conn, side, query, filters, sort, limit)
        except (search_index.Unsupported, ValueError) as exc:
            log.info("search: FTS5 answers %r (%s)", query.fts5, exc)
    run = _search_postgresql if conn.dialect.name == "postgresql" else _search_sqlite
    rows = run(conn, query, _conditions(conn, filters), sort, limit)
    return [_match(r) for r in rows]


def count_matches(conn: Connection, query: FullTextQuery, filters: SearchFilters) -> int:
    """How many posts match ``query`` and ``filters`` in all."""
    side = _side_index(conn, query)
    if side is not None:
        try:
            searcher = side.searcher()
            q = _side_query(conn, query, filters, searcher)
            return 0 if q is None else int(searcher.search(q, 1, count=True).count)
        except (search_index.Unsupported, ValueError) as exc:
            log.info("search: FTS5 counts %r (%s)", query.fts5, exc)
    conds = _conditions(conn, filters)
    if conn.dialect.name == "postgresql":
        tsquery = sa.cast(sa.bindparam("q", query.tsquery), postgresql.TSQUERY)
        stmt = (
            sa.select(sa.func.count())
            .select_from(post_t)
            .where(post_search_tsv.op("@@")(tsquery), *conds)
        )
        return int(conn.execute(stmt).scalar_one())
    fts = post_fts_t
    match = _MATCH(sa.bindparam("m", query.fts5))
    if not conds:
        stmt = sa.select(sa.func.count()).select_from(fts).where(match)
    else:
        hits = sa.select(fts.c.rowid.label("id")).where(match).subquery()
        stmt = (
            sa.select(sa.func.count())
            .select_from(post_t.join(hits, hits.c.id == post_t.c.id))
            .where(*conds)
        )
    return int(conn.execute(stmt).scalar_one())


# --- the side index ------------------------------------------------------------------------------

#: Hits fetched past the limit, so posts tied on score at the cut are ordered by id as in SQL.
_TIE_SLACK = 20


def _side_index(conn: Connection, query: FullTextQuery) -> Any:
    if not query.groups or conn.dialect.name != "sqlite":
        return None
    return search_index.ready_index(conn)


def _tag_query(term: TagTerm) -> Any:
    if term.form == "hashtag":
        return search_index.keyword("tag", term.key)
    if "@" in term.key:
        return search_index.keyword("mention", term.key)
    return search_index.keyword("mention_user", term.key)  # any instance, as the LIKE does


def _side_query(
    conn: Connection, query: FullTextQuery, f: SearchFilters, searcher: Any
) -> Any | None:
    """The index query for ``query`` and ``filters``; None when no post can match."""
    si = search_index
    musts = [si.any_of([si.text_query(t, searcher) for t in group]) for group in query.groups]
    nots = [si.text_query(t) for t in query.excluded]
    if f.athlete_id is not None:
        ids = [r[0] for r in conn.execute(athlete_account_ids(f.athlete_id))]
        if not ids:
            return None
        musts.append(si.one_of("account", ids))
    if f.platform is not None:
        musts.append(si.keyword("platform", f.platform))
    if f.language is not None:
        musts.append(si.keyword("lang", f.language))
    if f.hashtag is not None:
        musts.append(si.keyword("tag", f.hashtag))
    if f.sound is not None:
        pattern = f"%{_like_escape(f.sound)}%"
        sounds = sa.select(sound_t.c.id).where(
            sa.or_(
                sound_t.c.title.like(pattern, escape="\\"),
                sound_t.c.artist.like(pattern, escape="\\"),
            )
        )
        ids = [r[0] for r in conn.execute(sounds)]
        if not ids:
            return None
        musts.append(si.one_of("sound", ids))
    if f.period.start is not None or f.period.end is not None:
        musts.append(
            si.posted_between(f.period.start, f.period.end, end_inclusive=f.period.end_inclusive)
        )
    musts += [si.any_of([_tag_query(t) for t in group]) for group in f.tag_groups]
    nots += [_tag_query(t) for t in f.excluded_tags]
    return si.all_of(musts, nots)


def _search_side(
    conn: Connection, index: Any, query: FullTextQuery, f: SearchFilters, sort: str, limit: int
) -> list[PostMatch]:
    searcher = index.searcher()
    q = _side_query(conn, query, f, searcher)
    if q is None:
        return []
    if sort == "date":
        ids = _newest(searcher, q, limit)
        scored = searcher.search(
            search_index.all_of([q, search_index.one_of("post", ids)]), max(len(ids), 1)
        )
        score = dict(
            zip(
                search_index.post_ids(searcher, scored.hits),
                (h[0] for h in scored.hits),
                strict=True,
            )
        )
        ranked = [(score.get(i, 0.0), i) for i in ids]
    else:
        hits = searcher.search(q, limit + _TIE_SLACK, count=False).hits
        pairs = zip((h[0] for h in hits), search_index.post_ids(searcher, hits), strict=True)
        ranked = sorted(pairs, key=lambda p: (-p[0], p[1]))[:limit]
    if not ranked:
        return []
    rows = conn.execute(
        sa.select(*_columns())
        .select_from(_from(post_t))
        .where(post_t.c.id.in_([i for _, i in ranked]))
    ).all()
    by_id = {r.id: r for r in rows}
    return [_match(by_id[i], s) for s, i in ranked if i in by_id]


def _newest(searcher: Any, q: Any, limit: int) -> list[int]:
    """Ids of the ``limit`` newest matches: posted time descending, then id descending, posts
    without a time last (the SQL order)."""
    si, desc = search_index, tantivy.Order.Desc
    hits = searcher.search(
        si.all_of([q, si.dated()]), limit, count=False, order_by_field="posted", order=desc
    ).hits
    pairs = list(zip((int(h[0]) for h in hits), si.post_ids(searcher, hits), strict=True))
    if len(pairs) == limit:
        # Ties on the last time: every post of that time, by id, not Tantivy's order.
        last = pairs[-1][0]
        moment = si.posted_at_exactly(last)
        tied_q = si.all_of([q, moment])
        n = searcher.search(tied_q, 1, count=True).count
        tied = searcher.search(tied_q, n, count=False, order_by_field="post", order=desc).hits
        pairs = [p for p in pairs if p[0] > last] + [(last, i) for i in si.post_ids(searcher, tied)]
    pairs.sort(key=lambda p: (-p[0], -p[1]))
    ids = [i for _, i in pairs[:limit]]
    if len(ids) < limit:
        undated = si.all_of([q], [si.dated()])
        hits = searcher.search(
            undated, limit - len(ids), count=False, order_by_field="post", order=desc
        ).hits
        ids += si.post_ids(searcher, hits)
    return ids
