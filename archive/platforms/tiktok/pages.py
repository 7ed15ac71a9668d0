"""TikTok HTML pages: video, photo and profile pages (rehydration JSON or SIGI_STATE).

A page's ``statusCode`` says why it holds no post: blocked, private or unavailable;
:func:`page_observations` turns that into what the page says about the post it was asked for.
"""

from __future__ import annotations

import re
from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import as_text, load_json, script_json
from archive.platforms.fields import dig, ident, int_or_none, items, obj, text
from archive.platforms.tiktok.item import (
    PLATFORM,
    is_web_item,
    pick,
    post_from_item,
    post_id_from_url,
)
from archive.records import Availability, ParseResult, RawAccount, RawPost

REHYDRATION_ID = "__UNIVERSAL_DATA_FOR_REHYDRATION__"
# Inline SIGI form: window['SIGI_STATE']={...};window['SIGI_RETRY']=... (Zeeschuimer splits
# on both).
_SIGI_INLINE = re.compile(r"window\[['\"]SIGI_STATE['\"]\]\s*=\s*(\{.*?\});\s*window\[", re.DOTALL)
# statusCode values in webapp.video-detail (yt-dlp): blocked IP, private post, private account.
STATUS_BLOCKED = 10204
STATUS_PRIVATE = (10216, 10222)
# Marker of TikTok's JS challenge page and its HTTP-200 shells ("TikTok - Make Your Day").
CHALLENGE_MARKERS = ("_wafchallengeid", 'id="wci"', "<title>TikTok - Make Your Day</title>")


def rehydration_parser_kind(data: dict[str, Any]) -> str:
    """The parser kind a decoded rehydration object holds (``__DEFAULT_SCOPE__``'s detail key)."""
    scope = obj(data.get("__DEFAULT_SCOPE__"))
    if "webapp.video-detail" in scope:
        return "video_page"
    if "webapp.photo-detail" in scope:
        return "photo_page"
    if "webapp.user-detail" in scope:
        return "profile_page"
    # Only context keys: an empty shell served instead of the data (challenge or login wall).
    return "blocked_page"


def parse_page(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse any TikTok HTML page: video, photo or profile page (rehydration JSON or SIGI_STATE).

    A page without the data script is an HTTP-200 challenge or login shell: status ``blocked``,
    no posts (never "deleted").
    """
    text = as_text(body)
    if REHYDRATION_ID in text:
        data = script_json(text, REHYDRATION_ID)
        if isinstance(data, dict):
            return parse_rehydration(data, url)
    if "SIGI_STATE" in text or "sigi-persisted-data" in text:
        return parse_sigi_state_page(text, url)
    return ParseResult(platform=PLATFORM, parser_kind="blocked_page", status="blocked")


parse_video_page = parse_page
parse_photo_page = parse_page
parse_profile_page = parse_page


def parse_rehydration(data: dict[str, Any], url: str | None = None) -> ParseResult:
    """Parse the decoded ``__UNIVERSAL_DATA_FOR_REHYDRATION__`` object."""
    scope = obj(data.get("__DEFAULT_SCOPE__"))
    parser_kind = rehydration_parser_kind(data)
    if parser_kind in ("video_page", "photo_page"):
        key = "webapp.video-detail" if parser_kind == "video_page" else "webapp.photo-detail"
        return _parse_detail(obj(scope.get(key)), parser_kind, url)
    if parser_kind == "profile_page":
        return _parse_user_detail(obj(scope.get("webapp.user-detail")), url)
    return ParseResult(platform=PLATFORM, parser_kind=parser_kind, status="blocked")


def _parse_detail(detail: dict[str, Any], parser_kind: str, url: str | None) -> ParseResult:
    status_code = int_or_none(detail.get("statusCode")) or 0
    item = dig(detail, "itemInfo", "itemStruct")
    if not isinstance(item, dict):
        item = None
    if status_code == 0 and item is not None and ident(item.get("id")):
        return ParseResult(
            platform=PLATFORM, parser_kind=parser_kind, posts=[post_from_item(item, url)]
        )
    if status_code == STATUS_BLOCKED:
        return ParseResult(platform=PLATFORM, parser_kind=parser_kind, status="blocked")
    if status_code == 0:
        # statusCode 0 but no item: the data was withheld from this client.
        return ParseResult(platform=PLATFORM, parser_kind=parser_kind, status="blocked")
    availability: Availability
    availability, status = (
        ("private", "private") if status_code in STATUS_PRIVATE else ("unknown", "unavailable")
    )
    post_id = ident(dig(item, "id")) or post_id_from_url(url)
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
    return ParseResult(platform=PLATFORM, parser_kind=parser_kind, posts=posts, status=status)


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
        counts=pick(
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
    posts = [post_from_item(item, url) for item in items(info.get("itemList")) if is_web_item(item)]
    status_code = int_or_none(detail.get("statusCode")) or 0
    status = "ok"
    if status_code in STATUS_PRIVATE:
        status = "private"
    elif status_code == STATUS_BLOCKED or (status_code == 0 and not user):
        status = "blocked"
    elif status_code:
        status = "unavailable"
    return ParseResult(
        platform=PLATFORM, parser_kind="profile_page", posts=posts, accounts=accounts, status=status
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
                return ParseResult(
                    platform=PLATFORM, parser_kind="sigi_state_page", status="blocked"
                )
        else:
            data = load_json(match.group(1), "window['SIGI_STATE']")
    if not isinstance(data, dict):
        raise ParseError("SIGI_STATE: expected a JSON object")
    return parse_sigi_state(data, url)


def parse_sigi_state(data: dict[str, Any], url: str | None = None) -> ParseResult:
    """Parse a decoded SIGI_STATE object: ``ItemModule`` keyed by id, authors as strings."""
    parser_kind = "sigi_state_page"
    module = obj(data.get("ItemModule"))
    posts = [post_from_item(item, url) for item in module.values() if is_web_item(item)]
    accounts = []
    users = obj(dig(data, "UserModule", "users"))
    user_stats = obj(dig(data, "UserModule", "stats"))
    for handle, user in users.items():
        if isinstance(user, dict):
            name = ident(user.get("uniqueId")) or ident(handle)
            accounts.append(_account_from_user(user, obj(user_stats.get(handle)), name))
    status_code = int_or_none(dig(data, "VideoPage", "statusCode")) or 0
    status = "ok"
    if status_code == STATUS_BLOCKED:
        status = "blocked"
    elif status_code in STATUS_PRIVATE:
        status = "private"
    elif status_code:
        status = "unavailable"
    return ParseResult(
        platform=PLATFORM, parser_kind=parser_kind, posts=posts, accounts=accounts, status=status
    )


parse_blocked_page = parse_page
