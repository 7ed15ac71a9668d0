"""YouTube parsers: channel and playlist Atom feeds (``feeds/videos.xml``).

Caption: the feed has a title and a description but RawPost has one text field. The caption is
``title`` alone when the description is empty, else ``title + "\\n\\n" + description``: hashtags
and the language usually live in the title (Shorts carry ``#shorts`` there), and the normalizer
reads the caption, so the title must be part of it. The first line is always the title.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from archive.errors import ParseError
from archive.platforms.decoding import as_text
from archive.platforms.fields import ident
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, RawAccount, RawPost

PLATFORM = "youtube"

KINDS = ("channel_feed", "playlist_feed")

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
# An Atom feed has no DOCTYPE; one that declares entities is refused outright, as defusedxml does.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "yt": "http://www.youtube.com/xml/schemas/2015",
    "media": "http://search.yahoo.com/mrss/",
}


def detect_xml_kind(text: str) -> str | None:
    """Name the feed kind of an XML body, or None when it is not a YouTube Atom feed."""
    if _NS["yt"] not in text[:5000] and "<yt:videoId>" not in text:
        return None
    return "playlist_feed" if "<yt:playlistId>" in text else "channel_feed"


def parse_channel_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a channel feed (``?channel_id=UC…``): up to 15 latest videos and the channel."""
    return _parse_feed(body, url, "channel_feed")


def parse_playlist_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a playlist feed (``?playlist_id=PL…``): its latest videos and the owning channel."""
    return _parse_feed(body, url, "playlist_feed")


def _parse_feed(body: str | bytes, url: str | None, kind: str) -> ParseResult:
    raw = body if isinstance(body, bytes) else as_text(body).encode("utf-8", "surrogatepass")
    if _ENTITY_DECLARATION.search(raw[:65536]):
        raise ParseError("YouTube feed: XML with entity declarations refused (XXE, entity bombs)")
    try:
        root = etree.fromstring(raw.lstrip(), parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ParseError(f"YouTube feed: malformed XML ({reason})") from exc
    if etree.QName(root).localname == "entry" and etree.QName(root).namespace == _NS["atom"]:
        # One entry on its own: what a post keeps as its raw payload (``podium reprocess``).
        return ParseResult(platform=PLATFORM, kind=kind, posts=[_post_from_entry(root, url)])
    if etree.QName(root).localname != "feed":
        raise ParseError("YouTube feed: root element is not an Atom feed")
    posts = [_post_from_entry(entry, url) for entry in root.findall("atom:entry", _NS)]
    channel_id = ident(_channel_id(root, url, posts))
    accounts = []
    if kind == "channel_feed" and channel_id:
        accounts.append(
            RawAccount(
                platform=PLATFORM,
                platform_account_id=channel_id,
                display_name=_text(root, "atom:title"),
                url=_link(root) or f"https://www.youtube.com/channel/{channel_id}",
            )
        )
    return ParseResult(platform=PLATFORM, kind=kind, posts=posts, accounts=accounts)


def _post_from_entry(entry: Any, source_url: str | None) -> RawPost:
    video_id = ident(_text(entry, "yt:videoId")) or ident(
        (_text(entry, "atom:id") or "").rsplit(":", 1)[-1]
    )
    title = _text(entry, "atom:title") or _text(entry, "media:group/media:title")
    description = _text(entry, "media:group/media:description")
    caption = f"{title}\n\n{description}" if title and description else (title or description)
    stats = entry.find("media:group/media:community/media:statistics", _NS)
    rating = entry.find("media:group/media:community/media:starRating", _NS)
    counts = {
        k: v
        for k, v in (
            ("views", stats.get("views") if stats is not None else None),
            ("likes", rating.get("count") if rating is not None else None),
        )
        if v is not None
    }
    link = _link(entry) or (f"https://www.youtube.com/watch?v={video_id}" if video_id else None)
    thumbnail = entry.find("media:group/media:thumbnail", _NS)
    return RawPost(
        platform=PLATFORM,
        platform_post_id=video_id,
        url=link,
        source_url=source_url,
        kind="short" if "/shorts/" in (link or "") else "video",
        author_id=_text(entry, "yt:channelId"),
        author_name=_text(entry, "atom:author/atom:name"),
        posted_at=_text(entry, "atom:published"),
        caption=caption,
        counts=counts,
        media_urls=[thumbnail.get("url")] if thumbnail is not None and thumbnail.get("url") else [],
        # No JSON here: the entry's own XML is kept so the post can be re-read later.
        raw=etree.tostring(entry, encoding="unicode"),
    )


def _channel_id(root: Any, url: str | None, posts: list[RawPost]) -> str | None:
    """The channel's ``UC…`` id. The feed-level ``yt:channelId`` may lack the ``UC`` prefix
    (seen in 2025 captures), so entries, the request URL and links are asked first."""
    for post in posts:
        if post.author_id and post.author_id.startswith("UC"):
            return post.author_id
    for candidate in (url, _link(root, "self")):
        try:
            values = parse_qs(urlsplit(candidate or "").query).get("channel_id")
        except ValueError:  # a malformed URL (unbalanced IPv6 brackets)
            continue
        if values and values[0].startswith("UC"):
            return values[0]
    for uri in (_link(root), _text(root, "atom:author/atom:uri")):
        if uri and "/channel/UC" in uri:
            return uri.rsplit("/channel/", 1)[-1].strip("/")
    feed_level = _text(root, "yt:channelId")
    if feed_level:
        return feed_level if feed_level.startswith("UC") else f"UC{feed_level}"
    return None


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, _NS)
    return found.text if found is not None and found.text is not None else None


def _link(element: Any, rel: str = "alternate") -> str | None:
    for link in element.findall("atom:link", _NS):
        if link.get("rel", "alternate") == rel:
            return http_url(link.get("href"))
    return None
