"""The search transform (DESIGN.md §5): one fold for stored ``search_text`` and for queries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import regex

from archive.records import Tag

__all__ = ["fold", "search_text"]

# Letters that NFD does not split into base + accent, folded by hand (after casefold, so only
# lower-case forms are needed; ß → ss and ẞ → ss come from casefold itself).
_SPECIAL = {
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
}

# Accents dropped after NFD: the combining blocks that Latin, Greek and Cyrillic use. Marks of
# other scripts (Devanagari vowel signs, the kana voicing marks of ガ) are kept: they are
# letters there, not accents.
_ACCENT_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Emoji as their own tokens. Skin tones, joiners, variation selectors and keycap marks are
# dropped, so 🏃🏽‍♀️ folds to the tokens 🏃 ♀ and ❤️ equals ❤ (like accents, they are variants).
_EMOJI_RE = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]")
_EMOJI_DROP_RE = regex.compile(r"[\p{Emoji_Modifier}\u200d\ufe0e\ufe0f\u20e3]")

# Han (incl. 々 〆 〇), Hiragana, Katakana (incl. ー), Hangul syllables and jamo. Plain ranges
# for the stdlib engine, which is faster here than the regex module.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303c\u3041-\u309f"
    "\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")


def _fold_letters(text: str) -> str:
    """NFKC, casefold, accents off, special letters; iterated to a fixed point (idempotence)."""
    while True:
        step = unicodedata.normalize("NFKC", text).casefold()
        step = _ACCENT_RE.sub("", unicodedata.normalize("NFD", step))
        step = unicodedata.normalize("NFC", "".join(_SPECIAL.get(c, c) for c in step))
        if step == text:
            return text
        text = step


def _token_char(ch: str) -> str:
    if ch in "#@":
        return " "
    if _EMOJI_DROP_RE.match(ch):
        return ""
    if _EMOJI_RE.match(ch):
        return f" {ch} "
    return ch


def _fold_char(ch: str) -> str:
    """One character's fold (see :func:`fold`)."""
    return "".join(_token_char(c) for c in _fold_letters(ch))


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table filled on demand: each code point is folded once per process."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()
# ASCII fast path: lower-case, # and @ become spaces.
_ASCII_TABLE = str.maketrans(
    {**{c: c.lower() for c in map(chr, range(65, 91))}, "#": " ", "@": " "}
)


def _bigrams(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(run) < 3:
        return f" {run} "
    return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "


def fold(text: str) -> str:
    """The search transform, for ``post.search_text`` and for every query.

    - NFKC (full-width letters, ligatures), then case-folded.
    - Accent-folded: NFD and drop the Latin/Greek/Cyrillic combining accents (``Mädchen`` →
      ``madchen``), plus letters NFD keeps whole: ø → o, æ → ae, œ → oe, ß → ss, đ/ð → d,
      ł → l, þ → th, ı → i, ħ → h. Marks that are letters in their script stay (Devanagari,
      kana voicing).
    - Runs of CJK characters (Han, Hiragana, Katakana, Hangul) become overlapping bigrams
      between spaces (``金メダル`` → ``金メ メダ ダル``); a single CJK character stays as it is.
    - ``#`` and ``@`` become spaces (hashtags and mentions are searched through their own tables;
      the word itself stays searchable). Emoji stay, each its own space-separated token, without
      skin tones, joiners or variation selectors.
    - Other punctuation is left to the full-text tokenizer. All whitespace runs become one space;
      the ends are stripped. ``fold(fold(x)) == fold(x)``.
    """
    if text.isascii():
        return " ".join(text.translate(_ASCII_TABLE).split())
    folded = unicodedata.normalize("NFKC", text).translate(_TABLE)
    folded = _CJK_RUN_RE.sub(_bigrams, folded)
    return " ".join(folded.split())


def search_text(body: str, hashtags: Sequence[Tag] = (), mentions: Sequence[Tag] = ()) -> str:
    """What the store indexes for a post: ``fold(body)``.

    Hashtag and mention words are already in the body; the parameters are kept so the store's
    call does not change should they ever need to be added.
    """
    return fold(body)
