"""A bad character never costs more than itself: lone surrogates and NUL become U+FFFD.

A lone surrogate (``"\\ud800"`` from a JSON escape) cannot be encoded as UTF-8, so it cannot be
printed, stored on PostgreSQL or written to an export; NUL (U+0000) cannot be stored in a
PostgreSQL text column. Both are replaced, one for one, by U+FFFD (the replacement character),
so SQLite and PostgreSQL keep the same text, and the repair is recorded beside the record
(``NormalizedPost.repairs``) instead of costing the post, its page or its crawl.

Pure functions, no I/O.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

from archive.records import RawAccount, RawArticle, RawEmbed, RawPost, RawSound

__all__ = [
    "REPLACEMENT",
    "describe_repair",
    "repair_account",
    "repair_article",
    "repair_raw_post",
    "repair_text",
    "repair_text_counts",
]

REPLACEMENT = "\ufffd"

# Every surrogate code point in a Python str is lone: json.loads and UTF-8 decoding join valid
# pairs into one astral character, so a surrogate left in a str was never part of a character.
_SURROGATE = "\ud800-\udfff"
_BAD_RE = re.compile(f"[\x00{_SURROGATE}]")
_SURROGATE_RE = re.compile(f"[{_SURROGATE}]")

_T = TypeVar("_T")


def repair_text_counts(text: str) -> tuple[str, int, int]:
    """``text`` with lone surrogates and NUL replaced by U+FFFD, and how many of each.

    Returns ``(repaired, lone_surrogates, nuls)``. Every other character is kept as it is, and
    the length never changes.
    """
    if not _BAD_RE.search(text):
        return text, 0, 0
    nuls = text.count("\x00")
    surrogates = len(_SURROGATE_RE.findall(text))
    return _BAD_RE.sub(REPLACEMENT, text), surrogates, nuls


def repair_text(text: str) -> tuple[str, int]:
    """``text`` with lone surrogates and NUL replaced by U+FFFD, and the number replaced."""
    repaired, surrogates, nuls = repair_text_counts(text)
    return repaired, surrogates + nuls


def describe_repair(field: str, surrogates: int, nuls: int) -> str:
    """One repair as recorded: ``"caption: 1 lone surrogate, 2 NUL replaced by U+FFFD"``."""
    parts = []
    if surrogates:
        parts.append(f"{surrogates} lone surrogate{'s' if surrogates != 1 else ''}")
    if nuls:
        parts.append(f"{nuls} NUL")
    return f"{field}: {', '.join(parts)} replaced by U+FFFD"


class TextRepairs:
    """Collects repairs field by field: ``fix(field, value)`` returns the repaired value."""

    def __init__(self) -> None:
        """Start with no repairs."""
        self.notes: list[str] = []

    def fix(self, field: str, value: _T) -> _T:
        """Repair ``value`` when it is a str (else return it unchanged), noting what was done."""
        if not isinstance(value, str):
            return value
        repaired, surrogates, nuls = repair_text_counts(value)
        if surrogates or nuls:
            self.notes.append(describe_repair(field, surrogates, nuls))
        return repaired  # type: ignore[return-value]

    def fix_all(self, field: str, values: Any) -> Any:
        """Repair each str of a list (a tuple stays a tuple); anything else is returned as is."""
        if not isinstance(values, list | tuple):
            return values
        surrogates = nuls = 0
        out = []
        for value in values:
            if isinstance(value, str):
                value, s, n = repair_text_counts(value)
                surrogates, nuls = surrogates + s, nuls + n
            out.append(value)
        if surrogates or nuls:
            self.notes.append(describe_repair(field, surrogates, nuls))
        return tuple(out) if isinstance(values, tuple) else out


def _repair_fields(record: _T, names: tuple[str, ...], repairs: TextRepairs, prefix: str) -> _T:
    changes = {}
    for name in names:
        value = getattr(record, name)
        fixed = (
            repairs.fix_all(prefix + name, value)
            if isinstance(value, list)
            else repairs.fix(prefix + name, value)
        )
        if fixed is not value:
            changes[name] = fixed
    return dataclasses.replace(record, **changes) if changes else record  # type: ignore[type-var]


_POST_TEXT_FIELDS = (
    "platform_post_id",
    "url",
    "source_url",
    "kind",
    "author_handle",
    "author_id",
    "author_name",
    "caption",
    "hashtags",
    "mentions",
    "declared_language",
    "media_urls",
)
_SOUND_TEXT_FIELDS = ("title", "artist", "platform_sound_id")


def repair_raw_post(post: RawPost, prefix: str = "") -> tuple[RawPost, list[str]]:
    """A copy of ``post`` with every text field repaired (sound included), and the repairs.

    ``raw`` (the payload as the platform sent it) is left alone; it is kept as bytes elsewhere.
    """
    repairs = TextRepairs()
    fixed = _repair_fields(post, _POST_TEXT_FIELDS, repairs, prefix)
    if isinstance(post.sound, RawSound):
        sound = _repair_fields(post.sound, _SOUND_TEXT_FIELDS, repairs, prefix + "sound ")
        if sound is not post.sound:
            fixed = dataclasses.replace(fixed, sound=sound)
    return fixed, repairs.notes


_ARTICLE_TEXT_FIELDS = (
    "url",
    "title",
    "published_at",
    "author",
    "publisher",
    "language",
    "description",
)
_EMBED_TEXT_FIELDS = ("url", "platform_post_id")


def repair_article(article: RawArticle) -> tuple[RawArticle, list[str]]:
    """A copy of ``article`` with every text field repaired (embeds and their posts too).

    Returns the article and what was repaired (``"title: 1 NUL replaced by U+FFFD"``, and
    ``"embed 2 caption: ..."`` for an embed's post), for the store to keep beside the article.
    """
    repairs = TextRepairs()
    fixed = _repair_fields(article, _ARTICLE_TEXT_FIELDS, repairs, "")
    embeds: list[RawEmbed] = []
    for embed in article.embeds:
        prefix = f"embed {embed.position} "
        new = _repair_fields(embed, _EMBED_TEXT_FIELDS, repairs, prefix)
        if isinstance(embed.post, RawPost):
            post, notes = repair_raw_post(embed.post, prefix)
            repairs.notes.extend(notes)
            if post is not embed.post:
                new = dataclasses.replace(new, post=post)
        embeds.append(new)
    if any(new is not old for new, old in zip(embeds, article.embeds, strict=True)):
        fixed = dataclasses.replace(fixed, embeds=embeds)
    return fixed, repairs.notes


_ACCOUNT_TEXT_FIELDS = ("platform_account_id", "handle", "display_name", "url", "pinned_post_ids")


def repair_account(account: RawAccount) -> tuple[RawAccount, list[str]]:
    """A copy of ``account`` with every text field repaired, and the repairs."""
    repairs = TextRepairs()
    return _repair_fields(account, _ACCOUNT_TEXT_FIELDS, repairs, ""), repairs.notes
