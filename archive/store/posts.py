"""Posts: the batched, idempotent upsert; known ids and deletions for crawls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.records import COUNT_KEYS, NormalizedPost
from archive.store._common import (
    account_t,
    athlete_t,
    bulk_insert,
    chunks,
    hashtag_t,
    insert_for,
    mention_t,
    metric_t,
    post_hashtag_t,
    post_t,
    select_map,
    sha256_hex,
    sound_t,
    version_t,
)
from archive.store.accounts import find_account, resolve_accounts
from archive.store.payloads import store_payloads
from archive.sweeps import SweepVerdict, judge_sweep
from archive.textfold import search_text

#: Statuses that say something about the post itself. ``blocked`` says only that we could not
#: look (a challenge page, a login wall): it never replaces what we knew.
_POST_STATES = ("active", "deleted", "private")


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


# --- raw payloads ---------------------------------------------------------------------------


def _sound_key(platform_sound_id: str | None, title: str | None, artist: str | None) -> str:
    if platform_sound_id:
        return f"id:{platform_sound_id}"
    return f"t:{(title or '').casefold()}\x1f{(artist or '').casefold()}"


def _sound_ids(conn: Connection, posts: Sequence[NormalizedPost]) -> dict[tuple[str, str], int]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for p in posts:
        s = p.text.sound
        if s is not None:
            key = (p.platform, _sound_key(s.platform_sound_id, s.title, s.artist))
            rows.setdefault(
                key,
                {
                    "platform": p.platform,
                    "sound_key": key[1],
                    "platform_sound_id": s.platform_sound_id,
                    "title": s.title,
                    "artist": s.artist,
                    "is_original": s.is_original,
                },
            )
    if not rows:
        return {}
    conn.execute(insert_for(conn, sound_t).on_conflict_do_nothing(), list(rows.values()))
    out: dict[tuple[str, str], int] = {}
    for platform in {k[0] for k in rows}:
        keys = [k[1] for k in rows if k[0] == platform]
        for chunk in chunks(keys):
            for key, sid in conn.execute(
                sa.select(sound_t.c.sound_key, sound_t.c.id).where(
                    sound_t.c.platform == platform, sound_t.c.sound_key.in_(chunk)
                )
            ):
                out[(platform, key)] = sid
    return out


def _hashtag_ids(conn: Connection, posts: Sequence[NormalizedPost]) -> dict[str, int]:
    rows = {t.key: {"key": t.key, "display": t.display} for p in posts for t in p.text.hashtags}
    if not rows:
        return {}
    conn.execute(insert_for(conn, hashtag_t).on_conflict_do_nothing(), list(rows.values()))
    return select_map(conn, hashtag_t.c.key, hashtag_t.c.id, list(rows))


# --- posts ----------------------------------------------------------------------------------


def _counts(p: NormalizedPost) -> dict[str, int | None]:
    return {k: getattr(p.counts, k) for k in COUNT_KEYS}


def _text_columns(p: NormalizedPost, sound_id: int | None) -> dict[str, Any]:
    t = p.text
    return {
        "caption": p.caption,
        "body": t.body,
        "language": t.language,
        "language_confidence": t.language_confidence,
        "declared_language": t.declared_language,
        "sound_id": sound_id,
        "normalizer_version": t.normalizer_version,
        "search_text": search_text(t.body, t.hashtags, t.mentions),
    }


def _has_text(p: NormalizedPost) -> bool:
    """An observation that actually saw the caption (not a block or a private shell)."""
    return p.availability == "active" or bool(p.caption)


@db.retry_transient
def upsert_posts(
    engine: Engine, posts: Sequence[NormalizedPost], *, athlete_ids: Mapping[str, int] | None = None
) -> BatchResult:
    """Store one batch of observations in one transaction; see the module docstring."""
    with db.writer(engine).begin() as conn:
        return upsert_posts_in(conn, posts, athlete_ids=athlete_ids)


def upsert_posts_in(
    conn: Connection,
    posts: Sequence[NormalizedPost],
    *,
    athlete_ids: Mapping[str, int] | None = None,
) -> BatchResult:
    """``upsert_posts`` inside a transaction the caller holds."""
    result = BatchResult()
    if not posts:
        return result
    # One observation per identity: the newest wins (a listing and a post page in one batch).
    latest: dict[tuple[str, str], NormalizedPost] = {}
    for p in posts:
        key = (p.platform, p.platform_post_id)
        if key not in latest or p.observed_at >= latest[key].observed_at:
            latest[key] = p
    posts = list(latest.values())
    now = max(p.observed_at for p in posts)
    if athlete_ids is None:
        slugs = {p.athlete_slug for p in posts if p.athlete_slug}
        athlete_ids = (
            select_map(conn, athlete_t.c.slug, athlete_t.c.id, list(slugs)) if slugs else {}
        )
    payload_ids = store_payloads(conn, (p.payload for p in posts if p.payload is not None))
    account_ids = resolve_accounts(conn, posts, now, athlete_ids)
    sound_ids = _sound_ids(conn, posts)
    tag_ids = _hashtag_ids(conn, posts)

    def sound_id(p: NormalizedPost) -> int | None:
        s = p.text.sound
        return (
            None
            if s is None
            else sound_ids[(p.platform, _sound_key(s.platform_sound_id, s.title, s.artist))]
        )

    digests = {id(p.payload): sha256_hex(p.payload.body) for p in posts if p.payload is not None}

    def payload_id(p: NormalizedPost) -> int | None:
        return None if p.payload is None else payload_ids[digests[id(p.payload)]]

    existing = existing_posts(conn, list(latest))
    new_rows, new_posts = [], []
    for i, p in enumerate(posts):
        if (p.platform, p.platform_post_id) in existing:
            continue
        row = {
            "platform": p.platform,
            "platform_post_id": p.platform_post_id,
            "account_id": account_ids[i],
            "url": p.url,
            "kind": p.kind,
            "posted_at": p.posted_at,
            "edited_at": p.edited_at,
            "caption_source": p.source_kind,
            "is_repost": p.is_repost,
            "is_pinned": p.is_pinned,
            "availability": p.availability,
            "first_seen_at": p.observed_at,
            "last_seen_at": p.observed_at,
            "raw_payload_id": payload_id(p),
            **_counts(p),
            **_text_columns(p, sound_id(p)),
        }
        new_rows.append(row)
        new_posts.append(p)
    ids: dict[tuple[str, str], int] = {}
    if new_rows and conn.dialect.name == "sqlite":
        # BEGIN IMMEDIATE holds the write lock since before we looked: nobody raced us.
        bulk_insert(conn, post_t, new_rows)
        ids = {
            k: v["id"]
            for k, v in existing_posts(
                conn, [(p.platform, p.platform_post_id) for p in new_posts], columns=("id",)
            ).items()
        }
    elif new_rows:
        stmt = (
            insert_for(conn, post_t)
            .on_conflict_do_nothing()
            .returning(post_t.c.id, post_t.c.platform, post_t.c.platform_post_id)
        )
        ids = {(r.platform, r.platform_post_id): r.id for r in conn.execute(stmt, new_rows)}
    # A post another writer inserted between our look and our insert is handled as "seen again".
    raced = [
        (p.platform, p.platform_post_id)
        for p in new_posts
        if (p.platform, p.platform_post_id) not in ids
    ]
    if raced:
        existing.update(existing_posts(conn, raced))
    inserted = [p for p in new_posts if (p.platform, p.platform_post_id) in ids]

    versions, snapshots, links_for = [], [], []
    reread: list[int] = []  # existing posts whose tags and mentions are rewritten
    for p in inserted:
        pid = ids[(p.platform, p.platform_post_id)]
        result.post_ids[(p.platform, p.platform_post_id)] = pid
        result.new += 1
        if _has_text(p):
            versions.append(_version_row(pid, p))
            links_for.append((pid, p))
        if not p.counts.is_empty():
            snapshots.append({"post_id": pid, "captured_at": p.observed_at, **_counts(p)})

    updates = []
    for i, p in enumerate(posts):
        old = existing.get((p.platform, p.platform_post_id))
        if old is None:
            continue
        pid = old["id"]
        result.post_ids[(p.platform, p.platform_post_id)] = pid
        values: dict[str, Any] = {}
        changed = False
        if p.observed_at > old["last_seen_at"]:
            values["last_seen_at"] = p.observed_at
        # Text: a platform observation replaces an embed's; an embed never edits the page's caption.
        if _has_text(p):
            same_kind = p.source_kind == old["caption_source"] or old["caption_source"] == "embed"
            if p.source_kind == "embed" and old["caption_source"] != "embed":
                if p.text.body != old["body"]:
                    versions.append(_version_row(pid, p))  # what the embed showed, kept
            elif same_kind and (
                p.text.body != old["body"]
                or p.caption != old["caption"]
                or p.text.normalizer_version != old["normalizer_version"]
            ):
                values.update(
                    _text_columns(p, sound_id(p)),
                    caption_source=p.source_kind,
                    edited_at=p.edited_at or old["edited_at"],
                )
                if p.text.body != old["body"]:
                    versions.append(_version_row(pid, p))
                    changed = True
                links_for.append((pid, p))
                reread.append(pid)
            elif same_kind and sound_id(p) != old["sound_id"] and sound_id(p) is not None:
                values["sound_id"] = sound_id(p)
        # Counts: merge what this observation knows; a snapshot only when something changed.
        new_counts = {k: (v if v is not None else old[k]) for k, v in _counts(p).items()}
        if any(new_counts[k] != old[k] for k in COUNT_KEYS):
            values.update(new_counts)
            snapshots.append({"post_id": pid, "captured_at": p.observed_at, **new_counts})
            changed = True
        state = p.availability
        if (state in _POST_STATES and state != old["availability"]) or (
            state == "blocked" and old["availability"] == "unknown"
        ):
            values["availability"] = state
            changed = True
        for flag in ("is_pinned", "is_repost"):
            if getattr(p, flag) != old[flag] and p.source_kind == "platform":
                values[flag] = getattr(p, flag)
        if account_ids[i] and old["account_id"] is None:
            values["account_id"] = account_ids[i]
        if p.url and not old["url"]:
            values["url"] = p.url
        if p.posted_at and old["posted_at"] is None:
            values["posted_at"] = p.posted_at
        if p.payload is not None:
            values["raw_payload_id"] = payload_id(p)
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1
        if values:
            updates.append((pid, values))

    _apply_updates(conn, updates)
    if versions:
        bulk_insert(conn, version_t, versions)
    if snapshots:
        bulk_insert(conn, metric_t, snapshots)
    _link_tags(conn, links_for, tag_ids, reread)
    return result


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


_EXISTING_COLS = (
    "id",
    "body",
    "caption",
    "caption_source",
    "normalizer_version",
    "sound_id",
    "availability",
    "is_pinned",
    "is_repost",
    "account_id",
    "url",
    "posted_at",
    "edited_at",
    "first_seen_at",
    "last_seen_at",
    *COUNT_KEYS,
)


def existing_posts(
    conn: Connection, keys: Sequence[tuple[str, str]], columns: Sequence[str] = _EXISTING_COLS
) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    cols = [post_t.c[name] for name in columns]
    by_platform: dict[str, list[str]] = {}
    for platform, ppid in keys:
        by_platform.setdefault(platform, []).append(ppid)
    for platform, ppids in by_platform.items():
        for chunk in chunks(ppids):
            stmt = sa.select(post_t.c.platform_post_id, *cols).where(
                post_t.c.platform == platform, post_t.c.platform_post_id.in_(chunk)
            )
            for row in conn.execute(stmt).mappings():
                out[(platform, row["platform_post_id"])] = dict(row)
    return out


def _apply_updates(conn: Connection, updates: list[tuple[int, dict[str, Any]]]) -> None:
    """Group updates by the set of columns they touch, one executemany per group."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pid, values in updates:
        groups.setdefault(tuple(sorted(values)), []).append({"_id": pid, **values})
    for columns, rows in groups.items():
        stmt = (
            post_t.update()
            .where(post_t.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns})
        )
        conn.execute(stmt, rows)


def _link_tags(
    conn: Connection,
    links_for: list[tuple[int, NormalizedPost]],
    tag_ids: Mapping[str, int],
    reread: Sequence[int],
) -> None:
    """Write the hashtag and mention rows of new posts, and rewrite those of re-read ones."""
    if not links_for:
        return
    for chunk in chunks(reread):
        conn.execute(post_hashtag_t.delete().where(post_hashtag_t.c.post_id.in_(chunk)))
        conn.execute(mention_t.delete().where(mention_t.c.post_id.in_(chunk)))
    tags = [
        {"post_id": pid, "hashtag_id": tag_ids[t.key], "position": n}
        for pid, p in links_for
        for n, t in enumerate(p.text.hashtags)
    ]
    mentions = [
        {"post_id": pid, "platform": p.platform, "key": m.key, "display": m.display, "position": n}
        for pid, p in links_for
        for n, m in enumerate(p.text.mentions)
    ]
    if tags:
        bulk_insert(conn, post_hashtag_t, tags)
    if mentions:
        bulk_insert(conn, mention_t, mentions)


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
                post_t.c.caption_source == "platform",
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


# --- articles ---------------------------------------------------------------------------------
