"""Posts: the batched, idempotent upsert; known ids and deletions for crawls."""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.post_merge import KnownPost, PostChange, merge_observation
from archive.records import COUNT_KEYS, Counts, NormalizedPost, Tag
from archive.store._common import (
    account_t,
    any_of,
    bulk_insert,
    chunks,
    embed_t,
    insert_fresh,
    insert_returning,
    many,
    mention_t,
    metric_t,
    post_hashtag_t,
    post_t,
    sha256_hex,
    version_t,
)
from archive.store.accounts import find_account
from archive.store.references import resolve_references
from archive.sweeps import SweepVerdict, judge_sweep

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BatchResult:
    """What one batch did to the archive."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: int = 0
    post_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, other: BatchResult) -> None:
        """Accumulate another batch's counts."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.problems += other.problems
        self.post_ids.update(other.post_ids)

    def count(self, key: tuple[str, str], post_id: int, change: PostChange) -> None:
        """Count one post of the batch as its change says."""
        self.post_ids[key] = post_id
        if change.outcome == "new":
            self.new += 1
        elif change.outcome == "updated":
            self.updated += 1
        else:
            self.unchanged += 1


# --- posts ----------------------------------------------------------------------------------


def _key(p: NormalizedPost) -> tuple[str, str]:
    return (p.platform, p.platform_post_id)


@db.retry_transient
def upsert_posts(
    engine: Engine, posts: Sequence[NormalizedPost], *, athlete_ids: Mapping[str, int] | None = None
) -> BatchResult:
    """Store one batch of observations in one transaction; see the module docstring."""
    with db.writer(engine).begin() as conn:
        return upsert_posts_in(conn, posts, athlete_ids=athlete_ids)


@dataclass(frozen=True, slots=True)
class StoreFailure:
    """A post a batch could not store, and why (one line)."""

    post: NormalizedPost
    reason: str


def upsert_posts_each(
    engine: Engine, posts: Sequence[NormalizedPost]
) -> tuple[BatchResult, list[StoreFailure]]:
    """``upsert_posts``; when the batch fails, post by post, so one bad post costs itself only.

    Returns what was stored and the posts that could not be. Raises when the database itself
    stays away (:func:`archive.db.is_transient` past the retry budget): nothing of the batch is
    stored then, and the caller knows.
    """
    try:
        return upsert_posts(engine, posts), []
    except Exception as exc:
        if db.is_transient(exc):
            raise
        log.warning("batch of %d failed (%s); storing one by one", len(posts), exc)
    result, failed = BatchResult(), []
    for post in posts:
        try:
            result.add(upsert_posts(engine, [post]))
        except Exception as one:  # noqa: BLE001 - this post's problem, kept with its reason by the caller
            failed.append(StoreFailure(post, f"cannot store: {one}".splitlines()[0]))
    return result, failed


@contextmanager
def rehearsal(engine: Engine) -> Iterator[Callable[[Sequence[NormalizedPost]], BatchResult]]:
    """A write transaction in which batches are stored exactly as ``upsert_posts`` stores them,
    rolled back at the end: what storing would do, with nothing written (``--dry-run``).

    It holds the write lock while it lasts (on SQLite, other writers wait).
    """
    with db.writer(engine).connect() as conn:
        transaction = conn.begin()
        try:
            yield lambda posts: upsert_posts_in(conn, posts)
        finally:
            transaction.rollback()


def upsert_posts_in(
    conn: Connection,
    posts: Sequence[NormalizedPost],
    *,
    athlete_ids: Mapping[str, int] | None = None,
) -> BatchResult:
    """``upsert_posts`` inside a transaction the caller holds.

    What an observation changes is ``archive.post_merge``'s to decide; this loads what the
    archive knows, asks, and applies the answers. A post observed more than once in the batch
    (a listing and the post's own page, an article's embed and the page) gets every observation,
    in the order given, exactly as if each had come in a batch of its own: what the archive
    holds never depends on how observations fell into batches. Such a post counts once, as its
    strongest outcome (new, then updated, then unchanged).
    """
    outcomes: dict[tuple[str, str], tuple[int, PostChange]] = {}
    for once_each in _rounds(posts):
        for key, (post_id, change) in _upsert_round(conn, once_each, athlete_ids).items():
            before = outcomes.get(key)
            if before is None or _RANK[change.outcome] > _RANK[before[1].outcome]:
                outcomes[key] = (post_id, change)
    result = BatchResult()
    for key, (post_id, change) in outcomes.items():
        result.count(key, post_id, change)
    return result


_RANK = {"unchanged": 0, "updated": 1, "new": 2}


def _rounds(posts: Sequence[NormalizedPost]) -> list[list[NormalizedPost]]:
    """The batch as rounds in which each post appears at most once: its first observations,
    then its second ones, and so on (one round for a batch that names each post once)."""
    rounds: list[list[NormalizedPost]] = []
    times: dict[tuple[str, str], int] = {}
    for p in posts:
        key = _key(p)
        n = times.get(key, 0)
        times[key] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(p)
    return rounds


def _upsert_round(
    conn: Connection,
    posts: Sequence[NormalizedPost],
    athlete_ids: Mapping[str, int] | None,
) -> dict[tuple[str, str], tuple[int, PostChange]]:
    """Store observations of distinct posts; each stored post's id and change by key."""
    out: dict[tuple[str, str], tuple[int, PostChange]] = {}
    refs, tag_ids = resolve_references(conn, posts, athlete_ids)
    existing = existing_posts(conn, [_key(p) for p in posts])
    firsts = [
        (p, merge_observation(None, p, r))
        for p, r in zip(posts, refs, strict=True)
        if _key(p) not in existing
    ]
    ids = _insert_new_posts(conn, [change.columns for _, change in firsts])
    # A post another writer inserted between our look and our insert is handled as "seen again".
    raced = [_key(p) for p, _ in firsts if _key(p) not in ids]
    if raced:
        existing.update(existing_posts(conn, raced))
    link_waiting_embeds(conn, ids)
    writes = _Writes()
    for p, change in firsts:
        post_id = ids.get(_key(p))
        if post_id is not None:
            out[_key(p)] = (post_id, change)
            writes.add(post_id, p, change)
    for p, r in zip(posts, refs, strict=True):
        row = existing.get(_key(p))
        if row is not None:
            change = merge_observation(_known_post(row), p, r)
            out[_key(p)] = (row["id"], change)
            writes.add(row["id"], p, change)
    writes.write(conn, tag_ids)
    return out


def link_waiting_embeds(conn: Connection, ids: Mapping[tuple[str, str], int]) -> None:
    """Link new posts to the article embeds that named them before they were archived.

    An article may be stored before a post it embeds (another worker, or a later crawl of the
    post's platform): its embed waits with ``post_id`` empty and is linked here, so the archive
    does not depend on which came first.
    """
    by_platform: dict[str, list[str]] = {}
    for platform, ppid in ids:
        by_platform.setdefault(platform, []).append(ppid)
    # One bound list per platform (``any_of``): a tuple IN list of hundreds of pairs costs
    # SQLAlchemy more to compile and bind than the look-up costs the database.
    for platform, ppids in by_platform.items():
        stmt = sa.select(embed_t.c.id, embed_t.c.platform_post_id).where(
            embed_t.c.post_id.is_(None),
            embed_t.c.platform == platform,
            any_of(conn, embed_t.c.platform_post_id, "ppids"),
        )
        for row in conn.execute(stmt, {"ppids": many(conn, ppids)}).all():
            conn.execute(
                embed_t.update()
                .where(embed_t.c.id == row.id)
                .values(post_id=ids[(platform, row.platform_post_id)])
            )


def _insert_new_posts(
    conn: Connection, rows: Sequence[Mapping[str, Any]]
) -> dict[tuple[str, str], int]:
    """Insert new posts; returns the ids of those this transaction inserted (a post another
    writer inserted first is skipped by ON CONFLICT, and absent)."""
    made = insert_returning(conn, post_t, rows, ("id", "platform", "platform_post_id"))
    return {(platform, ppid): post_id for post_id, platform, ppid in made}


@dataclass(slots=True)
class _Writes:
    """What a batch writes once every post has an id, gathered to be written in bulk."""

    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Versions and snapshots of new posts (nothing can conflict with them), and of known ones.
    versions: tuple[list[dict[str, Any]], list[dict[str, Any]]] = field(
        default_factory=lambda: ([], [])
    )
    snapshots: tuple[list[dict[str, Any]], list[dict[str, Any]]] = field(
        default_factory=lambda: ([], [])
    )
    links: list[tuple[int, NormalizedPost]] = field(default_factory=list)
    relinked: list[int] = field(default_factory=list)  # known posts whose links are rewritten

    def add(self, post_id: int, seen: NormalizedPost, change: PostChange) -> None:
        """Gather one post's change (a new post's columns are already inserted)."""
        known = change.outcome != "new"
        if known and change.columns:
            self.updates.append((post_id, change.columns))
        if change.new_version:
            self.versions[known].append(_version_row(post_id, seen))
        if change.snapshot is not None:
            counts = {k: getattr(change.snapshot, k) for k in COUNT_KEYS}
            self.snapshots[known].append(
                {"post_id": post_id, "captured_at": seen.observed_at, **counts}
            )
        if change.relink_tags:
            self.links.append((post_id, seen))
            if known:
                self.relinked.append(post_id)

    def write(self, conn: Connection, tag_ids: Mapping[str, int]) -> None:
        """Write everything gathered."""
        apply_updates(conn, self.updates)
        for table, (fresh, known) in ((version_t, self.versions), (metric_t, self.snapshots)):
            insert_fresh(conn, table, fresh)
            bulk_insert(conn, table, known)
        link_tags(conn, self.links, tag_ids, self.relinked)


def _version_row(post_id: int, p: NormalizedPost) -> dict[str, Any]:
    return {
        "post_id": post_id,
        "body_hash": sha256_hex(p.text.body),
        "source_kind": p.source_kind,
        "caption": p.caption,
        "body": p.text.body,
        "observed_at": p.observed_at,
        "edited_at": p.edited_at,
    }


#: The post columns ``KnownPost`` holds, counts aside.
_KNOWN_COLUMNS = tuple(f.name for f in dataclasses.fields(KnownPost) if f.name != "counts")
_EXISTING_COLS = ("id", *_KNOWN_COLUMNS, *COUNT_KEYS)


def _known_post(row: Mapping[str, Any]) -> KnownPost:
    """What the archive knows of a post, from an ``existing_posts`` row."""
    counts = Counts(**{k: row[k] for k in COUNT_KEYS})
    return KnownPost(**{c: row[c] for c in _KNOWN_COLUMNS}, counts=counts)


def existing_posts(
    conn: Connection, keys: Sequence[tuple[str, str]], columns: Sequence[str] = _EXISTING_COLS
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored posts among ``keys`` (platform, platform_post_id), with the given columns."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    cols = [post_t.c[name] for name in columns]
    by_platform: dict[str, list[str]] = {}
    for platform, ppid in keys:
        by_platform.setdefault(platform, []).append(ppid)
    for platform, ppids in by_platform.items():
        stmt = sa.select(post_t.c.platform_post_id, *cols).where(
            post_t.c.platform == platform, any_of(conn, post_t.c.platform_post_id, "ppids")
        )
        for row in conn.execute(stmt, {"ppids": many(conn, ppids)}).mappings():
            out[(platform, row["platform_post_id"])] = dict(row)
    return out


def apply_updates(conn: Connection, updates: list[tuple[int, dict[str, Any]]]) -> None:
    """Group updates by the set of columns they touch, one executemany per group, each in
    post id order (so concurrent writers lock the rows they share in the same order)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pid, values in sorted(updates, key=operator.itemgetter(0)):
        groups.setdefault(tuple(sorted(values)), []).append({"_id": pid, **values})
    for columns, rows in groups.items():
        stmt = (
            post_t.update()
            .where(post_t.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns})
        )
        conn.execute(stmt, rows)


def link_tags(
    conn: Connection,
    links_for: list[tuple[int, NormalizedPost]],
    tag_ids: Mapping[str, int],
    reread: Sequence[int],
) -> None:
    """Write the hashtag and mention rows of new posts (inserted by this transaction), and
    rewrite those of re-read ones (``reread``).

    A key a post names twice is linked once, at its first position."""
    if not links_for:
        return
    for chunk in chunks(reread):
        conn.execute(post_hashtag_t.delete().where(post_hashtag_t.c.post_id.in_(chunk)))
        conn.execute(mention_t.delete().where(mention_t.c.post_id.in_(chunk)))
    again = set(reread)
    # [new posts' rows, re-read posts' rows]: another writer may rewrite a re-read post's
    # links at the same time (ON CONFLICT skips its rows); nobody else knows a new post yet.
    hashtags: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    mentions: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    for pid, p in links_for:
        known = pid in again
        hashtags[known].extend(
            [
                {"post_id": pid, "hashtag_id": tag_ids[t.key], "position": n}
                for n, t in _first_of_each_key(p.text.hashtags)
            ]
        )
        mentions[known].extend(
            [
                {
                    "post_id": pid,
                    "platform": p.platform,
                    "key": m.key,
                    "display": m.display,
                    "position": n,
                }
                for n, m in _first_of_each_key(p.text.mentions)
            ]
        )
    for table, (fresh, known_rows) in ((post_hashtag_t, hashtags), (mention_t, mentions)):
        insert_fresh(conn, table, fresh)
        bulk_insert(conn, table, known_rows)


def _first_of_each_key(tags: Sequence[Tag]) -> Iterable[tuple[int, Tag]]:
    """The tags with their positions, a key named again left out."""
    if len({t.key for t in tags}) == len(tags):
        return enumerate(tags)  # the normalizer names each key once
    firsts: dict[str, tuple[int, Tag]] = {}
    for n, t in enumerate(tags):
        firsts.setdefault(t.key, (n, t))
    return firsts.values()


# --- roster ---------------------------------------------------------------------------------


@db.retry_transient
def known_post_ids(engine: Engine, platform: str, handle: str) -> set[str]:
    """Ids of the account's posts that a listing read to its end has covered.

    The crawl's stop rule halts after N of these in a row. Posts stored after the last listing
    that was read as asked (``account.watermark``, an ISO time) are left out: they may be the
    head of a listing that a crash cut short, and a stop there would never fetch what lies
    below them. An account no listing ever finished has none.
    """
    with engine.connect() as conn:
        acc = find_account(conn, platform, handle)
        if acc is None or not acc.get("watermark"):
            return set()
        through = datetime.fromisoformat(acc["watermark"])
        return set(
            conn.execute(
                sa.select(post_t.c.platform_post_id).where(
                    post_t.c.account_id == acc["id"], post_t.c.first_seen_at <= through
                )
            ).scalars()
        )


@db.retry_transient
def mark_listing_read(engine: Engine, platform: str, handle: str, *, at: datetime) -> bool:
    """Record that the account's listing was read as asked up to ``at`` (all of it stored).

    Returns False when the archive has no such account (the listing showed no posts).
    """
    with db.writer(engine).begin() as conn:
        acc = find_account(conn, platform, handle)
        if acc is None:
            return False
        conn.execute(
            account_t.update()
            .where(account_t.c.id == acc["id"])
            .values(watermark=at.astimezone(UTC).isoformat())
        )
    return True


@db.retry_transient
def mark_missing_deleted(
    engine: Engine,
    platform: str,
    handle: str,
    seen_ids: Iterable[str],
    *,
    swept_at: datetime,
    listed_since: datetime | None = None,
    doubt: str | None = None,
) -> SweepVerdict:
    """After a full sweep: posts of the account that the listing no longer shows become deleted.

    Only posts first seen before the sweep started, and still active, are judged; with
    ``listed_since`` (a listing that covers only recent posts) only posts from then on. A
    listing that shrank suddenly deletes nothing (``archive.sweeps``): the verdict says why.
    """
    with db.writer(engine).begin() as conn:
        acc = find_account(conn, platform, handle)
        if acc is None:
            return SweepVerdict()
        rows = conn.execute(
            sa.select(post_t.c.id, post_t.c.platform_post_id).where(
                post_t.c.account_id == acc["id"],
                post_t.c.availability == "active",
                post_t.c.is_repost.is_(False),
                post_t.c.source_kind == "platform",
                post_t.c.first_seen_at < swept_at,
                *([post_t.c.posted_at >= listed_since] if listed_since else []),
            )
        ).all()
        verdict = judge_sweep([r.platform_post_id for r in rows], list(seen_ids), doubt=doubt)
        if verdict.suspect:
            return verdict
        gone = set(verdict.deleted)
        for chunk in chunks([r.id for r in rows if r.platform_post_id in gone]):
            conn.execute(
                post_t.update().where(post_t.c.id.in_(chunk)).values(availability="deleted")
            )
        conn.execute(
            account_t.update()
            .where(account_t.c.id == acc["id"])
            .values(last_full_sweep_at=swept_at)
        )
    return verdict
