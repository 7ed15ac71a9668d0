"""Reading payload bodies: bytes to text, lenient JSON, embedded script JSON, HTML to plain text."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from archive.errors import ParseError

# Block-level tags whose content starts on a new line when an embed or status is read as text.
_BLOCK_TAGS = frozenset({"p", "div", "section", "li", "blockquote", "h1", "h2", "h3", "h4"})
_TRAILING_COMMA = re.compile(r",\s*([\]}])")


def as_text(body: str | bytes) -> str:
    """Return ``body`` as text: UTF-8 (with or without BOM), else Windows-1252 as browsers do."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def load_json(body: str | bytes, what: str = "payload") -> Any:
    """Parse ``body`` as JSON or raise :class:`ParseError` naming ``what`` was expected."""
    text = as_text(body).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{what}: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        raise ParseError(msg) from exc


def load_json_lenient(text: str) -> Any:
    """Parse JSON found in a web page (JSON-LD), forgiving trailing commas; None when unreadable."""
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
    return None


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse an HTML document or fragment; encoding declarations in ``text`` are ignored."""
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except etree.ParserError as exc:
        raise ParseError(f"unreadable HTML: {exc}") from exc


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse an HTML fragment (Mastodon ``content``, an oEmbed ``html``) under one ``div``."""
    if not html.strip():
        return lxml.html.Element("div")
    return lxml.html.fragment_fromstring(html, create_parent="div")


def element_text(element: Any) -> str:
    """Plain text of an element: ``<br>`` is a line break, paragraphs are separated by a blank line.

    Every text node is kept as written (link text included); only leading/trailing whitespace of
    the whole result is stripped.
    """
    parts: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else None
        if tag == "br":
            parts.append("\n")
            return
        if tag in ("script", "style", "svg"):
            return
        if tag is not None and tag.lower() in _BLOCK_TAGS and "".join(parts).strip():
            parts.append("\n\n" if tag.lower() == "p" else "\n")
        if tag is not None and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    text = "".join(parts)
    # Whitespace around inserted breaks comes from markup indentation, not from the author.
    text = re.sub(r"[ \t]*\n[ \t]*(?=\n)", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def script_json(text: str, script_id: str) -> Any:
    """Return the JSON inside ``<script id=script_id>`` (any attribute order), or None if absent."""
    pattern = re.compile(
        r"<script\b[^>]*\bid=[\"']" + re.escape(script_id) + r"[\"'][^>]*>(.*?)</script>",
        re.DOTALL | re.IGNORECASE,
    )
    match = pattern.search(text)
    if match is None:
        return None
    return load_json(match.group(1), f"<script id={script_id}>")


def host_of(url: str | None) -> str:
    """Lower-case host of ``url`` without a leading ``www.`` ('' when there is none)."""
    if not url:
        return ""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.")


def strip_query(url: str) -> str:
    """``url`` without its query string and fragment (embed links carry ``?ref_src=`` noise)."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl()
