"""Text the pages show in parts: a caption's changes between two versions (difflib, word by
word), a search snippet with its matches marked, and which links may be followed.

Each returns plain text in pieces; the templates escape every piece (Jinja2 autoescape), so
nothing here builds markup.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from archive.errors import QueryError
from archive.search import make_snippet, parse_query

# Words, runs of spaces and single other characters: a diff of captions reads best word by word
# (a character diff of an edited sentence is noise; a line diff of a one-line caption is all).
_PIECE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
# Two noncharacters mark a snippet's matches; taken out of the caption first so none can forge one.
_OPEN, _CLOSE = "\ufdd0", "\ufdd1"


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text and what it is: ``same``, ``added`` or ``removed`` in a diff; ``match`` or
    ``same`` in a snippet."""

    kind: str
    text: str


def caption_diff(old: str, new: str) -> list[Piece]:
    """What changed from ``old`` to ``new``, word by word, in reading order."""
    a, b = _PIECE.findall(old), _PIECE.findall(new)
    out: list[Piece] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(Piece("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(Piece("removed", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(Piece("added", "".join(b[j1:j2])))
    return out


def snippet_pieces(caption: str, query: str, width: int = 200) -> list[Piece]:
    """The search snippet of ``caption`` for ``query``, its matches as ``match`` pieces."""
    try:
        terms = parse_query(query).positive_terms()
    except QueryError:
        terms = []
    text = caption.replace(_OPEN, "").replace(_CLOSE, "")
    snippet = make_snippet(text, terms, width=width, marks=(_OPEN, _CLOSE))
    out: list[Piece] = []
    for i, part in enumerate(re.split(f"[{_OPEN}{_CLOSE}]", snippet)):
        if part:
            out.append(Piece("match" if i % 2 else "same", part))
    return out


def is_http(url: object) -> bool:
    """Whether ``url`` is an absolute http(s) URL a page may link to (never javascript:,
    data:, or a relative path that would point into this server)."""
    if not isinstance(url, str) or not url.strip():
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def changed_versions(versions: Sequence[Mapping[str, Any]]) -> list[list[Piece]]:
    """For each version, its diff from the previous one of the same source kind (``[]`` for the
    first of each kind: there is nothing to compare it with)."""
    last: dict[object, str] = {}
    out = []
    for v in versions:
        kind, caption = v["source_kind"], str(v["caption"])
        out.append(caption_diff(last[kind], caption) if kind in last else [])
        last[kind] = caption
    return out
