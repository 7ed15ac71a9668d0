"""Pure payload parsers, one module per platform; ``parse_payload`` recognises and dispatches.

Detection (when ``platform``/``parser_kind`` are not given) looks at the content first and uses
the URL only as a hint:

- JSON (body starts with ``{`` or ``[``): each platform's ``detect_json_parser_kind`` is asked in
  turn, the URL's platform first (TikTok ``__DEFAULT_SCOPE__``/``ItemModule``/``itemList``/oEmbed
  ``embed_product_id``/lists of web items; Bluesky ``at://`` post views, ``feed``, ``thread``,
  ``posts``, ``did``+``handle``; Mastodon Status lists and objects, ``acct`` accounts; Instagram
  ``items``, ``shortcode_media``, bare GraphQL nodes and instaloader post files, ``data.user``; X
  ``id_str``+``text``; yt-dlp info dicts on the platform their ``extractor_key`` names). A
  top-level array is recognised by its items: every element must be that platform's item (TikTok
  web items, Bluesky post views, Mastodon statuses, Instagram media items). NDJSON is read as yt-dlp
  ``--dump-json`` lines or TikTok export lines.
- XML (``<?xml``, ``<feed``, ``<rss``, ``<entry``): YouTube Atom feeds (``yt:`` namespace), or
  one feed ``<entry>`` on its own (what a YouTube post keeps as its raw payload); Mastodon
  account RSS (``<generator>Mastodon``, or items linking ``/@<user>/<id>`` statuses).
- HTML: a TikTok page (rehydration script, SIGI_STATE, challenge shell); a bare fragment holding
  embed blockquotes is that platform's ``embed`` parser kind; any other HTML document is a news
  ``article``. HTML fetched from a TikTok URL without any data is a ``blocked_page``.

Anything else raises :class:`archive.errors.ParseError` with a one-line reason.

``parse_payload`` is the boundary: whatever happens inside a parser, the caller gets a
:class:`ParseResult` whose every record passed :func:`archive.platforms.validation.validate_result`,
or a :class:`ParseError` with a one-line, printable reason, never another exception.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from archive.errors import ParseError
from archive.platforms import bluesky, instagram, mastodon, news, tiktok, x, youtube, ytdlp
from archive.platforms.decoding import as_text, decode_json, host_of, load_json
from archive.platforms.validation import validate_result
from archive.records import ParseResult
from archive.textrepair import repair_text

logger = logging.getLogger(__name__)

#: A ParseError reason is cut to this many characters (a key or value may be 5 MB long).
_MAX_REASON = 300

_MODULES: dict[str, ModuleType] = {
    "tiktok": tiktok,
    "instagram": instagram,
    "bluesky": bluesky,
    "mastodon": mastodon,
    "youtube": youtube,
    "x": x,
    "news": news,
}

#: platform -> the parser kinds (kinds of payload) its parser recognises.
PARSER_KINDS: dict[str, tuple[str, ...]] = {
    name: module.PARSER_KINDS for name, module in _MODULES.items()
}

# Hosts that say which platform a URL belongs to (a hint only; content decides).
_HOSTS = {
    "tiktok.com": "tiktok",
    "vm.tiktok.com": "tiktok",
    "instagram.com": "instagram",
    "i.instagram.com": "instagram",
    "bsky.app": "bluesky",
    "public.api.bsky.app": "bluesky",
    "api.bsky.app": "bluesky",
    "embed.bsky.app": "bluesky",
    "youtube.com": "youtube",
    "twitter.com": "x",
    "x.com": "x",
    "cdn.syndication.twimg.com": "x",
    "publish.twitter.com": "x",
}

_HTML_TAG = re.compile(r"<[A-Za-z!/][^<>]*>")

# Embed blockquote classes that make an HTML fragment one platform's ``embed`` payload.
_EMBED_CLASSES = {
    "tiktok-embed": "tiktok",
    "instagram-media": "instagram",
    "twitter-tweet": "x",
    "bluesky-embed": "bluesky",
}


def parse_payload(
    body: str | bytes,
    *,
    url: str | None = None,
    platform: str | None = None,
    parser_kind: str | None = None,
) -> ParseResult:
    """Recognise ``body`` (unless ``platform``/``parser_kind`` say what it is) and parse it.

    Raises :class:`ParseError` (one printable line) when the payload cannot be read; any other
    exception inside a parser is a bug, logged with its traceback and raised as a ParseError
    too, so spiders and ``podium parse`` always get a reason, never a traceback.
    """
    where = f"{platform or 'payload'}{f' {parser_kind}' if parser_kind else ''}"
    try:
        if platform is not None and platform not in _MODULES:
            raise ParseError(f"unknown platform {platform!r}")
        if platform is None or parser_kind is None:
            platform, detected = detect_payload(body, url=url, platform=platform)
            parser_kind = parser_kind or detected
        where = f"{platform} {parser_kind}"
        result = _dispatch(platform, parser_kind, body, url)
        if not isinstance(result, ParseResult):
            raise TypeError(f"parser returned {type(result).__name__}, not a ParseResult")
        return validate_result(result)
    except ParseError as exc:
        reason = _one_line(str(exc))
        if reason == str(exc):
            raise
        raise ParseError(reason) from exc
    except Exception as exc:
        # The boundary (issue 8): a parser bug costs this payload, with a reason, not the crawl.
        logger.exception("%s: parser failed (url %s)", where, url)
        raise ParseError(
            _one_line(f"{where}: parser failed ({type(exc).__name__}: {exc})")
        ) from exc


def _one_line(reason: str) -> str:
    """A reason as one printable line of at most ``_MAX_REASON`` characters."""
    line = " ".join(repair_text(reason[: _MAX_REASON * 4])[0].split())
    line = "".join(ch if ch.isprintable() else "\ufffd" for ch in line)
    if len(line) > _MAX_REASON:
        line = line[: _MAX_REASON - 1] + "…"
    return line or "unreadable payload"


def detect_payload(
    body: str | bytes, *, url: str | None = None, platform: str | None = None
) -> tuple[str, str]:
    """``(platform, parser_kind)`` of ``body``; raises :class:`ParseError` when unrecognised."""
    text = as_text(body).lstrip("\ufeff \t\r\n")
    if not text:
        raise ParseError("not a payload Podium knows: the file is empty")
    if _looks_binary(text):
        raise ParseError("not a payload Podium knows: binary data, not text")
    hinted = platform or platform_from_url(url)
    if text[0] in "{[":
        return _detect_json(text, url, platform, hinted)
    if text.startswith(("<?xml", "<feed", "<rss", "<entry")) and "<html" not in text[:2000].lower():
        return _detect_xml(text, platform)
    if not _HTML_TAG.search(text):
        raise ParseError("not a payload Podium knows: neither JSON, XML nor HTML")
    return _detect_html(text, url, platform, hinted)


#: Characters no text payload is made of: C0 controls but tab and line and page breaks, and
#: what undecodable bytes became. A few (a NUL in a caption) are repaired; in random bytes
#: they are one in ten, in text (any encoding) next to none.
_NOISE = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")


def _looks_binary(text: str) -> bool:
    """Random bytes, an image, a database file: lxml would call them HTML, they are not."""
    sample = text[:4096]
    return len(_NOISE.findall(sample)) > len(sample) / 50


def _detect_json(
    text: str, url: str | None, platform: str | None, hinted: str | None
) -> tuple[str, str]:
    try:
        data = decode_json(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        tool = ytdlp.detect_lines(text) if len(lines) > 1 else None
        if tool is not None and platform in (None, tool):
            return tool, ytdlp.PARSER_KIND  # yt-dlp --dump-json: one info dict a line
        if len(lines) > 1 and platform in (None, "tiktok"):
            rows = [load_json(line, "NDJSON line") for line in lines]
            if tiktok.detect_json_parser_kind(rows) == "items":
                return "tiktok", "items"
        load_json(text)  # raises the ParseError describing the JSON problem
        raise  # pragma: no cover - load_json always raises here
    order = _platform_order(
        platform, hinted, ("tiktok", "bluesky", "mastodon", "instagram", "x", "youtube")
    )
    for name in order:
        module = _MODULES[name]
        detect: Callable[..., str | None] | None = getattr(module, "detect_json_parser_kind", None)
        if detect is None:
            continue
        found = detect(data, url)
        if found:
            return name, found
    raise ParseError(f"not a payload Podium knows: unrecognised JSON ({_describe(data)})")


def _detect_xml(text: str, platform: str | None) -> tuple[str, str]:
    for name, module in (("youtube", youtube), ("mastodon", mastodon)):
        if platform in (None, name):
            found = module.detect_xml_parser_kind(text)
            if found:
                return name, found
    raise ParseError(
        "not a payload Podium knows: unrecognised XML "
        "(neither a YouTube Atom feed nor a Mastodon account RSS)"
    )


def _detect_html(
    text: str, url: str | None, platform: str | None, hinted: str | None
) -> tuple[str, str]:
    if platform in (None, "tiktok"):
        found = tiktok.detect_html_parser_kind(text)
        if found and found != "embed":
            return "tiktok", found
    head = text[:4000].lower()
    is_document = any(tag in head for tag in ("<html", "<head", "<body", "<!doctype"))
    if not is_document:
        present = {name for css, name in _EMBED_CLASSES.items() if css in text}
        if platform in present:
            return str(platform), "embed"
        if len(present) == 1:
            return present.pop(), "embed"
    if platform in (None, "news"):
        if hinted == "tiktok" and platform is None:
            # An HTML page from tiktok.com without any data script: challenge or login wall.
            return "tiktok", "blocked_page"
        return "news", "article"
    if platform == "tiktok":
        return "tiktok", "blocked_page"
    raise ParseError(f"not a payload Podium knows: unrecognised HTML for platform {platform!r}")


def _dispatch(platform: str, parser_kind: str, body: str | bytes, url: str | None) -> ParseResult:
    module = _MODULES[platform]
    if parser_kind not in module.PARSER_KINDS:
        raise ParseError(f"{platform} has no payload kind {parser_kind!r}")
    parser: Callable[[str | bytes, str | None], ParseResult] = getattr(
        module, f"parse_{parser_kind}"
    )
    return parser(body, url)


def platform_from_url(url: str | None) -> str | None:
    """The platform a URL's host belongs to (``www.tiktok.com`` -> tiktok), or None."""
    host = host_of(url)
    while host:
        if host in _HOSTS:
            return _HOSTS[host]
        _, _, host = host.partition(".")
    return None


def _platform_order(
    platform: str | None, hinted: str | None, names: tuple[str, ...]
) -> tuple[str, ...]:
    if platform is not None:
        return (platform,)
    if hinted in names:
        return (str(hinted), *(n for n in names if n != hinted))
    return names


def _describe(data: Any) -> str:
    if isinstance(data, dict):
        keys = ", ".join(list(data)[:6])
        return f"object with keys {keys}" if keys else "empty object"
    if isinstance(data, list):
        return f"list of {len(data)}"
    return type(data).__name__


__all__ = ["PARSER_KINDS", "ParseError", "detect_payload", "parse_payload"]
