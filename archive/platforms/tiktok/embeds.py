"""TikTok embeds: oEmbed answers and ``blockquote.tiktok-embed`` markup."""

from __future__ import annotations

import re
from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import (
    as_text,
    element_text,
    load_json,
    parse_fragment,
    parse_html,
    strip_query,
)
from archive.platforms.fields import ident, text
from archive.platforms.fields import url as http_url
from archive.platforms.tiktok.item import PLATFORM, post_id_from_url, post_url
from archive.records import ParseResult, RawPost, RawSound
from archive.textrepair import TextRepairs

_HANDLE_IN_URL = re.compile(r"tiktok\.com/@([^/?#]+)")
_TAG_LINK = re.compile(r"tiktok\.com/@")


def parse_oembed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a TikTok oEmbed response.

    ``title`` is the caption exactly as ``desc`` (trailing space included), so the post is a
    platform observation; the sound's title and id come from the ``html`` blockquote's ♬ link.
    oEmbed carries no time and no counts.
    """
    data = load_json(body, "TikTok oEmbed")
    if not isinstance(data, dict):
        raise ParseError("TikTok oEmbed: expected a JSON object")
    embed: RawPost | None = None
    repairs = TextRepairs()
    html = repairs.fix("caption", text(data.get("html")))
    if html:
        blocks = parse_fragment(html).xpath('.//blockquote[contains(@class, "tiktok-embed")]')
        if blocks:
            embed = post_from_blockquote(blocks[0], url)
    post_id = ident(data.get("embed_product_id")) or (embed.platform_post_id if embed else None)
    if not post_id:
        raise ParseError("TikTok oEmbed: no embed_product_id")
    handle = ident(data.get("author_unique_id")) or (embed.author_handle if embed else None)
    caption = text(data.get("title"))
    if caption is not None:
        repairs.notes.clear()  # the embed's text, repaired before lxml, is not the caption
    post = RawPost(
        platform=PLATFORM,
        platform_post_id=post_id,
        url=(embed.url if embed else None) or post_url(handle, post_id, photo=False),
        source_url=url,
        source_kind="platform" if caption is not None else "embed",
        kind=text(data.get("embed_type")) or "video",
        author_handle=handle,
        author_name=text(data.get("author_name")),
        caption=caption if caption is not None or embed is None else embed.caption,
        sound=embed.sound if embed else None,
        hashtags=embed.hashtags if embed else None,
        raw=data,
        repairs=repairs.notes,
    )
    return ParseResult(platform=PLATFORM, parser_kind="oembed", posts=[post])


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.tiktok-embed`` elements (an oEmbed ``html`` saved alone)."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "tiktok-embed")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, parser_kind="embed", posts=posts)


def post_from_blockquote(block: Any, source_url: str | None = None) -> RawPost | None:
    """Read one ``blockquote.tiktok-embed``; None for creator (profile) embeds without a video.

    The caption is the embed's visible text, one line each: ``@author``, the caption paragraph,
    ``♬ title - artist``. The normalizer strips the first and last (DESIGN §3). Structured sound
    data comes from the ♬ link: ``title="♬ <title> - <artist>"`` split at the last `` - ``, and the
    sound id is the number ending the link's slug. Whether the sound is original is unknown here.
    """
    cite = block.get("cite") or ""
    post_id = ident(block.get("data-video-id")) or post_id_from_url(cite)
    if not post_id:
        return None
    handle_match = _HANDLE_IN_URL.search(cite)
    handle = handle_match.group(1) if handle_match else None
    lines: list[str] = []
    hashtags: list[str] = []
    sound = None
    section = block.find(".//section")
    container = section if section is not None else block
    for node in container:
        if not isinstance(node.tag, str):
            continue
        href = node.get("href") or ""
        text = element_text(node)
        if node.tag == "a" and "/music/" in href:
            sound = _sound_from_embed_link(node.get("title") or text, href)
        elif node.tag == "a" and _TAG_LINK.search(href) and handle is None:
            handle = text.lstrip("@") or None
        if node.tag == "p":
            for link in node.xpath('.//a[contains(@href, "/tag/")]'):
                tag = link.get("title") or element_text(link).lstrip("#")
                if tag and tag not in hashtags:
                    hashtags.append(tag)
        if text:
            lines.append(text)
    photo = "/photo/" in cite
    return RawPost(
        platform=PLATFORM,
        platform_post_id=post_id,
        url=http_url(strip_query(cite)) or post_url(handle, post_id, photo=photo),
        source_url=source_url,
        source_kind="embed",
        kind="photo" if photo else "video",
        author_handle=handle,
        caption="\n".join(lines) if lines else None,
        sound=sound,
        hashtags=hashtags or None,
        hashtags_complete=False,
    )


def _sound_from_embed_link(title: str, href: str) -> RawSound:
    label = title.strip().removeprefix("♬").strip()
    name, sep, artist = label.rpartition(" - ")
    return RawSound(
        title=name if sep else label,
        artist=artist if sep else None,
        is_original=None,
        platform_sound_id=_sound_id_from_url(href),
    )


def _sound_id_from_url(href: str) -> str | None:
    """The sound id that ends a TikTok music link's slug
    (``/music/original-sound-7336007642428508970``): the digits before the query or fragment
    of the first ``/music/`` link that ends in digits.
    Read by string operations: a lazy regex here is quadratic in a long run of digits."""
    for part in href.split("/music/")[1:]:
        slug = re.split(r"[?#]", part, maxsplit=1)[0].removesuffix("\n")
        digits = len(slug) - len(slug.rstrip("0123456789"))
        if digits:
            return slug[-digits:]
    return None
