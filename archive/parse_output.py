"""What ``podium parse`` prints: saved payloads parsed and normalized into plain JSON, no archive.

Everything :func:`parse_file` returns can be printed: text goes through the normalizer's repair
(lone surrogates and NUL become U+FFFD, listed under ``repairs``), and a file that cannot be read
gets a one-line reason in ``error`` instead of an exception.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.errors import ParseError
from archive.importing.files import read_payload_file
from archive.normalize import normalize_post, normalize_text, parse_time, to_json
from archive.platforms import parse_payload
from archive.records import COUNT_KEYS, NormalizedPost, RawAccount, RawArticle, RawPost
from archive.textrepair import repair_account, repair_article, repair_raw_post, repair_text
from archive.timestamps import utc_iso

logger = logging.getLogger(__name__)


def post_json(raw: RawPost, fetched_at: datetime) -> dict[str, Any]:
    """One post as ``podium parse`` shows it: identity, text as normalize-text shapes it, counts.

    Text fields are the repaired ones (``repairs`` lists what was replaced).
    """
    try:
        post: NormalizedPost | None = normalize_post(raw, fetched_at=fetched_at)
    except ParseError:
        post = None
    if post is None:
        raw, repairs = repair_raw_post(raw)
        text = normalize_text(
            raw.caption or "",
            platform=raw.platform,
            author=raw.author_handle if raw.source_kind == "embed" else None,
            declared_language=raw.declared_language,
        )
        posted_at = parse_time(raw.posted_at)
    else:
        text, repairs, posted_at = post.text, list(post.repairs), post.posted_at
    shaped = to_json(text)
    counts = {k: getattr(post.counts, k) for k in COUNT_KEYS} if post else dict.fromkeys(COUNT_KEYS)
    return {
        "platform": raw.platform,
        "platform_post_id": post.platform_post_id if post else raw.platform_post_id,
        "url": post.url if post else raw.url,
        "author": post.author_handle if post else raw.author_handle,
        "author_id": post.author_id if post else raw.author_id,
        "posted_at": None if posted_at is None else utc_iso(posted_at),
        "caption": post.caption if post else raw.caption or "",
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
        "repairs": list(repairs),
    }


def article_json(article: RawArticle | None) -> dict[str, Any] | None:
    """An article's metadata and embeds as plain JSON (text repaired, see ``repairs``)."""
    if article is None:
        return None
    article, repairs = repair_article(article)
    published = parse_time(article.published_at)
    return {
        "url": article.url,
        "title": article.title,
        "published_at": None if published is None else utc_iso(published),
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
        "repairs": repairs,
    }


def account_json(account: RawAccount) -> dict[str, Any]:
    """An account as ``podium parse`` shows it (text repaired, see ``repairs``)."""
    account, repairs = repair_account(account)
    return {
        "platform": account.platform,
        "platform_account_id": account.platform_account_id,
        "handle": account.handle,
        "display_name": account.display_name,
        "url": account.url,
        "pinned_post_ids": account.pinned_post_ids,
        "repairs": repairs,
    }


def _reason(exc: BaseException) -> str:
    """An exception as one printable line."""
    lines = str(exc).splitlines()
    line = repair_text(lines[0])[0][:300] if lines and lines[0].strip() else ""
    return line or type(exc).__name__


def empty_result(path: Path, platform: str | None, error: str | None = None) -> dict[str, Any]:
    """A ``podium parse`` result with nothing read yet, or nothing read at all (``error``, made
    one line of at most 300 characters)."""
    return {
        "file": str(path),
        "platform": platform,
        "kind": None,
        "posts": [],
        "accounts": [],
        "article": None,
        "problems": [],
        "error": None if error is None else " ".join(error.split())[:300],
    }


def parse_file(path: Path, *, platform: str | None = None) -> dict[str, Any]:
    """Parse one saved payload; a file that cannot be read gets a one-line reason in ``error``.

    Never raises for what the file holds: a payload the parsers refuse, and a post that cannot
    be shaped, each get their reason (``error``, ``problems``), the rest is still returned.
    """
    out = empty_result(path, platform)
    if path.is_dir():
        out["error"] = "not a payload Podium knows: a folder (give the files in it)"
        return out
    try:
        body = read_payload_file(path)  # .gz and .xz read as they are
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        result = parse_payload(body, url=None, platform=platform)
    except (OSError, ParseError) as exc:
        out["error"] = _reason(exc)
        return out
    posts = []
    problems = [repair_text(p)[0] for p in result.problems]
    for index, raw in enumerate(result.posts):
        try:
            posts.append(post_json(raw, fetched_at))
        except (ParseError, ValueError, TypeError) as exc:
            # The record passed parse_payload's check, so this is a normalizer bug: one post
            # costs itself, with a reason, not the file.
            logger.exception("%s: post %d could not be shaped", path, index)
            problems.append(f"post {index}: not shaped ({type(exc).__name__}: {_reason(exc)})")
    out.update(
        platform=result.platform,
        kind=result.parser_kind,
        status=result.status,
        posts=posts,
        accounts=[account_json(a) for a in result.accounts],
        article=article_json(result.article),
        problems=problems,
    )
    return out
