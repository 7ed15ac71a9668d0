"""X/Twitter parsers: embed blockquotes (``blockquote.twitter-tweet``), syndication JSON, oEmbed.

X only reaches the archive through news embeds. The embed's date link text ("June 1, 2017") is
localized and has no time of day, so it is not kept as ``posted_at``; the syndication JSON's
``created_at`` is the time to trust.
"""

from __future__ import annotations

import re
from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import as_text, element_text, load_json, parse_fragment, parse_html
from archive.platforms.fields import count, ident, obj, objs, text
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, Platform, RawPost

PLATFORM: Platform = "x"

PARSER_KINDS = ("embed", "syndication", "oembed")

# Status URL: twitter.com / x.com / mobile.twitter.com, /status/ or /statuses/.
STATUS_URL = re.compile(
    r"(?:https?:)?//(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]+)/status(?:es)?/(\d+)"
)
# Byline after the text: "— Display Name (@handle)". Read by _byline in linear time: the regex
# "dash, lazy name, (@handle)" is quadratic in the number of dashes.
_BYLINE_HANDLE = re.compile(r"\(@([A-Za-z0-9_]+)\)")
_DASHES = re.compile(r"[—-]")


def detect_json_parser_kind(data: Any, url: str | None = None) -> str | None:
    """Name the X parser kind of a decoded JSON payload, or None when it is not X's."""
    if not isinstance(data, dict):
        return None
    inner: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else data
    if text(inner.get("__typename")) in ("Tweet", "TweetTombstone") or (
        "id_str" in inner and "text" in inner
    ):
        return "syndication"
    if text(data.get("provider_name")) in ("Twitter", "X") and "html" in data:
        return "oembed"
    if data == {} and "syndication" in (url or ""):
        return "syndication"
    return None


def status_url(handle: str | None, status_id: str) -> str:
    """Canonical URL of a post."""
    return f"https://x.com/{handle or 'i/web'}/status/{status_id}"


def parse_syndication(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``cdn.syndication.twimg.com/tweet-result`` (also wrapped in ``{"data": …}``).

    ``TweetTombstone`` (deleted, protected or withheld) gives the post as ``unknown`` when its id
    is known from the URL; ``{}`` (not found) gives no post and status ``not_found``.
    """
    data = load_json(body, "X syndication")
    if not isinstance(data, dict):
        raise ParseError("X syndication: expected a JSON object")
    tweet: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else data
    if not tweet:
        return ParseResult(platform=PLATFORM, parser_kind="syndication", status="not_found")
    status_id = ident(tweet.get("id_str"))
    if tweet.get("__typename") == "TweetTombstone" or status_id is None:
        match = re.search(r"(?:[?&]id=|/status(?:es)?/)(\d+)", url or "")
        posts = []
        if match:
            posts.append(
                RawPost(
                    platform=PLATFORM,
                    platform_post_id=match.group(1),
                    source_url=url,
                    availability="unknown",
                    raw=tweet,
                )
            )
        return ParseResult(
            platform=PLATFORM, parser_kind="syndication", posts=posts, status="unavailable"
        )
    user = obj(tweet.get("user"))
    entities = obj(tweet.get("entities"))
    handle = ident(user.get("screen_name"))
    counts = {
        k: v
        for k, v in (
            ("likes", count(tweet.get("favorite_count"))),
            ("comments", count(tweet.get("conversation_count"))),
        )
        if v is not None
    }
    post = RawPost(
        platform=PLATFORM,
        platform_post_id=status_id,
        url=status_url(handle, status_id),
        source_url=url,
        kind="text",
        author_handle=handle,
        author_id=ident(user.get("id_str")),
        author_name=text(user.get("name")),
        posted_at=text(tweet.get("created_at")),
        caption=text(tweet.get("text")),
        counts=counts,
        hashtags=[t for h in objs(entities.get("hashtags")) if (t := text(h.get("text")))],
        hashtags_complete=False,
        mentions=[
            m
            for mention in objs(entities.get("user_mentions"))
            if (m := text(mention.get("screen_name")))
        ],
        mentions_complete=False,
        declared_language=text(tweet.get("lang")),
        media_urls=[
            u for m in objs(tweet.get("mediaDetails")) if (u := http_url(m.get("media_url_https")))
        ],
        raw=tweet,
    )
    return ParseResult(platform=PLATFORM, parser_kind="syndication", posts=[post])


def parse_oembed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``publish.twitter.com/oembed``: the post read from its ``html`` blockquote."""
    data = load_json(body, "X oEmbed")
    html = text(data.get("html")) if isinstance(data, dict) else None
    if not html:
        raise ParseError("X oEmbed: no html")
    blocks = parse_fragment(html).xpath('.//blockquote[contains(@class, "twitter-tweet")]')
    posts = [p for b in blocks if (p := post_from_blockquote(b, url)) is not None]
    for post in posts:
        post.raw = data
    return ParseResult(platform=PLATFORM, parser_kind="oembed", posts=posts)


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.twitter-tweet`` elements."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "twitter-tweet")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, parser_kind="embed", posts=posts)


def embed_status(block: Any) -> tuple[str, str, str] | None:
    """``(url, handle, status_id)`` of an embed, from its last status link."""
    for href in reversed(block.xpath(".//a/@href")):
        match = STATUS_URL.search(href)
        if match:
            return status_url(match.group(1), match.group(2)), match.group(1), match.group(2)
    return None


def post_from_blockquote(block: Any, source_url: str | None = None) -> RawPost | None:
    """Read one ``blockquote.twitter-tweet``: the ``p[lang]`` text and the ``— Name (@handle)``
    byline. A minimal embed (only the status link, no text) gives None."""
    status = embed_status(block)
    if status is None:
        return None
    url, handle, status_id = status
    paragraphs = block.xpath("./p")
    if not paragraphs:
        return None
    text_paragraph = paragraphs[0]
    caption = element_text(text_paragraph)
    stripped = caption.strip()
    if not caption or (stripped[:1] in "—-" and _byline(stripped) and len(paragraphs) == 1):
        return None
    rest = "".join(t for p in paragraphs[1:] for t in p.itertext()) or "".join(
        text_paragraph.tail or ""
    )
    byline = _byline(rest)
    return RawPost(
        platform=PLATFORM,
        platform_post_id=status_id,
        url=url,
        source_url=source_url,
        source_kind="embed",
        kind="text",
        author_handle=byline[1] if byline else handle,
        author_name=(byline[0] or None) if byline else None,
        caption=caption,
        declared_language=text_paragraph.get("lang"),
    )


def _byline(line: str) -> tuple[str, str] | None:
    """``(name, handle)`` of "— Name (@handle)": the name runs from the first dash to the first
    ``(@handle)`` after it."""
    dash = _DASHES.search(line)
    if dash is None:
        return None
    handle = _BYLINE_HANDLE.search(line, dash.end())
    if handle is None:
        return None
    return line[dash.end() : handle.start()].strip(), handle.group(1)
