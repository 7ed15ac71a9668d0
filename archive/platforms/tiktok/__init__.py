"""TikTok parsers: video/photo/profile pages, SIGI_STATE, item_list JSON, oEmbed, embeds.

One module per kind of payload: ``pages`` (HTML pages and what their status says),
``item_lists`` (the item_list API and exports), ``embeds`` (oEmbed, blockquotes), all reading
posts through ``item`` (the web item). This module names the kinds and recognises them.
"""

from __future__ import annotations

from typing import Any

from archive.platforms.decoding import script_json
from archive.platforms.tiktok.embeds import parse_embed, parse_oembed, post_from_blockquote
from archive.platforms.tiktok.item import PLATFORM, is_web_item, post_kind_and_id, unwrap_export
from archive.platforms.tiktok.item_lists import parse_item_list, parse_items
from archive.platforms.tiktok.pages import (
    CHALLENGE_MARKERS,
    REHYDRATION_ID,
    page_observations,
    parse_blocked_page,
    parse_page,
    parse_photo_page,
    parse_profile_page,
    parse_rehydration,
    parse_sigi_state,
    parse_sigi_state_page,
    parse_video_page,
    rehydration_kind,
)

__all__ = [
    "KINDS",
    "PLATFORM",
    "detect_html_kind",
    "detect_json_kind",
    "page_observations",
    "parse_blocked_page",
    "parse_embed",
    "parse_item_list",
    "parse_items",
    "parse_oembed",
    "parse_page",
    "parse_photo_page",
    "parse_profile_page",
    "parse_rehydration",
    "parse_sigi_state",
    "parse_sigi_state_page",
    "parse_video_page",
    "post_from_blockquote",
    "post_kind_and_id",
]

KINDS = (
    "video_page",
    "photo_page",
    "profile_page",
    "sigi_state_page",
    "blocked_page",
    "item_list",
    "oembed",
    "embed",
    "items",
)


def detect_html_kind(text: str) -> str | None:
    """Name the TikTok page kind of an HTML body, or None when it is not a TikTok page."""
    if REHYDRATION_ID in text:
        data = script_json(text, REHYDRATION_ID)
        return rehydration_kind(data) if isinstance(data, dict) else "blocked_page"
    if "SIGI_STATE" in text or "sigi-persisted-data" in text:
        return "sigi_state_page"
    if "tiktok-embed" in text and "<blockquote" in text:
        return "embed"
    if any(marker in text for marker in CHALLENGE_MARKERS):
        return "blocked_page"
    return None


def detect_json_kind(data: Any, url: str | None = None) -> str | None:
    """Name the TikTok kind of a decoded JSON payload, or None when it is not TikTok's."""
    if isinstance(data, dict):
        if "__DEFAULT_SCOPE__" in data:
            return rehydration_kind(data)
        if "ItemModule" in data or "VideoPage" in data:
            return "sigi_state_page"
        if isinstance(data.get("itemList"), list) or "hasMorePrevious" in data:
            return "item_list"
        if "embed_product_id" in data or data.get("provider_name") == "TikTok":
            return "oembed"
        if is_web_item(unwrap_export(data)):
            # One web item on its own: what a post keeps as its raw payload (``podium reprocess``).
            return "items"
        return None
    if isinstance(data, list) and data and all(is_web_item(unwrap_export(x)) for x in data):
        return "items"
    return None
