"""Raw payloads: what was fetched, compressed (``archive.payload_codec``), once per sha256."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.payload_codec import UnreadablePayloadError, compress_payload, decompress_payload
from archive.records import Payload
from archive.store._common import (
    article_t,
    chunks,
    insert_returning,
    payload_t,
    post_t,
    select_ids,
    select_map,
    sha256_hex,
)

# Tokens of a payload compared with post ids: ids are runs of these (URIs end in one).
_TOKEN = re.compile(r"[\w-]+")


def store_payloads(conn: Connection, payloads: Iterable[Payload]) -> dict[str, int]:
    """Store payloads compressed, once per sha256; returns sha256 -> raw_payload.id.

    Only payloads the archive does not hold yet are compressed and written.
    """
    return store_digested(conn, ((sha256_hex(p.body), p) for p in payloads))


def store_digested(conn: Connection, payloads: Iterable[tuple[str, Payload]]) -> dict[str, int]:
    """``store_payloads`` of payloads whose sha256 the caller has already taken."""
    by_digest: dict[str, Payload] = {}
    for digest, p in payloads:
        by_digest.setdefault(digest, p)
    if not by_digest:
        return {}
    ids = select_map(conn, payload_t.c.sha256, payload_t.c.id, list(by_digest))
    missing = [_row(digest, p) for digest, p in by_digest.items() if digest not in ids]
    if missing:
        made = insert_returning(conn, payload_t, missing, ("sha256", "id"))
        ids.update(dict(made))
        raced = [r["sha256"] for r in missing if r["sha256"] not in ids]
        if raced:  # another writer stored them first (PostgreSQL)
            ids.update(select_map(conn, payload_t.c.sha256, payload_t.c.id, raced))
    return ids


def _row(digest: str, p: Payload) -> dict[str, Any]:
    return {
        "sha256": digest,
        "source_url": p.source_url,
        "fetched_at": p.fetched_at,
        "parser_kind": p.parser_kind,
        "content_type": p.content_type,
        "size": len(p.body),
        "data": compress_payload(p.body),
        **_capture_columns(p),
    }


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
    return None if data is None else decompress_payload(data)


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
        return decompress_payload(data).decode("utf-8", "replace")
    except UnreadablePayloadError:
        return bytes(data).decode("utf-8", "replace")


def _names_any(text: str, by_tail: dict[str, set[str]]) -> bool:
    for token in set(_TOKEN.findall(text)) & by_tail.keys():
        for pid in by_tail[token]:
            if pid == token or pid in text or pid.replace("/", "\\/") in text:
                return True
    return False
