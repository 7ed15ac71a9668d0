"""The last check on what a parser returns: every record has its declared types and forms.

``parse_payload`` passes every :class:`ParseResult` through :func:`validate_result` before it
leaves the parsers. A post or embed without a usable identity is dropped; a field that is not
its declared type or form (a time that is not a time, a URL that is not http(s), a count that
is not a number) is cleared. Each drop or clear is one line in ``result.problems``, so garbage
never leaks and a bad field never costs the rest of the page.

Text itself is not repaired here: lone surrogates and NUL are the normalizer's job
(:mod:`archive.textrepair`), which records what it replaced.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from archive.normalize import parse_count, parse_time
from archive.platforms import fields
from archive.records import (
    AVAILABILITY,
    PLATFORMS,
    SOURCE_KINDS,
    ParseResult,
    RawAccount,
    RawArticle,
    RawEmbed,
    RawPost,
    RawSound,
)
from archive.textrepair import repair_text

__all__ = ["is_post_id", "validate_result"]

logger = logging.getLogger(__name__)

# What an id looks like, per platform: TikTok and X ids are decimal numbers; Bluesky's are
# at:// URIs; Instagram shortcodes (or numeric pks) and YouTube video ids are base64url words.
# Mastodon ids are ActivityPub URIs or server ids: anything id-like (below).
_DIGITS = re.compile(r"[0-9]{1,25}")
_WORD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ID_SHAPES: dict[str, re.Pattern[str]] = {
    "tiktok": _DIGITS,
    "x": _DIGITS,
    "instagram": _WORD,
    "youtube": _WORD,
    "bluesky": re.compile(r"at://[^\s]+"),
}
# No id, on any platform, holds quotes, brackets or angle brackets (text of a dict or of markup).
_NOT_IN_IDS = re.compile(r"[\"'<>{}\[\]`\\]")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
_MAX_CURSOR = 4096


def is_post_id(platform: str, value: Any) -> bool:
    """True when ``value`` has the shape of a ``platform`` post id."""
    if not isinstance(value, str) or fields.ident(value) != value or _NOT_IN_IDS.search(value):
        return False
    shape = _ID_SHAPES.get(platform)
    return shape is None or shape.fullmatch(value) is not None


def _is_account_id(value: Any) -> bool:
    return isinstance(value, str) and fields.ident(value) == value and not _NOT_IN_IDS.search(value)


def _show(value: Any) -> str:
    """A short, printable, one-line picture of a bad value for a problem line."""
    if isinstance(value, str):
        shown = repr(repair_text(value[:40])[0]) + ("…" if len(value) > 40 else "")
    else:
        shown = type(value).__name__
    return shown.replace("\n", " ")


class _Check:
    """Checks fields of one record in place, noting each cleared field in ``problems``."""

    def __init__(self, problems: list[str], where: str) -> None:
        self.problems = problems
        self.where = where

    def note(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def optional(self, record: Any, name: str, ok: bool) -> None:
        value = getattr(record, name)
        if value is not None and not ok:
            self.note(f"{name} {_show(value)} cleared (not a valid {name})")
            setattr(record, name, None)

    def text(self, record: Any, name: str) -> None:
        self.optional(record, name, isinstance(getattr(record, name), str))

    def url(self, record: Any, name: str) -> None:
        value = getattr(record, name)
        self.optional(record, name, fields.url(value) == value)

    def time(self, record: Any, name: str) -> None:
        value = getattr(record, name)
        self.optional(record, name, parse_time(value) is not None)

    def flag(self, record: Any, name: str) -> None:
        if not isinstance(getattr(record, name), bool):
            self.note(f"{name} {_show(getattr(record, name))} is not a boolean; false")
            setattr(record, name, False)

    def counts(self, record: Any) -> None:
        counts = record.counts
        if not isinstance(counts, dict):
            self.note(f"counts {_show(counts)} cleared")
            record.counts = {}
            return
        good = {
            k: v for k, v in counts.items() if isinstance(k, str) and parse_count(v) is not None
        }
        if len(good) != len(counts):
            bad = ", ".join(sorted(str(k)[:20] for k in counts if k not in good))
            self.note(f"counts {bad} cleared (not counts)")
            record.counts = good

    def strings(self, record: Any, name: str, *, optional: bool) -> None:
        value = getattr(record, name)
        if value is None and optional:
            return
        if not isinstance(value, list):
            self.note(f"{name} {_show(value)} cleared")
            setattr(record, name, None if optional else [])
            return
        good = [v for v in value if isinstance(v, str) and v]
        if len(good) != len(value):
            self.note(f"{name}: {len(value) - len(good)} non-text entries dropped")
            setattr(record, name, good)


def _check_post(post: Any, where: str, problems: list[str]) -> RawPost | None:
    """``post`` with bad fields cleared, or None (with a problem line) when it has no identity."""
    if not isinstance(post, RawPost):
        problems.append(f"{where}: not a post ({type(post).__name__}), dropped")
        return None
    if post.platform not in PLATFORMS:
        problems.append(f"{where}: unknown platform {_show(post.platform)}, dropped")
        return None
    if not is_post_id(post.platform, post.platform_post_id):
        problems.append(
            f"{where}: {post.platform} post id {_show(post.platform_post_id)} is not an id, dropped"
        )
        return None
    check = _Check(problems, f"{where} ({post.platform} {str(post.platform_post_id)[:80]})")
    check.url(post, "url")
    check.url(post, "source_url")
    if post.source_kind not in SOURCE_KINDS:
        check.note(f"source_kind {_show(post.source_kind)} is not one; platform")
        post.source_kind = "platform"
    check.optional(post, "kind", isinstance(post.kind, str) and 0 < len(post.kind) <= 32)
    for name in ("author_handle", "author_id", "author_name", "caption", "athlete_slug"):
        check.text(post, name)
    check.time(post, "posted_at")
    check.time(post, "edited_at")
    check.counts(post)
    check.strings(post, "hashtags", optional=True)
    check.strings(post, "mentions", optional=True)
    check.strings(post, "repairs", optional=False)
    for name in ("hashtags_complete", "mentions_complete", "is_repost", "is_pinned"):
        check.flag(post, name)
    language = post.declared_language
    check.optional(
        post, "declared_language", isinstance(language, str) and bool(_LANGUAGE.fullmatch(language))
    )
    if post.availability not in AVAILABILITY:
        check.note(f"availability {_show(post.availability)} is not one; unknown")
        post.availability = "unknown"
    media = post.media_urls if isinstance(post.media_urls, list) else []
    good_media = [u for u in media if isinstance(u, str) and fields.url(u) == u]
    if good_media != post.media_urls:
        check.note(f"media_urls: {len(media) - len(good_media)} unusable entries dropped")
        post.media_urls = good_media
    _check_sound(post, check)
    return post


def _check_sound(post: RawPost, check: _Check) -> None:
    sound = post.sound
    if sound is None:
        return
    if not isinstance(sound, RawSound):
        check.note(f"sound {_show(sound)} cleared")
        post.sound = None
        return
    check.text(sound, "title")
    check.text(sound, "artist")
    if sound.is_original is not None and not isinstance(sound.is_original, bool):
        check.note(f"sound is_original {_show(sound.is_original)} cleared")
        sound.is_original = None
    check.optional(sound, "platform_sound_id", _is_account_id(sound.platform_sound_id))


def _check_account(account: Any, where: str, problems: list[str]) -> RawAccount | None:
    if not isinstance(account, RawAccount) or account.platform not in PLATFORMS:
        problems.append(f"{where}: not an account of a known platform, dropped")
        return None
    check = _Check(problems, where)
    check.optional(account, "platform_account_id", _is_account_id(account.platform_account_id))
    check.text(account, "handle")
    check.text(account, "display_name")
    check.url(account, "url")
    check.optional(account, "listing_key", _is_account_id(account.listing_key))
    pinned = account.pinned_post_ids if isinstance(account.pinned_post_ids, list) else []
    good = [p for p in pinned if is_post_id(account.platform, p)]
    if good != account.pinned_post_ids:
        check.note(f"pinned_post_ids: {len(pinned) - len(good)} non-ids dropped")
        account.pinned_post_ids = good
    check.counts(account)
    return account


def _check_article(
    article: Any, problems: list[str], checked: dict[int, RawPost | None]
) -> RawArticle | None:
    if article is None:
        return None
    if not isinstance(article, RawArticle):
        problems.append(f"article: not an article ({type(article).__name__}), dropped")
        return None
    check = _Check(problems, "article")
    check.url(article, "url")
    for name in ("title", "author", "publisher", "language", "description"):
        check.text(article, name)
    check.time(article, "published_at")
    embeds: list[RawEmbed] = []
    for embed in article.embeds if isinstance(article.embeds, list) else []:
        where = f"embed {len(embeds)}"
        if not isinstance(embed, RawEmbed) or embed.platform not in PLATFORMS:
            problems.append(f"{where}: not an embed of a known platform, dropped")
            continue
        embed_check = _Check(problems, where)
        embed_check.url(embed, "url")
        embed_check.optional(
            embed, "platform_post_id", is_post_id(embed.platform, embed.platform_post_id)
        )
        if embed.post is not None:
            if id(embed.post) not in checked:
                checked[id(embed.post)] = _check_post(embed.post, f"{where} post", problems)
            embed.post = checked[id(embed.post)]
        if embed.url is None and embed.platform_post_id is None and embed.post is None:
            problems.append(f"{where}: neither url nor id left, dropped")
            continue
        embed.position = len(embeds)
        embeds.append(embed)
    article.embeds = embeds
    return article


def validate_result(result: ParseResult) -> ParseResult:
    """Check every record of ``result`` in place (see the module docstring) and return it."""
    problems = result.problems if isinstance(result.problems, list) else []
    result.problems = problems
    checked: dict[int, RawPost | None] = {}
    result.article = _check_article(result.article, problems, checked)
    posts = []
    for index, post in enumerate(result.posts if isinstance(result.posts, list) else []):
        if id(post) not in checked:
            checked[id(post)] = _check_post(post, f"post {index}", problems)
        if checked[id(post)] is not None:
            posts.append(post)
    result.posts = posts
    accounts = result.accounts if isinstance(result.accounts, list) else []
    result.accounts = [
        a for i, a in enumerate(accounts) if _check_account(a, f"account {i}", problems)
    ]
    cursor = result.next_cursor
    if cursor is not None and not (
        isinstance(cursor, str) and 0 < len(cursor) <= _MAX_CURSOR and cursor.isprintable()
    ):
        problems.append(f"next_cursor {_show(cursor)} cleared")
        result.next_cursor = None
    if not isinstance(result.has_more, bool):
        result.has_more = bool(result.next_cursor)
    if not isinstance(result.status, str):
        result.status = "ok"
    for line in problems:
        logger.debug("%s %s: %s", result.platform, result.parser_kind, line)
    return result
