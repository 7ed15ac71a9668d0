"""RawPost -> NormalizedPost: body, hashtags, mentions, sound credit, language, UTC times, counts.

Pure: no I/O, no clock, no database. DESIGN.md §3 is the specification.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any

import regex

from archive.errors import ParseError
from archive.language import detect_clean
from archive.records import (
    COUNT_KEYS,
    Counts,
    NormalizedPost,
    NormalizedText,
    RawMusic,
    RawPost,
    SoundCredit,
    Tag,
)
from archive.textrepair import repair_raw_post

__all__ = [
    "NORMALIZER_VERSION",
    "extract_hashtags",
    "extract_mentions",
    "normalize_post",
    "normalize_text",
    "parse_count",
    "parse_time",
    "to_json",
]

#: Stored with every result so `podium reprocess` knows what to redo. Bump it (to the next
#: integer, as a string) whenever the same input would give a different NormalizedText or
#: NormalizedPost: a changed rule, regex, threshold or language model. Pure refactors and
#: speed-ups that keep every output the same do not bump it.
NORMALIZER_VERSION = "3"  # 3: lone surrogates and NUL repaired to U+FFFD (2: times from ids)

# --- regexes (compiled once) ---------------------------------------------------------------

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

# A trailing sound credit: ``♬`` at a line start or after a space, then the rest of the text on
# one line (TikTok embeds append ``♬ Title - Artist`` to the caption, often on its last line).
# Otherwise: the last line that starts with ``♬``. Both are read with string operations (see
# _split_sound): the lazy regexes that say the same are quadratic in a long run of blanks.
# Whitespace as the regex module's ``\s`` knows it (str.isspace also counts U+001C-U+001F);
# every such character is below U+3001.
_WS = "".join(chr(c) for c in range(0x3001) if regex.match(r"\s", chr(c)))
_HSPACE = _WS.replace("\n", "")

# What language detection must not see: URLs, tags and handles of any platform, and emoji
# (pictographs, flags, skin tones, joiners, variation selectors, keycaps).
_LANGUAGE_NOISE_RE = regex.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"]+"
    r"|[#＃@][\p{L}\p{M}\p{N}_.@\-]*"
    r"|[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\u200d\ufe0f\u20e3]+"
)

_HSPACE_RE = re.compile(r"[^\S\n]+")
_NEWLINES_RE = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_DECLARED_RE = re.compile(r"[A-Za-z]{2,3}")


# --- text ---------------------------------------------------------------------------------


def _clean_whitespace(text: str) -> str:
    """Runs of spaces/tabs → one space; lines stripped; empty lines dropped; ends stripped."""
    text = _NEWLINES_RE.sub("\n", text)
    if "\n" not in text:
        return _HSPACE_RE.sub(" ", text).strip()
    lines = (_HSPACE_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _strip_author(text: str, author: str | None) -> str:
    """Drop an embed's leading ``@author`` (case-insensitive, whole handle only)."""
    if not author:
        return text
    handle = author.lstrip("@").strip()
    stripped = text.lstrip()
    if not handle or not stripped.startswith("@"):
        return text
    end = 1 + len(handle)
    if stripped[1:end].casefold() != handle.casefold():
        return text
    rest = stripped[end:]
    if rest and (rest[0].isalnum() or rest[0] in "_@" or (rest[0] == "." and rest[1:2].isalnum())):
        return text  # a longer handle that merely starts with the author's
    return rest


def _split_sound(text: str) -> tuple[str, str | None]:
    """(text without the sound line, the credit after ``♬`` or None).

    The trailing form: the last ``♬`` (at the start or after whitespace) with nothing after it
    but one line of credit and trailing whitespace; it is cut off with everything after it.
    Else the last line that is ``♬`` and a credit (blanks around): its content is cut.
    """
    if "♬" not in text:
        return text, None
    at = text.rfind("♬")
    if at == 0 or text[at - 1] in _WS:
        core = text[at + 1 :].rstrip(_WS)
        if "\n" not in core:
            return text[:at], core.strip()
    start = len(text)
    for line in reversed(text.split("\n")):
        start -= len(line)
        body = line.lstrip(_HSPACE)
        if body.startswith("♬") and "♬" not in body[1:]:
            credit = body[1:].strip(_HSPACE)
            return text[:start] + text[start + len(line) :], credit.strip()
        start -= 1  # the newline before this line
    return text, None


def _sound_from_line(credit: str) -> SoundCredit | None:
    title, sep, artist = credit.rpartition(" - ")
    if not sep:
        title, artist = credit, ""
    title, artist = title.strip(), artist.strip()
    if not title and not artist:
        return None
    return SoundCredit(title=title or None, artist=artist or None, is_original=None)


def _clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def _sound_from_music(music: RawMusic) -> SoundCredit | None:
    sound = SoundCredit(
        title=_clean_str(music.title),
        artist=_clean_str(music.artist),
        is_original=music.is_original if isinstance(music.is_original, bool) else None,
        platform_sound_id=_clean_str(music.platform_sound_id),
    )
    if sound == SoundCredit(title=None, artist=None):
        return None
    return sound


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


def _combine(
    found: tuple[Tag, ...], given: Sequence[str] | None, complete: bool, prefix: str
) -> tuple[Tag, ...]:
    if given is None:
        return found
    tags = _given(given, prefix)
    if complete:
        return _dedupe(tags)
    return _dedupe([*found, *tags])


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
    tags: Sequence[str] | None = None,
    tags_complete: bool = False,
    mentions: Sequence[str] | None = None,
    mentions_complete: bool = False,
    music: RawMusic | None = None,
    prior: Sequence[str] = (),
) -> NormalizedText:
    """Normalize one caption (DESIGN.md §3); ``text`` itself is never changed.

    ``author`` is given for an embed: its leading ``@author`` is dropped from the body and is not
    a mention. ``tags``/``mentions`` are a platform's structured lists; with ``*_complete`` they
    are authoritative, otherwise they are united with what the text rules find (text order
    first, then given ones the text lacks). ``music`` is structured sound data, preferred over a
    ``♬ Title - Artist`` line. ``prior`` is the athlete's usual languages (near-tie breaker).
    """
    nfc = unicodedata.normalize("NFC", text or "")
    rest, credit = _split_sound(_strip_author(nfc, author))
    body = _clean_whitespace(rest)

    hashtags = _combine(extract_hashtags(body), tags, tags_complete, "#＃")
    mention_tags = _combine(extract_mentions(body, platform), mentions, mentions_complete, "@")

    sound = _sound_from_music(music) if music is not None else None
    if sound is None and credit:
        sound = _sound_from_line(credit)

    language, confidence = detect_clean(_LANGUAGE_NOISE_RE.sub(" ", body), prior)
    return NormalizedText(
        language=language,
        language_confidence=confidence,
        declared_language=normalize_declared_language(declared_language),
        hashtags=hashtags,
        mentions=mention_tags,
        sound=sound,
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


# --- times and counts -----------------------------------------------------------------------

# No timestamp or count is longer; a longer string is not one (and would cost time to read).
_MAX_TIME_LENGTH = 64
_MAX_COUNT_LENGTH = 40
_MAX_COUNT = 2**63 - 1  # BIGINT on SQLite and PostgreSQL
_MS_THRESHOLD = 10**11  # larger unix numbers are milliseconds (10**11 s is the year 5138)
_US_THRESHOLD = 10**14  # ... and larger still, microseconds
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")
_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def _from_unix(value: float) -> datetime | None:
    if not math.isfinite(value) or value <= 0:
        return None  # 0 is what platforms send for "unknown"; nothing we archive predates 1970
    if value > _US_THRESHOLD:
        value /= 1_000_000
    elif value > _MS_THRESHOLD:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)  # naive means UTC, by contract with the parsers
    return value.astimezone(UTC)


def parse_time(value: Any) -> datetime | None:
    """A platform's timestamp as an aware UTC datetime, or None when absent or unreadable.

    Accepts unix seconds (int, float or numeric string; milliseconds when > 10**11),
    ISO 8601 strings (``Z`` or offsets; naive means UTC), RFC 2822 dates (RSS), datetimes
    (naive means UTC) and dates (midnight UTC). Zero and negative numbers give None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        try:
            return _aware_utc(value)
        except (OverflowError, ValueError):
            return None
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_unix(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_TIME_LENGTH:
        return None
    if _NUMBER_RE.fullmatch(text):
        try:
            return _from_unix(float(text))
        except ValueError:
            return None
    try:
        # Python reads at most microseconds; some APIs send nanoseconds.
        iso = _FRACTION_RE.sub(r"\1", text.replace(" UTC", "Z"))
        return _aware_utc(datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return _aware_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_SUFFIXES = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_COUNT_SUFFIX_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kmb])", re.IGNORECASE)
_COUNT_GROUPED_RE = re.compile(r"\d{1,3}(?:([,.\u00a0\u202f ])\d{3})(?:\1\d{3})*")
_COUNT_PLAIN_RE = re.compile(r"\d+(?:\.0*)?")
_NON_DIGIT_RE = re.compile(r"\D")


def parse_count(value: Any) -> int | None:
    """An engagement count as a non-negative int, or None when absent or unreadable.

    Ints and integral floats pass; strings may be plain (``"97723"``), grouped (``"97,723"``,
    ``"97 723"``) or abbreviated (``"1.2K"``, ``"3M"``, ``"1,5B"``). Negative numbers, booleans,
    numbers past what a database's BIGINT holds and anything else give None.
    """
    count = _read_count(value)
    return count if count is None or count <= _MAX_COUNT else None


def _read_count(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            return None
        return round(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > _MAX_COUNT_LENGTH:
        return None  # int() of thousands of digits is slow, and past 4300 it raises
    if _COUNT_PLAIN_RE.fullmatch(text):
        return int(text.split(".")[0])
    if _COUNT_GROUPED_RE.fullmatch(text):
        return int(_NON_DIGIT_RE.sub("", text))
    match = _COUNT_SUFFIX_RE.fullmatch(text)
    if match:
        number = float(match.group(1).replace(",", "."))
        if not math.isfinite(number):
            return None
        return round(number * _SUFFIXES[match.group(2).lower()])
    return None


# --- posts ----------------------------------------------------------------------------------


#: X ids are snowflakes: milliseconds since this epoch, shifted left 22 bits.
_X_EPOCH_MS = 1_288_834_974_657
_DIGITS = re.compile(r"^[0-9]{15,20}$")


def time_from_id(platform: str, post_id: str) -> datetime | None:
    """When a post was made, from its id, where the id encodes it and nothing else says.

    TikTok: ``id >> 32`` is the creation time in unix seconds (it agrees with ``createTime`` to
    within seconds); X: a snowflake. Embeds and oEmbed answers carry no time, ids do.
    """
    if not _DIGITS.match(post_id):
        return None
    if platform == "tiktok":
        return _from_unix(int(post_id) >> 32)
    if platform == "x":
        return _from_unix(((int(post_id) >> 22) + _X_EPOCH_MS) / 1000)
    return None


def normalize_post(
    raw: RawPost, *, fetched_at: datetime, prior: Sequence[str] = ()
) -> NormalizedPost:
    """Turn one :class:`RawPost` into a :class:`NormalizedPost` (pure; the caller passes the time).

    Raises :class:`archive.errors.ParseError` when the post has no identity (no platform or no
    platform post id). ``fetched_at`` must be timezone-aware; it becomes ``observed_at`` in UTC.
    ``prior`` is the athlete's usual languages, passed to language detection.

    Lone surrogates and NUL in any text field (caption, author, URLs, tags, mentions, sound,
    declared language) are replaced by U+FFFD and listed in ``repairs``, with what the parser
    already had to replace (``raw.repairs``).
    """
    # A bad character never costs more than itself: lone surrogates and NUL in any text field
    # become U+FFFD, and what was replaced is recorded (the same on SQLite and PostgreSQL).
    raw, repairs = repair_raw_post(raw)
    earlier = (
        [r for r in raw.repairs if isinstance(r, str)] if isinstance(raw.repairs, list) else []
    )
    platform = (raw.platform or "").strip()
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
        tags=raw.tags if isinstance(raw.tags, list | tuple) else None,
        tags_complete=raw.tags_complete,
        mentions=raw.mentions if isinstance(raw.mentions, list | tuple) else None,
        mentions_complete=raw.mentions_complete,
        music=raw.music if isinstance(raw.music, RawMusic) else None,
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
