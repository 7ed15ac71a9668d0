"""Raw payloads: what was fetched, compressed, stored once per sha256."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.records import Payload
from archive.store._common import (
    article_t,
    bulk_insert,
    chunks,
    payload_t,
    post_t,
    select_ids,
    select_map,
    sha256_hex,
)

# Tokens of a payload compared with post ids: ids are runs of these (URIs end in one).
_TOKEN = re.compile(r"[\w-]+")


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
                **_capture_columns(p),
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


def _capture_columns(p: Payload) -> dict[str, Any]:
    """Where an imported payload came from (all None for what a crawl fetched)."""
    c = p.capture
    return {
        "capture_tool": c.tool if c else None,
        "capture_file": c.file if c else None,
        "capture_line": c.line if c else None,
        "captured_at": c.captured_at if c else None,
    }


def read_payload(conn: Connection, payload_id: int) -> bytes | None:
    """The uncompressed bytes of a stored payload, or None."""
    data = conn.execute(sa.select(payload_t.c.data).where(payload_t.c.id == payload_id)).scalar()
    return None if data is None else zlib.decompress(data)


def unheld_payloads_naming(conn: Connection, post_ids: Sequence[str]) -> set[int]:
    """Payloads no post or article holds (earlier observations, problems' payloads) that
    contain one of these platform post ids."""
    if not post_ids:
        return set()
    # An id is matched by its last token (a URI's last segment), then confirmed whole.
    by_tail: dict[str, set[str]] = {}
    for pid in post_ids:
        tokens = _TOKEN.findall(pid)
        if tokens:
            by_tail.setdefault(tokens[-1], set()).add(pid)
    held = [
        sa.select(col).where(col.is_not(None))
        for col in (post_t.c.raw_payload_id, article_t.c.raw_payload_id)
    ]
    unheld = select_ids(
        conn,
        sa.select(payload_t.c.id)
        .where(payload_t.c.id.not_in(held[0]), payload_t.c.id.not_in(held[1]))
        .order_by(payload_t.c.id),
    )
    found: set[int] = set()
    for chunk in chunks(unheld):
        for pay_id, data in conn.execute(
            sa.select(payload_t.c.id, payload_t.c.data).where(payload_t.c.id.in_(chunk))
        ):
            if _names_any(_inflate(data), by_tail):
                found.add(int(pay_id))
    return found


def _inflate(data: bytes) -> str:
    try:
        return zlib.decompress(data).decode("utf-8", "replace")
    except zlib.error:
        return bytes(data).decode("utf-8", "replace")


def _names_any(text: str, by_tail: dict[str, set[str]]) -> bool:
    for token in set(_TOKEN.findall(text)) & by_tail.keys():
        for pid in by_tail[token]:
            if pid == token or pid in text or pid.replace("/", "\\/") in text:
                return True
    return False
