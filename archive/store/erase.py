"""Erasure (``podium forget``): an athlete, an account or one post, and everything derived from it.

What goes, in one transaction: the post rows with their versions, count snapshots, hashtag links,
mentions and search-index entries; article embeds that point at the posts (the whole
``article_embed`` row: its URL and post id name the post, so unlinking it would keep the very
identity being forgotten; the article itself is the publisher's and stays); problems about the
posts; the raw payloads no remaining row references (payloads are shared by sha256, so one still
used elsewhere stays); hashtags and sounds nothing else uses any more. For an account also the
account row, its crawl runs (with their problems) and its scheduler job; for an athlete all of
that for every account, and the athlete row.

Raw payloads: ``post.raw_payload_id`` names only the latest payload of a post; the payloads of
earlier observations are kept unlinked. Those, and payloads only problems hold, are read and go
when they contain one of the forgotten posts' ids.

On SQLite the FTS5 index is kept by the ``post_ad`` trigger, which only marks entries deleted: an
``optimize`` afterwards rewrites the index so no token of the forgotten text stays in
``post_fts_data``, and ``secure_delete`` zeroes freed pages. On PostgreSQL the ``search_tsv``
column goes with its row (dead tuples stay on disk until VACUUM, which autovacuum runs).

A dry run does all of it and rolls back, so its counts are exactly those a real run gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.errors import ArchiveError
from archive.records import PLATFORMS
from archive.store import search_index
from archive.store._common import (
    account_t,
    article_t,
    athlete_t,
    chunks,
    embed_t,
    hashtag_t,
    listing_t,
    mention_t,
    metric_t,
    payload_t,
    post_hashtag_t,
    post_t,
    problem_t,
    run_t,
    scheduler_job_t,
    select_ids,
    sound_t,
    version_t,
)
from archive.store.accounts import require_athlete
from archive.store.payloads import unheld_payloads_naming
from archive.store.post_urls import find_posts_by_url

log = logging.getLogger(__name__)

#: The tables a forget reports on, in the order it prints them.
TABLES = (
    "athlete",
    "account",
    "post",
    "post_version",
    "metric_snapshot",
    "post_hashtag",
    "hashtag",
    "mention",
    "sound",
    "article_embed",
    "problem",
    "listing_run",
    "crawl_run",
    "raw_payload",
    db.SCHEDULER_JOB_TABLE,
)
#: The types of target ``podium forget`` takes (its first argument; the CLI lists them too).
TARGET_TYPES = ("athlete", "account", "post")


class UnknownTargetError(ArchiveError):
    """Raised by ``archive.store.erase`` for an account or post URL the archive does not hold,
    or an account reference that is not ``PLATFORM:HANDLE``."""


@dataclass(slots=True)
class ForgetResult:
    """What a forget removed (with ``dry_run``: would remove), as rows per table."""

    target: str
    dry_run: bool
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    search_index: str = "post_fts"

    def lines(self) -> list[str]:
        """One line per table, in a fixed order, with the search index after the posts."""
        width = max(len(t) for t in (*TABLES, self.search_index))
        out = []
        for table in TABLES:
            out.append(f"{table:<{width}}  {self.removed[table]}")
            if table == "post":
                out.append(f"{self.search_index:<{width}}  {self.removed['post']}")
        return out


@dataclass(slots=True)
class _Plan:
    """What to erase, found by the resolver inside the transaction."""

    target: str
    post_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)
    athlete_ids: list[int] = field(default_factory=list)
    #: job and crawl-run target ids (``<platform>:<handle>``), casefolded
    target_ids: set[str] = field(default_factory=set)
    #: athlete slugs whose crawl runs go (``podium crawl --athlete``)
    athlete_slugs: list[str] = field(default_factory=list)


# --- public entry points -------------------------------------------------------------------


def parse_account_ref(ref: str) -> tuple[str, str]:
    """``tiktok:lotte.dijk`` -> (platform, handle); a leading ``@`` on the handle is dropped."""
    platform, sep, handle = ref.partition(":")
    platform, handle = platform.strip().casefold(), handle.strip().removeprefix("@")
    if not sep or not handle or platform not in PLATFORMS:
        raise UnknownTargetError(
            f"'{ref}' is not PLATFORM:HANDLE (platforms: {', '.join(PLATFORMS)}), "
            "e.g. tiktok:lotte.dijk or mastodon:femke@mastodon.social"
        )
    return platform, handle


@db.retry_transient
def forget_athlete(engine: Engine, slug: str, *, dry_run: bool = False) -> ForgetResult:
    """Erase an athlete: the athlete row, all its accounts and everything about them."""

    def resolve(conn: Connection) -> _Plan:
        athlete = require_athlete(conn, slug)
        plan = _accounts_plan(
            conn,
            f"athlete {slug}",
            list(
                conn.execute(
                    sa.select(account_t.c.id).where(account_t.c.athlete_id == athlete["id"])
                ).scalars()
            ),
        )
        plan.athlete_ids.append(int(athlete["id"]))
        plan.athlete_slugs.append(slug)
        return plan

    return _forget(engine, resolve, dry_run=dry_run)


@db.retry_transient
def forget_account(
    engine: Engine, platform: str, handle: str, *, dry_run: bool = False
) -> ForgetResult:
    """Erase one account (by handle or stable id) and everything about it; its athlete stays."""
    handle = handle.strip().removeprefix("@")

    def resolve(conn: Connection) -> _Plan:
        c = account_t.c
        # Every row that is this account: a roster may have made a handle-only row beside the
        # one holding the stable id (YouTube), and both are it.
        ids = list(
            conn.execute(
                sa.select(c.id).where(
                    c.platform == platform,
                    sa.or_(c.handle_key == handle.casefold(), c.platform_account_id == handle),
                )
            ).scalars()
        )
        if not ids:
            raise UnknownTargetError(f"no account {platform}:{handle} in the archive")
        plan = _accounts_plan(conn, f"account {platform}:{handle}", ids)
        plan.target_ids.add(f"{platform}:{handle}".casefold())
        return plan

    return _forget(engine, resolve, dry_run=dry_run)


@db.retry_transient
def forget_post(engine: Engine, url: str, *, dry_run: bool = False) -> ForgetResult:
    """Erase one post, found by its URL (or its platform id), and everything about it."""

    def resolve(conn: Connection) -> _Plan:
        ids = find_posts_by_url(conn, url)
        if not ids:
            raise UnknownTargetError(f"no post with URL {url} in the archive")
        if len(ids) > 1:
            raise UnknownTargetError(
                f"{url} matches {len(ids)} posts; "
                "give the post's own URL (as `podium search` shows it)"
            )
        return _Plan(f"post {url}", post_ids=ids)

    return _forget(engine, resolve, dry_run=dry_run)


# --- the erasure ---------------------------------------------------------------------------


def _forget(
    engine: Engine, resolve: Callable[[Connection], _Plan], *, dry_run: bool
) -> ForgetResult:
    sqlite = engine.dialect.name == "sqlite"
    with db.writer(engine).connect() as conn:
        raw: Any = conn.connection.driver_connection if sqlite else None
        pragmas: dict[str, int] = {}
        if sqlite:
            # Set before BEGIN: both pragmas are per connection and ignored inside a
            # transaction. secure_delete zeroes freed pages, so the forgotten text does not
            # linger in free space of the file. Foreign keys off: every row is deleted children
            # first and shared rows only once nothing refers to them (checked in this write
            # transaction), while SQLite's own check of a deleted raw_payload scans all of
            # ``post`` (post.raw_payload_id has no index): quadratic for an athlete's payloads.
            wanted = {"foreign_keys": 0, **({} if dry_run else {"secure_delete": 1})}
            for name, value in wanted.items():
                pragmas[name] = int(raw.execute(f"PRAGMA {name}").fetchone()[0])
                raw.execute(f"PRAGMA {name}={value}")
        try:
            with conn.begin() as trans:
                plan = resolve(conn)
                result = ForgetResult(
                    plan.target, dry_run, search_index="post_fts" if sqlite else "post.search_tsv"
                )
                _erase(conn, plan, result.removed)
                if dry_run:
                    trans.rollback()
                elif sqlite and result.removed["post"]:
                    # The delete trigger leaves tombstones beside the old tokens; optimize merges
                    # the index into one segment without them.
                    conn.exec_driver_sql("INSERT INTO post_fts(post_fts) VALUES ('optimize')")
                    # The side index keeps a deleted post's words until its segments merge: a
                    # new generation makes it start again from nothing (below, or next search).
                    search_index.discard_on_next_sync(conn)
        finally:
            for name, value in pragmas.items():
                raw.execute(f"PRAGMA {name}={value}")
    if sqlite and not dry_run:
        # Copy the new pages into the database file now if no reader needs the old ones;
        # PASSIVE never waits for the crawls.
        with engine.connect() as conn:
            checkpoint: Any = conn.connection.driver_connection
            checkpoint.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if result.removed["post"] and search_index.exists(engine):
            search_index.sync(engine, rebuild=True, wait=5.0)
    log.info("%s %s: %s", "dry run" if dry_run else "forgot", result.target, result.removed)
    return result


def _accounts_plan(conn: Connection, target: str, account_ids: list[int]) -> _Plan:
    plan = _Plan(target, account_ids=account_ids)
    for chunk in chunks(account_ids):
        plan.post_ids += select_ids(
            conn, sa.select(post_t.c.id).where(post_t.c.account_id.in_(chunk))
        )
        for platform, *names in conn.execute(
            sa.select(
                account_t.c.platform,
                account_t.c.handle,
                account_t.c.handle_key,
                account_t.c.platform_account_id,
            ).where(account_t.c.id.in_(chunk))
        ):
            plan.target_ids.update(f"{platform}:{n}".casefold() for n in names if n)
    return plan


def _erase(conn: Connection, plan: _Plan, removed: dict[str, int]) -> None:
    posts = _rows(
        conn,
        sa.select(
            post_t.c.id,
            post_t.c.platform,
            post_t.c.platform_post_id,
            post_t.c.url,
            post_t.c.raw_payload_id,
            post_t.c.sound_id,
        ),
        post_t.c.id,
        plan.post_ids,
    )
    post_ids = [r.id for r in posts]
    identities: dict[str, list[str]] = {}
    for r in posts:
        identities.setdefault(r.platform, []).append(r.platform_post_id)
    tag_ids = {
        r.hashtag_id
        for r in _rows(
            conn, sa.select(post_hashtag_t.c.hashtag_id), post_hashtag_t.c.post_id, post_ids
        )
    }
    sound_ids = {r.sound_id for r in posts if r.sound_id is not None}

    run_ids = _crawl_runs(conn, plan)
    payload_ids = {r.raw_payload_id for r in posts if r.raw_payload_id is not None}
    payload_ids |= unheld_payloads_naming(conn, [r.platform_post_id for r in posts])
    problem_ids = set(_ids_in(conn, problem_t.c.id, problem_t.c.raw_payload_id, payload_ids))
    problem_ids.update(_ids_in(conn, problem_t.c.id, problem_t.c.crawl_run_id, run_ids))
    problem_ids.update(
        _ids_in(conn, problem_t.c.id, problem_t.c.source_url, [r.url for r in posts if r.url])
    )
    embed_ids = set(_ids_in(conn, embed_t.c.id, embed_t.c.post_id, post_ids))
    for platform, ppids in identities.items():
        for chunk in chunks(ppids):
            problem_ids.update(
                select_ids(
                    conn,
                    sa.select(problem_t.c.id).where(
                        problem_t.c.platform == platform, problem_t.c.platform_post_id.in_(chunk)
                    ),
                )
            )
            embed_ids.update(
                select_ids(
                    conn,
                    sa.select(embed_t.c.id).where(
                        embed_t.c.platform == platform, embed_t.c.platform_post_id.in_(chunk)
                    ),
                )
            )
    payload_ids.update(
        r.raw_payload_id
        for r in _rows(
            conn, sa.select(problem_t.c.raw_payload_id), problem_t.c.id, sorted(problem_ids)
        )
        if r.raw_payload_id is not None
    )

    # Children first, so no foreign key is ever left dangling (and no ON DELETE is relied on).
    removed["post_hashtag"] = _delete(conn, post_hashtag_t, post_hashtag_t.c.post_id, post_ids)
    removed["mention"] = _delete(conn, mention_t, mention_t.c.post_id, post_ids)
    removed["post_version"] = _delete(conn, version_t, version_t.c.post_id, post_ids)
    removed["metric_snapshot"] = _delete(conn, metric_t, metric_t.c.post_id, post_ids)
    removed["article_embed"] = _delete(conn, embed_t, embed_t.c.id, sorted(embed_ids))
    removed["problem"] = _delete(conn, problem_t, problem_t.c.id, sorted(problem_ids))
    removed["post"] = _delete(conn, post_t, post_t.c.id, post_ids)
    listing_ids = set(_ids_in(conn, listing_t.c.id, listing_t.c.crawl_run_id, run_ids))
    for target in plan.target_ids:
        platform, _, key = target.partition(":")
        listing_ids.update(
            select_ids(
                conn,
                sa.select(listing_t.c.id).where(
                    listing_t.c.platform == platform, listing_t.c.handle_key == key.casefold()
                ),
            )
        )
    removed["listing_run"] = _delete(conn, listing_t, listing_t.c.id, sorted(listing_ids))
    removed["crawl_run"] = _delete(conn, run_t, run_t.c.id, run_ids)
    removed["account"] = _delete(conn, account_t, account_t.c.id, plan.account_ids)
    removed["athlete"] = _delete(conn, athlete_t, athlete_t.c.id, plan.athlete_ids)

    # Shared rows go only when nothing else uses them any more.
    used_tags = set(
        _ids_in(conn, post_hashtag_t.c.hashtag_id, post_hashtag_t.c.hashtag_id, tag_ids)
    )
    removed["hashtag"] = _delete(conn, hashtag_t, hashtag_t.c.id, sorted(tag_ids - used_tags))
    used_sounds = set(_ids_in(conn, post_t.c.sound_id, post_t.c.sound_id, sound_ids))
    removed["sound"] = _delete(conn, sound_t, sound_t.c.id, sorted(sound_ids - used_sounds))
    used_payloads: set[int] = set()
    for col in (post_t.c.raw_payload_id, problem_t.c.raw_payload_id, article_t.c.raw_payload_id):
        used_payloads.update(_ids_in(conn, col, col, payload_ids))
    removed["raw_payload"] = _delete(
        conn, payload_t, payload_t.c.id, sorted(payload_ids - used_payloads)
    )
    removed[db.SCHEDULER_JOB_TABLE] = _delete_jobs(conn, plan.target_ids)


def _crawl_runs(conn: Connection, plan: _Plan) -> list[int]:
    """Crawl runs of the forgotten accounts (target ``<platform>:<handle>``) or athlete."""
    if not plan.target_ids and not plan.athlete_slugs:
        return []
    c = run_t.c
    conds: list[Any] = []
    if plan.athlete_slugs:
        conds.append(c.athlete_slug.in_(plan.athlete_slugs))
    if plan.target_ids:
        # Targets keep the roster's spelling of a handle: compare casefolded, in Python.
        conds.append(c.spider.in_({t.split(":", 1)[0] for t in plan.target_ids}))
    ids = []
    for run_id, target, slug in conn.execute(
        sa.select(c.id, c.target, c.athlete_slug).where(sa.or_(*conds))
    ):
        if slug in plan.athlete_slugs or (target or "").casefold() in plan.target_ids:
            ids.append(int(run_id))
    return sorted(ids)


def _delete_jobs(conn: Connection, target_ids: set[str]) -> int:
    if not target_ids or not sa.inspect(conn).has_table(db.SCHEDULER_JOB_TABLE):
        return 0
    # Job ids keep the roster's spelling of a handle: compare casefolded.
    jobs = scheduler_job_t
    doomed = [j for j in conn.execute(sa.select(jobs.c.id)).scalars() if j.casefold() in target_ids]
    return _delete(conn, jobs, jobs.c.id, doomed)


# --- small helpers -------------------------------------------------------------------------


def _ids_in(conn: Connection, out: Any, col: Any, values: Iterable[Any]) -> list[Any]:
    result: list[Any] = []
    for chunk in chunks(sorted(values)):
        result += conn.execute(sa.select(out).where(col.in_(chunk)).distinct()).scalars().all()
    return result


def _rows(conn: Connection, stmt: Any, col: Any, values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks(values):
        out += conn.execute(stmt.where(col.in_(chunk))).all()
    return out


def _delete(conn: Connection, table: Any, col: Any, values: Sequence[Any]) -> int:
    n = 0
    for chunk in chunks(values):
        n += conn.execute(table.delete().where(col.in_(chunk))).rowcount
    return n
