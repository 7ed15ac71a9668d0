"""yt-dlp's info dict (``.info.json``, ``--dump-json`` lines, ``-J`` playlists) as RawPosts.

yt-dlp is a tool, not a platform: one dict shape for every site, the site named by
``extractor_key`` (``TikTok``, ``Instagram``, ``Youtube``; their playlists ``TikTokUser``,
``InstagramUser``, ``YoutubeTab``). The TikTok, Instagram and YouTube modules each have the
payload kind ``ytdlp_info`` and read it through :func:`parse_info`.

What yt-dlp's extractors put where (its output-template docs and the extractors themselves):

============  ===================  =====================  ============================
field         TikTok               Instagram              YouTube
============  ===================  =====================  ============================
id            video id             shortcode              video id
description   ``desc``             ``caption.text``       description (title apart)
uploader      ``uniqueId``         ``full_name``          channel name
uploader_id   numeric author id    ``user.pk``            ``@handle``
channel       nickname             username               channel name
channel_id    ``secUid``           --                     ``UC…`` id
============  ===================  =====================  ============================

plus ``timestamp`` (unix seconds) or ``upload_date`` (``YYYYMMDD``), ``view_count``,
``like_count``, ``comment_count``, ``repost_count``, ``webpage_url``, and for TikTok the sound:
``track`` and ``artists`` (``music.authorName`` split on ``", "``/``" & "``; older versions
``artist``). ``epoch`` is when yt-dlp extracted the info: the capture time, read by the importer.
yt-dlp has no sound id and no ``original`` flag: a sound is original when its artist is the
creator's own nickname, as TikTok credits original sounds (FORMATS.md §1.4).
"""

from __future__ import annotations

import json
from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import as_text, decode_json, load_json
from archive.platforms.fields import count, ident, items, text, texts
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, Platform, RawPost, RawSound

PARSER_KIND = "ytdlp_info"

#: extractor_key prefixes (case-folded) -> platform. Playlists carry the site's name first too.
_EXTRACTORS = (("tiktok", "tiktok"), ("instagram", "instagram"), ("youtube", "youtube"))
#: What a post is where the extractor alone says it: TikTok's are videos; an Instagram video may
#: be a reel or one of a carousel's, so it is left unsaid.
_KINDS = {"tiktok": "video"}
#: Playlist entries that only point to a post (``--flat-playlist``) are not observations of it.
_REFERENCE_TYPES = ("url", "url_transparent")


def extractor_platform(data: Any) -> str | None:
    """The Podium platform of a yt-dlp info dict (or playlist), from its ``extractor_key``;
    None when ``data`` is not one, or its site is one Podium does not archive."""
    if not isinstance(data, dict):
        return None
    key = text(data.get("extractor_key"))
    if not key or not ("id" in data or "entries" in data):
        return None
    folded = key.casefold()
    return next((platform for prefix, platform in _EXTRACTORS if folded.startswith(prefix)), None)


def is_info(data: Any) -> bool:
    """True for a yt-dlp info dict of any site (it names its extractor)."""
    return (
        isinstance(data, dict)
        and bool(text(data.get("extractor_key")))
        and ("id" in data or "entries" in data)
    )


def detect_lines(text_body: str) -> str | None:
    """The platform of ``--dump-json`` output (one info dict a line, all of one platform)."""
    found: set[str | None] = set()
    for line in text_body.splitlines():
        if not line.strip():
            continue
        try:
            found.add(extractor_platform(decode_json(line)))
        except (json.JSONDecodeError, ParseError):
            return None
        if len(found) > 1:
            return None
    return next(iter(found), None)


def parse_info(body: str | bytes, url: str | None, platform: Platform) -> ParseResult:
    """Parse yt-dlp output for ``platform``: one info dict, a playlist of them (``-J``), a list,
    or ``--dump-json`` lines. Entries of another site, or that only point to a post, are left
    out with a line in ``problems``."""
    body_text = as_text(body).strip()
    problems: list[str] = []
    try:
        data: Any = decode_json(body_text)
        infos = list(_infos(data))
    except json.JSONDecodeError:
        infos = []
        for number, line in enumerate(body_text.splitlines(), 1):
            if line.strip():
                try:
                    infos.extend(_infos(load_json(line, "yt-dlp line")))
                except ParseError as exc:
                    problems.append(f"line {number}: {exc}")
    if not infos and problems:
        raise ParseError(problems[0])
    posts = []
    for info in infos:
        kind_of_entry = text(info.get("_type"))
        if kind_of_entry in _REFERENCE_TYPES:
            problems.append(f"yt-dlp entry {info.get('id')!s}: a flat-playlist reference, no data")
        elif extractor_platform(info) != platform:
            problems.append(
                f"yt-dlp entry {info.get('id')!s}: extractor {info.get('extractor_key')!s} "
                f"is not {platform}"
            )
        else:
            posts.append(post_from_info(info, url, platform))
    if not posts and not problems:
        raise ParseError(f"yt-dlp {platform}: no info dict with an extractor_key")
    return ParseResult(platform=platform, parser_kind=PARSER_KIND, posts=posts, problems=problems)


def _infos(data: Any) -> list[dict[str, Any]]:
    """The video info dicts in ``data``: itself, a playlist's entries, a list's elements."""
    if isinstance(data, list):
        return [info for element in data for info in _infos(element)]
    if not isinstance(data, dict):
        return []
    if text(data.get("_type")) in ("playlist", "multi_video") or (
        "entries" in data and "id" not in data
    ):
        return [info for entry in items(data.get("entries")) for info in _infos(entry)]
    return [data] if is_info(data) or text(data.get("_type")) in _REFERENCE_TYPES else []


def post_from_info(info: dict[str, Any], source_url: str | None, platform: Platform) -> RawPost:
    """Locate the fields of one yt-dlp info dict of ``platform``."""
    post_id = ident(info.get("id"))
    handle, author_id, name = _author(info, platform)
    page = http_url(info.get("webpage_url")) or http_url(info.get("original_url"))
    # A Short's page is a watch URL; the URL yt-dlp was given may say /shorts/.
    short = any("/shorts/" in (text(info.get(k)) or "") for k in ("webpage_url", "original_url"))
    description = text(info.get("description"))
    caption = description
    if platform == "youtube":
        # As the feed parser does: the title is the first line of the caption.
        title = text(info.get("title"))
        caption = f"{title}\n\n{description}" if title and description else (title or description)
    counts = {
        ours: value
        for ours, theirs in (
            ("views", "view_count"),
            ("likes", "like_count"),
            ("comments", "comment_count"),
            ("shares", "repost_count"),
            ("saves", "save_count"),
        )
        if (value := count(info.get(theirs))) is not None
    }
    return RawPost(
        platform=platform,
        platform_post_id=post_id,
        url=_post_url(platform, post_id, handle, page, short=short),
        source_url=source_url or page,
        kind=("short" if short else "video") if platform == "youtube" else _KINDS.get(platform),
        author_handle=handle,
        author_id=author_id,
        author_name=name,
        posted_at=_posted_at(info),
        caption=caption,
        counts=counts,
        sound=_sound(info, name) if platform == "tiktok" else None,
        declared_language=text(info.get("language")) if platform == "youtube" else None,
        media_urls=[thumbnail] if (thumbnail := http_url(info.get("thumbnail"))) else [],
        raw=info,
    )


def _author(info: dict[str, Any], platform: str) -> tuple[str | None, str | None, str | None]:
    """(handle, stable id, display name) as this platform's extractor fills them."""
    if platform == "tiktok":
        name = text(info.get("channel")) or text(info.get("creator"))
        return ident(info.get("uploader")), ident(info.get("uploader_id")), name or None
    if platform == "instagram":
        name = text(info.get("uploader"))
        return ident(info.get("channel")), ident(info.get("uploader_id")), name or None
    handle = ident(info.get("uploader_id"))
    handle = handle[1:] if handle and handle.startswith("@") and len(handle) > 1 else None
    name = text(info.get("channel")) or text(info.get("uploader"))
    return handle, ident(info.get("channel_id")), name or None


def _posted_at(info: dict[str, Any]) -> Any:
    """``timestamp`` (unix seconds); else ``upload_date`` (``YYYYMMDD``, a UTC day)."""
    stamp = info.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return stamp
    day = text(info.get("upload_date"))
    if day and len(day) == 8 and day.isdigit():
        return f"{day[:4]}-{day[4:6]}-{day[6:]}T00:00:00+00:00"
    return None


def _sound(info: dict[str, Any], nickname: str | None) -> RawSound | None:
    """TikTok's sound: ``track`` by ``artists`` (or the older ``artist`` string)."""
    title = text(info.get("track"))
    artists = texts(info.get("artists"))
    artist = ", ".join(artists) if artists else text(info.get("artist"))
    if not (title or artist):
        return None
    # An original sound is credited to the creator's nickname (no English words consulted).
    original = True if nickname and artists == [nickname] else None
    return RawSound(title=title, artist=artist or None, is_original=original)


def _post_url(
    platform: str, post_id: str | None, handle: str | None, page: str | None, *, short: bool
) -> str | None:
    if post_id is None:
        return page
    if platform == "tiktok":
        return f"https://www.tiktok.com/@{handle or '_'}/video/{post_id}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{post_id}/"
    if short:
        return f"https://www.youtube.com/shorts/{post_id}"
    return f"https://www.youtube.com/watch?v={post_id}"
