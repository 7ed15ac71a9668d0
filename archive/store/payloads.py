"""Raw payloads: what was fetched, compressed, stored once per sha256."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.records import Payload
from archive.store._common import (
    bulk_insert,
    payload_t,
    select_map,
    sha256_hex,
)


def store_payloads(conn: Connection, payloads: Iterable[Payload]) -> dict[str, int]:
    """Store payloads compressed, once per sha256; returns sha256 -> raw_payload.id."""
    rows: dict[str, dict[str, Any]] = {}
    for p in payloads:
        digest = sha256_hex(p.body)
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
    ids = select_map(conn, payload_t.c.sha256, payload_t.c.id, list(rows))
    missing = [rows[d] for d in rows if d not in ids]
    if missing:
        bulk_insert(conn, payload_t, missing)
        ids.update(
            select_map(conn, payload_t.c.sha256, payload_t.c.id, [r["sha256"] for r in missing])
        )
    return ids


def read_payload(conn: Connection, payload_id: int) -> bytes | None:
    """The uncompressed bytes of a stored payload, or None."""
    data = conn.execute(sa.select(payload_t.c.data).where(payload_t.c.id == payload_id)).scalar()
    return None if data is None else zlib.decompress(data)
