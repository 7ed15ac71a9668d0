"""The TikTok web item (``itemStruct``, SIGI ``ItemModule`` values, exports) as a RawPost."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from archive.platforms.fields import (
    count,
    dig,
    flag,
    ident,
    items,
    obj,
    objs,
    text,
    time_value,
)
from archive.platforms.fields import url as http_url
from archive.records import Platform, RawPost, RawSound

PLATFORM: Platform = "tiktok"

_POST_URL = re.compile(r"/(?P<what>video|photo)/(?P<id>\d+)")


def is_web_item(item: Any) -> bool:
    """True for an object with an id and a caption or time: a web item to read."""
    return (
        isinstance(item, dict)
        and ident(item.get("id")) is not None
        and ("desc" in item or "createTime" in item)
    )


def unwrap_export(item: Any) -> Any:
    """A Zeeschuimer/4CAT export line keeps the web item under ``data``."""
    if isinstance(item, dict) and isinstance(item.get("data"), dict) and "id" not in item:
        return item["data"]
    return item


def post_from_item(item: dict[str, Any], source_url: str | None) -> RawPost:
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
    post_id = str(ident(item.get("id")))  # is_web_item made sure there is one
    photo = bool(item.get("imagePost"))
    hashtags, mentions = _extract_text_extra(item)
    return RawPost(
        platform=PLATFORM,
        platform_post_id=post_id,
        url=post_url(handle, post_id, photo=photo),
        source_url=source_url,
        source_kind="platform",
        kind="photo" if photo else "video",
        author_handle=handle,
        author_id=author_id,
        author_name=author_name,
        posted_at=time_value(item.get("createTime")),
        caption=text(item.get("desc")),
        declared_language=_declared_language(item.get("textLanguage")),
        counts=_extract_counts(item),
        sound=_extract_sound(item.get("music")),
        hashtags=hashtags,
        hashtags_complete=False,
        mentions=mentions,
        mentions_complete=False,
        is_pinned=flag(item.get("isPinnedItem")),
        media_urls=_extract_media_urls(item),
        raw=item,
    )


def _declared_language(value: Any) -> str | None:
    """TikTok's own guess at the caption's language (``textLanguage``); ``un`` means it has none."""
    code = text(value)
    return None if not code or code == "un" else code


def _extract_text_extra(item: dict[str, Any]) -> tuple[list[str] | None, list[str] | None]:
    """Hashtags from textExtra, challenges and contents[].textExtra; mentions from textExtra.

    These lists can be shorter than what the caption shows (hashtags not linked), so they are never
    authoritative: the normalizer unites them with its text rules.
    """
    extras: list[dict[str, Any]] = objs(item.get("textExtra"))
    for content in objs(item.get("contents")):
        extras.extend(objs(content.get("textExtra")))
    present = any(k in item for k in ("textExtra", "challenges", "contents"))
    hashtags: list[str] = []
    mentions: list[str] = []
    for extra in extras:
        # Branch on which field is filled, not on ``type`` (its values are not documented).
        name = text(extra.get("hashtagName"))
        user = text(extra.get("userUniqueId"))
        if name and name not in hashtags:
            hashtags.append(name)
        elif user and user not in mentions:
            mentions.append(user)
    for challenge in objs(item.get("challenges")):
        title = text(challenge.get("title"))
        if title and title not in hashtags:
            hashtags.append(title)
    if not present:
        return None, None
    return hashtags, mentions


def _extract_counts(item: dict[str, Any]) -> dict[str, Any]:
    # statsV2 holds exact counts as strings; stats may be rounded (1500000).
    stats = {**obj(item.get("stats")), **obj(item.get("statsV2"))}
    return pick(
        stats,
        views="playCount",
        likes="diggCount",
        comments="commentCount",
        shares="shareCount",
        saves="collectCount",
    )


def _extract_sound(music: Any) -> RawSound | None:
    if not isinstance(music, dict):
        return None
    title, sound_id = text(music.get("title")), ident(music.get("id"))
    if not (title or sound_id):
        return None
    original = music.get("original")
    return RawSound(
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


def post_url(handle: str | None, post_id: str, *, photo: bool) -> str:
    """The post's tiktok.com URL."""
    # A placeholder handle works, as yt-dlp's https://www.tiktok.com/@_/video/<id> shows.
    return f"https://www.tiktok.com/@{handle or '_'}/{'photo' if photo else 'video'}/{post_id}"


def post_id_from_url(url: str | None) -> str | None:
    """The post id in a URL (or ``cite`` attribute) holding ``/video/<id>`` or ``/photo/<id>``."""
    match = _POST_URL.search(url or "")
    return match["id"] if match else None


def post_kind_and_id(url: str) -> tuple[str, str] | None:
    """("video" or "photo", id) from a TikTok post URL's path, or None."""
    match = _POST_URL.search(urlsplit(url).path)
    return (match["what"], match["id"]) if match else None


def pick(source: dict[str, Any], **keys: str) -> dict[str, Any]:
    """Our count names -> TikTok's values, where they are counts."""
    return {
        ours: value
        for ours, theirs in keys.items()
        if (value := count(source.get(theirs))) is not None
    }
