"""TikTok parsers: video/photo/profile pages, SIGI_STATE, item_list JSON, oEmbed, embeds."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from archive.errors import ParseError
from archive.platforms.decoding import (
    as_text,
    decode_json,
    element_text,
    load_json,
    parse_fragment,
    parse_html,
    script_json,
    strip_query,
)
from archive.platforms.fields import count, dig, flag, ident, items, obj, objs, text
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, RawAccount, RawMusic, RawPost
from archive.textrepair import TextRepairs

PLATFORM = "tiktok"

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

_REHYDRATION_ID = "__UNIVERSAL_DATA_FOR_REHYDRATION__"
# Inline SIGI form: window['SIGI_STATE']={...};window['SIGI_RETRY']=... (Zeeschuimer splits
# on both).
_SIGI_INLINE = re.compile(r"window\[['\"]SIGI_STATE['\"]\]\s*=\s*(\{.*?\});\s*window\[", re.DOTALL)
_POST_URL = re.compile(r"/(?P<what>video|photo)/(?P<id>\d+)")
_HANDLE_IN_URL = re.compile(r"tiktok\.com/@([^/?#]+)")
_TAG_LINK = re.compile(r"tiktok\.com/@")
# statusCode values in webapp.video-detail (yt-dlp): blocked IP, private post, private account.
_STATUS_BLOCKED = 10204
_STATUS_PRIVATE = (10216, 10222)
# Marker of TikTok's JS challenge page and its HTTP-200 shells ("TikTok - Make Your Day").
_CHALLENGE_MARKERS = ("_wafchallengeid", 'id="wci"', "<title>TikTok - Make Your Day</title>")


# --- detection -------------------------------------------------------------------------------


def detect_html_kind(text: str) -> str | None:
    """Name the TikTok page kind of an HTML body, or None when it is not a TikTok page."""
    if _REHYDRATION_ID in text:
        data = script_json(text, _REHYDRATION_ID)
        return _rehydration_kind(data) if isinstance(data, dict) else "blocked_page"
    if "SIGI_STATE" in text or "sigi-persisted-data" in text:
        return "sigi_state_page"
    if "tiktok-embed" in text and "<blockquote" in text:
        return "embed"
    if any(marker in text for marker in _CHALLENGE_MARKERS):
        return "blocked_page"
    return None


def detect_json_kind(data: Any, url: str | None = None) -> str | None:
    """Name the TikTok kind of a decoded JSON payload, or None when it is not TikTok's."""
    if isinstance(data, dict):
        if "__DEFAULT_SCOPE__" in data:
            return _rehydration_kind(data)
        if "ItemModule" in data or "VideoPage" in data:
            return "sigi_state_page"
        if isinstance(data.get("itemList"), list) or "hasMorePrevious" in data:
            return "item_list"
        if "embed_product_id" in data or data.get("provider_name") == "TikTok":
            return "oembed"
        return None
    if isinstance(data, list) and data and all(_is_web_item(_unwrap_export(x)) for x in data):
        return "items"
    return None


def _rehydration_kind(data: dict[str, Any]) -> str:
    scope = obj(data.get("__DEFAULT_SCOPE__"))
    if "webapp.video-detail" in scope:
        return "video_page"
    if "webapp.photo-detail" in scope:
        return "photo_page"
    if "webapp.user-detail" in scope:
        return "profile_page"
    # Only context keys: an empty shell served instead of the data (challenge or login wall).
    return "blocked_page"


def _is_web_item(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and ident(item.get("id")) is not None
        and ("desc" in item or "createTime" in item)
    )


def _unwrap_export(item: Any) -> Any:
    """A Zeeschuimer/4CAT export line keeps the web item under ``data``."""
    if isinstance(item, dict) and isinstance(item.get("data"), dict) and "id" not in item:
        return item["data"]
    return item


# --- pages -----------------------------------------------------------------------------------


def parse_page(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse any TikTok HTML page: video, photo or profile page (rehydration JSON or SIGI_STATE).

    A page without the data script is an HTTP-200 challenge or login shell: status ``blocked``,
    no posts (never "deleted").
    """
    text = as_text(body)
    if _REHYDRATION_ID in text:
        data = script_json(text, _REHYDRATION_ID)
        if isinstance(data, dict):
            return parse_rehydration(data, url)
    if "SIGI_STATE" in text or "sigi-persisted-data" in text:
        return parse_sigi_state_page(text, url)
    return ParseResult(platform=PLATFORM, kind="blocked_page", status="blocked")


parse_video_page = parse_page
parse_photo_page = parse_page
parse_profile_page = parse_page


def parse_rehydration(data: dict[str, Any], url: str | None = None) -> ParseResult:
    """Parse the decoded ``__UNIVERSAL_DATA_FOR_REHYDRATION__`` object."""
    scope = obj(data.get("__DEFAULT_SCOPE__"))
    kind = _rehydration_kind(data)
    if kind in ("video_page", "photo_page"):
        key = "webapp.video-detail" if kind == "video_page" else "webapp.photo-detail"
        return _parse_detail(obj(scope.get(key)), kind, url)
    if kind == "profile_page":
        return _parse_user_detail(obj(scope.get("webapp.user-detail")), url)
    return ParseResult(platform=PLATFORM, kind=kind, status="blocked")


def _parse_detail(detail: dict[str, Any], kind: str, url: str | None) -> ParseResult:
    status_code = _int_or_none(detail.get("statusCode")) or 0
    item = dig(detail, "itemInfo", "itemStruct")
    if not isinstance(item, dict):
        item = None
    if status_code == 0 and item is not None and ident(item.get("id")):
        return ParseResult(platform=PLATFORM, kind=kind, posts=[_post_from_item(item, url)])
    if status_code == _STATUS_BLOCKED:
        return ParseResult(platform=PLATFORM, kind=kind, status="blocked")
    if status_code == 0:
        # statusCode 0 but no item: the data was withheld from this client.
        return ParseResult(platform=PLATFORM, kind=kind, status="blocked")
    availability, status = (
        ("private", "private") if status_code in _STATUS_PRIVATE else ("unknown", "unavailable")
    )
    post_id = ident(dig(item, "id")) or _post_id_from_url(url)
    posts = []
    if post_id:
        posts.append(
            RawPost(
                platform=PLATFORM,
                platform_post_id=post_id,
                url=url,
                source_url=url,
                availability=availability,
                raw=detail,
            )
        )
    return ParseResult(platform=PLATFORM, kind=kind, posts=posts, status=status)


def _account_from_user(
    user: dict[str, Any], stats: dict[str, Any], handle: str | None, url: str | None = None
) -> RawAccount:
    """A TikTok user object (profile page or SIGI_STATE) as an account record."""
    return RawAccount(
        platform=PLATFORM,
        platform_account_id=ident(user.get("id")),
        handle=handle,
        display_name=text(user.get("nickname")),
        url=f"https://www.tiktok.com/@{handle}" if handle else url,
        counts=_pick(
            stats,
            followers="followerCount",
            following="followingCount",
            likes="heartCount",
            posts="videoCount",
        ),
        listing_key=ident(user.get("secUid")),
        raw=user,
    )


def _parse_user_detail(detail: dict[str, Any], url: str | None) -> ParseResult:
    info = obj(detail.get("userInfo"))
    user = obj(info.get("user"))
    accounts = []
    if user:
        stats = {**obj(info.get("stats")), **obj(info.get("statsV2"))}
        accounts.append(_account_from_user(user, stats, ident(user.get("uniqueId")), url))
    posts = [
        _post_from_item(item, url) for item in items(info.get("itemList")) if _is_web_item(item)
    ]
    status_code = _int_or_none(detail.get("statusCode")) or 0
    status = "ok"
    if status_code in _STATUS_PRIVATE:
        status = "private"
    elif status_code == _STATUS_BLOCKED or (status_code == 0 and not user):
        status = "blocked"
    elif status_code:
        status = "unavailable"
    return ParseResult(
        platform=PLATFORM, kind="profile_page", posts=posts, accounts=accounts, status=status
    )


def page_observations(
    result: ParseResult, post_id: str, url: str, source_url: str
) -> list[RawPost]:
    """What one video/photo page fetched for ``post_id`` says about that post.

    - a page with the item: the post, as the parser read it;
    - private (10216/10222): the parser's ``private`` observation;
    - unavailable (any other non-zero statusCode, e.g. 10217 "item is not available"): the page
      was asked for this very post and says it is gone, so the post is ``deleted``;
    - blocked (an HTTP-200 challenge shell, statusCode 10204, data withheld): a ``blocked``
      observation without a caption; the store never lets "blocked" overwrite what it knew,
      so a block never makes a post deleted.
    """
    if result.status == "unavailable":
        for post in result.posts:
            if post.platform_post_id == post_id:
                post.availability = "deleted"
        return result.posts
    if result.status == "blocked" and not result.posts:
        return [
            RawPost(
                platform=PLATFORM,
                platform_post_id=post_id,
                url=url,
                source_url=source_url,
                availability="blocked",
                caption=None,
            )
        ]
    return result.posts


def parse_sigi_state_page(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse the older ``SIGI_STATE`` page (tag form or inline ``window['SIGI_STATE']=`` form)."""
    text = as_text(body)
    data = script_json(text, "SIGI_STATE")
    if data is None:
        data = script_json(text, "sigi-persisted-data")
    if data is None:
        match = _SIGI_INLINE.search(text)
        if match is None:
            if text.lstrip().startswith("{"):
                data = load_json(text, "SIGI_STATE")
            else:
                return ParseResult(platform=PLATFORM, kind="sigi_state_page", status="blocked")
        else:
            data = load_json(match.group(1), "window['SIGI_STATE']")
    if not isinstance(data, dict):
        raise ParseError("SIGI_STATE: expected a JSON object")
    return parse_sigi_state(data, url)


def parse_sigi_state(data: dict[str, Any], url: str | None = None) -> ParseResult:
    """Parse a decoded SIGI_STATE object: ``ItemModule`` keyed by id, authors as strings."""
    kind = "sigi_state_page"
    module = obj(data.get("ItemModule"))
    posts = [_post_from_item(item, url) for item in module.values() if _is_web_item(item)]
    accounts = []
    users = obj(dig(data, "UserModule", "users"))
    user_stats = obj(dig(data, "UserModule", "stats"))
    for handle, user in users.items():
        if isinstance(user, dict):
            name = ident(user.get("uniqueId")) or ident(handle)
            accounts.append(_account_from_user(user, obj(user_stats.get(handle)), name))
    status_code = _int_or_none(dig(data, "VideoPage", "statusCode")) or 0
    status = "ok"
    if status_code == _STATUS_BLOCKED:
        status = "blocked"
    elif status_code in _STATUS_PRIVATE:
        status = "private"
    elif status_code:
        status = "unavailable"
    return ParseResult(platform=PLATFORM, kind=kind, posts=posts, accounts=accounts, status=status)


# --- API JSON --------------------------------------------------------------------------------


def parse_item_list(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``/api/post/item_list/`` (cursor, hasMore) or ``/api/creator/item_list/``.

    The creator endpoint has no cursor in the body: the next one is the last item's
    ``createTime`` in milliseconds, as yt-dlp computes it; ``has_more`` is ``hasMorePrevious``.
    """
    data = load_json(body, "TikTok item_list")
    if not isinstance(data, dict):
        raise ParseError("TikTok item_list: expected a JSON object")
    found = [i for i in items(data.get("itemList")) if _is_web_item(i)]
    posts = [_post_from_item(item, url) for item in found]
    if "hasMore" in data:
        has_more = flag(data.get("hasMore"))
        cursor = ident(data.get("cursor"))
    else:
        has_more = flag(data.get("hasMorePrevious"))
        last_time = _int_or_none(found[-1].get("createTime")) if found else None
        cursor = str(last_time * 1000) if last_time else ident(data.get("cursor"))
    status_code = _int_or_none(data.get("statusCode")) or 0
    status = "ok"
    if status_code == _STATUS_BLOCKED:
        status = "blocked"
    elif status_code:
        status = "unavailable"
    return ParseResult(
        platform=PLATFORM,
        kind="item_list",
        posts=posts,
        next_cursor=cursor if has_more else None,
        has_more=has_more,
        status=status,
    )


def parse_items(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a bare list of web items (scrapfly results, Zeeschuimer exports, JSON or NDJSON)."""
    body_text = as_text(body).strip()
    problems: list[str] = []
    try:
        data = decode_json(body_text)
    except json.JSONDecodeError:
        data = []
        for number, line in enumerate(body_text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data.append(load_json(line, "TikTok NDJSON line"))
            except ParseError as exc:
                # One broken export line costs that line, not the file.
                problems.append(f"line {number}: {exc}")
        if not data and problems:
            raise ParseError(problems[0]) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ParseError("TikTok items: expected a list of items")
    found = [_unwrap_export(x) for x in data]
    return ParseResult(
        platform=PLATFORM,
        kind="items",
        posts=[_post_from_item(item, url) for item in found if _is_web_item(item)],
        problems=problems,
    )


def parse_oembed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a TikTok oEmbed response.

    ``title`` is the caption exactly as ``desc`` (trailing space included), so the post is a
    platform observation; the music title and id come from the ``html`` blockquote's ♬ link.
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
        url=(embed.url if embed else None) or _post_url(handle, post_id, photo=False),
        source_url=url,
        source_kind="platform" if caption is not None else "embed",
        kind=text(data.get("embed_type")) or "video",
        author_handle=handle,
        author_name=text(data.get("author_name")),
        caption=caption if caption is not None or embed is None else embed.caption,
        music=embed.music if embed else None,
        tags=embed.tags if embed else None,
        raw=data,
        repairs=repairs.notes,
    )
    return ParseResult(platform=PLATFORM, kind="oembed", posts=[post])


def parse_embed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse HTML holding ``blockquote.tiktok-embed`` elements (an oEmbed ``html`` saved alone)."""
    root = parse_html(as_text(body))
    posts = [
        post
        for block in root.xpath('//blockquote[contains(@class, "tiktok-embed")]')
        if (post := post_from_blockquote(block, url)) is not None
    ]
    return ParseResult(platform=PLATFORM, kind="embed", posts=posts)


def post_from_blockquote(block: Any, source_url: str | None = None) -> RawPost | None:
    """Read one ``blockquote.tiktok-embed``; None for creator (profile) embeds without a video.

    The caption is the embed's visible text, one line each: ``@author``, the caption paragraph,
    ``♬ title - artist``. The normalizer strips the first and last (DESIGN §3). Structured music
    comes from the ♬ link: ``title="♬ <title> - <artist>"`` split at the last `` - ``, and the
    music id is the number ending the link's slug. Whether the sound is original is unknown here.
    """
    cite = block.get("cite") or ""
    post_id = ident(block.get("data-video-id")) or _post_id_from_url(cite)
    if not post_id:
        return None
    handle_match = _HANDLE_IN_URL.search(cite)
    handle = handle_match.group(1) if handle_match else None
    lines: list[str] = []
    tags: list[str] = []
    music = None
    section = block.find(".//section")
    container = section if section is not None else block
    for node in container:
        if not isinstance(node.tag, str):
            continue
        href = node.get("href") or ""
        text = element_text(node)
        if node.tag == "a" and "/music/" in href:
            music = _music_from_embed_link(node.get("title") or text, href)
        elif node.tag == "a" and _TAG_LINK.search(href) and handle is None:
            handle = text.lstrip("@") or None
        if node.tag == "p":
            for link in node.xpath('.//a[contains(@href, "/tag/")]'):
                tag = link.get("title") or element_text(link).lstrip("#")
                if tag and tag not in tags:
                    tags.append(tag)
        if text:
            lines.append(text)
    photo = "/photo/" in cite
    return RawPost(
        platform=PLATFORM,
        platform_post_id=post_id,
        url=http_url(strip_query(cite)) or _post_url(handle, post_id, photo=photo),
        source_url=source_url,
        source_kind="embed",
        kind="photo" if photo else "video",
        author_handle=handle,
        caption="\n".join(lines) if lines else None,
        music=music,
        tags=tags or None,
        tags_complete=False,
    )


def _music_from_embed_link(title: str, href: str) -> RawMusic:
    label = title.strip().removeprefix("♬").strip()
    name, sep, artist = label.rpartition(" - ")
    return RawMusic(
        title=name if sep else label,
        artist=artist if sep else None,
        is_original=None,
        platform_sound_id=_music_id_from_url(href),
    )


def _music_id_from_url(href: str) -> str | None:
    """The music id that ends a music link's slug (``/music/original-sound-7336007642428508970``):
    the digits before the query or fragment of the first ``/music/`` link that ends in digits.
    Read by string operations: a lazy regex here is quadratic in a long run of digits."""
    for part in href.split("/music/")[1:]:
        slug = re.split(r"[?#]", part, maxsplit=1)[0].removesuffix("\n")
        digits = len(slug) - len(slug.rstrip("0123456789"))
        if digits:
            return slug[-digits:]
    return None


# --- the web item ----------------------------------------------------------------------------


def _post_from_item(item: dict[str, Any], source_url: str | None) -> RawPost:
    """Locate the fields of one web ``itemStruct`` (also SIGI ItemModule values and exports)."""
    author = item.get("author")
    if isinstance(author, dict):
        handle = ident(author.get("uniqueId"))
        author_id = ident(author.get("id"))
        author_name = text(author.get("nickname"))
    else:
        # SIGI_STATE: author is the uniqueId string; details sit flat on the item.
        handle = ident(author)
        author_id = ident(item.get("authorId"))
        author_name = text(item.get("nickname"))
    post_id = str(ident(item.get("id")))  # _is_web_item made sure there is one
    photo = bool(item.get("imagePost"))
    tags, mentions = _extract_text_extra(item)
    return RawPost(
        platform=PLATFORM,
        platform_post_id=post_id,
        url=_post_url(handle, post_id, photo=photo),
        source_url=source_url,
        source_kind="platform",
        kind="photo" if photo else "video",
        author_handle=handle,
        author_id=author_id,
        author_name=author_name,
        posted_at=_time_value(item.get("createTime")),
        caption=text(item.get("desc")),
        counts=_extract_counts(item),
        music=_extract_music(item.get("music")),
        tags=tags,
        tags_complete=False,
        mentions=mentions,
        mentions_complete=False,
        is_pinned=flag(item.get("isPinnedItem")),
        media_urls=_extract_media_urls(item),
        raw=item,
    )


def _extract_text_extra(item: dict[str, Any]) -> tuple[list[str] | None, list[str] | None]:
    """Hashtags from textExtra, challenges and contents[].textExtra; mentions from textExtra.

    These lists can be shorter than what the caption shows (tags not linked), so they are never
    authoritative: the normalizer unites them with its text rules.
    """
    extras: list[dict[str, Any]] = objs(item.get("textExtra"))
    for content in objs(item.get("contents")):
        extras.extend(objs(content.get("textExtra")))
    present = any(k in item for k in ("textExtra", "challenges", "contents"))
    tags: list[str] = []
    mentions: list[str] = []
    for extra in extras:
        # Branch on which field is filled, not on ``type`` (its values are not documented).
        name = text(extra.get("hashtagName"))
        user = text(extra.get("userUniqueId"))
        if name and name not in tags:
            tags.append(name)
        elif user and user not in mentions:
            mentions.append(user)
    for challenge in objs(item.get("challenges")):
        title = text(challenge.get("title"))
        if title and title not in tags:
            tags.append(title)
    if not present:
        return None, None
    return tags, mentions


def _extract_counts(item: dict[str, Any]) -> dict[str, Any]:
    # statsV2 holds exact counts as strings; stats may be rounded (1500000).
    stats = {**obj(item.get("stats")), **obj(item.get("statsV2"))}
    return _pick(
        stats,
        views="playCount",
        likes="diggCount",
        comments="commentCount",
        shares="shareCount",
        saves="collectCount",
    )


def _extract_music(music: Any) -> RawMusic | None:
    if not isinstance(music, dict):
        return None
    title, sound_id = text(music.get("title")), ident(music.get("id"))
    if not (title or sound_id):
        return None
    original = music.get("original")
    return RawMusic(
        title=title,
        artist=text(music.get("authorName")),
        is_original=original if isinstance(original, bool) else None,
        platform_sound_id=sound_id,
    )


def _extract_media_urls(item: dict[str, Any]) -> list[str]:
    urls: list[str] = []
    for image in objs(dig(item, "imagePost", "images")):
        url_list = dig(image, "imageURL", "urlList")
        first = url_list if isinstance(url_list, str) else next(iter(items(url_list)), None)
        if found := http_url(first):
            urls.append(found)
    play = http_url(dig(item, "video", "playAddr"))
    if not urls and play:
        urls.append(play)
    return urls


# --- small helpers ---------------------------------------------------------------------------


def _post_url(handle: str | None, post_id: str, *, photo: bool) -> str:
    # A placeholder handle works, as yt-dlp's https://www.tiktok.com/@_/video/<id> shows.
    return f"https://www.tiktok.com/@{handle or '_'}/{'photo' if photo else 'video'}/{post_id}"


def _post_id_from_url(url: str | None) -> str | None:
    match = _POST_URL.search(url or "")
    return match["id"] if match else None


def post_url_id(url: str) -> tuple[str, str] | None:
    """("video" or "photo", id) of a TikTok post URL, or None."""
    match = _POST_URL.search(urlsplit(url).path)
    return (match["what"], match["id"]) if match else None


def _pick(source: dict[str, Any], **keys: str) -> dict[str, Any]:
    return {
        ours: value
        for ours, theirs in keys.items()
        if (value := count(source.get(theirs))) is not None
    }


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 20:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _time_value(value: Any) -> int | float | str | None:
    """``createTime`` as sent (unix seconds, int or string); anything else is no time."""
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | float | str) else None


parse_blocked_page = parse_page
