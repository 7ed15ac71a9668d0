"""Re-derivation (``podium reprocess``): the posts to re-derive with their stored payloads, and
applying what the payloads give now (``archive.post_merge.rederive`` decides).

A re-derivation rewrites only derived values (text columns, hashtag and mention rows, the
sound); it never adds a post_version or a metric_snapshot and never moves last_seen_at.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.post_merge import Derivation, Rederivation, rederive, sound_key, text_columns
from archive.records import NormalizedPost
from archive.rederivation import PayloadRow, Rederived
from archive.store._common import (
    account_t,
    athlete_t,
    chunks,
    hashtag_t,
    mention_t,
    payload_t,
    post_hashtag_t,
    post_t,
    problem_t,
    sound_t,
    utcnow,
)
from archive.store.posts import apply_updates, link_tags
from archive.store.references import hashtag_ids_of, sound_ids_of

#: A ``Rederivation`` field -> the ``post`` column it rewrites (hashtags and mentions are rows).
_COLUMN_OF = {
    "caption": "caption",
    "body": "body",
    "language": "language",
    "language_confidence": "language_confidence",
    "declared_language": "declared_language",
    "sound": "sound_id",
    "search_text": "search_text",
    "posted_at": "posted_at",
}


def _selection(
    platform: str | None, versions: Sequence[str] | None
) -> list[sa.ColumnElement[bool]]:
    where = []
    if platform is not None:
        where.append(post_t.c.platform == platform)
    if versions is not None:
        where.append(post_t.c.normalizer_version.in_(list(versions)))
    return where


@db.retry_transient
def normalizer_versions(engine: Engine, *, platform: str | None = None) -> dict[str, int]:
    """How many posts (of ``platform``) each normalizer version derived."""
    stmt = (
        sa.select(post_t.c.normalizer_version, sa.func.count())
        .where(*_selection(platform, None))
        .group_by(post_t.c.normalizer_version)
    )
    with engine.connect() as conn:
        return {str(v): int(n) for v, n in conn.execute(stmt)}


@db.retry_transient
def count_rederivable(
    engine: Engine, *, platform: str | None, versions: Sequence[str] | None
) -> tuple[int, int]:
    """(posts selected, of those the ones without a stored payload)."""
    where = _selection(platform, versions)
    stmt = sa.select(
        sa.func.count(),
        sa.func.count().filter(post_t.c.raw_payload_id.is_(None)),
    ).where(*where)
    with engine.connect() as conn:
        total, bare = conn.execute(stmt).one()
    return int(total), int(bare)


@db.retry_transient
def posts_to_rederive(
    engine: Engine,
    *,
    platform: str | None,
    versions: Sequence[str] | None,
    after_id: int = 0,
    limit: int = 500,
) -> list[PayloadRow]:
    """The next ``limit`` selected posts after ``after_id`` (by id) that have a payload, each
    with the payload its row points at. Read in pages, so memory stays flat."""
    stmt = (
        sa.select(
            post_t.c.id,
            post_t.c.platform,
            post_t.c.platform_post_id,
            post_t.c.raw_payload_id,
            payload_t.c.data,
            payload_t.c.source_url,
            payload_t.c.fetched_at,
            payload_t.c.parser_kind,
            athlete_t.c.languages,
        )
        .select_from(
            post_t.join(payload_t, payload_t.c.id == post_t.c.raw_payload_id)
            .outerjoin(account_t, account_t.c.id == post_t.c.account_id)
            .outerjoin(athlete_t, athlete_t.c.id == account_t.c.athlete_id)
        )
        .where(post_t.c.id > after_id, *_selection(platform, versions))
        .order_by(post_t.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [
            PayloadRow(
                post_id=r.id,
                platform=r.platform,
                platform_post_id=r.platform_post_id,
                raw_payload_id=r.raw_payload_id,
                data=bytes(r.data),
                source_url=r.source_url,
                fetched_at=r.fetched_at,
                parser_kind=r.parser_kind,
                prior=tuple(x for x in (r.languages or "").split(",") if x),
            )
            for r in conn.execute(stmt)
        ]


@db.retry_transient
def apply_rederived(
    engine: Engine, batch: Sequence[Rederived], *, dry_run: bool = False
) -> list[Rederivation]:
    """Compare each post of ``batch`` with what the archive holds and, unless ``dry_run``,
    write what changed in one transaction: the changed derived values, the normalizer
    version of every post re-derived, a ``problem`` row (once) for a payload that no longer
    reads. Returns one outcome per post, in order (``problem`` outcomes carry the reason)."""
    if dry_run:
        with engine.connect() as conn:
            return [outcome for outcome, _ in _judge(conn, batch, lock=False)]
    return _apply(engine, batch)


def _apply(engine: Engine, batch: Sequence[Rederived]) -> list[Rederivation]:
    with db.writer(engine).begin() as conn:
        outcomes = [outcome for outcome, _ in _judge(conn, batch, lock=True)]
        judged = list(zip(batch, outcomes, strict=True))
        _write(conn, judged)
        _record_problems(conn, [d for d, o in judged if o.outcome == "problem"])
    return outcomes


@dataclass(frozen=True, slots=True)
class _Known:
    derivation: Derivation
    source_kind: str
    normalizer_version: str
    raw_payload_id: int | None


def _judge(
    conn: Connection, batch: Sequence[Rederived], *, lock: bool
) -> list[tuple[Rederivation, _Known | None]]:
    known = _known(conn, [d.post_id for d in batch], lock=lock)
    out: list[tuple[Rederivation, _Known | None]] = []
    for d in batch:
        k = known.get(d.post_id)
        if k is None:
            out.append((Rederivation("kept", reason="forgotten while reprocessing"), None))
        elif k.raw_payload_id != d.raw_payload_id:
            out.append((Rederivation("kept", reason="seen again while reprocessing"), k))
        elif d.post is None:
            out.append((Rederivation("problem", reason=d.problem), k))
        else:
            out.append((rederive(k.derivation, k.source_kind, d.post), k))
    return out


def _known(conn: Connection, post_ids: Sequence[int], *, lock: bool) -> dict[int, _Known]:
    """What the archive holds of these posts, in ``Derivation`` shape. ``lock``: their rows
    stay as read until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's ``BEGIN
    IMMEDIATE`` holds the whole database), so a crawl storing a newer observation meanwhile
    waits, and is never overwritten."""
    rows: dict[int, Any] = {}
    tags: dict[int, list[str]] = {}
    mentions: dict[int, list[tuple[str, str]]] = {}
    sounds: dict[int, str] = {}
    c = post_t.c
    columns = (
        c.id,
        c.caption,
        c.source_kind,
        c.body,
        c.language,
        c.language_confidence,
        c.declared_language,
        c.sound_id,
        c.search_text,
        c.posted_at,
        c.normalizer_version,
        c.raw_payload_id,
    )
    for chunk in chunks(list(post_ids)):
        stmt = sa.select(*columns).where(c.id.in_(chunk))
        for r in conn.execute(stmt.with_for_update() if lock else stmt):
            rows[r.id] = r
        for pid, key in conn.execute(
            sa.select(post_hashtag_t.c.post_id, hashtag_t.c.key)
            .join(hashtag_t, hashtag_t.c.id == post_hashtag_t.c.hashtag_id)
            .where(post_hashtag_t.c.post_id.in_(chunk))
            .order_by(post_hashtag_t.c.post_id, post_hashtag_t.c.position)
        ):
            tags.setdefault(pid, []).append(key)
        for pid, key, display in conn.execute(
            sa.select(mention_t.c.post_id, mention_t.c.key, mention_t.c.display)
            .where(mention_t.c.post_id.in_(chunk))
            .order_by(mention_t.c.post_id, mention_t.c.position)
        ):
            mentions.setdefault(pid, []).append((key, display))
    sound_ids = sorted({r.sound_id for r in rows.values() if r.sound_id is not None})
    for chunk in chunks(sound_ids):
        stmt = sa.select(sound_t.c.id, sound_t.c.sound_key).where(sound_t.c.id.in_(chunk))
        sounds.update((sid, key) for sid, key in conn.execute(stmt))
    return {
        pid: _Known(
            Derivation(
                caption=r.caption,
                body=r.body,
                language=r.language,
                language_confidence=r.language_confidence,
                declared_language=r.declared_language,
                hashtags=tuple(tags.get(pid, ())),
                mentions=tuple(mentions.get(pid, ())),
                sound=None if r.sound_id is None else sounds.get(r.sound_id),
                search_text=r.search_text,
                posted_at=r.posted_at,
            ),
            source_kind=r.source_kind,
            normalizer_version=r.normalizer_version,
            raw_payload_id=r.raw_payload_id,
        )
        for pid, r in rows.items()
    }


def _write(conn: Connection, judged: Sequence[tuple[Rederived, Rederivation]]) -> None:
    """Write the changed values and stamp the normalizer version of every re-derived post."""
    changed = [(d, o) for d, o in judged if o.outcome == "changed" and d.post is not None]
    posts = [d.post for d, _ in changed if d.post is not None]
    sound_ids = sound_ids_of(conn, posts) if posts else {}
    tag_ids = hashtag_ids_of(conn, posts) if posts else {}
    updates: list[tuple[int, dict[str, Any]]] = []
    links: list[tuple[int, NormalizedPost]] = []
    for d, o in judged:
        p = d.post
        if p is None or o.outcome not in ("changed", "unchanged"):
            continue
        values: dict[str, Any] = {"normalizer_version": p.text.normalizer_version}
        if o.outcome == "changed":
            sound = p.text.sound
            sound_id = None if sound is None else sound_ids[(p.platform, sound_key(sound))]
            every = {**text_columns(p, sound_id), "posted_at": p.posted_at}
            values.update(
                {_COLUMN_OF[f]: every[_COLUMN_OF[f]] for f in o.fields if f in _COLUMN_OF}
            )
            if o.relink_tags:
                links.append((d.post_id, p))
        updates.append((d.post_id, values))
    apply_updates(conn, updates)
    link_tags(conn, links, tag_ids, [pid for pid, _ in links])


def _record_problems(conn: Connection, problems: Sequence[Rederived]) -> None:
    """A ``problem`` row per payload that no longer reads, with the payload it points at; once
    (a second reprocess does not repeat it)."""
    for d in problems:
        reason = f"reprocess: its payload no longer reads: {d.problem}"
        seen = conn.execute(
            sa.select(problem_t.c.id).where(
                problem_t.c.raw_payload_id == d.raw_payload_id,
                problem_t.c.platform_post_id == d.platform_post_id,
                problem_t.c.reason == reason,
            )
        ).first()
        if seen is not None:
            continue
        conn.execute(
            problem_t.insert().values(
                crawl_run_id=None,
                created_at=utcnow(),
                platform=d.platform,
                source_url=d.source_url,
                platform_post_id=d.platform_post_id,
                reason=reason,
                raw_payload_id=d.raw_payload_id,
                detail=json.dumps({"post_id": d.post_id, "reprocess": True}),
            )
        )


__all__ = [
    "apply_rederived",
    "count_rederivable",
    "normalizer_versions",
    "posts_to_rederive",
]
