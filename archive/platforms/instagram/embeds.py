"""Instagram embed blockquotes (``blockquote.instagram-media``, legacy captioned and v14)."""

from __future__ import annotations

import re
from typing import Any

from archive.platforms.decoding import as_text, element_text, parse_html
from archive.platforms.instagram.media import PLATFORM
from archive.records import ParseResult, RawPost

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


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.instagram-media``; only captioned embeds give posts."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "instagram-media")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, parser_kind="embed", posts=posts)


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
