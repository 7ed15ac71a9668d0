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
from archive.records import ParseResult, RawPost

PLATFORM = "x"

KINDS = ("embed", "syndication", "oembed")

# Status URL: twitter.com / x.com / mobile.twitter.com, /status/ or /statuses/.
STATUS_URL = re.compile(
    r"(?:https?:)?//(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]+)/status(?:es)?/(\d+)"
)
# Byline after the text: "— Display Name (@handle)"
_BYLINE = re.compile(r"[—-]\s*(?P<name>.*?)\s*\(@(?P<handle>[A-Za-z0-9_]+)\)", re.DOTALL)


def detect_json_kind(data: Any, url: str | None = None) -> str | None:
    """Name the X kind of a decoded JSON payload, or None when it is not X's."""
    if not isinstance(data, dict):
        return None
    inner: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else data
    if inner.get("__typename") in ("Tweet", "TweetTombstone") or (
        "id_str" in inner and "text" in inner
    ):
        return "syndication"
    if data.get("provider_name") in ("Twitter", "X") and "html" in data:
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
    tweet = data.get("data") if isinstance(data.get("data"), dict) else data
    if not tweet:
        return ParseResult(platform=PLATFORM, kind="syndication", status="not_found")
    if tweet.get("__typename") == "TweetTombstone" or "id_str" not in tweet:
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
        return ParseResult(platform=PLATFORM, kind="syndication", posts=posts, status="unavailable")
    user = tweet.get("user") or {}
    entities = tweet.get("entities") or {}
    handle = user.get("screen_name")
    counts = {
        k: v
        for k, v in (
            ("likes", tweet.get("favorite_count")),
            ("comments", tweet.get("conversation_count")),
        )
        if v is not None
    }
    post = RawPost(
        platform=PLATFORM,
        platform_post_id=tweet["id_str"],
        url=status_url(handle, tweet["id_str"]),
        source_url=url,
        kind="text",
        author_handle=handle,
        author_id=user.get("id_str"),
        author_name=user.get("name"),
        posted_at=tweet.get("created_at"),
        caption=tweet.get("text"),
        counts=counts,
        tags=[h["text"] for h in entities.get("hashtags") or [] if h.get("text")],
        tags_complete=False,
        mentions=[
            m["screen_name"] for m in entities.get("user_mentions") or [] if m.get("screen_name")
        ],
        mentions_complete=False,
        declared_language=tweet.get("lang"),
        media_urls=[
            m["media_url_https"]
            for m in tweet.get("mediaDetails") or []
            if m.get("media_url_https")
        ],
        raw=tweet,
    )
    return ParseResult(platform=PLATFORM, kind="syndication", posts=[post])


def parse_oembed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``publish.twitter.com/oembed``: the post read from its ``html`` blockquote."""
    data = load_json(body, "X oEmbed")
    if not isinstance(data, dict) or not data.get("html"):
        raise ParseError("X oEmbed: no html")
    blocks = parse_fragment(data["html"]).xpath('.//blockquote[contains(@class, "twitter-tweet")]')
    posts = [p for b in blocks if (p := post_from_blockquote(b, url)) is not None]
    for post in posts:
        post.raw = data
    return ParseResult(platform=PLATFORM, kind="oembed", posts=posts)


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.twitter-tweet`` elements."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "twitter-tweet")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, kind="embed", posts=posts)


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
    if not caption or (_BYLINE.match(caption.strip()) and len(paragraphs) == 1):
        return None
    rest = "".join(t for p in paragraphs[1:] for t in p.itertext()) or "".join(
        text_paragraph.tail or ""
    )
    byline = _BYLINE.search(rest)
    return RawPost(
        platform=PLATFORM,
        platform_post_id=status_id,
        url=url,
        source_url=source_url,
        source_kind="embed",
        kind="text",
        author_handle=byline.group("handle") if byline else handle,
        author_name=(byline.group("name").strip() or None) if byline else None,
        caption=caption,
        declared_language=text_paragraph.get("lang"),
    )
