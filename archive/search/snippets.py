"""Snippets: a window of a caption around its first match, each whole match marked.

Matches are found as the index found them: the caption is folded character by character
(keeping where each folded character came from), split into the index's tokens (emoji one token
each, CJK runs as bigrams) and a term marks only where all its tokens follow each other.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from archive.search.query import Term
from archive.textfold import fold

# For snippets: emoji are one token each, CJK runs are read as bigrams (as textfold does).
_EMOJI = r"\p{Extended_Pictographic}\p{Regional_Indicator}"
_EMOJI_DROP_RE = regex.compile(r"[\p{Emoji_Modifier}\u200d\ufe0e\ufe0f\u20e3]")
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3005-\u3007\u30fc"
_SNIPPET_RE = regex.compile(
    rf"(?P<e>[{_EMOJI}])|(?P<c>[{_CJK}]+)|(?P<w>(?:(?![{_EMOJI}{_CJK}])[\p{{L}}\p{{N}}\p{{Co}}\p{{So}}])+)"
)


_ASCII_STREAM = str.maketrans(
    {**{chr(c): chr(c).lower() for c in range(65, 91)}, **dict.fromkeys("#@ \t\n\r\x0b\x0c", " ")}
)
_CHAR_FOLD: dict[str, str] = {}


def _fold_one(ch: str) -> str:
    folded = _CHAR_FOLD.get(ch)
    if folded is None:
        folded = fold(ch)
        if not folded and not _EMOJI_DROP_RE.match(ch):
            folded = " "  # spaces, punctuation, # and @ separate tokens
        if len(_CHAR_FOLD) < 50_000:
            _CHAR_FOLD[ch] = folded
    return folded


def _fold_stream(text: str) -> tuple[str, Sequence[int]]:
    """``fold`` character by character, with the index in ``text`` of each folded character."""
    if text.isascii():
        return text.translate(_ASCII_STREAM), range(len(text))
    pieces = [_fold_one(ch) for ch in text]
    if all(len(p) == 1 for p in pieces):
        return "".join(pieces), range(len(text))
    origin: list[int] = []
    for i, piece in enumerate(pieces):
        origin.extend([i] * len(piece))
    return "".join(pieces), origin


def _stream_tokens(text: str) -> list[tuple[str, int, int]]:
    """The index tokens of ``text`` (as :func:`tokens` gives them), each with its span in it."""
    folded, origin = _fold_stream(text)
    out: list[tuple[str, int, int]] = []
    for m in _SNIPPET_RE.finditer(folded):
        s, e = m.span()
        if m.group("c") and e - s > 2:
            out += [(folded[j : j + 2], origin[j], origin[j + 1] + 1) for j in range(s, e - 1)]
        else:
            out.append((m.group(0), origin[s], origin[e - 1] + 1))
    return out


def _match_spans(stream: Sequence[tuple[str, int, int]], terms: Sequence[Term]) -> list[list[int]]:
    """Where a whole term matches: all its tokens in a row (a CJK word is a run of bigrams)."""

    def same(tok: str, want: str, prefix: bool) -> bool:
        return tok.startswith(want) if prefix else tok == want

    toks = [tok for tok, _, _ in stream]
    spans: list[tuple[int, int]] = []
    for t in {t for t in terms if t.tokens}:
        n, last = len(t.tokens), len(t.tokens) - 1
        first = t.tokens[0]
        for i in range(len(toks) - n + 1):
            if not same(toks[i], first, t.prefix and last == 0):
                continue
            if all(same(toks[i + k], t.tokens[k], t.prefix and k == last) for k in range(1, n)):
                spans.append((stream[i][1], stream[i + n - 1][2]))
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def make_snippet(
    text: str, terms: Sequence[Term], width: int = 160, marks: tuple[str, str] = ("«", "»")
) -> str:
    """A window of ``text`` around the first match, each whole match between ``marks``.

    A term is marked where all its tokens occur in a row, as the index matched it: a phrase as a
    whole, a CJK word only where its bigrams follow each other (``スタート`` marks ``スタート``,
    never the ``ート`` in ``メートル``).
    """
    merged = _match_spans(_stream_tokens(text), terms)
    start = 0
    if merged and merged[0][0] > width // 3:
        start = merged[0][0] - width // 3
        space = text.find(" ", start, merged[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(start, merged[0][1] if merged else start), end)
        end = space if space > start else end
    out = ["…" if start else ""]
    pos = start
    for s, e in merged:
        if s >= end:
            break
        out += [text[pos:s], marks[0], text[s : min(e, end)], marks[1]]
        pos = min(e, end)
    out.append(text[pos:end])
    out.append("…" if end < len(text) else "")
    return " ".join("".join(out).split())
