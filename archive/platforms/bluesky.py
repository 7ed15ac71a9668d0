"""Bluesky parsers: getAuthorFeed, getPostThread, feedViewPost, postView, getProfile, embeds,
and lists of post views without the feed wrapper (getPosts, searchPosts, getQuotes, arrays).

Post identity: ``platform_post_id`` is the post's ``at://<did>/app.bsky.feed.post/<rkey>`` URI.
It is stable (the DID never changes, the handle can) and it is exactly what an article's
``blockquote.bluesky-embed`` carries in ``data-bluesky-uri``, so both routes meet on one key.

Reposts: a feed item whose ``reason`` is ``#reasonRepost`` is recorded as the *original* post
(author = original author) with ``is_repost=True``; the spider/store decide whether to keep it.
"""

from __future__ import annotations

import re
from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import as_text, element_text, load_json, parse_html, strip_query
from archive.platforms.fields import count, dig, ident, obj, objs, text, texts
from archive.platforms.fields import url as http_url
from archive.records import Availability, ParseResult, Platform, RawAccount, RawPost

PLATFORM: Platform = "bluesky"

PARSER_KINDS = (
    "author_feed",
    "post_thread",
    "feed_view_post",
    "post_view",
    "profile",
    "embed",
    "post_views",
)

_TAG_FEATURE = "app.bsky.richtext.facet#tag"
_MENTION_FEATURE = "app.bsky.richtext.facet#mention"
# Embed footer: "— Display Name (@handle) <date link>". The handle is searched for after the
# first dash (see _embed_author): a lazy "dash, name, (@handle)" regex is quadratic in dashes.
_EMBED_HANDLE = re.compile(r"\(@([^)\s]+)\)")
_DASHES = re.compile(r"[—-]")
# XRPC methods answering with ``posts`` (post views, no feed wrapper); an empty answer is only
# recognisable by its URL.
_POST_VIEW_METHODS = (
    "app.bsky.feed.getPosts",
    "app.bsky.feed.searchPosts",
    "app.bsky.feed.getQuotes",
)


def detect_json_parser_kind(data: Any, url: str | None = None) -> str | None:
    """Name the Bluesky parser kind of a decoded JSON payload, or None when it is not Bluesky's.

    ``post_views``: a ``posts`` list of post views (getPosts, searchPosts; getQuotes also has
    the quoted post's ``uri``), or a top-level array of post views (or feed items). An empty
    ``posts`` list is recognised by getQuotes' ``uri`` or by the method in ``url``.
    """
    if isinstance(data, list):
        return "post_views" if data and all(map(_is_view_or_feed_item, data)) else None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("feed"), list) and all(
        _is_post_view(dig(i, "post")) for i in data["feed"]
    ):
        return "author_feed"
    posts = data.get("posts")
    if isinstance(posts, list) and (
        all(map(_is_post_view, posts))
        if posts
        else _is_at_uri(data.get("uri")) or any(m in (url or "") for m in _POST_VIEW_METHODS)
    ):
        return "post_views"
    thread = data.get("thread")
    if isinstance(thread, dict) and ("post" in thread or _is_at_uri(thread.get("uri"))):
        return "post_thread"
    if _is_post_view(data.get("post")):
        return "feed_view_post"
    if _is_post_view(data):
        return "post_view"
    if (text(data.get("did")) or "").startswith("did:") and "handle" in data:
        return "profile"
    return None


def _is_at_uri(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("at://")


def _is_post_view(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and _is_at_uri(value.get("uri"))
        and isinstance(value.get("record"), dict)
    )


def _is_view_or_feed_item(value: Any) -> bool:
    return _is_post_view(value) or _is_post_view(dig(value, "post"))


def parse_author_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``app.bsky.feed.getAuthorFeed``: ``feed[]`` of feedViewPost and ``cursor``."""
    data = _load_object(body, "Bluesky getAuthorFeed")
    feed = data.get("feed")
    if not isinstance(feed, list):
        raise ParseError("Bluesky getAuthorFeed: no feed list")
    posts = [
        _post_from_feed_item(item, url) for item in objs(feed) if _is_post_view(item.get("post"))
    ]
    cursor = text(data.get("cursor")) or None
    return ParseResult(
        platform=PLATFORM,
        parser_kind="author_feed",
        posts=posts,
        next_cursor=cursor,
        has_more=bool(cursor and feed),
    )


def parse_post_thread(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``app.bsky.feed.getPostThread``: the post at ``thread.post`` (replies are not read).

    A ``#notFoundPost`` thread gives the post as ``deleted``; ``#blockedPost`` as ``blocked``.
    """
    data = _load_object(body, "Bluesky getPostThread")
    thread = data.get("thread")
    if not isinstance(thread, dict):
        raise ParseError("Bluesky getPostThread: no thread object")
    if _is_post_view(thread.get("post")):
        post = _post_from_view(thread["post"], url, raw=thread["post"])
        return ParseResult(platform=PLATFORM, parser_kind="post_thread", posts=[post])
    availability: Availability | None = (
        "deleted" if thread.get("notFound") else "blocked" if thread.get("blocked") else None
    )
    uri = ident(thread.get("uri"))
    if availability and uri:
        post = RawPost(
            platform=PLATFORM,
            platform_post_id=uri,
            source_url=url,
            availability=availability,
            raw=thread,
        )
        return ParseResult(
            platform=PLATFORM, parser_kind="post_thread", posts=[post], status=availability
        )
    raise ParseError("Bluesky getPostThread: unknown thread shape")


def parse_feed_view_post(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse one bare ``feedViewPost`` (``post`` with optional ``reply`` and ``reason``)."""
    data = _load_object(body, "Bluesky feedViewPost")
    if not _is_post_view(data.get("post")):
        raise ParseError("Bluesky feedViewPost: no post view")
    return ParseResult(
        platform=PLATFORM, parser_kind="feed_view_post", posts=[_post_from_feed_item(data, url)]
    )


def parse_post_view(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse one bare ``postView`` (as in ``getPosts`` results)."""
    data = _load_object(body, "Bluesky postView")
    if not _is_post_view(data):
        raise ParseError("Bluesky postView: no at:// uri or record")
    return ParseResult(
        platform=PLATFORM, parser_kind="post_view", posts=[_post_from_view(data, url, data)]
    )


def parse_post_views(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse post views without the feed wrapper: ``getPosts`` and ``searchPosts`` (``posts``,
    ``cursor``), ``getQuotes`` (``uri`` of the quoted post, ``posts`` quoting it, ``cursor``), or
    a top-level array of post views, where feed items keep their repost or pin reason.
    """
    data = load_json(body, "Bluesky post views")
    if isinstance(data, dict) and isinstance(data.get("posts"), list):
        found: list[Any] = data["posts"]
        cursor = text(data.get("cursor")) or None
    elif isinstance(data, list):
        found, cursor = data, None
    else:
        raise ParseError("Bluesky post views: no posts list")
    posts = []
    problems = []
    for index, element in enumerate(found):
        if _is_post_view(element):
            posts.append(_post_from_view(element, url, raw=element))
        elif _is_post_view(dig(element, "post")):
            posts.append(_post_from_feed_item(element, url))
        else:
            # One broken element costs itself, not the list.
            problems.append(f"element {index}: not a post view, skipped")
    return ParseResult(
        platform=PLATFORM,
        parser_kind="post_views",
        posts=posts,
        next_cursor=cursor,
        has_more=bool(cursor and found),
        problems=problems,
    )


def parse_profile(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``app.bsky.actor.getProfile``: one account (with its pinned post), no posts."""
    data = _load_object(body, "Bluesky getProfile")
    did = ident(data.get("did"))
    if not did or not did.startswith("did:"):
        raise ParseError("Bluesky getProfile: no did")
    handle = ident(data.get("handle"))
    pinned = ident(dig(data, "pinnedPost", "uri"))
    counts = _counts(data, followers="followersCount", following="followsCount", posts="postsCount")
    account = RawAccount(
        platform=PLATFORM,
        platform_account_id=did,
        handle=handle,
        display_name=text(data.get("displayName")),
        url=f"https://bsky.app/profile/{handle or did}",
        pinned_post_ids=[pinned] if pinned else [],
        counts=counts,
        raw=data,
    )
    return ParseResult(platform=PLATFORM, parser_kind="profile", accounts=[account])


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.bluesky-embed`` elements (an oEmbed ``html`` saved alone)."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "bluesky-embed")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, parser_kind="embed", posts=posts)


def post_from_blockquote(block: Any, source_url: str | None = None) -> RawPost | None:
    """Read one ``blockquote.bluesky-embed``: text from ``p``, author from the footer line.

    The date link text ("January 5, 2025 at 9:24 AM") is localized and is not kept as a time.
    """
    uri = ident(block.get("data-bluesky-uri"))
    if not uri or not uri.startswith("at://"):
        return None
    paragraphs = block.xpath("./p")
    caption = element_text(paragraphs[0]) if paragraphs else None
    footer = "".join(block.itertext())
    author = _embed_author(footer.split(caption or "", 1)[-1] if caption else footer)
    post_links = [a.get("href") for a in block.xpath('.//a[contains(@href, "/post/")]')]
    rkey = uri.rsplit("/", 1)[-1]
    did = uri.removeprefix("at://").split("/", 1)[0]
    return RawPost(
        platform=PLATFORM,
        platform_post_id=uri,
        url=strip_query(post_links[-1])
        if post_links
        else f"https://bsky.app/profile/{did}/post/{rkey}",
        source_url=source_url,
        source_kind="embed",
        kind="text",
        author_handle=author[1] if author else None,
        author_id=did or None,
        author_name=(author[0] or None) if author else None,
        caption=caption,
        declared_language=paragraphs[0].get("lang") if paragraphs else None,
    )


def _embed_author(footer: str) -> tuple[str, str] | None:
    """``(name, handle)`` from "— Name (@handle)": the name runs from the first dash to the
    first ``(@handle)`` after it (what ``[—-]\\s*(.*?)\\s*\\(@([^)\\s]+)\\)`` finds, in
    linear time)."""
    dash = _DASHES.search(footer)
    if dash is None:
        return None
    handle = _EMBED_HANDLE.search(footer, dash.end())
    if handle is None:
        return None
    return footer[dash.end() : handle.start()].strip(), handle.group(1)


# --- the post view ---------------------------------------------------------------------------


def _post_from_feed_item(item: dict[str, Any], source_url: str | None) -> RawPost:
    reason_type = text(dig(item, "reason", "$type")) or ""
    post = _post_from_view(item["post"], source_url, raw=item)
    post.is_repost = reason_type.endswith("#reasonRepost")
    post.is_pinned = reason_type.endswith("#reasonPin")
    return post


def _post_from_view(view: dict[str, Any], source_url: str | None, raw: Any) -> RawPost:
    record = obj(view.get("record"))
    author = obj(view.get("author"))
    uri = str(view["uri"])
    rkey = uri.rsplit("/", 1)[-1]
    handle = ident(author.get("handle"))
    did = ident(author.get("did"))
    tags, mentions = _extract_facets(record)
    complete = isinstance(record.get("facets"), list)
    langs = texts(record.get("langs"))
    return RawPost(
        platform=PLATFORM,
        platform_post_id=uri,
        url=f"https://bsky.app/profile/{handle or did}/post/{rkey}" if handle or did else None,
        source_url=source_url,
        source_kind="platform",
        kind=_post_kind(view.get("embed")),
        author_handle=handle,
        author_id=did,
        author_name=text(author.get("displayName")),
        posted_at=text(record.get("createdAt")) or text(view.get("indexedAt")),
        caption=text(record.get("text")),
        counts=_counts(
            view,
            likes="likeCount",
            shares="repostCount",
            comments="replyCount",
            quotes="quoteCount",
        ),
        hashtags=tags if complete or tags else None,
        hashtags_complete=complete,
        mentions=mentions if complete else None,
        mentions_complete=complete,
        declared_language=langs[0] if langs else None,
        media_urls=_extract_media_urls(view.get("embed")),
        raw=raw,
    )


def _extract_facets(record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Hashtags (``#tag`` features plus ``record.hashtags``) and mentions from facets.

    Facet offsets are UTF-8 *byte* offsets into ``text``; a mention's display is the handle as
    written in that byte slice (without ``@``), the feature itself only names the DID.
    """
    # surrogatepass: a lone surrogate (repaired later to U+FFFD, also 3 bytes) keeps the byte
    # offsets of everything after it right, instead of costing the whole page.
    encoded = (text(record.get("text")) or "").encode("utf-8", errors="surrogatepass")
    tags: list[str] = []
    mentions: list[str] = []
    for facet in objs(record.get("facets")):
        index = obj(facet.get("index"))
        for feature in objs(facet.get("features")):
            ftype = feature.get("$type")
            tag = text(feature.get("tag"))
            if ftype == _TAG_FEATURE and tag and tag not in tags:
                tags.append(tag)
            elif ftype == _MENTION_FEATURE:
                start, end = index.get("byteStart"), index.get("byteEnd")
                span = ""
                if isinstance(start, int) and isinstance(end, int):
                    span = encoded[start:end].decode("utf-8", errors="replace").strip()
                display = span.removeprefix("@") or ident(feature.get("did"))
                if display and display not in mentions:
                    mentions.append(display)
    for tag in texts(record.get("tags")):
        if tag not in tags:
            tags.append(tag)
    return tags, mentions


def _post_kind(embed: Any) -> str:
    etype = text(dig(embed, "$type")) or ""
    if etype.startswith("app.bsky.embed.recordWithMedia"):
        etype = text(dig(embed, "media", "$type")) or ""
    if etype.startswith(("app.bsky.embed.images", "app.bsky.embed.gallery")):
        return "photo"
    if etype.startswith("app.bsky.embed.video"):
        return "video"
    return "text"


def _extract_media_urls(embed: Any) -> list[str]:
    if not isinstance(embed, dict):
        return []
    if isinstance(embed.get("media"), dict):
        return _extract_media_urls(embed["media"])
    found = [i.get("fullsize") for i in objs(embed.get("images") or embed.get("items"))]
    found.append(embed.get("playlist"))
    return [u for u in map(http_url, found) if u]


def _counts(data: dict[str, Any], **keys: str) -> dict[str, Any]:
    """Our count names -> the platform's values, where they are counts."""
    return {
        ours: value
        for ours, theirs in keys.items()
        if (value := count(data.get(theirs))) is not None
    }


def _load_object(body: str | bytes, what: str) -> dict[str, Any]:
    data = load_json(body, what)
    if not isinstance(data, dict):
        raise ParseError(f"{what}: expected a JSON object")
    return data
