"""Hashtags and mentions by the text rules (DESIGN.md §3), united with a platform's lists."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import regex

from archive.records import Tag

# URLs, masked out before the tag and mention rules run so ``https://x.org/page#frag`` and
# ``https://www.tiktok.com/@user`` give nothing.
_URL_RE = regex.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"]+")

# Hashtag, every platform: ``#`` (or the full-width ``＃``) + letters, marks, digits, ``_``;
# marks so Devanagari (``#हिंदी``) and decomposed accents stay whole. Not after a letter, digit,
# ``/``, ``&`` or another ``#`` (``C#``, ``page#x``, ``&#123;``). At least one letter is checked
# after the match (``#1`` is not a tag; ``#2026Olympics`` is).
_HASHTAG_RE = regex.compile(r"(?<![\p{L}\p{M}\p{N}_/&#＃])[#＃]([\p{L}\p{M}\p{N}_]+)")
_HAS_LETTER_RE = regex.compile(r"\p{L}")
_HAS_ALNUM_RE = regex.compile(r"[\p{L}\p{N}]")

# Mentions: the ``@`` must not follow a letter, digit, ``.``, ``_``, ``-`` or ``@``, so an
# e-mail address (``jan@example.org``) never gives one.
_MENTION_START = r"(?<![\p{L}\p{M}\p{N}._\-@])@"

# TikTok, Instagram, X, YouTube (and generic): letters, digits, ``_`` and ``.``; a trailing dot
# is sentence punctuation and is dropped afterwards (``@femke.kok.`` → ``femke.kok``).
_MENTION_PLAIN_RE = regex.compile(_MENTION_START + r"([\p{L}\p{M}\p{N}_.]+)")

# Mastodon: ``@user@instance.tld`` (display ``user@instance.tld``) or a local ``@user``;
# usernames are letters, digits and ``_``; the domain needs a dot and ends on a label.
_MENTION_MASTODON_RE = regex.compile(
    _MENTION_START + r"([\p{L}\p{N}_]+(?:@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?"
    r"(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)+)?)(?![\p{L}\p{N}_@])"
)

# Bluesky: domain handles only (``@name.bsky.social``, ``@example.com``): ASCII labels joined by
# dots, the last (TLD) starting with a letter; a trailing dot is never part of it.
_MENTION_BLUESKY_RE = regex.compile(
    _MENTION_START
    + r"((?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)"
    r"(?![A-Za-z0-9\-_@]|\.[A-Za-z0-9])"
)

_MENTION_RES = {"mastodon": _MENTION_MASTODON_RE, "bluesky": _MENTION_BLUESKY_RE}


def _mask_urls(text: str) -> str:
    """Replace URLs by spaces of the same length, so match positions stay valid."""
    if "://" not in text and "www." not in text.lower():
        return text
    masked: str = _URL_RE.sub(lambda m: " " * len(m.group(0)), text)
    return masked


def _dedupe(tags: Iterable[Tag]) -> tuple[Tag, ...]:
    seen: set[str] = set()
    out: list[Tag] = []
    for tag in tags:
        if tag.key not in seen:
            seen.add(tag.key)
            out.append(tag)
    return tuple(out)


def _tag(display: str) -> Tag:
    return Tag(display=display, key=display.casefold())


def extract_hashtags(text: str) -> tuple[Tag, ...]:
    """Hashtags in ``text`` by the text rules, in order of first appearance, each key once."""
    if "#" not in text and "＃" not in text:
        return ()
    masked = _mask_urls(text)
    return _dedupe(
        _tag(m.group(1)) for m in _HASHTAG_RE.finditer(masked) if _HAS_LETTER_RE.search(m.group(1))
    )


def extract_mentions(text: str, platform: str = "generic") -> tuple[Tag, ...]:
    """Mentions in ``text`` by ``platform``'s handle rules, in order of first appearance."""
    if "@" not in text:
        return ()
    masked = _mask_urls(text)
    pattern = _MENTION_RES.get(platform, _MENTION_PLAIN_RE)
    found: list[Tag] = []
    for m in pattern.finditer(masked):
        handle = m.group(1).rstrip(".")
        if _HAS_ALNUM_RE.search(handle):
            found.append(_tag(handle))
    return _dedupe(found)


def _given(values: Sequence[str] | None, prefix: str) -> list[Tag]:
    """Structured tags/mentions as a platform gave them: prefix and whitespace removed, NFC."""
    out: list[Tag] = []
    for value in values or ():
        if not isinstance(value, str):
            continue
        display = unicodedata.normalize("NFC", value).strip().lstrip(prefix).strip()
        if display:
            out.append(_tag(display))
    return out


def combine_tags(
    found: tuple[Tag, ...], given: Sequence[str] | None, complete: bool, prefix: str
) -> tuple[Tag, ...]:
    """What the text rules found, and a platform's list: the list alone when it is complete,
    else their union (text order first)."""
    if given is None:
        return found
    tags = _given(given, prefix)
    if complete:
        return _dedupe(tags)
    return _dedupe([*found, *tags])
