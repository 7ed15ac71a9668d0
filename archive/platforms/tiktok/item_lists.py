"""Lists of TikTok web items: the item_list API, and exports (scrapfly, Zeeschuimer)."""

from __future__ import annotations

import json

from archive.errors import ParseError
from archive.platforms.decoding import as_text, decode_json, load_json
from archive.platforms.fields import flag, ident, int_or_none, items
from archive.platforms.tiktok.item import (
    PLATFORM,
    is_web_item,
    post_from_item,
    unwrap_export,
)
from archive.platforms.tiktok.pages import STATUS_BLOCKED
from archive.records import ParseResult


def parse_item_list(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``/api/post/item_list/`` (cursor, hasMore) or ``/api/creator/item_list/``.

    The creator endpoint has no cursor in the body: the next one is the last item's
    ``createTime`` in milliseconds, as yt-dlp computes it; ``has_more`` is ``hasMorePrevious``.
    """
    data = load_json(body, "TikTok item_list")
    if not isinstance(data, dict):
        raise ParseError("TikTok item_list: expected a JSON object")
    found = [i for i in items(data.get("itemList")) if is_web_item(i)]
    posts = [post_from_item(item, url) for item in found]
    if "hasMore" in data:
        has_more = flag(data.get("hasMore"))
        cursor = ident(data.get("cursor"))
    else:
        has_more = flag(data.get("hasMorePrevious"))
        last_time = int_or_none(found[-1].get("createTime")) if found else None
        cursor = str(last_time * 1000) if last_time else ident(data.get("cursor"))
    status_code = int_or_none(data.get("statusCode")) or 0
    status = "ok"
    if status_code == STATUS_BLOCKED:
        status = "blocked"
    elif status_code:
        status = "unavailable"
    return ParseResult(
        platform=PLATFORM,
        parser_kind="item_list",
        posts=posts,
        next_cursor=cursor if has_more else None,
        has_more=has_more,
        status=status,
    )


def parse_items(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a bare list of web items (scrapfly results, Zeeschuimer exports, JSON or NDJSON),
    or one web item on its own (a post's stored raw payload).

    Reduced dumps keep only some fields (``id``, ``desc``, ``createTime``, ``stats``): an item
    without ``author`` gives an authorless post, its URL under yt-dlp's placeholder ``@_``.
    """
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
    found = [unwrap_export(x) for x in data]
    return ParseResult(
        platform=PLATFORM,
        parser_kind="items",
        posts=[post_from_item(item, url) for item in found if is_web_item(item)],
        problems=problems,
    )
