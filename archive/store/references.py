"""The rows a batch of posts points to (payloads, accounts, sounds, hashtags): found or made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.post_merge import References, sound_key
from archive.records import NormalizedPost, Payload
from archive.store._common import (
    athlete_t,
    bulk_insert,
    hashtag_t,
    in_vocabulary,
    many,
    select_map,
    sha256_hex,
    sound_t,
)
from archive.store.accounts import resolve_accounts
from archive.store.payloads import store_digested


def sound_ids_of(conn: Connection, posts: Sequence[NormalizedPost]) -> dict[tuple[str, str], int]:
    """(platform, sound key) -> sound.id for the batch's sounds, the new ones made."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for p in posts:
        s = p.text.sound
        if s is not None:
            key = (p.platform, sound_key(s))
            if key not in rows:
                rows[key] = {
                    "platform": p.platform,
                    "sound_key": key[1],
                    "platform_sound_id": s.platform_sound_id,
                    "title": s.title,
                    "artist": s.artist,
                    "is_original": s.is_original,
                }
    out = _sound_ids(conn, list(rows))
    missing = [rows[k] for k in rows if k not in out]
    if missing:
        bulk_insert(conn, sound_t, missing)
        out.update(_sound_ids(conn, [k for k in rows if k not in out]))
    return out


def _sound_ids(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for platform in {k[0] for k in keys}:
        wanted = [k[1] for k in keys if k[0] == platform]
        stmt = sa.select(sound_t.c.sound_key, sound_t.c.id).where(
            sound_t.c.platform == platform, in_vocabulary(conn, sound_t.c.sound_key, "keys")
        )
        for key, sid in conn.execute(stmt, {"keys": many(conn, wanted)}):
            out[(platform, key)] = sid
    return out


def hashtag_ids_of(conn: Connection, posts: Sequence[NormalizedPost]) -> dict[str, int]:
    """hashtag key -> hashtag.id for the batch's hashtags, the new ones made.

    A tag written in several forms shows the smallest by code point (``Radsport`` before
    ``radsport``), whichever came first: workers storing posts in any order agree.
    """
    wanted: dict[str, str] = {}
    for p in posts:
        for t in p.text.hashtags:
            if t.key not in wanted or t.display < wanted[t.key]:
                wanted[t.key] = t.display
    if not wanted:
        return {}
    c = hashtag_t.c
    stmt = sa.select(c.key, c.id, c.display).where(in_vocabulary(conn, c.key, "keys"))
    found = {k: (i, d) for k, i, d in conn.execute(stmt, {"keys": many(conn, list(wanted))})}
    missing = [{"key": k, "display": d} for k, d in wanted.items() if k not in found]
    if missing:
        bulk_insert(conn, hashtag_t, missing)
        keys = [r["key"] for r in missing]
        found.update({k: (i, d) for k, i, d in conn.execute(stmt, {"keys": many(conn, keys)})})
    binary = "BINARY" if conn.dialect.name == "sqlite" else "C"  # code-point order on both
    for key, (tag_id, shown) in found.items():
        if wanted[key] < shown:
            conn.execute(
                hashtag_t.update()
                .where(c.id == tag_id, c.display.collate(binary) > wanted[key])
                .values(display=wanted[key])
            )
    return {k: i for k, (i, _) in found.items()}


def resolve_references(
    conn: Connection, posts: Sequence[NormalizedPost], athlete_ids: Mapping[str, int] | None
) -> tuple[list[References], dict[str, int]]:
    """Find or make the rows a batch points to: the references of each post (in order) and the
    hashtag ids by key."""
    now = max(p.observed_at for p in posts)
    if athlete_ids is None:
        slugs = {p.athlete_slug for p in posts if p.athlete_slug}
        athlete_ids = (
            select_map(conn, athlete_t.c.slug, athlete_t.c.id, list(slugs)) if slugs else {}
        )
    digests: list[str | None] = []  # each post's payload's sha256, taken once
    held: list[tuple[str, Payload]] = []
    for p in posts:
        if p.payload is None:
            digests.append(None)
        else:
            taken = sha256_hex(p.payload.body)
            digests.append(taken)
            held.append((taken, p.payload))
    payload_ids = store_digested(conn, held)
    account_ids = resolve_accounts(conn, posts, now, athlete_ids)
    sound_ids = sound_ids_of(conn, posts)
    tag_ids = hashtag_ids_of(conn, posts)
    refs = [
        References(
            account_id=account_ids[i],
            sound_id=None
            if p.text.sound is None
            else sound_ids[(p.platform, sound_key(p.text.sound))],
            raw_payload_id=None if digest is None else payload_ids[digest],
        )
        for i, (p, digest) in enumerate(zip(posts, digests, strict=True))
    ]
    return refs, tag_ids
