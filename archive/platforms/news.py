"""News article parser: metadata (JSON-LD, microdata, Open Graph, HTML) and every embedded post,
in order.

JSON-LD is read here, not by extruct: a page's JSON-LD is often not quite JSON (trailing commas,
HTML-escaped quotes), which extruct refuses, costing every JSON-LD block of the page; here each
block is read leniently and with a nesting bound. Microdata is read by extruct.

Embeds found: TikTok, Instagram, X and Bluesky blockquotes (their own text becomes a
``source_kind="embed"`` post when the markup carries it), Mastodon blockquotes, and iframes of
YouTube (also ``youtube-nocookie``, lazy ``data-src``), TikTok, Instagram, Mastodon and Bluesky
(URL only). An embed that carries only a URL has ``post=None``: the spider fetches it.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from typing import Any

from archive.platforms import bluesky, instagram, tiktok, x
from archive.platforms.decoding import as_text, element_text, load_json_lenient, parse_html
from archive.platforms.fields import obj, text
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, RawArticle, RawEmbed, RawPost

logger = logging.getLogger(__name__)

PLATFORM = "news"

PARSER_KINDS = ("article",)

_ARTICLE_TYPES = frozenset(
    {
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "Article",
        "BlogPosting",
        "LiveBlogPosting",
        "SportsArticle",
        "OpinionNewsArticle",
    }
)
_BLOCKQUOTE_PLATFORMS = {
    "tiktok-embed": "tiktok",
    "instagram-media": "instagram",
    "twitter-tweet": "x",
    "bluesky-embed": "bluesky",
    "mastodon-embed": "mastodon",
}
_SRC_ATTRIBUTES = ("src", "data-src", "data-lazy-src", "data-url")
_YOUTUBE_EMBED = re.compile(r"(?:youtube(?:-nocookie)?\.com/embed/|youtu\.be/)([\w-]{11})")
_TIKTOK_EMBED = re.compile(r"tiktok\.com/(?:embed/v2|embed|player/v1)/(\d+)")
_INSTAGRAM_EMBED = re.compile(r"instagram\.com/(?:p|reel|tv)/([\w-]+)/embed")
_MASTODON_EMBED = re.compile(r"^(https?://[^/]+/@[\w.@-]+/\d+)/embed")
_BLUESKY_EMBED = re.compile(r"embed\.bsky\.app/embed/(did:[^/]+)/app\.bsky\.feed\.post/(\w+)")


def parse_article(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a news article page into a :class:`RawArticle` with its embeds in document order.

    Each embed's own post (when the markup shows text) is both ``embed.post`` and an element of
    ``result.posts``, with the article as ``source_url``.
    """
    root = parse_html(as_text(body))
    article = _extract_metadata(root, url)
    source_url = url or article.url
    article.embeds = _extract_embeds(root, source_url)
    posts = [embed.post for embed in article.embeds if embed.post is not None]
    return ParseResult(platform=PLATFORM, parser_kind="article", posts=posts, article=article)


# --- metadata --------------------------------------------------------------------------------


def _extract_metadata(root: Any, url: str | None) -> RawArticle:
    """Each field from the first source that has it: JSON-LD, microdata, then og:/HTML."""
    ld = _find_json_ld_article(root)
    md = _find_microdata_article(root, url)
    meta = _meta_tags(root)
    canonical = root.xpath('//link[@rel="canonical"]/@href')
    title_tags = root.xpath("//title")
    times = root.xpath("//article//time[@datetime][not(ancestor::blockquote)]/@datetime")
    page_url = (
        http_url(str(canonical[0]).strip() if canonical else None)
        or http_url(meta.get("og:url"))
        or http_url(_ld_url(ld))
        or http_url(_ld_url(md))
        or url
    )
    return RawArticle(
        url=page_url,
        title=_first(
            text(ld.get("headline")),
            text(md.get("headline")),
            meta.get("og:title"),
            element_text(title_tags[0]) if title_tags else None,
        ),
        published_at=_first(
            text(ld.get("datePublished")),
            text(md.get("datePublished")),
            meta.get("article:published_time"),
            meta.get("og:published_time"),
            str(times[0]) if times else None,
        ),
        author=_first(
            _ld_names(ld.get("author")),
            _ld_names(md.get("author")),
            meta.get("article:author"),
            meta.get("author"),
        ),
        publisher=_first(
            _ld_names(ld.get("publisher")), _ld_names(md.get("publisher")), meta.get("og:site_name")
        ),
        language=_first(
            _ld_language(ld.get("inLanguage")),
            _ld_language(md.get("inLanguage")),
            root.get("lang"),
            meta.get("og:locale"),
        ),
        description=_first(
            text(ld.get("description")),
            text(md.get("description")),
            meta.get("og:description"),
            meta.get("description"),
        ),
    )


def _find_json_ld_article(root: Any) -> dict[str, Any]:
    """The first JSON-LD object typed as an article (top level, in lists or in ``@graph``)."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        text = script.text or ""
        data = load_json_lenient(text)
        if data is None:
            data = load_json_lenient(html.unescape(text))
        for item in _walk_json_ld(data):
            if _is_article(item):
                return item
    return {}


def _is_article(item: dict[str, Any]) -> bool:
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t in _ARTICLE_TYPES for t in types)


#: Bounds on a page's microdata before extruct reads it (a real article nests a few levels:
#: article > author > organization > logo; a page past these is no article, or hostile).
MAX_MICRODATA_DEPTH = 24
MAX_MICRODATA_ITEMS = 500


@functools.cache
def _microdata_extractor() -> Any:
    # Imported on first use: extruct's package import pulls in rdflib (a second's start-up for
    # every command that never reads an article).
    from extruct.w3cmicrodata import MicrodataExtractor

    return MicrodataExtractor()


def _find_microdata_article(root: Any, url: str | None) -> dict[str, Any]:
    """The first microdata item (``itemscope``, nested ones included) typed as a schema.org
    article, in JSON-LD's shape (``@type``, properties as keys, nested items as objects)."""
    if not root.xpath("//*[@itemscope][1]"):
        return {}
    if _microdata_too_deep(root):
        # extruct reads nested items recursively, at a cost that grows steeply with the depth:
        # a page nesting items this deep is no article, and must not stall the crawl.
        logger.warning("news: microdata nested too deep, not read (url %s)", url)
        return {}
    try:
        stack: list[Any] = list(reversed(_microdata_extractor().extract_items(root, url)))
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                if any(t in _ARTICLE_TYPES for t in _schema_types(node)):
                    return _ld_from_microdata(node)
                stack.extend(reversed(list(obj(node.get("properties")).values())))
    except RecursionError:
        # extruct reads nested items recursively; a page nesting hundreds of them is no article.
        logger.warning("news: microdata nested too deep, not read (url %s)", url)
    except ValueError as exc:
        # A link property extruct cannot join to the page URL ("http://[::1"): the page's
        # microdata is lost, not the article.
        logger.warning("news: microdata not read (url %s): %s", url, exc)
    return {}


def _microdata_too_deep(root: Any) -> bool:
    """More than ``MAX_MICRODATA_DEPTH`` items nested in one another, or more than
    ``MAX_MICRODATA_ITEMS`` on the page."""
    items = root.xpath("//*[@itemscope]")
    if len(items) > MAX_MICRODATA_ITEMS:
        return True
    nested = f"count(ancestor::*[@itemscope]) >= {MAX_MICRODATA_DEPTH}"
    return bool(root.xpath(f"boolean(//*[@itemscope][{nested}])"))


def _schema_types(item: dict[str, Any]) -> list[str]:
    """``http://schema.org/NewsArticle`` -> ``NewsArticle`` (an ``itemtype`` may list several)."""
    types = item.get("type")
    return [
        t.rstrip("/").rsplit("/", 1)[-1]
        for t in (types if isinstance(types, list) else [types])
        if isinstance(t, str)
    ]


def _ld_from_microdata(item: dict[str, Any]) -> dict[str, Any]:
    """A microdata item as JSON-LD: types as ``@type``, properties as keys, nested items as
    objects; an item without properties (``<span itemprop=author itemscope>Name</span>``) is
    named by its text."""
    out: dict[str, Any] = {"@type": _schema_types(item)}
    properties = obj(item.get("properties"))
    if not properties and isinstance(item.get("value"), str):
        out["name"] = item["value"]
    for key, value in properties.items():
        values = value if isinstance(value, list) else [value]
        read = [_ld_from_microdata(v) if isinstance(v, dict) else v for v in values]
        out[key] = read if isinstance(value, list) else read[0]
    return out


def _walk_json_ld(data: Any) -> list[dict[str, Any]]:
    """Objects at the top level, in lists and in ``@graph``, in document order (iteratively)."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            found.append(node)
            stack.append(node.get("@graph"))
    return found


def _meta_tags(root: Any) -> dict[str, str]:
    """``og:*``/``article:*`` properties and ``description``/``author`` names; first one wins."""
    found: dict[str, str] = {}
    for element in root.xpath("//meta[@content]"):
        key = element.get("property") or element.get("name")
        content = (element.get("content") or "").strip()
        if key and content and key.lower() not in found:
            found[key.lower()] = content
    return found


def _ld_url(ld: dict[str, Any]) -> str | None:
    entity = ld.get("mainEntityOfPage")
    if isinstance(entity, dict):
        entity = entity.get("@id") or entity.get("url")
    for candidate in (ld.get("url"), entity):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _ld_names(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        name = value.get("name")
        return name.strip() if isinstance(name, str) and name.strip() else None
    if isinstance(value, list):
        names = [n for n in (_ld_names(v) for v in value if not isinstance(v, list)) if n]
        return ", ".join(names) or None
    return None


def _ld_language(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    return value if isinstance(value, str) and value else None


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


# --- embeds ----------------------------------------------------------------------------------


def _extract_embeds(root: Any, source_url: str | None) -> list[RawEmbed]:
    embeds: list[RawEmbed] = []
    seen: set[tuple[str, str]] = set()
    # Document order, without descending into a blockquote that was read as an embed (its
    # links and iframes belong to it). Iterative: no recursion, linear in the elements.
    stack: list[Any] = [root]
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        found = _embed_from_blockquote(element, source_url) if element.tag == "blockquote" else None
        if found is None:
            stack.extend(reversed(element))
            found = _embed_from_frame(element)
        if found is None:
            continue
        platform, post_url, post_id, post = found
        key = (platform, post_id or post_url or "")
        if key in seen:
            continue
        seen.add(key)
        embeds.append(
            RawEmbed(
                platform=platform,
                url=post_url,
                platform_post_id=post_id,
                position=len(embeds),
                post=post,
            )
        )
    return embeds


_Found = tuple[str, str | None, str | None, RawPost | None]


def _embed_from_blockquote(block: Any, source_url: str | None) -> _Found | None:
    classes = set((block.get("class") or "").split())
    platform = next((p for css, p in _BLOCKQUOTE_PLATFORMS.items() if css in classes), None)
    if platform == "tiktok":
        post = tiktok.post_from_blockquote(block, source_url)
        if post is None:  # a creator (profile) embed: no post
            return None
        return "tiktok", post.url, post.platform_post_id, post
    if platform == "instagram":
        code = instagram.shortcode_from_url(instagram.embed_permalink(block))
        if code is None:
            return None
        post = instagram.post_from_blockquote(block, source_url)
        return "instagram", f"https://www.instagram.com/p/{code}/", code, post
    if platform == "x":
        status = x.embed_status(block)
        if status is None:
            return None
        return "x", status[0], status[2], x.post_from_blockquote(block, source_url)
    if platform == "bluesky":
        post = bluesky.post_from_blockquote(block, source_url)
        if post is None:
            return None
        return "bluesky", post.url, post.platform_post_id, _with_text(post)
    if platform == "mastodon":
        embed_url = block.get("data-embed-url") or next(iter(block.xpath(".//a/@href")), None)
        if not embed_url:
            return None
        match = _MASTODON_EMBED.match(embed_url)
        # Only the instance-local status URL is in the markup; the spider fetches the status.
        return "mastodon", match.group(1) if match else embed_url, None, None
    return None


def _embed_from_frame(element: Any) -> _Found | None:
    if element.tag == "lite-youtube" and element.get("videoid"):
        video_id = element.get("videoid")
        return "youtube", f"https://www.youtube.com/watch?v={video_id}", video_id, None
    if element.tag not in ("iframe", "div", "figure", "span", "section"):
        return None
    for attribute in _SRC_ATTRIBUTES:
        src = element.get(attribute)
        if not src:
            continue
        if match := _YOUTUBE_EMBED.search(src):
            video_id = match.group(1)
            return "youtube", f"https://www.youtube.com/watch?v={video_id}", video_id, None
        if element.tag != "iframe":
            continue
        if match := _TIKTOK_EMBED.search(src):
            return (
                "tiktok",
                f"https://www.tiktok.com/@_/video/{match.group(1)}",
                match.group(1),
                None,
            )
        if match := _INSTAGRAM_EMBED.search(src):
            code = match.group(1)
            return "instagram", f"https://www.instagram.com/p/{code}/", code, None
        if match := _MASTODON_EMBED.match(src):
            return "mastodon", match.group(1), None, None
        if match := _BLUESKY_EMBED.search(src):
            did, rkey = match.groups()
            uri = f"at://{did}/app.bsky.feed.post/{rkey}"
            return "bluesky", f"https://bsky.app/profile/{did}/post/{rkey}", uri, None
    return None


def _with_text(post: RawPost) -> RawPost | None:
    return post if post.caption else None
