"""Instagram parsers: embed blockquotes, post JSON (api v1 / xdt item, GraphQL shortcode_media),
profile timelines (web_profile_info edges, v1 feed ``items``), arrays of media items, yt-dlp's
Instagram info dicts and instaloader post files.

One module per kind of payload: ``responses`` (JSON responses), ``embeds`` (blockquotes), all
reading posts through ``media`` (the v1 item and the GraphQL node). This module names the kinds
and recognises them.

Identity: ``platform_post_id`` is the shortcode (``code``), the one key every route shows:
embeds and permalinks carry only the shortcode, JSON carries it beside the numeric ``pk``.
"""

from __future__ import annotations

from typing import Any

from archive.platforms import ytdlp
from archive.platforms.instagram.embeds import (
    embed_permalink,
    parse_embed,
    post_from_blockquote,
    shortcode_from_url,
)
from archive.platforms.instagram.media import PLATFORM, is_v1_item
from archive.platforms.instagram.responses import (
    array_item,
    find_profile_user,
    find_shortcode_media,
    find_timeline_connection,
    parse_graphql_post,
    parse_item_array,
    parse_post,
    parse_user_feed,
    parse_web_profile_info,
)
from archive.records import ParseResult

__all__ = [
    "PARSER_KINDS",
    "PLATFORM",
    "detect_json_parser_kind",
    "embed_permalink",
    "parse_embed",
    "parse_graphql_post",
    "parse_item_array",
    "parse_post",
    "parse_user_feed",
    "parse_web_profile_info",
    "parse_ytdlp_info",
    "post_from_blockquote",
    "shortcode_from_url",
]

PARSER_KINDS = (
    "embed",
    "post",
    "graphql_post",
    "web_profile_info",
    "user_feed",
    "item_array",
    "ytdlp_info",
)


def parse_ytdlp_info(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse yt-dlp's Instagram info dicts (``.info.json``, ``--dump-json`` lines)."""
    return ytdlp.parse_info(body, url, PLATFORM)


def detect_json_parser_kind(data: Any, url: str | None = None) -> str | None:
    """Name the Instagram parser kind of a decoded JSON payload, or None when it is not Instagram's.

    A top-level array is an ``item_array`` when every element is a media item (or its edge).
    """
    if isinstance(data, list):
        elements = [array_item(e) for e in data]
        return "item_array" if elements and None not in elements else None
    if not isinstance(data, dict):
        return None
    if ytdlp.extractor_platform(data) == PLATFORM:
        return "ytdlp_info"
    if find_shortcode_media(data) is not None:
        return "graphql_post"
    if find_profile_user(data) is not None:
        return "web_profile_info"
    if find_timeline_connection(data) is not None:
        return "user_feed"
    found = data.get("items")
    if isinstance(found, list) and found and all(is_v1_item(i) for i in found):
        single = len(found) == 1 and "next_max_id" not in data and "user" not in data
        return "post" if single else "user_feed"
    if (
        isinstance(found, list)
        and not found
        and ("more_available" in data or "next_max_id" in data)
    ):
        return "user_feed"
    if is_v1_item(data):
        return "post"
    return None
