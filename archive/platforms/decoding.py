"""Reading payload bodies: bytes to text, bounded JSON, embedded script JSON, HTML to plain text.

Everything here reads untrusted bytes, so every reader is bounded: JSON nested deeper than
:data:`MAX_JSON_DEPTH` is refused with :class:`ParseError` (never a RecursionError), lxml never
touches the network, never loads a DTD or resolves an entity and keeps libxml2's depth and
amplification limits (no ``huge_tree``), and text walks are iterative and linear.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from archive.errors import ParseError
from archive.textrepair import repair_text

#: JSON nested deeper than this is refused. Real payloads stay under 30 (TikTok's rehydration
#: data is the deepest seen); Python's json module recurses once per level.
MAX_JSON_DEPTH = 200

# Block-level tags whose content starts on a new line when an embed or status is read as text.
_BLOCK_TAGS = frozenset({"p", "div", "section", "li", "blockquote", "h1", "h2", "h3", "h4"})
_TRAILING_COMMA = re.compile(r",\s*([\]}])")
# A JSON string literal (unrolled, so it runs in linear time) and anything that is not a bracket.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")

# HTML: no network, no entity resolution beyond HTML's own, libxml2's default limits.
_HTML_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", no_network=True, remove_pis=True, huge_tree=False, default_doctype=False
)
_FRAGMENT_PARSER = lxml.html.HTMLParser(no_network=True, remove_pis=True, huge_tree=False)


def as_text(body: str | bytes) -> str:
    """Return ``body`` as text: UTF-8 (with or without BOM), else Windows-1252 as browsers do."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the brackets of ``text`` (outside string literals) nest deeper than ``limit``.

    Linear; a document with fewer brackets than ``limit`` is answered by counting alone.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def decode_json(text: str, *, strict: bool = True) -> Any:
    """``json.loads`` with a nesting limit.

    Raises :class:`json.JSONDecodeError` when ``text`` is not JSON, and :class:`ParseError` when
    it nests deeper than :data:`MAX_JSON_DEPTH` or holds a number Python refuses to convert
    (an integer of more than 4300 digits).
    """
    if json_too_deep(text):
        raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, strict=strict)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"unreadable JSON ({_first_line(exc)})") from exc


def load_json(body: str | bytes, what: str = "payload") -> Any:
    """Parse ``body`` as JSON or raise :class:`ParseError` naming ``what`` was expected."""
    text = as_text(body).strip()
    try:
        return decode_json(text)
    except json.JSONDecodeError as exc:
        # json's own messages may end in "at" ("Unterminated string starting at"): one "at".
        where = f"{exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno}"
        msg = f"{what}: malformed JSON ({where})"
        raise ParseError(msg) from exc
    except ParseError as exc:
        raise ParseError(f"{what}: {exc}") from exc


def load_json_lenient(text: str) -> Any:
    """Parse JSON found in a web page (JSON-LD), forgiving trailing commas; None when unreadable."""
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return decode_json(candidate, strict=False)
        except (json.JSONDecodeError, ParseError):
            continue
    return None


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse an HTML document or fragment; encoding declarations in ``text`` are ignored.

    Lone surrogates (which UTF-8 cannot carry) are replaced by U+FFFD first; NUL and character
    references to them become U+FFFD in libxml2 itself.
    """
    try:
        return lxml.html.document_fromstring(
            repair_text(text)[0].encode("utf-8"), parser=_HTML_PARSER
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {_first_line(exc)}") from exc


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse an HTML fragment (Mastodon ``content``, an oEmbed ``html``) under one ``div``.

    Markup libxml2 cannot read at all gives an empty ``div``; lone surrogates and NUL are read
    as U+FFFD (:func:`archive.textrepair.repair_text`).
    """
    if not isinstance(html, str) or not html.strip():
        return lxml.html.Element("div")
    try:
        return lxml.html.fragment_fromstring(
            repair_text(html)[0], create_parent="div", parser=_FRAGMENT_PARSER
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return lxml.html.Element("div")


def element_text(element: Any) -> str:
    """Plain text of an element: ``<br>`` is a line break, paragraphs are separated by a blank line.

    Every text node is kept as written (link text included); only leading/trailing whitespace of
    the whole result is stripped. Iterative and linear, whatever the depth or the size.
    """
    parts: list[str] = []
    seen_text = False  # has any non-whitespace text been emitted yet?
    # A stack of pending work: an element to open, or a tail string to emit after a child.
    stack: list[Any] = [element]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
            seen_text = seen_text or not node.isspace()
            continue
        tag = node.tag if isinstance(node.tag, str) else None
        if tag == "br":
            parts.append("\n")
            continue
        if tag in ("script", "style", "svg"):
            continue
        if tag is not None and tag.lower() in _BLOCK_TAGS and seen_text:
            parts.append("\n\n" if tag.lower() == "p" else "\n")
        if tag is not None and node.text:
            parts.append(node.text)
            seen_text = seen_text or not node.text.isspace()
        for child in reversed(node):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
    return _tidy_breaks("".join(parts))


def _tidy_breaks(text: str) -> str:
    """Clear whitespace-only lines (and the trailing blanks of the line before each), keep at most
    one empty line in a row, strip the ends. Whitespace around inserted breaks comes from markup
    indentation, not from the author. Line by line, so a long run of blanks costs linear time."""
    lines = text.split("\n")
    for index in range(1, len(lines) - 1):
        if not lines[index].strip(" \t"):
            lines[index] = ""
            lines[index - 1] = lines[index - 1].rstrip(" \t")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).splitlines()
    return lines[0][:200] if lines and lines[0] else type(exc).__name__


_SCRIPT_END = re.compile(r"</script>", re.IGNORECASE)


def script_json(text: str, script_id: str) -> Any:
    """Return the JSON inside ``<script id=script_id>`` (any attribute order), or None if absent."""
    opening = re.compile(
        r"<script\b[^>]*\bid=[\"']" + re.escape(script_id) + r"[\"'][^>]*>", re.IGNORECASE
    ).search(text)
    # The end is found apart: a lazy "(.*?)</script>" costs 20 times more on a large script.
    closing = _SCRIPT_END.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        return None
    return load_json(text[opening.end() : closing.start()], f"<script id={script_id}>")


def host_of(url: str | None) -> str:
    """Lower-case host of ``url`` without a leading ``www.`` ('' when there is none)."""
    if not url:
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:  # unbalanced IPv6 brackets
        return ""
    return host.removeprefix("www.").removeprefix("m.")


def strip_query(url: str) -> str:
    """``url`` without its query string and fragment (embed links carry ``?ref_src=`` noise)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unbalanced IPv6 brackets: not a URL to clean
        return url
    return parts._replace(query="", fragment="").geturl()
