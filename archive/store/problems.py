"""Keeping what could not be parsed or stored (``problem``), with its raw payload."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db
from archive.records import Payload
from archive.store._common import problem_t, sha256_hex, utcnow
from archive.store.payloads import store_payloads


@db.retry_transient
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
    once: bool = False,
) -> int:
    """Keep what could not be parsed or stored: the reason, the record and the raw payload.

    ``once``: a problem with the same reason about the same payload (or, without one, the same
    URL) is kept only once, so reading the same file again adds nothing (``podium import``);
    the id of the one already kept is returned.
    """
    with db.writer(engine).begin() as conn:
        pay_id = store_payloads(conn, [payload]).get(sha256_hex(payload.body)) if payload else None
        if once:
            c = problem_t.c
            same_source = c.raw_payload_id == pay_id if pay_id else c.source_url == source_url
            known = conn.execute(
                sa.select(c.id).where(c.reason == reason, same_source).limit(1)
            ).scalar()
            if known is not None:
                return int(known)
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
        key = res.inserted_primary_key
        assert key is not None
        return int(key[0])


def post_to_detail(p: Any) -> dict[str, Any]:
    """A dataclass record as a JSON-able dict (for ``problem.detail``)."""
    return asdict(p)
