"""Writing news articles and where the posts they embed sit (``article``, ``article_embed``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db
from archive.records import Payload, RawArticle
from archive.store._common import article_t, embed_t, insert_for, sha256_hex
from archive.store.payloads import store_payloads
from archive.store.posts import existing_posts


@db.retry_transient
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
        pay_id = store_payloads(conn, [payload]).get(sha256_hex(payload.body)) if payload else None
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
        stmt = insert_for(conn, article_t).values(
            url=article.url, first_seen_at=observed_at, **values
        )
        conn.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=values))
        art_id = conn.execute(
            sa.select(article_t.c.id).where(article_t.c.url == article.url)
        ).scalar_one()
        known = dict(post_ids or {})
        keys = [(e.platform, e.platform_post_id) for e in article.embeds if e.platform_post_id]
        missing = [k for k in keys if k not in known]
        if missing:
            stored = existing_posts(conn, missing, columns=("id",))
            known.update({k: v["id"] for k, v in stored.items()})
        for e in article.embeds:
            post_id = known.get((e.platform, e.platform_post_id or ""))
            row = {
                "platform": e.platform,
                "url": e.url,
                "platform_post_id": e.platform_post_id,
                "post_id": post_id,
            }
            stmt = insert_for(conn, embed_t).values(article_id=art_id, position=e.position, **row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["article_id", "position"],
                    set_={k: v for k, v in row.items() if v is not None},
                )
            )
    return int(art_id)
