"""YouTube parsers: channel and playlist Atom feeds (``feeds/videos.xml``), yt-dlp's YouTube
info dicts.

Caption: the feed has a title and a description but RawPost has one text field. The caption is
``title`` alone when the description is empty, else ``title + "\\n\\n" + description``: hashtags
and the language usually live in the title (Shorts carry ``#shorts`` there), and the normalizer
reads the caption, so the title must be part of it. The first line is always the title.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from archive.errors import ParseError
from archive.platforms import ytdlp
from archive.platforms.decoding import as_text
from archive.platforms.feeds import feed_text, read_feed
from archive.platforms.fields import ident, obj, objs
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, Platform, RawAccount, RawPost

PLATFORM: Platform = "youtube"

PARSER_KINDS = ("channel_feed", "playlist_feed", "ytdlp_info")

_YT = "http://www.youtube.com/xml/schemas/2015"
_ATOM_ENTRY = "{http://www.w3.org/2005/Atom}entry"


def detect_xml_parser_kind(text: str) -> str | None:
    """Name the feed parser kind of an XML body, or None when it is not a YouTube Atom feed."""
    if _YT not in text[:5000] and "<yt:videoId>" not in text:
        return None
    return "playlist_feed" if "<yt:playlistId>" in text else "channel_feed"


def detect_json_parser_kind(data: Any, url: str | None = None) -> str | None:
    """YouTube's only JSON payload kind is yt-dlp's info dict; None for anything else."""
    return "ytdlp_info" if ytdlp.extractor_platform(data) == PLATFORM else None


def parse_ytdlp_info(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse yt-dlp's YouTube info dicts (``.info.json``, ``--dump-json`` lines, playlists)."""
    return ytdlp.parse_info(body, url, PLATFORM)


def parse_channel_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a channel feed (``?channel_id=UC…``): up to 15 latest videos and the channel."""
    return _parse_feed(body, url, "channel_feed")


def parse_playlist_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a playlist feed (``?playlist_id=PL…``): its latest videos and the owning channel."""
    return _parse_feed(body, url, "playlist_feed")


def _parse_feed(body: str | bytes, url: str | None, parser_kind: str) -> ParseResult:
    text = as_text(body).lstrip()
    lone_entry = text.startswith("<entry")
    if lone_entry:  # what a post keeps as its raw payload: read inside a feed of its own
        body = f'<feed xmlns="http://www.w3.org/2005/Atom">{text}</feed>'
    feed = read_feed(body, "YouTube feed")
    if etree.QName(feed.root).localname != "feed":
        raise ParseError("YouTube feed: root element is not an Atom feed")
    # feedparser keeps no entry's XML; the well-formed tree has them, in the same order.
    elements = feed.root.findall(_ATOM_ENTRY)
    if len(elements) != len(feed.entries):
        elements = [None] * len(feed.entries)
    posts = [_post_from_entry(e, x, url) for e, x in zip(feed.entries, elements, strict=True)]
    channel_id = ident(_channel_id(feed.feed, url, posts))
    accounts = []
    if parser_kind == "channel_feed" and channel_id and not lone_entry:
        accounts.append(
            RawAccount(
                platform=PLATFORM,
                platform_account_id=channel_id,
                display_name=feed_text(feed.feed, "title"),
                url=_link(feed.feed) or f"https://www.youtube.com/channel/{channel_id}",
            )
        )
    return ParseResult(platform=PLATFORM, parser_kind=parser_kind, posts=posts, accounts=accounts)


def _post_from_entry(entry: Any, element: Any, source_url: str | None) -> RawPost:
    """Locate the fields of one entry, as feedparser names them (``yt:videoId`` is
    ``yt_videoid``, ``media:description`` is ``summary``, ``media:statistics`` is
    ``media_statistics`` ...)."""
    video_id = ident(feed_text(entry, "yt_videoid")) or ident(
        (feed_text(entry, "id") or "").rsplit(":", 1)[-1]
    )
    title = feed_text(entry, "title")
    description = feed_text(entry, "summary")
    caption = f"{title}\n\n{description}" if title and description else (title or description)
    stats = obj(entry.get("media_statistics"))
    rating = obj(entry.get("media_starrating"))
    counts = {
        k: v
        for k, v in (("views", stats.get("views")), ("likes", rating.get("count")))
        if v is not None
    }
    link = _link(entry) or (f"https://www.youtube.com/watch?v={video_id}" if video_id else None)
    thumbnails = [u for t in objs(entry.get("media_thumbnail")) if (u := http_url(t.get("url")))]
    return RawPost(
        platform=PLATFORM,
        platform_post_id=video_id,
        url=link,
        source_url=source_url,
        kind="short" if "/shorts/" in (link or "") else "video",
        author_id=feed_text(entry, "yt_channelid"),
        author_name=feed_text(obj(entry.get("author_detail")), "name"),
        posted_at=feed_text(entry, "published"),
        caption=caption,
        counts=counts,
        media_urls=thumbnails[:1],
        # No JSON here: the entry's own XML is kept so the post can be re-read later.
        raw=etree.tostring(element, encoding="unicode") if element is not None else None,
    )


def _channel_id(feed: Any, url: str | None, posts: list[RawPost]) -> str | None:
    """The channel's ``UC…`` id. The feed-level ``yt:channelId`` may lack the ``UC`` prefix
    (seen in 2025 captures), so entries, the request URL and links are asked first."""
    for post in posts:
        if post.author_id and post.author_id.startswith("UC"):
            return post.author_id
    for candidate in (url, _link(feed, "self")):
        try:
            values = parse_qs(urlsplit(candidate or "").query).get("channel_id")
        except ValueError:  # a malformed URL (unbalanced IPv6 brackets)
            continue
        if values and values[0].startswith("UC"):
            return values[0]
    for uri in (_link(feed), feed_text(obj(feed.get("author_detail")), "href")):
        if uri and "/channel/UC" in uri:
            return uri.rsplit("/channel/", 1)[-1].strip("/")
    feed_level = feed_text(feed, "yt_channelid")
    if feed_level:
        return feed_level if feed_level.startswith("UC") else f"UC{feed_level}"
    return None


def _link(node: Any, rel: str = "alternate") -> str | None:
    for link in objs(node.get("links")):
        if link.get("rel", "alternate") == rel:
            return http_url(link.get("href"))
    return None
