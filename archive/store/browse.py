"""Reads for browsing (``podium serve``): a page of an athlete's posts, newest first; what an
athlete posted most (hashtags, mentions, sounds); one post with its whole history; a sound.

Every read is bounded: pages are ``LIMIT``-ed and continue from a post (keyset paging on
``posted_at``, ``id``), the top lists are ``GROUP BY``-s over one athlete's posts (the
``post(account_id, posted_at)`` index), and a post's history is read by its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive.store._common import (
    Period,
    account_t,
    article_t,
    athlete_t,
    embed_t,
    hashtag_t,
    listing_t,
    mention_t,
    payload_t,
    post_hashtag_t,
    post_t,
    sound_t,
)
from archive.store.timeline import (
    Related,
    TimelineRow,
    accounts_of,
    language_is,
    related,
    timeline_query,
)


class UnknownCursorError(LookupError):
    """Raised by the page reads when the post a page should continue from is not archived."""


@dataclass(frozen=True, slots=True)
class PostSelection:
    """Which of an athlete's posts a read keeps: a platform, a language (as search reads it:
    detected, or declared where undetected), a posting period."""

    platform: str | None = None
    language: str | None = None
    period: Period = field(default_factory=Period)

    def where(self, athlete_id: int) -> list[sa.ColumnElement[bool]]:
        """Conditions on ``post``."""
        accounts = accounts_of(athlete_id, self.platform)
        conds = [post_t.c.account_id.in_(accounts), *self.period.where()]
        if self.language:
            conds.append(language_is(self.language))
        return conds


def _newest_first() -> list[Any]:
    return [post_t.c.posted_at.is_(None), post_t.c.posted_at.desc(), post_t.c.id.desc()]


def page_ids(
    conn: Connection, conds: Sequence[sa.ColumnElement[bool]], after: int | None, limit: int
) -> list[int]:
    """The ids of up to ``limit`` posts meeting ``conds``, newest first (undated ones last, by
    id), continuing after the post ``after`` (UnknownCursorError when it is no archived post).

    Dated and undated posts are asked for apart, each with conditions an index range serves
    (``posted_at <= t``); one OR over both made SQLite read every post of the athlete.
    """
    posted_at, pid = post_t.c.posted_at, post_t.c.id
    dated: list[sa.ColumnElement[bool]] | None = [posted_at.is_not(None)]
    undated: list[sa.ColumnElement[bool]] = [posted_at.is_(None)]
    if after is not None:
        ref = conn.execute(sa.select(posted_at, pid).where(pid == after)).first()
        if ref is None:
            raise UnknownCursorError(f"no post {after} in the archive to continue from")
        if ref.posted_at is None:
            dated, undated = None, [*undated, pid < ref.id]
        else:
            dated = [posted_at <= ref.posted_at, sa.or_(posted_at < ref.posted_at, pid < ref.id)]
    ids: list[int] = []
    if dated is not None:
        stmt = sa.select(pid).where(*conds, *dated).order_by(posted_at.desc(), pid.desc())
        ids = list(conn.execute(stmt.limit(limit)).scalars())
    if len(ids) < limit:
        stmt = sa.select(pid).where(*conds, *undated).order_by(pid.desc())
        ids += conn.execute(stmt.limit(limit - len(ids))).scalars()
    return ids


def athlete_posts_page(
    engine: Engine,
    athlete_id: int,
    selection: PostSelection,
    *,
    after: int | None = None,
    limit: int = 30,
) -> tuple[Sequence[TimelineRow], Related]:
    """Up to ``limit`` of the athlete's posts, newest first (undated last), continuing after
    the post ``after``; with what belongs to them (versions and snapshots not included).

    Raises UnknownCursorError when ``after`` is no archived post.
    """
    with engine.connect() as conn:
        # The page's ids first, from the post(account_id, posted_at) index alone (no row is read
        # to sort an athlete's 20,000 posts unless a language is asked for); then their rows.
        ids = page_ids(conn, selection.where(athlete_id), after, limit)
        stmt = (
            timeline_query(conn, athlete_id, selection.platform, selection.period)
            .where(post_t.c.id.in_(ids))
            .order_by(None)
            .order_by(*_newest_first())
        )
        rows = cast(Sequence[TimelineRow], conn.execute(stmt).tuples().all())
        return rows, related(conn, [r[0] for r in rows], history=False)


class TermCount(TypedDict):
    """A hashtag or mention (key, as shown) and how many posts carry it."""

    key: str
    display: str
    posts: int


class SoundCount(TypedDict):
    """A sound and how many posts use it."""

    id: int
    platform: str
    title: str | None
    artist: str | None
    posts: int


class TopTerms(TypedDict):
    """What a selection of posts uses most."""

    hashtags: list[TermCount]
    mentions: list[TermCount]
    sounds: list[SoundCount]


def athlete_top_terms(
    engine: Engine, athlete_id: int, selection: PostSelection, *, limit: int = 10
) -> TopTerms:
    """The hashtags, mentions and sounds the athlete's selected posts use most (a tie at the
    last place goes to the one the archive met first)."""
    n = sa.func.count().label("posts")
    conds = selection.where(athlete_id)
    # Counted by hashtag id from the link table (no hashtag row read per use), then named.
    tag_counts = (
        sa.select(post_hashtag_t.c.hashtag_id, n)
        .select_from(post_t.join(post_hashtag_t, post_hashtag_t.c.post_id == post_t.c.id))
        .where(*conds)
        .group_by(post_hashtag_t.c.hashtag_id)
        .order_by(n.desc(), post_hashtag_t.c.hashtag_id)
        .limit(limit)
        .subquery()
    )
    hashtags = (
        sa.select(hashtag_t.c.key, hashtag_t.c.display, tag_counts.c.posts)
        .join(tag_counts, tag_counts.c.hashtag_id == hashtag_t.c.id)
        .order_by(tag_counts.c.posts.desc(), hashtag_t.c.key)
    )
    mentions = (
        sa.select(mention_t.c.key, sa.func.min(mention_t.c.display), n)
        .select_from(post_t.join(mention_t, mention_t.c.post_id == post_t.c.id))
        .where(*conds)
        .group_by(mention_t.c.key)
        .order_by(n.desc(), mention_t.c.key)
        .limit(limit)
    )
    sounds = (
        sa.select(sound_t.c.id, sound_t.c.platform, sound_t.c.title, sound_t.c.artist, n)
        .select_from(post_t.join(sound_t, sound_t.c.id == post_t.c.sound_id))
        .where(*conds)
        .group_by(sound_t.c.id, sound_t.c.platform, sound_t.c.title, sound_t.c.artist)
        .order_by(n.desc(), sound_t.c.title, sound_t.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return TopTerms(
            hashtags=[
                TermCount(key=k, display=d, posts=int(c)) for k, d, c in conn.execute(hashtags)
            ],
            mentions=[
                TermCount(key=k, display=d, posts=int(c)) for k, d, c in conn.execute(mentions)
            ],
            sounds=[
                SoundCount(id=i, platform=p, title=t, artist=a, posts=int(c))
                for i, p, t, a, c in conn.execute(sounds)
            ],
        )


def count_posts(engine: Engine, athlete_id: int, selection: PostSelection) -> int:
    """How many of the athlete's posts the selection keeps."""
    stmt = sa.select(sa.func.count()).select_from(post_t).where(*selection.where(athlete_id))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


class AccountRow(TypedDict):
    """One of an athlete's accounts, with its number of posts."""

    platform: str
    handle: str | None
    platform_account_id: str | None
    display_name: str | None
    posts: int
    first_seen_at: datetime
    last_seen_at: datetime
    last_full_sweep_at: datetime | None


def accounts_of_athlete(engine: Engine, athlete_id: int) -> list[AccountRow]:
    """The athlete's accounts by platform and handle, each with its number of posts."""
    posts = (
        sa.select(sa.func.count())
        .select_from(post_t)
        .where(post_t.c.account_id == account_t.c.id)
        .scalar_subquery()
    )
    c = account_t.c
    stmt = (
        sa.select(
            c.platform,
            c.handle,
            c.platform_account_id,
            c.display_name,
            posts.label("posts"),
            c.first_seen_at,
            c.last_seen_at,
            c.last_full_sweep_at,
        )
        .where(c.athlete_id == athlete_id)
        .order_by(c.platform, c.handle)
    )
    with engine.connect() as conn:
        return [cast(AccountRow, dict(r)) for r in conn.execute(stmt).mappings()]


class EmbeddingArticle(TypedDict):
    """A news article that embeds a post, and where in it."""

    url: str
    title: str | None
    publisher: str | None
    author: str | None
    published_at: datetime | None
    first_seen_at: datetime
    position: int
    embed_url: str | None


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One post with everything the archive knows of it."""

    #: the post's columns (without its search text), its account's handle, display name,
    #: stable id and latest full sweep, its athlete's slug and name, its sound, and where its
    #: latest observation came from (``source_url``, ``fetched_at``)
    post: dict[str, Any]
    #: hashtags, mentions, articles, caption versions and count snapshots
    related: Related
    articles: list[EmbeddingArticle]


def get_post_record(engine: Engine, post_id: int) -> PostRecord | None:
    """The post with this id and its history, or None."""
    p = post_t.c
    stmt = (
        sa.select(
            *(col for col in post_t.c if col.name != "search_text"),
            account_t.c.handle,
            account_t.c.display_name,
            account_t.c.platform_account_id,
            account_t.c.last_full_sweep_at,
            account_t.c.handle_key,
            athlete_t.c.slug.label("athlete_slug"),
            athlete_t.c.name.label("athlete_name"),
            sound_t.c.title.label("sound_title"),
            sound_t.c.artist.label("sound_artist"),
            sound_t.c.is_original.label("sound_is_original"),
            payload_t.c.source_url,
            payload_t.c.fetched_at,
        )
        .select_from(
            post_t.outerjoin(account_t, account_t.c.id == p.account_id)
            .outerjoin(athlete_t, athlete_t.c.id == account_t.c.athlete_id)
            .outerjoin(sound_t, sound_t.c.id == p.sound_id)
            .outerjoin(payload_t, payload_t.c.id == p.raw_payload_id)
        )
        .where(p.id == post_id)
    )
    articles = (
        sa.select(
            article_t.c.url,
            article_t.c.title,
            article_t.c.publisher,
            article_t.c.author,
            article_t.c.published_at,
            article_t.c.first_seen_at,
            embed_t.c.position,
            embed_t.c.url.label("embed_url"),
        )
        .join(article_t, article_t.c.id == embed_t.c.article_id)
        .where(embed_t.c.post_id == post_id)
        .order_by(article_t.c.published_at, article_t.c.url, embed_t.c.position)
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
        if row is None:
            return None
        return PostRecord(
            post=dict(row),
            related=related(conn, [post_id], history=True),
            articles=[cast(EmbeddingArticle, dict(r)) for r in conn.execute(articles).mappings()],
        )


def first_sweep_after(
    engine: Engine, platform: str, handles: Sequence[str], after: datetime
) -> datetime | None:
    """When the first full sweep of the account (listed under any of ``handles``) that was read
    to its end ended after ``after``: the listing that no longer showed a post last seen then."""
    keys = [h.casefold() for h in handles if h]
    if not keys:
        return None
    stmt = sa.select(sa.func.min(listing_t.c.ended_at)).where(
        listing_t.c.platform == platform,
        listing_t.c.handle_key.in_(keys),
        listing_t.c.full_sweep.is_(True),
        listing_t.c.outcome == "read",
        listing_t.c.ended_at > after,
    )
    with engine.connect() as conn:
        found: datetime | None = conn.execute(stmt).scalar_one()
    return found


class SoundRow(TypedDict):
    """A ``sound`` row and how many posts use it."""

    id: int
    platform: str
    platform_sound_id: str | None
    title: str | None
    artist: str | None
    is_original: bool | None
    posts: int


def get_sound(engine: Engine, sound_id: int) -> SoundRow | None:
    """The sound with this id and its number of posts, or None."""
    posts = (
        sa.select(sa.func.count())
        .select_from(post_t)
        .where(post_t.c.sound_id == sound_t.c.id)
        .scalar_subquery()
    )
    s = sound_t.c
    stmt = sa.select(
        s.id,
        s.platform,
        s.platform_sound_id,
        s.title,
        s.artist,
        s.is_original,
        posts.label("posts"),
    ).where(s.id == sound_id)
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return None if row is None else cast(SoundRow, dict(row))


class PostLine(TypedDict):
    """A post as a list shows it."""

    id: int
    platform: str
    platform_post_id: str
    url: str | None
    posted_at: datetime | None
    caption: str
    language: str
    availability: str
    athlete: str | None
    handle: str | None


def sound_posts_page(
    engine: Engine, sound_id: int, *, after: int | None = None, limit: int = 30
) -> list[PostLine]:
    """Up to ``limit`` posts using the sound, newest first, continuing after the post ``after``
    (UnknownCursorError when that is no archived post)."""
    stmt = (
        sa.select(
            post_t.c.id,
            post_t.c.platform,
            post_t.c.platform_post_id,
            post_t.c.url,
            post_t.c.posted_at,
            post_t.c.caption,
            post_t.c.language,
            post_t.c.availability,
            athlete_t.c.slug.label("athlete"),
            account_t.c.handle,
        )
        .select_from(
            post_t.outerjoin(account_t, account_t.c.id == post_t.c.account_id).outerjoin(
                athlete_t, athlete_t.c.id == account_t.c.athlete_id
            )
        )
        .order_by(*_newest_first())
    )
    with engine.connect() as conn:
        ids = page_ids(conn, [post_t.c.sound_id == sound_id], after, limit)
        stmt = stmt.where(post_t.c.id.in_(ids))
        return [cast(PostLine, dict(r)) for r in conn.execute(stmt).mappings()]
