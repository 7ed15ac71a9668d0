"""Instagram parsers: embed blockquotes, post JSON (api v1 / xdt item, GraphQL shortcode_media),
profile timelines (web_profile_info edges, v1 feed ``items``).

Identity: ``platform_post_id`` is the shortcode (``code``), the one key every route shows:
embeds and permalinks carry only the shortcode, JSON carries it beside the numeric ``pk``.
"""

from __future__ import annotations

import re
from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import as_text, element_text, load_json, parse_html
from archive.platforms.fields import count, dig, flag, ident, items, obj, objs, text
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, RawAccount, RawMusic, RawPost

PLATFORM = "instagram"

KINDS = ("embed", "post", "graphql_post", "web_profile_info", "user_feed")

# Permalink path: /p/<code>/, /reel/<code>/, /tv/<code>/ (shortcodes are base64url letters).
_PERMALINK = re.compile(r"instagram\.com/(?:[\w.]+/)?(?:p|reel|reels|tv)/([\w-]+)")
# Embed byline: "A post shared by Full Name (@user.name) on <time>" (localized around the names).
_BYLINE_HANDLE = re.compile(r"\(@([\w.]+)\)")
_BYLINE_PREFIXES = re.compile(
    r"^(?:A post shared by|Ein Beitrag geteilt von|Een bericht gedeeld door|"
    r"Una publicación compartida de|Une publication partagée par|Un post condiviso da|"
    r"Uma publicação compartilhada por|Et innlegg delt av)\s+",
    re.IGNORECASE,
)
_MEDIA_KINDS = {1: "photo", 2: "video", 8: "carousel"}
_TYPENAME_KINDS = {"GraphImage": "photo", "GraphVideo": "video", "GraphSidecar": "carousel"}


def detect_json_kind(data: Any, url: str | None = None) -> str | None:
    """Name the Instagram kind of a decoded JSON payload, or None when it is not Instagram's."""
    if not isinstance(data, dict):
        return None
    if _find_shortcode_media(data) is not None or _is_graphql_node(data):
        return "graphql_post"
    user = _find_profile_user(data)
    if user is not None:
        return "web_profile_info"
    if _find_timeline_connection(data) is not None:
        return "user_feed"
    items = data.get("items")
    if isinstance(items, list) and items and all(_is_v1_item(i) for i in items):
        single = len(items) == 1 and "next_max_id" not in data and "user" not in data
        return "post" if single else "user_feed"
    if (
        isinstance(items, list)
        and not items
        and ("more_available" in data or "next_max_id" in data)
    ):
        return "user_feed"
    if _is_v1_item(data):
        return "post"
    return None


def _is_v1_item(value: Any) -> bool:
    return isinstance(value, dict) and ident(value.get("code")) is not None and "taken_at" in value


def _find_shortcode_media(data: dict[str, Any]) -> dict[str, Any] | None:
    for holder in (data, obj(data.get("data")), obj(data.get("graphql"))):
        for key in ("shortcode_media", "xdt_shortcode_media"):
            found = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(found, dict):
                return found
    return None


def _is_graphql_node(data: dict[str, Any]) -> bool:
    """A GraphQL media node on its own: what a post keeps as its raw payload."""
    return ident(data.get("shortcode")) is not None and "edge_media_to_caption" in data


def _find_profile_user(data: dict[str, Any]) -> dict[str, Any] | None:
    for holder in (obj(data.get("data")), obj(data.get("graphql"))):
        user = holder.get("user") if isinstance(holder, dict) else None
        if isinstance(user, dict) and "edge_owner_to_timeline_media" in user:
            return user
    return None


def _find_timeline_connection(data: dict[str, Any]) -> dict[str, Any] | None:
    holder = obj(data.get("data"))
    if holder:
        for key, value in holder.items():
            if key.startswith("xdt_api__v1__feed__") and isinstance(value, dict):
                return value
    return None


# --- JSON ------------------------------------------------------------------------------------


def parse_post(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse one v1/xdt media item: ``{"items": [item]}`` (media info) or the item itself."""
    data = _load_object(body, "Instagram post")
    items: list[Any] = data["items"] if isinstance(data.get("items"), list) else [data]
    posts = [_post_from_item(i, url) for i in items if _is_v1_item(i)]
    if not posts:
        raise ParseError("Instagram post: no media item with code and taken_at")
    return ParseResult(platform=PLATFORM, kind="post", posts=posts)


def parse_graphql_post(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse the older single-post JSON: ``shortcode_media`` / ``xdt_shortcode_media`` (edges),
    or one GraphQL media node on its own (a post's stored raw payload)."""
    data = _load_object(body, "Instagram shortcode_media")
    media = _find_shortcode_media(data) or (data if _is_graphql_node(data) else None)
    if media is None:
        raise ParseError("Instagram shortcode_media: not found")
    return ParseResult(platform=PLATFORM, kind="graphql_post", posts=[_post_from_node(media, url)])


def parse_web_profile_info(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``web_profile_info`` (``data.user``): the account, its first posts, end_cursor."""
    data = _load_object(body, "Instagram web_profile_info")
    user = _find_profile_user(data)
    if user is None:
        raise ParseError("Instagram web_profile_info: no data.user.edge_owner_to_timeline_media")
    timeline = obj(user.get("edge_owner_to_timeline_media"))
    page = obj(timeline.get("page_info"))
    posts = [
        _post_from_node(node, url)
        for e in objs(timeline.get("edges"))
        if isinstance(node := e.get("node"), dict)
    ]
    handle = ident(user.get("username"))
    account = RawAccount(
        platform=PLATFORM,
        platform_account_id=ident(user.get("id")),
        handle=handle,
        display_name=text(user.get("full_name")) or None,
        url=f"https://www.instagram.com/{handle}/" if handle else None,
        counts={
            k: v
            for k, v in (
                ("followers", count(dig(user, "edge_followed_by", "count"))),
                ("following", count(dig(user, "edge_follow", "count"))),
                ("posts", count(timeline.get("count"))),
            )
            if v is not None
        },
        raw={k: v for k, v in user.items() if not k.startswith("edge_")},
    )
    has_more = flag(page.get("has_next_page"))
    return ParseResult(
        platform=PLATFORM,
        kind="web_profile_info",
        posts=posts,
        accounts=[account],
        next_cursor=ident(page.get("end_cursor")) if has_more else None,
        has_more=has_more,
    )


def parse_user_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a v1 user feed (``items``, ``next_max_id``, ``more_available``) or the xdt
    timeline connection (``edges[].node`` in the v1 item format, ``page_info``)."""
    data = _load_object(body, "Instagram user feed")
    connection = _find_timeline_connection(data)
    if connection is not None:
        found: list[Any] = [e.get("node") for e in objs(connection.get("edges"))]
        page = obj(connection.get("page_info"))
        has_more = flag(page.get("has_next_page"))
        cursor = ident(page.get("end_cursor"))
    else:
        found = items(data.get("items"))
        has_more = flag(data.get("more_available"))
        cursor = ident(data.get("next_max_id"))
    posts = [
        _post_from_item(i, url)
        for i in found
        if isinstance(i, dict)
        # Ads ride along in feeds; they are nobody's post (4CAT skips them too).
        if _is_v1_item(i) and i.get("product_type") != "ad"
    ]
    accounts = []
    user = data.get("user")
    if isinstance(user, dict) and ident(user.get("username")):
        accounts.append(_account_from_user(user))
    return ParseResult(
        platform=PLATFORM,
        kind="user_feed",
        posts=posts,
        accounts=accounts,
        next_cursor=cursor if has_more else None,
        has_more=has_more,
    )


def _post_from_item(item: dict[str, Any], source_url: str | None) -> RawPost:
    """Locate the fields of a v1/xdt media item."""
    user = obj(item.get("user")) or obj(item.get("owner"))
    code = str(ident(item.get("code")))  # _is_v1_item made sure there is one
    views = next(
        (v for k in ("play_count", "ig_play_count", "view_count") if (v := count(item.get(k)))),
        None,
    )
    counts = {
        k: v
        for k, v in (
            ("likes", count(item.get("like_count"))),
            ("comments", count(item.get("comment_count"))),
            ("views", views),
        )
        if v is not None
    }
    return RawPost(
        platform=PLATFORM,
        platform_post_id=code,
        url=f"https://www.instagram.com/p/{code}/",
        source_url=source_url,
        kind=_MEDIA_KINDS.get(_int_or_none(item.get("media_type")) or 0),
        author_handle=ident(user.get("username")),
        author_id=ident(user.get("pk")) or ident(user.get("id")),
        author_name=text(user.get("full_name")) or None,
        posted_at=_time_value(item.get("taken_at")),
        caption=text(dig(item, "caption", "text")),
        counts=counts,
        music=_music_from_clips(item.get("clips_metadata")),
        is_pinned=bool(item.get("timeline_pinned_user_ids")),
        media_urls=_item_media_urls(item),
        raw=item,
    )


def _music_from_clips(clips: Any) -> RawMusic | None:
    """Licensed track from ``music_info.music_asset_info``; original audio from
    ``original_sound_info`` (its ``ig_artist`` may be another account whose sound is reused)."""
    if not isinstance(clips, dict):
        return None
    asset = dig(clips, "music_info", "music_asset_info")
    if isinstance(asset, dict) and asset:
        return RawMusic(
            title=text(asset.get("title")),
            artist=text(asset.get("display_artist")),
            is_original=False,
            platform_sound_id=ident(asset.get("audio_cluster_id"))
            or ident(asset.get("audio_asset_id")),
        )
    original = clips.get("original_sound_info")
    if isinstance(original, dict):
        return RawMusic(
            title=text(original.get("original_audio_title")),
            artist=text(dig(original, "ig_artist", "username")),
            is_original=True,
            platform_sound_id=ident(original.get("audio_asset_id")),
        )
    return None


def _item_media_urls(item: dict[str, Any]) -> list[str]:
    urls: list[str] = []
    for media in [item, *objs(item.get("carousel_media"))]:
        videos = objs(media.get("video_versions"))
        images = objs(dig(media, "image_versions2", "candidates"))
        chosen = videos[0] if videos else images[0] if images else None
        if chosen and (found := http_url(chosen.get("url"))):
            urls.append(found)
    return urls


def _post_from_node(node: dict[str, Any], source_url: str | None) -> RawPost:
    """Locate the fields of a GraphQL edge node / ``shortcode_media``."""
    owner = obj(node.get("owner"))
    code = ident(node.get("shortcode"))
    edges = objs(dig(node, "edge_media_to_caption", "edges"))
    caption = text(dig(edges[0], "node", "text")) if edges else None
    likes = _first_count(node, "edge_liked_by", "edge_media_preview_like")
    comments = _first_count(
        node, "edge_media_to_comment", "edge_media_preview_comment", "edge_media_to_parent_comment"
    )
    counts = {
        k: v
        for k, v in (
            ("likes", likes),
            ("comments", comments),
            ("views", count(node.get("video_view_count"))),
        )
        if v is not None
    }
    typename = (text(node.get("__typename")) or "").removeprefix("XDT")
    attribution = node.get("clips_music_attribution_info")
    music = None
    if isinstance(attribution, dict):
        original = attribution.get("uses_original_audio")
        music = RawMusic(
            title=text(attribution.get("song_name")),
            artist=text(attribution.get("artist_name")),
            is_original=original if isinstance(original, bool) else None,
            platform_sound_id=ident(attribution.get("audio_id")),
        )
    media = http_url(node.get("video_url")) or http_url(node.get("display_url"))
    return RawPost(
        platform=PLATFORM,
        platform_post_id=code or ident(node.get("id")),
        url=f"https://www.instagram.com/p/{code}/" if code else None,
        source_url=source_url,
        kind=_TYPENAME_KINDS.get(typename),
        author_handle=ident(owner.get("username")),
        author_id=ident(owner.get("id")),
        author_name=text(owner.get("full_name")) or None,
        posted_at=_time_value(node.get("taken_at_timestamp")),
        caption=caption,
        counts=counts,
        music=music,
        is_pinned=bool(node.get("pinned_for_users")),
        media_urls=[media] if media else [],
        raw=node,
    )


def _first_count(node: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = count(dig(node, key, "count"))
        if value is not None:
            return value
    return None


def _account_from_user(user: dict[str, Any]) -> RawAccount:
    handle = ident(user.get("username"))
    return RawAccount(
        platform=PLATFORM,
        platform_account_id=ident(user.get("pk")) or ident(user.get("id")),
        handle=handle,
        display_name=text(user.get("full_name")) or None,
        url=f"https://www.instagram.com/{handle}/",
        raw=user,
    )


# --- embeds ----------------------------------------------------------------------------------


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.instagram-media``; only captioned embeds give posts."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "instagram-media")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, kind="embed", posts=posts)


def embed_permalink(block: Any) -> str | None:
    """The post permalink of an embed: ``data-instgrm-permalink`` or its first post link."""
    permalink = block.get("data-instgrm-permalink")
    if permalink and _PERMALINK.search(permalink):
        return str(permalink)
    for href in block.xpath(".//a/@href"):
        if _PERMALINK.search(href):
            return str(href)
    return None


def shortcode_from_url(url: str | None) -> str | None:
    """The shortcode in an Instagram post URL, or None."""
    match = _PERMALINK.search(url or "")
    return match.group(1) if match else None


def post_from_blockquote(block: Any, source_url: str | None = None) -> RawPost | None:
    """Read a captioned (legacy, v7-v12) embed: caption paragraph, byline, ``<time datetime>``.

    Newer embeds (v14) only show "View this post on Instagram" and the byline: no caption and no
    time, so None is returned and only the permalink is known.
    """
    permalink = embed_permalink(block)
    code = shortcode_from_url(permalink)
    if not code:
        return None
    paragraphs = block.xpath(".//p")
    byline_index = None
    for index, paragraph in enumerate(paragraphs):
        if paragraph.xpath(".//time") or _BYLINE_HANDLE.search(element_text(paragraph)):
            byline_index = index
    caption_parts = [
        element_text(p) for p in paragraphs[: byline_index if byline_index is not None else None]
    ]
    caption = "\n\n".join(part for part in caption_parts if part) or None
    if caption is None:
        return None
    handle = name = posted_at = None
    if byline_index is not None:
        byline = paragraphs[byline_index]
        text = element_text(byline)
        match = _BYLINE_HANDLE.search(text)
        handle = match.group(1) if match else None
        profile_links = [
            a for a in byline.xpath(".//a") if not _PERMALINK.search(a.get("href", ""))
        ]
        if profile_links:
            name = element_text(profile_links[0]) or None
        elif match:
            name = _BYLINE_PREFIXES.sub("", text[: match.start()].strip()).strip() or None
        times = byline.xpath(".//time/@datetime")
        posted_at = str(times[0]) if times else None
    return RawPost(
        platform=PLATFORM,
        platform_post_id=code,
        url=f"https://www.instagram.com/p/{code}/",
        source_url=source_url,
        source_kind="embed",
        author_handle=handle,
        author_name=name,
        posted_at=posted_at,
        caption=caption,
    )


def _load_object(body: str | bytes, what: str) -> dict[str, Any]:
    data = load_json(body, what)
    if not isinstance(data, dict):
        raise ParseError(f"{what}: expected a JSON object")
    return data


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 20:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _time_value(value: Any) -> int | float | str | None:
    """A time as sent (unix seconds, int or string); anything else is no time."""
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | float | str) else None
