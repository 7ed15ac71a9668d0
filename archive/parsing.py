"""Saved payloads to normalized records, without the archive (``podium parse``, importers)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.errors import ParseError
from archive.normalize import normalize_post, normalize_text, parse_time, to_json
from archive.platforms import parse_payload
from archive.records import COUNT_KEYS, NormalizedPost, RawArticle, RawPost


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def post_json(raw: RawPost, fetched_at: datetime) -> dict[str, Any]:
    """One post as ``podium parse`` shows it: identity, text as normalize-text shapes it, counts."""
    try:
        post: NormalizedPost | None = normalize_post(raw, fetched_at=fetched_at)
    except ParseError:
        post = None
    text = (
        post.text
        if post
        else normalize_text(
            raw.caption or "",
            platform=raw.platform,
            author=raw.author_handle if raw.source_kind == "embed" else None,
            declared_language=raw.declared_language,
        )
    )
    shaped = to_json(text)
    counts = {k: getattr(post.counts, k) for k in COUNT_KEYS} if post else dict.fromkeys(COUNT_KEYS)
    return {
        "platform": raw.platform,
        "platform_post_id": raw.platform_post_id,
        "url": raw.url,
        "author": raw.author_handle,
        "author_id": raw.author_id,
        "posted_at": _iso(post.posted_at if post else parse_time(raw.posted_at)),
        "caption": raw.caption or "",
        "body": shaped["body"],
        "language": shaped["language"],
        "declared_language": shaped["declared_language"],
        "hashtags": shaped["hashtags"],
        "mentions": shaped["mentions"],
        "sound": shaped["sound"],
        "counts": counts,
        "availability": raw.availability,
        "is_repost": raw.is_repost,
        "is_pinned": raw.is_pinned,
        "source_kind": raw.source_kind,
    }


def article_json(article: RawArticle | None) -> dict[str, Any] | None:
    """An article's metadata and embeds as plain JSON."""
    if article is None:
        return None
    published = parse_time(article.published_at)
    return {
        "url": article.url,
        "title": article.title,
        "published_at": _iso(published),
        "author": article.author,
        "publisher": article.publisher,
        "language": article.language,
        "description": article.description,
        "embeds": [
            {
                "position": e.position,
                "platform": e.platform,
                "url": e.url,
                "platform_post_id": e.platform_post_id,
                "has_text": e.post is not None,
            }
            for e in article.embeds
        ],
    }


def parse_file(path: Path, *, platform: str | None = None) -> dict[str, Any]:
    """Parse one saved payload; a file that cannot be read gets a one-line reason in ``error``."""
    out: dict[str, Any] = {
        "file": str(path),
        "platform": platform,
        "kind": None,
        "posts": [],
        "accounts": [],
        "article": None,
        "error": None,
    }
    try:
        body = path.read_bytes()
        result = parse_payload(body, url=None, platform=platform)
    except (OSError, ParseError) as exc:
        out["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return out
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    out.update(
        platform=result.platform,
        kind=result.kind,
        status=result.status,
        posts=[post_json(p, fetched_at) for p in result.posts],
        accounts=[
            {
                "platform": a.platform,
                "platform_account_id": a.platform_account_id,
                "handle": a.handle,
                "display_name": a.display_name,
                "url": a.url,
                "pinned_post_ids": a.pinned_post_ids,
            }
            for a in result.accounts
        ],
        article=article_json(result.article),
    )
    return out
