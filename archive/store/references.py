"""The rows a batch of posts points to (payloads, accounts, sounds, hashtags): found or made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.post_merge import References, sound_key
from archive.records import NormalizedPost
from archive.store._common import (
    athlete_t,
    chunks,
    hashtag_t,
    insert_for,
    select_map,
    sha256_hex,
    sound_t,
)
from archive.store.accounts import resolve_accounts
from archive.store.payloads import store_payloads


def sound_ids_of(conn: Connection, posts: Sequence[NormalizedPost]) -> dict[tuple[str, str], int]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for p in posts:
        s = p.text.sound
        if s is not None:
            key = (p.platform, sound_key(s))
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


def hashtag_ids_of(conn: Connection, posts: Sequence[NormalizedPost]) -> dict[str, int]:
    rows = {t.key: {"key": t.key, "display": t.display} for p in posts for t in p.text.hashtags}
    if not rows:
        return {}
    conn.execute(insert_for(conn, hashtag_t).on_conflict_do_nothing(), list(rows.values()))
    return select_map(conn, hashtag_t.c.key, hashtag_t.c.id, list(rows))


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
    payload_ids = store_payloads(conn, (p.payload for p in posts if p.payload is not None))
    account_ids = resolve_accounts(conn, posts, now, athlete_ids)
    sound_ids = sound_ids_of(conn, posts)
    tag_ids = hashtag_ids_of(conn, posts)
    refs = [
        References(
            account_id=account_ids[i],
            sound_id=None
            if p.text.sound is None
            else sound_ids[(p.platform, sound_key(p.text.sound))],
            raw_payload_id=None if p.payload is None else payload_ids[sha256_hex(p.payload.body)],
        )
        for i, p in enumerate(posts)
    ]
    return refs, tag_ids
