"""Persistence: idempotent batched upserts of normalized posts, roster sync, crawl-run bookkeeping.

Every write goes through unique keys and ``ON CONFLICT``, one transaction per batch (``BEGIN
IMMEDIATE`` on SQLite, see archive.db), so the same batch twice, a crash and restart, or two writers
at once give the same archive. SQLAlchemy Core, not the ORM, where speed matters.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.config import Roster
from archive.errors import UnknownAthleteError  # re-exported for callers
from archive.models import (
    Account,
    Article,
    ArticleEmbed,
    Athlete,
    CrawlRun,
    Hashtag,
    Mention,
    MetricSnapshot,
    Post,
    PostHashtag,
    PostVersion,
    Problem,
    RawPayload,
    Sound,
    UTCDateTime,
)
from archive.records import COUNT_KEYS, NormalizedPost, Payload, RawArticle
from archive.textfold import search_text

log = logging.getLogger(__name__)

athlete_t = Athlete.__table__
account_t = Account.__table__
post_t = Post.__table__
version_t = PostVersion.__table__
metric_t = MetricSnapshot.__table__
hashtag_t = Hashtag.__table__
post_hashtag_t = PostHashtag.__table__
mention_t = Mention.__table__
sound_t = Sound.__table__
payload_t = RawPayload.__table__
article_t = Article.__table__
embed_t = ArticleEmbed.__table__
run_t = CrawlRun.__table__
problem_t = Problem.__table__

#: Statuses that say something about the post itself. ``blocked`` says only that we could not
#: look (a challenge page, a login wall): it never replaces what we knew.
_POST_STATES = ("active", "deleted", "private")
_CHUNK = 500  # ids per IN (...) list


def utcnow() -> datetime:
    """The current time, aware UTC (the store's only clock, used for bookkeeping rows)."""
    return datetime.now(UTC)


def _insert(conn: Connection, table: sa.Table) -> Any:
    """A dialect insert that supports ``on_conflict_do_nothing``/``do_update``."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


@functools.lru_cache(maxsize=4096)
def _sqlite_time(value: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite DateTime stores it (UTC, no zone); a batch shares a few."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING for many rows through the driver's executemany.

    The hot path of every batch: SQLAlchemy's per-row parameter processing costs more than
    SQLite's own work here, so rows go to the DBAPI as tuples (identifiers are our own columns,
    values are bound parameters; times are converted as SQLAlchemy would on SQLite).
    """
    if not rows:
        return
    columns = list(rows[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
        f"({', '.join([mark] * len(columns))}) ON CONFLICT DO NOTHING"
    )
    times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
    if conn.dialect.name == "sqlite" and times:
        params = []
        for r in rows:
            values = list(r.values())
            for i in times:
                if values[i] is not None:
                    values[i] = _sqlite_time(values[i])
            params.append(tuple(values))
    else:
        params = [tuple(r.values()) for r in rows]
    conn.exec_driver_sql(sql, params)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


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


def store_payloads(conn: Connection, payloads: Iterable[Payload]) -> dict[str, int]:
    """Store payloads compressed, once per sha256; returns sha256 -> raw_payload.id."""
    rows: dict[str, dict[str, Any]] = {}
    for p in payloads:
        digest = _sha256(p.body)
        if digest not in rows:
            rows[digest] = {
                "sha256": digest,
                "source_url": p.source_url,
                "fetched_at": p.fetched_at,
                "parser_kind": p.parser_kind,
                "content_type": p.content_type,
                "size": len(p.body),
                "data": zlib.compress(p.body, 1),
            }
    if not rows:
        return {}
    ids = _select_map(conn, payload_t.c.sha256, payload_t.c.id, list(rows))
    missing = [rows[d] for d in rows if d not in ids]
    if missing:
        _bulk_insert(conn, payload_t, missing)
        ids.update(
            _select_map(conn, payload_t.c.sha256, payload_t.c.id, [r["sha256"] for r in missing])
        )
    return ids


def read_payload(conn: Connection, payload_id: int) -> bytes | None:
    """The uncompressed bytes of a stored payload, or None."""
    data = conn.execute(sa.select(payload_t.c.data).where(payload_t.c.id == payload_id)).scalar()
    return None if data is None else zlib.decompress(data)


def _select_map(
    conn: Connection, key_col: Any, val_col: Any, keys: Sequence[Any]
) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for chunk in _chunks(keys):
        out.update(conn.execute(sa.select(key_col, val_col).where(key_col.in_(chunk))).all())
    return out


# --- accounts, sounds, hashtags -------------------------------------------------------------


def _account_ids(
    conn: Connection, posts: Sequence[NormalizedPost], now: datetime, athlete_ids: Mapping[str, int]
) -> dict[int, int | None]:
    """account.id for each post index (None when the post names no author).

    One query finds the accounts a batch already knows; their last_seen_at moves in one
    executemany. Only new or changed accounts (new id, new handle) take the slow careful path.
    """
    wanted: dict[tuple[str, str | None, str | None], list[int]] = {}
    for i, p in enumerate(posts):
        if p.author_id or p.author_handle:
            key = (p.platform, p.author_id, p.author_handle.casefold() if p.author_handle else None)
            wanted.setdefault(key, []).append(i)
    out: dict[int, int | None] = dict.fromkeys(range(len(posts)))
    c = account_t.c
    by_id: dict[tuple[str, str], Any] = {}
    by_handle: dict[tuple[str, str], Any] = {}
    for platform in {k[0] for k in wanted}:
        ids = [k[1] for k in wanted if k[0] == platform and k[1]]
        keys = [k[2] for k in wanted if k[0] == platform and k[2]]
        for chunk_ids, chunk_keys in ((ids, []), ([], keys)):
            for chunk in _chunks(chunk_ids or chunk_keys):
                col = c.platform_account_id if chunk_ids else c.handle_key
                for row in conn.execute(
                    sa.select(
                        c.id, c.platform_account_id, c.handle_key, c.athlete_id, c.display_name
                    ).where(c.platform == platform, col.in_(chunk))
                ):
                    if row.platform_account_id:
                        by_id[(platform, row.platform_account_id)] = row
                    if row.handle_key:
                        by_handle[(platform, row.handle_key)] = row
    touched = []
    for (platform, pid, hkey), idxs in wanted.items():
        sample = posts[idxs[0]]
        slug = next((posts[i].athlete_slug for i in idxs if posts[i].athlete_slug), None)
        athlete_id = athlete_ids.get(slug or "")
        row = by_id.get((platform, pid)) if pid else by_handle.get((platform, hkey or ""))
        settled = (
            row is not None
            and (not hkey or row.handle_key == hkey)
            and (not pid or row.platform_account_id == pid)
            and (not sample.author_name or row.display_name == sample.author_name)
            and (not athlete_id or row.athlete_id is not None)
        )
        if settled:
            account_id = int(row.id)
            touched.append({"_id": account_id, "last_seen_at": now})
        else:
            account_id = _resolve_account(
                conn, platform, pid, hkey, sample.author_handle, sample.author_name, now, athlete_id
            )
        for i in idxs:
            out[i] = account_id
    if touched:
        conn.execute(
            account_t.update()
            .where(c.id == sa.bindparam("_id"))
            .values(last_seen_at=sa.bindparam("last_seen_at")),
            touched,
        )
    return out


def _resolve_account(
    conn: Connection,
    platform: str,
    platform_account_id: str | None,
    handle_key: str | None,
    handle: str | None,
    display_name: str | None,
    now: datetime,
    athlete_id: int | None,
) -> int:
    """Find or create one account, learning its stable id and current handle as they come."""
    c = account_t.c
    conds = []
    if platform_account_id:
        conds.append(c.platform_account_id == platform_account_id)
        # A roster may name an account by its stable id (a YouTube UC… channel id) as handle.
        conds.append(
            sa.and_(c.platform_account_id.is_(None), c.handle_key == platform_account_id.casefold())
        )
    if handle_key:
        conds.append(c.handle_key == handle_key)
    rows = conn.execute(
        sa.select(c.id, c.platform_account_id, c.handle_key, c.athlete_id, c.display_name).where(
            c.platform == platform, sa.or_(*conds)
        )
    ).all()
    # Prefer the row with the stable id; a handle can move between people, an id cannot.
    # Without an id (an embed's byline), the account holding the handle now is the one.
    row = next(
        (r for r in rows if platform_account_id and r.platform_account_id == platform_account_id),
        None,
    ) or next(
        (
            r
            for r in rows
            if platform_account_id is None or r.platform_account_id in (None, platform_account_id)
        ),
        None,
    )
    if row is None:
        stmt = _insert(conn, account_t).on_conflict_do_nothing()
        conn.execute(
            stmt,
            {
                "platform": platform,
                "platform_account_id": platform_account_id,
                "handle": handle,
                "handle_key": None if any(r.handle_key == handle_key for r in rows) else handle_key,
                "display_name": display_name,
                "athlete_id": athlete_id,
                "first_seen_at": now,
                "last_seen_at": now,
            },
        )
        return _resolve_account(
            conn, platform, platform_account_id, handle_key, handle, display_name, now, athlete_id
        )
    values: dict[str, Any] = {"last_seen_at": now}
    if platform_account_id and row.platform_account_id is None:
        values["platform_account_id"] = platform_account_id
    if handle_key and row.handle_key != handle_key:
        # The handle moved to this account: free it elsewhere first (unique per platform).
        conn.execute(
            account_t.update()
            .where(c.platform == platform, c.handle_key == handle_key, c.id != row.id)
            .values(handle_key=None)
        )
        values.update(handle=handle, handle_key=handle_key)
    if display_name and row.display_name != display_name:
        values["display_name"] = display_name
    if athlete_id and row.athlete_id is None:
        values["athlete_id"] = athlete_id
    conn.execute(account_t.update().where(c.id == row.id).values(**values))
    return int(row.id)


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
    conn.execute(_insert(conn, sound_t).on_conflict_do_nothing(), list(rows.values()))
    out: dict[tuple[str, str], int] = {}
    for platform in {k[0] for k in rows}:
        keys = [k[1] for k in rows if k[0] == platform]
        for chunk in _chunks(keys):
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
    conn.execute(_insert(conn, hashtag_t).on_conflict_do_nothing(), list(rows.values()))
    return _select_map(conn, hashtag_t.c.key, hashtag_t.c.id, list(rows))


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
            _select_map(conn, athlete_t.c.slug, athlete_t.c.id, list(slugs)) if slugs else {}
        )
    payload_ids = store_payloads(conn, (p.payload for p in posts if p.payload is not None))
    account_ids = _account_ids(conn, posts, now, athlete_ids)
    sound_ids = _sound_ids(conn, posts)
    tag_ids = _hashtag_ids(conn, posts)

    def sound_id(p: NormalizedPost) -> int | None:
        s = p.text.sound
        return (
            None
            if s is None
            else sound_ids[(p.platform, _sound_key(s.platform_sound_id, s.title, s.artist))]
        )

    digests = {id(p.payload): _sha256(p.payload.body) for p in posts if p.payload is not None}

    def payload_id(p: NormalizedPost) -> int | None:
        return None if p.payload is None else payload_ids[digests[id(p.payload)]]

    existing = _existing_posts(conn, list(latest))
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
        _bulk_insert(conn, post_t, new_rows)
        ids = {
            k: v["id"]
            for k, v in _existing_posts(
                conn, [(p.platform, p.platform_post_id) for p in new_posts], columns=("id",)
            ).items()
        }
    elif new_rows:
        stmt = (
            _insert(conn, post_t)
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
        existing.update(_existing_posts(conn, raced))
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
        _bulk_insert(conn, version_t, versions)
    if snapshots:
        _bulk_insert(conn, metric_t, snapshots)
    _link_tags(conn, links_for, tag_ids, reread)
    return result


def _version_row(post_id: int, p: NormalizedPost) -> dict[str, Any]:
    return {
        "post_id": post_id,
        "body_hash": _sha256(p.text.body),
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


def _existing_posts(
    conn: Connection, keys: Sequence[tuple[str, str]], columns: Sequence[str] = _EXISTING_COLS
) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    cols = [post_t.c[name] for name in columns]
    by_platform: dict[str, list[str]] = {}
    for platform, ppid in keys:
        by_platform.setdefault(platform, []).append(ppid)
    for platform, ppids in by_platform.items():
        for chunk in _chunks(ppids):
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
    for chunk in _chunks(reread):
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
        _bulk_insert(conn, post_hashtag_t, tags)
    if mentions:
        _bulk_insert(conn, mention_t, mentions)


# --- roster ---------------------------------------------------------------------------------


@dataclass(slots=True)
class SyncResult:
    """What ``sync_roster`` changed."""

    athletes_added: int = 0
    athletes_updated: int = 0
    accounts_added: int = 0


def sync_roster(engine: Engine, roster: Roster) -> SyncResult:
    """Create or update the roster's athletes and their accounts (never deletes anything)."""
    result = SyncResult()
    now = utcnow()
    with db.writer(engine).begin() as conn:
        for a in roster.athletes:
            values = {
                "name": a.name,
                "sport": a.sport,
                "country": a.country,
                "languages": ",".join(a.languages) or None,
            }
            row = (
                conn.execute(sa.select(athlete_t).where(athlete_t.c.slug == a.slug))
                .mappings()
                .first()
            )
            if row is None:
                conn.execute(
                    _insert(conn, athlete_t).on_conflict_do_nothing(),
                    {"slug": a.slug, "created_at": now, "updated_at": now, **values},
                )
                result.athletes_added += 1
            elif any(row[k] != v for k, v in values.items()):
                conn.execute(
                    athlete_t.update()
                    .where(athlete_t.c.slug == a.slug)
                    .values(updated_at=now, **values)
                )
                result.athletes_updated += 1
            athlete_id = conn.execute(
                sa.select(athlete_t.c.id).where(athlete_t.c.slug == a.slug)
            ).scalar_one()
            for acc in a.accounts:
                key = acc.handle.casefold()
                found = conn.execute(
                    sa.select(account_t.c.id, account_t.c.athlete_id).where(
                        account_t.c.platform == acc.platform,
                        # the handle, or the stable id a roster may give instead (YouTube UC…)
                        sa.or_(
                            account_t.c.handle_key == key,
                            account_t.c.platform_account_id == acc.handle,
                        ),
                    )
                ).first()
                if found is None:
                    _resolve_account(
                        conn, acc.platform, None, key, acc.handle, None, now, athlete_id
                    )
                    result.accounts_added += 1
                elif found.athlete_id != athlete_id:
                    conn.execute(
                        account_t.update()
                        .where(account_t.c.id == found.id)
                        .values(athlete_id=athlete_id)
                    )
    return result


@dataclass(frozen=True, slots=True)
class AthleteSummary:
    """One athlete with their accounts and post count (``podium athletes list``)."""

    slug: str
    name: str
    sport: str | None
    country: str | None
    accounts: tuple[tuple[str, str | None], ...]
    posts: int


def list_athletes(engine: Engine) -> list[AthleteSummary]:
    """Every athlete, by slug, with accounts and number of posts."""
    with engine.connect() as conn:
        athletes = conn.execute(sa.select(athlete_t).order_by(athlete_t.c.slug)).mappings().all()
        accounts = conn.execute(
            sa.select(
                account_t.c.athlete_id, account_t.c.platform, account_t.c.handle, account_t.c.id
            )
            .where(account_t.c.athlete_id.is_not(None))
            .order_by(account_t.c.platform, account_t.c.handle)
        ).all()
        counts = dict(
            conn.execute(
                sa.select(account_t.c.athlete_id, sa.func.count(post_t.c.id))
                .join(post_t, post_t.c.account_id == account_t.c.id)
                .group_by(account_t.c.athlete_id)
            ).all()
        )
    return [
        AthleteSummary(
            a["slug"],
            a["name"],
            a["sport"],
            a["country"],
            tuple((r.platform, r.handle) for r in accounts if r.athlete_id == a["id"]),
            int(counts.get(a["id"], 0)),
        )
        for a in athletes
    ]


def get_athlete(conn: Connection, slug: str) -> dict[str, Any] | None:
    """The athlete row with this slug, or None."""
    row = conn.execute(sa.select(athlete_t).where(athlete_t.c.slug == slug)).mappings().first()
    return None if row is None else dict(row)


def require_athlete(conn: Connection, slug: str) -> dict[str, Any]:
    """The athlete row, or UnknownAthleteError naming the closest slugs."""
    import difflib

    row = get_athlete(conn, slug)
    if row is not None:
        return row
    slugs = list(conn.execute(sa.select(athlete_t.c.slug)).scalars())
    close = difflib.get_close_matches(slug, slugs, n=3, cutoff=0.5)
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else ("; the archive has no athletes yet (run `podium athletes sync`)" if not slugs else "")
    )
    raise UnknownAthleteError(f"no athlete '{slug}' in the archive{hint}")


# --- what a crawl needs to know -----------------------------------------------------------


def find_account(conn: Connection, platform: str, handle: str) -> dict[str, Any] | None:
    """The account with this platform and handle (case-insensitive), or None.

    A roster may name an account by its stable id instead (YouTube: the ``UC…`` channel id,
    which its feed gives as the author id, with no handle). An account holding that id is
    preferred: after ``athletes sync`` the roster's handle-only row and the row the posts
    arrived on may both exist, and only the latter holds the posts.
    """
    row = (
        conn.execute(
            sa.select(account_t).where(
                account_t.c.platform == platform, account_t.c.platform_account_id == handle
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        row = (
            conn.execute(
                sa.select(account_t).where(
                    account_t.c.platform == platform, account_t.c.handle_key == handle.casefold()
                )
            )
            .mappings()
            .first()
        )
    return None if row is None else dict(row)


def known_post_ids(engine: Engine, platform: str, handle: str) -> set[str]:
    """Ids of the posts the archive holds for one account (the crawl's stop rule needs them)."""
    with engine.connect() as conn:
        acc = find_account(conn, platform, handle)
        if acc is None:
            return set()
        return set(
            conn.execute(
                sa.select(post_t.c.platform_post_id).where(post_t.c.account_id == acc["id"])
            ).scalars()
        )


def mark_missing_deleted(
    engine: Engine, platform: str, handle: str, seen_ids: Iterable[str], *, swept_at: datetime,
    listed_since: datetime | None = None,
) -> list[str]:
    """After a full sweep: posts of the account that the listing no longer shows become deleted.

    Only posts first seen before the sweep started, and still active, are marked; with
    ``listed_since`` (a listing that covers only recent posts) only posts from then on.
    Returns their ids.
    """
    seen = set(seen_ids)
    with db.writer(engine).begin() as conn:
        acc = find_account(conn, platform, handle)
        if acc is None:
            return []
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
        gone = [r for r in rows if r.platform_post_id not in seen]
        for chunk in _chunks([r.id for r in gone]):
            conn.execute(
                post_t.update().where(post_t.c.id.in_(chunk)).values(availability="deleted")
            )
        conn.execute(
            account_t.update()
            .where(account_t.c.id == acc["id"])
            .values(last_full_sweep_at=swept_at)
        )
    return [r.platform_post_id for r in gone]


# --- articles ---------------------------------------------------------------------------------


def upsert_article(
    engine: Engine,
    article: RawArticle,
    *,
    published_at: datetime | None,
    observed_at: datetime,
    payload: Payload | None = None,
    post_ids: Mapping[tuple[str, str], int] | None = None,
) -> int:
    """Store an article and where its embeds sit; links embeds to archived posts by identity."""
    assert article.url
    with db.writer(engine).begin() as conn:
        pay_id = store_payloads(conn, [payload]).get(_sha256(payload.body)) if payload else None
        values = {
            "title": article.title,
            "published_at": published_at,
            "author": article.author,
            "publisher": article.publisher,
            "language": article.language,
            "description": article.description,
            "last_seen_at": observed_at,
            "raw_payload_id": pay_id,
        }
        stmt = _insert(conn, article_t).values(url=article.url, first_seen_at=observed_at, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=values))
        art_id = conn.execute(
            sa.select(article_t.c.id).where(article_t.c.url == article.url)
        ).scalar_one()
        known = dict(post_ids or {})
        keys = [(e.platform, e.platform_post_id) for e in article.embeds if e.platform_post_id]
        missing = [k for k in keys if k not in known]
        if missing:
            known.update({k: v["id"] for k, v in _existing_posts(conn, missing).items()})
        for e in article.embeds:
            post_id = known.get((e.platform, e.platform_post_id or ""))
            row = {
                "platform": e.platform,
                "url": e.url,
                "platform_post_id": e.platform_post_id,
                "post_id": post_id,
            }
            stmt = _insert(conn, embed_t).values(article_id=art_id, position=e.position, **row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["article_id", "position"],
                    set_={k: v for k, v in row.items() if v is not None},
                )
            )
    return int(art_id)


# --- crawl runs and problems ------------------------------------------------------------------


def start_crawl_run(
    engine: Engine, *, spider: str, target: str | None, athlete_slug: str | None, full_sweep: bool
) -> int:
    """Open a crawl_run row (status ``running``); returns its id."""
    with db.writer(engine).begin() as conn:
        res = conn.execute(
            run_t.insert().values(
                spider=spider,
                target=target,
                athlete_slug=athlete_slug,
                full_sweep=full_sweep,
                started_at=utcnow(),
                status="running",
                pages=0,
                posts_new=0,
                posts_updated=0,
                posts_unchanged=0,
                posts_deleted=0,
                problems=0,
            )
        )
        return int(res.inserted_primary_key[0])


def finish_crawl_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    reason: str | None = None,
    pages: int | None = None,
    result: BatchResult | None = None,
    deleted: int = 0,
    errors: str | None = None,
    exit_code: int | None = None,
) -> None:
    """Close a crawl_run row with its counts and how it ended."""
    values: dict[str, Any] = {
        "finished_at": utcnow(),
        "status": status,
        "finish_reason": reason,
        "posts_deleted": deleted,
        "errors": errors,
        "exit_code": exit_code,
    }
    if pages is not None:
        values["pages"] = pages
    if result is not None:
        values.update(
            posts_new=result.new, posts_updated=result.updated, posts_unchanged=result.unchanged
        )
    with db.writer(engine).begin() as conn:
        conn.execute(run_t.update().where(run_t.c.id == run_id).values(**values))
        # Problems are rows of their own: count them, so the figure is always true.
        n = conn.execute(
            sa.select(sa.func.count())
            .select_from(problem_t)
            .where(problem_t.c.crawl_run_id == run_id)
        ).scalar_one()
        conn.execute(run_t.update().where(run_t.c.id == run_id).values(problems=n))


def set_crawl_run_exit_code(engine: Engine, run_id: int, code: int | None) -> None:
    """Record the child process' exit status on a crawl_run row the child closed itself."""
    with db.writer(engine).begin() as conn:
        conn.execute(run_t.update().where(run_t.c.id == run_id).values(exit_code=code))


def get_crawl_run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    """A crawl_run row as a dict, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(run_t).where(run_t.c.id == run_id)).mappings().first()
    return None if row is None else dict(row)


def record_problem(
    engine: Engine,
    *,
    reason: str,
    platform: str | None = None,
    source_url: str | None = None,
    platform_post_id: str | None = None,
    payload: Payload | None = None,
    detail: Any = None,
    crawl_run_id: int | None = None,
) -> int:
    """Keep what could not be parsed or stored: the reason, the record and the raw payload."""
    with db.writer(engine).begin() as conn:
        pay_id = store_payloads(conn, [payload]).get(_sha256(payload.body)) if payload else None
        res = conn.execute(
            problem_t.insert().values(
                crawl_run_id=crawl_run_id,
                created_at=utcnow(),
                platform=platform,
                source_url=source_url,
                platform_post_id=platform_post_id,
                reason=reason,
                raw_payload_id=pay_id,
                detail=None
                if detail is None
                else json.dumps(detail, ensure_ascii=False, default=str),
            )
        )
        return int(res.inserted_primary_key[0])


def post_to_detail(p: Any) -> dict[str, Any]:
    """A dataclass record as a JSON-able dict (for ``problem.detail``)."""
    return asdict(p)
