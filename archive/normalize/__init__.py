"""RawPost -> NormalizedPost: body, hashtags, mentions, sound credit, language, UTC times, counts.

Pure: no I/O, no clock, no database. DESIGN.md §3 is the specification. The rules live in
``caption`` (body, sound line), ``tags`` (hashtags, mentions), ``times`` and ``counts``; this
module puts them together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import regex

from archive.errors import ParseError
from archive.language import detect_clean
from archive.normalize.caption import (
    clean_whitespace,
    sound_from_data,
    sound_from_line,
    split_sound,
    strip_author,
)
from archive.normalize.counts import parse_count
from archive.normalize.tags import combine_tags, extract_hashtags, extract_mentions
from archive.normalize.times import parse_time, time_from_id
from archive.records import (
    COUNT_KEYS,
    Counts,
    NormalizedPost,
    NormalizedText,
    Platform,
    RawPost,
    RawSound,
)
from archive.textrepair import repair_raw_post

__all__ = [
    "NORMALIZER_VERSION",
    "extract_hashtags",
    "extract_mentions",
    "normalize_declared_language",
    "normalize_post",
    "normalize_text",
    "parse_count",
    "parse_time",
    "time_from_id",
    "to_json",
]

#: Stored with every result (``post.normalizer_version``), so posts normalized by older rules
#: can be told apart; the store rewrites a post's text when it is seen again under a new
#: version. Bump it (to the next integer, as a string) whenever the same input would give a
#: different NormalizedText or NormalizedPost: a changed rule, regex, threshold or language
#: model. Pure refactors and speed-ups that keep every output the same do not bump it.
# 4: language by fastText first, langdetect as second opinion, Lingua for da/no/sv; `und` only
#    for text without words; the declared language weighed in (3: lone surrogates and NUL
#    repaired to U+FFFD; 2: times from ids)
NORMALIZER_VERSION = "4"

# What language detection must not see: URLs, hashtags and handles of any platform, and emoji
# (pictographs, flags, skin tones, joiners, variation selectors, keycaps).
_LANGUAGE_NOISE_RE = regex.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"]+"
    r"|[#＃@][\p{L}\p{M}\p{N}_.@\-]*"
    r"|[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\u200d\ufe0f\u20e3]+"
)

_DECLARED_RE = re.compile(r"[A-Za-z]{2,3}")


def normalize_declared_language(value: str | None) -> str | None:
    """``en-US`` → ``en``, ``zh_Hant`` → ``zh``; empty, ``und`` or malformed → None."""
    if not value or not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    if not _DECLARED_RE.fullmatch(primary) or primary in ("und", "mul", "zxx"):
        return None
    return primary


def normalize_text(
    text: str,
    *,
    platform: str = "generic",
    author: str | None = None,
    declared_language: str | None = None,
    hashtags: Sequence[str] | None = None,
    hashtags_complete: bool = False,
    mentions: Sequence[str] | None = None,
    mentions_complete: bool = False,
    sound: RawSound | None = None,
    prior: Sequence[str] = (),
) -> NormalizedText:
    """Normalize one caption (DESIGN.md §3); ``text`` itself is never changed.

    ``author`` is given for an embed: its leading ``@author`` is dropped from the body and is not
    a mention. ``hashtags``/``mentions`` are a platform's structured lists; with ``*_complete`` they
    are authoritative, otherwise they are united with what the text rules find (text order
    first, then given ones the text lacks). ``sound`` is structured sound data, preferred over a
    ``♬ Title - Artist`` line. ``prior`` is the athlete's usual languages; with the platform's
    ``declared_language`` it breaks near-ties in language detection (:mod:`archive.language`).
    """
    nfc = unicodedata.normalize("NFC", text or "")
    rest, sound_line = split_sound(strip_author(nfc, author))
    body = clean_whitespace(rest)

    hashtag_tags = combine_tags(extract_hashtags(body), hashtags, hashtags_complete, "#＃")
    mention_tags = combine_tags(extract_mentions(body, platform), mentions, mentions_complete, "@")

    credit = sound_from_data(sound) if sound is not None else None
    if credit is None and sound_line:
        credit = sound_from_line(sound_line)

    declared = normalize_declared_language(declared_language)
    language, confidence = detect_clean(_LANGUAGE_NOISE_RE.sub(" ", body), prior, declared)
    return NormalizedText(
        language=language,
        language_confidence=confidence,
        declared_language=declared,
        hashtags=hashtag_tags,
        mentions=mention_tags,
        sound=credit,
        author=(author.lstrip("@").strip() or None) if author else None,
        body=body,
        normalizer_version=NORMALIZER_VERSION,
    )


def to_json(nt: NormalizedText) -> dict[str, Any]:
    """The ``podium normalize-text`` JSON shape, keys in contract order."""
    sound = nt.sound
    return {
        "language": nt.language,
        "language_confidence": round(nt.language_confidence, 4),
        "declared_language": nt.declared_language,
        "hashtags": [{"display": t.display, "key": t.key} for t in nt.hashtags],
        "mentions": [{"display": t.display, "key": t.key} for t in nt.mentions],
        "sound": None
        if sound is None
        else {
            "title": sound.title,
            "artist": sound.artist,
            "is_original": sound.is_original,
            "platform_sound_id": sound.platform_sound_id,
        },
        "author": nt.author,
        "body": nt.body,
        "normalizer_version": nt.normalizer_version,
    }


def normalize_post(
    raw: RawPost, *, fetched_at: datetime, prior: Sequence[str] = ()
) -> NormalizedPost:
    """Turn one :class:`RawPost` into a :class:`NormalizedPost` (pure; the caller passes the time).

    Raises :class:`archive.errors.ParseError` when the post has no identity (no platform or no
    platform post id). ``fetched_at`` must be timezone-aware; it becomes ``observed_at`` in UTC.
    ``prior`` is the athlete's usual languages, passed to language detection.

    Lone surrogates and NUL in any text field (caption, author, URLs, hashtags, mentions, sound,
    declared language) are replaced by U+FFFD and listed in ``repairs``, with what the parser
    already had to replace (``raw.repairs``).
    """
    # A bad character never costs more than itself: lone surrogates and NUL in any text field
    # become U+FFFD, and what was replaced is recorded (the same on SQLite and PostgreSQL).
    raw, repairs = repair_raw_post(raw)
    earlier = (
        [r for r in raw.repairs if isinstance(r, str)] if isinstance(raw.repairs, list) else []
    )
    # One of PLATFORMS after parse_payload's check; stripped for records made by hand.
    platform = cast(Platform, (raw.platform or "").strip())
    post_id = "" if raw.platform_post_id is None else str(raw.platform_post_id).strip()
    if not platform:
        raise ParseError(f"post has no platform (post id {post_id or '?'!s}, url {raw.url!s})")
    if not post_id:
        raise ParseError(f"{platform} post has no platform_post_id (url {raw.url!s})")
    if fetched_at.tzinfo is None or fetched_at.tzinfo.utcoffset(fetched_at) is None:
        raise ValueError("fetched_at must be timezone-aware")

    caption = raw.caption if isinstance(raw.caption, str) else ""
    text = normalize_text(
        caption,
        platform=platform,
        author=_text_or_none(raw.author_handle) if raw.source_kind == "embed" else None,
        declared_language=raw.declared_language,
        hashtags=raw.hashtags if isinstance(raw.hashtags, list | tuple) else None,
        hashtags_complete=raw.hashtags_complete,
        mentions=raw.mentions if isinstance(raw.mentions, list | tuple) else None,
        mentions_complete=raw.mentions_complete,
        sound=raw.sound if isinstance(raw.sound, RawSound) else None,
        prior=prior,
    )
    counts_in = raw.counts if isinstance(raw.counts, dict) else {}
    counts = Counts(**{key: parse_count(counts_in.get(key)) for key in COUNT_KEYS})
    return NormalizedPost(
        platform=platform,
        platform_post_id=post_id,
        url=_text_or_none(raw.url),
        source_url=_text_or_none(raw.source_url),
        source_kind=raw.source_kind,
        kind=_text_or_none(raw.kind),
        author_handle=_text_or_none(raw.author_handle),
        author_id=_text_or_none(raw.author_id),
        author_name=_text_or_none(raw.author_name),
        athlete_slug=raw.athlete_slug,
        posted_at=parse_time(raw.posted_at) or time_from_id(platform, post_id),
        edited_at=parse_time(raw.edited_at),
        caption=caption,
        text=text,
        counts=counts,
        availability=raw.availability,
        is_repost=raw.is_repost,
        is_pinned=raw.is_pinned,
        observed_at=fetched_at.astimezone(UTC),
        repairs=tuple(dict.fromkeys([*earlier, *repairs])),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
