"""A caption's body and sound credit: whitespace, an embed's leading ``@author``, ``♬`` lines."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import regex

from archive.records import RawSound, SoundCredit

# A trailing sound credit: ``♬`` at a line start or after a space, then the rest of the text on
# one line (TikTok embeds append ``♬ Title - Artist`` to the caption, often on its last line).
# Otherwise: the last line that starts with ``♬``. Both are read with string operations (see
# split_sound): the lazy regexes that say the same are quadratic in a long run of blanks.
# Whitespace as the regex module's ``\s`` knows it (str.isspace also counts U+001C-U+001F);
# every such character is below U+3001.
_WS = "".join(chr(c) for c in range(0x3001) if regex.match(r"\s", chr(c)))
_HSPACE = _WS.replace("\n", "")

_HSPACE_RE = re.compile(r"[^\S\n]+")
_NEWLINES_RE = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


def clean_whitespace(text: str) -> str:
    """Runs of spaces/tabs → one space; lines stripped; empty lines dropped; ends stripped."""
    text = _NEWLINES_RE.sub("\n", text)
    if "\n" not in text:
        return _HSPACE_RE.sub(" ", text).strip()
    lines = (_HSPACE_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def strip_author(text: str, author: str | None) -> str:
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


def split_sound(text: str) -> tuple[str, str | None]:
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


def sound_from_line(credit: str) -> SoundCredit | None:
    """A ``Title - Artist`` credit split at the last `` - `` (originality unknown)."""
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


def sound_from_data(sound: RawSound) -> SoundCredit | None:
    """Structured sound data as a credit (NFC, stripped); None when it names nothing."""
    credit = SoundCredit(
        title=_clean_str(sound.title),
        artist=_clean_str(sound.artist),
        is_original=sound.is_original if isinstance(sound.is_original, bool) else None,
        platform_sound_id=_clean_str(sound.platform_sound_id),
    )
    if credit == SoundCredit(title=None, artist=None):
        return None
    return credit
