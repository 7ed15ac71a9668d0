"""One Instagram media item as a RawPost: the v1/xdt item and the GraphQL edge node.

Identity: ``platform_post_id`` is the shortcode (``code``), the one key every route shows:
embeds and permalinks carry only the shortcode, JSON carries it beside the numeric ``pk``.
"""

from __future__ import annotations

from typing import Any

from archive.platforms.fields import count, dig, ident, int_or_none, obj, objs, text, time_value
from archive.platforms.fields import url as http_url
from archive.records import Platform, RawAccount, RawPost, RawSound

PLATFORM: Platform = "instagram"

_MEDIA_KINDS = {1: "photo", 2: "video", 8: "carousel"}
_TYPENAME_KINDS = {"GraphImage": "photo", "GraphVideo": "video", "GraphSidecar": "carousel"}


def item_code(item: dict[str, Any]) -> str | None:
    """The shortcode of a v1 item: ``code``, which some scrapers write out as ``shortcode``."""
    return ident(item.get("code")) or ident(item.get("shortcode"))


def is_v1_item(value: Any) -> bool:
    """True for a v1/xdt media item: a shortcode and ``taken_at`` (unix seconds)."""
    return isinstance(value, dict) and "taken_at" in value and item_code(value) is not None


def is_graph_node(value: Any) -> bool:
    """True for a GraphQL edge node: ``shortcode`` and ``taken_at_timestamp``."""
    return (
        isinstance(value, dict)
        and "taken_at_timestamp" in value
        and ident(value.get("shortcode")) is not None
    )


def post_from_item(item: dict[str, Any], source_url: str | None) -> RawPost:
    """Locate the fields of a v1/xdt media item.

    Reduced dumps may leave ``user`` out: the post then has no author. Its ``id`` ends in the
    owner's pk, but naming the author is left to whoever knows (an import's ``--athlete``).
    """
    user = obj(item.get("user")) or obj(item.get("owner"))
    code = str(item_code(item))  # is_v1_item made sure there is one
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
        kind=_MEDIA_KINDS.get(int_or_none(item.get("media_type")) or 0),
        author_handle=ident(user.get("username")),
        author_id=ident(user.get("pk")) or ident(user.get("id")),
        author_name=text(user.get("full_name")) or None,
        posted_at=time_value(item.get("taken_at")),
        caption=text(dig(item, "caption", "text")),
        counts=counts,
        sound=_sound_from_clips(item.get("clips_metadata")),
        is_pinned=bool(item.get("timeline_pinned_user_ids")),
        media_urls=_item_media_urls(item),
        raw=item,
    )


def _sound_from_clips(clips: Any) -> RawSound | None:
    """Licensed track from ``music_info.music_asset_info``; original audio from
    ``original_sound_info`` (its ``ig_artist`` may be another account whose sound is reused)."""
    if not isinstance(clips, dict):
        return None
    asset = dig(clips, "music_info", "music_asset_info")
    if isinstance(asset, dict) and asset:
        return RawSound(
            title=text(asset.get("title")),
            artist=text(asset.get("display_artist")),
            is_original=False,
            platform_sound_id=ident(asset.get("audio_cluster_id"))
            or ident(asset.get("audio_asset_id")),
        )
    original = clips.get("original_sound_info")
    if isinstance(original, dict):
        return RawSound(
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


def post_from_node(node: dict[str, Any], source_url: str | None) -> RawPost:
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
        music = RawSound(
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
        posted_at=time_value(node.get("taken_at_timestamp")),
        caption=caption,
        counts=counts,
        sound=music,
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


def account_from_user(user: dict[str, Any]) -> RawAccount:
    """The account a v1 ``user`` object describes."""
    handle = ident(user.get("username"))
    return RawAccount(
        platform=PLATFORM,
        platform_account_id=ident(user.get("pk")) or ident(user.get("id")),
        handle=handle,
        display_name=text(user.get("full_name")) or None,
        url=f"https://www.instagram.com/{handle}/",
        raw=user,
    )
