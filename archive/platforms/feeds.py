"""RSS and Atom feeds, read by feedparser: without I/O, without entities, and (for posts) only
when the document is well-formed.

feedparser reads every feed dialect (RSS 0.9x-2.0, Atom 0.3/1.0, the ``media:``/``yt:``
extensions), but it is built for readers: given a string that looks like a URL or a path it
fetches or opens it, it rewrites HTML (sanitizing, resolving relative links), and a broken
document is read on by a lenient parser. Here it gets bytes in a stream (no I/O), leaves HTML
as sent, and a feed whose posts are archived must be well-formed XML first: a truncated feed
would otherwise give a truncated caption, stored as an edit.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import feedparser
from lxml import etree

from archive.errors import ParseError
from archive.platforms.decoding import as_text

__all__ = ["Feed", "entry_links", "feed_text", "read_feed"]

# No network, no DTD, no entities resolved (XXE), libxml2's depth and entity-amplification limits
# kept (no huge_tree: billion laughs stops early). A feed never needs a DTD.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    recover=False,
)
# A feed declares no entities; one that does is refused outright, as defusedxml does.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _as_bytes(body: str | bytes) -> bytes:
    raw = body if isinstance(body, bytes) else as_text(body).encode("utf-8", "surrogatepass")
    return raw.lstrip()


@dataclass(frozen=True, slots=True)
class Feed:
    """A well-formed feed: feedparser's reading of it, and the XML it read."""

    #: The document's root element (lxml), for what feedparser does not keep: an entry's XML.
    root: Any
    #: feedparser's feed-level fields (``title``, ``link``, ``links``, ``subtitle`` ...).
    feed: Any
    #: feedparser's entries (RSS items, Atom entries), in document order.
    entries: list[Any]
    #: feedparser's name for the dialect (``rss20``, ``atom10``), "" when it saw no feed.
    version: str


def read_feed(body: str | bytes, what: str) -> Feed:
    """Read a feed whose entries are archived: well-formed XML without entity declarations
    (else :class:`ParseError` naming ``what``), then feedparser, whose lenient fallback
    therefore never runs."""
    raw = _as_bytes(body)
    if _ENTITY_DECLARATION.search(raw[:65536]):
        raise ParseError(f"{what}: XML with entity declarations refused (XXE, entity bombs)")
    try:
        root = etree.fromstring(raw, parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ParseError(f"{what}: malformed XML ({reason})") from exc
    parsed = _feedparser(raw)
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        raise ParseError(f"{what}: unreadable feed ({type(problem).__name__}: {problem})")
    return Feed(
        root=root,
        feed=parsed.get("feed", {}),
        entries=list(parsed.get("entries", [])),
        version=str(parsed.get("version") or ""),
    )


def _feedparser(raw: bytes) -> Any:
    # A stream, never a string: feedparser fetches or opens strings that look like URLs or paths.
    return feedparser.parse(io.BytesIO(raw), sanitize_html=False, resolve_relative_uris=False)


def feed_text(node: Any, key: str) -> str | None:
    """A text field of a feedparser node (``title``, ``published``), or None when absent."""
    value = node.get(key) if hasattr(node, "get") else None
    return value if isinstance(value, str) else None


def entry_links(body: str | bytes) -> list[str] | None:
    """The links of a feed's items or entries (RSS ``link``, else a permalink ``guid``; Atom
    ``link rel=alternate``), in order; None when the document is no RSS or Atom feed.

    Lenient: a news site's feed with a stray ``&`` still gives its links.
    """
    raw = _as_bytes(body)
    if _ENTITY_DECLARATION.search(raw[:65536]):
        raise ParseError("news feed: XML with entity declarations refused (XXE, entity bombs)")
    parsed = _feedparser(raw)
    if not parsed.get("version"):
        return None
    links: list[str] = []
    for entry in parsed.get("entries", []):
        link = feed_text(entry, "link")
        if not link and entry.get("guidislink"):
            link = feed_text(entry, "id")
        if link and link.strip():
            links.append(link.strip())
    return links
