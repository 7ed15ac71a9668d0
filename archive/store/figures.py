"""What the archive holds, in figures (``podium status``, ``podium demo``): counts and tops."""

from __future__ import annotations

from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive.store._common import (
    account_t,
    article_t,
    athlete_t,
    hashtag_t,
    metric_t,
    payload_t,
    post_hashtag_t,
    post_t,
    problem_t,
    run_t,
    sound_t,
    version_t,
)

#: Posts of accounts that belong to no athlete, in ``posts_per_athlete``.
NOT_ON_ROSTER = "(not on the roster)"


class Totals(TypedDict):
    """Rows per table."""

    athletes: int
    accounts: int
    posts: int
    versions: int
    snapshots: int
    articles: int
    raw_payloads: int
    problems: int
    crawl_runs: int


class AthletePlatformPosts(TypedDict):
    """Posts of one athlete (or of no athlete) on one platform."""

    athlete: str
    platform: str
    posts: int


class LanguagePosts(TypedDict):
    """Posts in one language."""

    language: str
    posts: int


class HashtagPosts(TypedDict):
    """Posts carrying one hashtag."""

    hashtag: str
    posts: int


class SoundPosts(TypedDict):
    """Posts using one sound."""

    platform: str
    title: str | None
    artist: str | None
    original: bool | None
    posts: int


class EditedPost(TypedDict):
    """A post whose caption changed: how many versions it has."""

    platform: str
    post: str
    versions: int


class DeletedPost(TypedDict):
    """A post the platform no longer shows."""

    platform: str
    post: str
    url: str | None


class ProblemLine(TypedDict):
    """A problem kept for review."""

    platform: str | None
    reason: str
    url: str | None


class ArchiveSummary(TypedDict):
    """Everything ``archive_summary`` counts."""

    totals: Totals
    posts_per_athlete: list[AthletePlatformPosts]
    languages: list[LanguagePosts]
    top_hashtags: list[HashtagPosts]
    top_sounds: list[SoundPosts]
    edits: list[EditedPost]
    availability: dict[str, int]
    deletions: list[DeletedPost]
    problems: list[ProblemLine]


def _count(table: sa.Table) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(table).scalar_subquery()


def archive_totals(engine: Engine) -> Totals:
    """Rows per table, in one query."""
    with engine.connect() as conn:
        return _totals(conn)


def _totals(conn: Connection) -> Totals:
    tables = (athlete_t, account_t, post_t, version_t, metric_t, article_t, payload_t, problem_t)
    counts = conn.execute(sa.select(*map(_count, (*tables, run_t)))).one()
    athletes, accounts, posts, versions, snapshots, articles, payloads, problems, runs = map(
        int, counts
    )
    return Totals(
        athletes=athletes,
        accounts=accounts,
        posts=posts,
        versions=versions,
        snapshots=snapshots,
        articles=articles,
        raw_payloads=payloads,
        problems=problems,
        crawl_runs=runs,
    )


def archive_summary(engine: Engine, *, top: int = 8) -> ArchiveSummary:
    """Totals, posts per athlete and platform, languages, top hashtags and sounds, edits,
    deletions and problems."""
    n = sa.func.count()
    p, ac, a, s, v, h, ph = (
        post_t,
        account_t,
        athlete_t,
        sound_t,
        version_t,
        hashtag_t,
        post_hashtag_t,
    )
    per_athlete = (
        sa.select(a.c.slug, p.c.platform, n)
        .select_from(
            p.outerjoin(ac, ac.c.id == p.c.account_id).outerjoin(a, a.c.id == ac.c.athlete_id)
        )
        .group_by(a.c.slug, p.c.platform)
        .order_by(a.c.slug.is_(None), a.c.slug, p.c.platform)
    )
    languages = sa.select(p.c.language, n).group_by(p.c.language).order_by(n.desc(), p.c.language)
    hashtags = (
        sa.select(h.c.display, n)
        .select_from(ph.join(h, h.c.id == ph.c.hashtag_id))
        .group_by(h.c.id, h.c.display)
        .order_by(n.desc(), h.c.display)
        .limit(top)
    )
    sound_cols = (s.c.platform, s.c.title, s.c.artist, s.c.is_original)
    sounds = (
        sa.select(*sound_cols, n)
        .select_from(p.join(s, s.c.id == p.c.sound_id))
        .group_by(s.c.id, *sound_cols)
        .order_by(n.desc(), s.c.title, s.c.platform)
        .limit(top)
    )
    edits = (
        sa.select(p.c.platform, p.c.platform_post_id, n)
        .select_from(v.join(p, p.c.id == v.c.post_id))
        .where(v.c.source_kind == "platform")
        .group_by(p.c.id, p.c.platform, p.c.platform_post_id)
        .having(n > 1)
        .order_by(p.c.platform, p.c.platform_post_id)
    )
    availability = sa.select(p.c.availability, n).group_by(p.c.availability)
    deletions = (
        sa.select(p.c.platform, p.c.platform_post_id, p.c.url)
        .where(p.c.availability == "deleted")
        .order_by(p.c.platform, p.c.platform_post_id)
    )
    problems = sa.select(problem_t.c.platform, problem_t.c.reason, problem_t.c.source_url).order_by(
        problem_t.c.id
    )
    with engine.connect() as conn:
        return ArchiveSummary(
            totals=_totals(conn),
            posts_per_athlete=[
                AthletePlatformPosts(athlete=r[0] or NOT_ON_ROSTER, platform=r[1], posts=r[2])
                for r in conn.execute(per_athlete)
            ],
            languages=[LanguagePosts(language=r[0], posts=r[1]) for r in conn.execute(languages)],
            top_hashtags=[HashtagPosts(hashtag=r[0], posts=r[1]) for r in conn.execute(hashtags)],
            top_sounds=[
                SoundPosts(platform=r[0], title=r[1], artist=r[2], original=r[3], posts=r[4])
                for r in conn.execute(sounds)
            ],
            edits=[
                EditedPost(platform=r[0], post=r[1], versions=r[2]) for r in conn.execute(edits)
            ],
            availability={r[0]: r[1] for r in conn.execute(availability)},
            deletions=[
                DeletedPost(platform=r[0], post=r[1], url=r[2]) for r in conn.execute(deletions)
            ],
            problems=[
                ProblemLine(platform=r[0], reason=r[1], url=r[2]) for r in conn.execute(problems)
            ],
        )
