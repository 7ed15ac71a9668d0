"""Keyword search over the full-text index (FTS5 on SQLite, tsvector on PostgreSQL), with filters.

Both backends index ``post.search_text`` (the store's :func:`archive.textfold.fold` of the body)
split into the same tokens: runs of letters, digits, private-use and other-symbol characters
(FTS5 ``unicode61 categories 'L* N* Co So'``; on PostgreSQL ``podium_search_tsvector``, see the
``index_search_tsv_like_fts5`` migration). A query goes through the same fold and split, and each
token is quoted before it reaches MATCH or the tsquery, which is always a bound parameter. So
``Sølv``/``solv`` and ``金メダル`` match alike on both, and no input can change the SQL.

``@name`` asks the index for the user name and the ``mention`` table for the key: a bare name
also matches a Mastodon mention on any instance (``@jonas`` finds ``jonas@rad.example``, which
the post shows as ``@jonas``); ``@jonas@rad.example`` matches that key only. Snippets mark whole
matches, as the index matched them: a phrase's tokens in a row, a CJK word's bigrams in a row.

The modules: ``query`` (the language), ``snippets`` (highlighting); the SQL per backend is the
store's (``archive.store.fulltext``). This package re-exports their public names.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from archive import store
from archive.errors import QueryError
from archive.search.query import TAG_FORMS, ParsedQuery, Term, clean_input, parse_query, tokens
from archive.search.snippets import make_snippet

__all__ = [
    "ParsedQuery",
    "SearchHit",
    "SearchResults",
    "Term",
    "make_snippet",
    "parse_query",
    "search_posts",
    "tokens",
]

SORTS = ("rank", "date")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching post, with the snippet that shows why it matched."""

    post_id: int
    platform: str
    platform_post_id: str
    url: str | None
    athlete: str | None
    handle: str | None
    posted_at: datetime | None
    language: str
    caption: str
    snippet: str
    score: float
    availability: str = "active"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (datetimes stay datetimes; the CLI renders them)."""
        d = asdict(self)
        d.pop("extra")
        return d


class SearchResults(list[SearchHit]):
    """The hits, best or newest first, and how many posts match in all.

    ``total`` is None when it was not counted (``search_posts(count=False)``) and there may be
    more matches than hits; when there are fewer hits than the limit it is always known.
    """

    total: int | None

    def __init__(self, hits: Iterable[SearchHit] = (), total: int | None = None) -> None:
        super().__init__(hits)
        self.total = total


def _day_start(value: date | datetime, *, after: bool) -> datetime:
    """A datetime bound; a date means its whole UTC day (``after`` gives the next midnight)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise QueryError("give --since/--until as dates, or as aware datetimes")
        return value.astimezone(UTC)
    moment = datetime.combine(value, time(0), tzinfo=UTC)
    return moment + timedelta(days=1) if after else moment


def _text_term(term: Term) -> store.TextTerm:
    return store.TextTerm(term.tokens, term.prefix)


def _tag(term: Term) -> store.TagTerm:
    return store.TagTerm(term.form, term.key or "")


def _filters(
    athlete_id: int | None,
    parsed: ParsedQuery,
    *,
    platform: str | None,
    lang: str | None,
    hashtag: str | None,
    sound: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
) -> store.SearchFilters:
    return store.SearchFilters(
        athlete_id=athlete_id,
        platform=None if platform is None else clean_input(platform).strip().lower(),
        language=None if lang is None else clean_input(lang).strip().lower(),
        hashtag=None
        if hashtag is None
        else unicodedata.normalize("NFC", clean_input(hashtag).strip().lstrip("#＃")).casefold(),
        sound=None if sound is None else clean_input(sound).strip(),
        period=store.Period(
            None if since is None else _day_start(since, after=False),
            None if until is None else _day_start(until, after=True),
            end_inclusive=isinstance(until, datetime),
        ),
        # #tag and @name must be a tag or mention, not only the word; in an OR-group only when
        # every alternative is one (the word itself is matched by the index in every case).
        tag_groups=tuple(
            tuple(map(_tag, group))
            for group in parsed.groups
            if all(t.form in TAG_FORMS for t in group)
        ),
        excluded_tags=tuple(_tag(t) for t in parsed.excluded if t.form in TAG_FORMS),
    )


def search_posts(
    engine: Engine,
    query: str,
    *,
    athlete: str | None = None,
    platform: str | None = None,
    lang: str | None = None,
    hashtag: str | None = None,
    sound: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    sort: str = "rank",
    limit: int = 20,
    count: bool = False,
    side_index: bool = True,
) -> SearchResults:
    """Posts matching ``query`` (see :func:`parse_query`), best first or newest first.

    Filters: ``athlete`` slug (UnknownAthleteError names close matches), ``platform``, ``lang``
    (the detected language, or the declared one where detection said ``und``), ``hashtag``
    (without ``#``), ``sound`` (part of a title or artist), ``since``/``until`` (inclusive UTC
    dates: ``until`` covers its whole day). With ``count``, the result's ``total`` says how many
    posts match in all (one more query when there are more than ``limit``). Raises QueryError
    for a query it cannot run.

    On a SQLite archive the side index answers (``archive.store.search_index``), caught up with
    the database first; ``side_index=False``, or an index that cannot be used, asks FTS5. Both
    match the same posts.
    """
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if not 1 <= limit <= 100_000:
        raise QueryError("limit must be between 1 and 100000")
    parsed = parse_query(query)
    text = store.FullTextQuery(
        fts5=parsed.fts5(),
        tsquery=parsed.tsquery(),
        groups=tuple(tuple(map(_text_term, g)) for g in parsed.groups) if side_index else (),
        excluded=tuple(_text_term(t) for t in parsed.excluded if t.form not in TAG_FORMS),
    )
    if side_index:
        try:
            store.sync_search_index(
                engine,
                wait=1.0,
                max_changes=store.INLINE_CHANGES,
                max_rebuild=store.INLINE_REBUILD,
                merge=False,
            )
        except Exception:  # the index is a copy: FTS5 answers when it is behind
            log.warning("search index not caught up; FTS5 answers", exc_info=True)
    with engine.connect() as conn:  # a deferred read: never waits for a crawl's batch
        athlete_id = None
        if athlete is not None:
            athlete_id = store.require_athlete(conn, clean_input(athlete))["id"]
        filters = _filters(
            athlete_id,
            parsed,
            platform=platform,
            lang=lang,
            hashtag=hashtag,
            sound=sound,
            since=since,
            until=until,
        )
        matches = store.match_posts(conn, text, filters, sort=sort, limit=limit)
        total: int | None = len(matches)
        if len(matches) >= limit:
            total = store.count_matches(conn, text, filters) if count else None
    terms = parsed.positive_terms()
    hits = (
        SearchHit(
            post_id=m.post_id,
            platform=m.platform,
            platform_post_id=m.platform_post_id,
            url=m.url,
            athlete=m.athlete,
            handle=m.handle,
            posted_at=m.posted_at,
            language=m.language,
            caption=m.caption,
            snippet=make_snippet(m.caption, terms),
            score=round(m.score, 6),
            availability=m.availability,
        )
        for m in matches
    )
    return SearchResults(hits, total)
