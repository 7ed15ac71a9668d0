"""Instagram JSON responses: post JSON (api v1 / xdt item, GraphQL shortcode_media), profile
timelines (web_profile_info edges, v1 feed ``items``, the xdt timeline connection), and bare
arrays of media items as scrapers write them out."""

from __future__ import annotations

from typing import Any

from archive.errors import ParseError
from archive.platforms.decoding import load_json
from archive.platforms.fields import count, dig, flag, ident, items, obj, objs, text
from archive.platforms.instagram.media import (
    PLATFORM,
    account_from_user,
    is_graph_node,
    is_v1_item,
    post_from_item,
    post_from_node,
)
from archive.records import ParseResult, RawAccount


def find_shortcode_media(data: dict[str, Any]) -> dict[str, Any] | None:
    """A GraphQL post node: ``shortcode_media`` / ``xdt_shortcode_media`` at the top, under
    ``data`` or ``graphql``; a bare node (a timeline edge's, as Zeeschuimer exports it); or the
    node of an instaloader post file (``{"node": {...}, "instaloader": {...}}``)."""
    for holder in (data, obj(data.get("data")), obj(data.get("graphql"))):
        for key in ("shortcode_media", "xdt_shortcode_media"):
            found = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(found, dict):
                return found
    node = data.get("node")
    if isinstance(data.get("instaloader"), dict) and _is_graph_node(node):
        return node  # _is_graph_node made sure it is a dict
    return data if _is_graph_node(data) else None


def _is_graph_node(value: Any) -> bool:
    """A bare GraphQL post node: a shortcode and its time or typename (``Graph*``/``XDTGraph*``)."""
    if not isinstance(value, dict) or ident(value.get("shortcode")) is None:
        return False
    typename = (text(value.get("__typename")) or "").removeprefix("XDT")
    return (
        "taken_at_timestamp" in value
        or "edge_media_to_caption" in value  # what a post keeps as its raw payload
        or typename.startswith("Graph")
    )


def find_profile_user(data: dict[str, Any]) -> dict[str, Any] | None:
    """``data.user`` (or ``graphql.user``) holding ``edge_owner_to_timeline_media``."""
    for holder in (obj(data.get("data")), obj(data.get("graphql"))):
        user = holder.get("user") if isinstance(holder, dict) else None
        if isinstance(user, dict) and "edge_owner_to_timeline_media" in user:
            return user
    return None


def find_timeline_connection(data: dict[str, Any]) -> dict[str, Any] | None:
    """``data.xdt_api__v1__feed__…`` (the logged-in timeline connection), or None."""
    holder = obj(data.get("data"))
    if holder:
        for key, value in holder.items():
            if key.startswith("xdt_api__v1__feed__") and isinstance(value, dict):
                return value
    return None


def parse_post(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse one v1/xdt media item: ``{"items": [item]}`` (media info) or the item itself."""
    data = _load_object(body, "Instagram post")
    found: list[Any] = data["items"] if isinstance(data.get("items"), list) else [data]
    posts = [post_from_item(i, url) for i in found if is_v1_item(i)]
    if not posts:
        raise ParseError("Instagram post: no media item with code and taken_at")
    return ParseResult(platform=PLATFORM, parser_kind="post", posts=posts)


def parse_graphql_post(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a GraphQL post node: ``shortcode_media`` / ``xdt_shortcode_media`` (the older
    single-post JSON), a bare node, or an instaloader post file."""
    data = _load_object(body, "Instagram shortcode_media")
    media = find_shortcode_media(data)
    if media is None:
        raise ParseError("Instagram shortcode_media: not found")
    return ParseResult(
        platform=PLATFORM, parser_kind="graphql_post", posts=[post_from_node(media, url)]
    )


def parse_web_profile_info(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``web_profile_info`` (``data.user``): the account, its first posts, end_cursor."""
    data = _load_object(body, "Instagram web_profile_info")
    user = find_profile_user(data)
    if user is None:
        raise ParseError("Instagram web_profile_info: no data.user.edge_owner_to_timeline_media")
    timeline = obj(user.get("edge_owner_to_timeline_media"))
    page = obj(timeline.get("page_info"))
    posts = [
        post_from_node(node, url)
        for e in objs(timeline.get("edges"))
        if isinstance(node := e.get("node"), dict)
    ]
    handle = ident(user.get("username"))
    account = RawAccount(
        platform=PLATFORM,
        platform_account_id=ident(user.get("id")),
        handle=handle,
        display_name=text(user.get("full_name")) or None,
        url=f"https://www.instagram.com/{handle}/" if handle else None,
        counts={
            k: v
            for k, v in (
                ("followers", count(dig(user, "edge_followed_by", "count"))),
                ("following", count(dig(user, "edge_follow", "count"))),
                ("posts", count(timeline.get("count"))),
            )
            if v is not None
        },
        raw={k: v for k, v in user.items() if not k.startswith("edge_")},
    )
    has_more = flag(page.get("has_next_page"))
    return ParseResult(
        platform=PLATFORM,
        parser_kind="web_profile_info",
        posts=posts,
        accounts=[account],
        next_cursor=ident(page.get("end_cursor")) if has_more else None,
        has_more=has_more,
    )


def parse_user_feed(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a v1 user feed (``items``, ``next_max_id``, ``more_available``) or the xdt
    timeline connection (``edges[].node`` in the v1 item format, ``page_info``)."""
    data = _load_object(body, "Instagram user feed")
    connection = find_timeline_connection(data)
    if connection is not None:
        found: list[Any] = [e.get("node") for e in objs(connection.get("edges"))]
        page = obj(connection.get("page_info"))
        has_more = flag(page.get("has_next_page"))
        cursor = ident(page.get("end_cursor"))
    else:
        found = items(data.get("items"))
        has_more = flag(data.get("more_available"))
        cursor = ident(data.get("next_max_id"))
    posts = [
        post_from_item(i, url)
        for i in found
        if isinstance(i, dict)
        # Ads ride along in feeds; they are nobody's post (4CAT skips them too).
        if is_v1_item(i) and i.get("product_type") != "ad"
    ]
    accounts = []
    user = data.get("user")
    if isinstance(user, dict) and ident(user.get("username")):
        accounts.append(account_from_user(user))
    return ParseResult(
        platform=PLATFORM,
        parser_kind="user_feed",
        posts=posts,
        accounts=accounts,
        next_cursor=cursor if has_more else None,
        has_more=has_more,
    )


def array_item(element: Any) -> dict[str, Any] | None:
    """The media item an array element holds: a v1 item or GraphQL node, bare or as an edge
    (``{"node": item}``); None when the element is neither."""
    node = element.get("node") if isinstance(element, dict) else None
    item = node if isinstance(node, dict) else element
    return item if is_v1_item(item) or is_graph_node(item) else None


def parse_item_array(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse a top-level JSON array of media items: what scrapers write out of the
    ``xdt_api__v1__feed__user_timeline_graphql_connection`` edges (v1 items, ``code`` sometimes
    renamed ``shortcode``, ``user`` left out by reduced dumps), or GraphQL edge nodes.

    No paging (an array has none) and no account: items may name different authors, or none.
    """
    data = load_json(body, "Instagram item array")
    if not isinstance(data, list):
        raise ParseError("Instagram item array: expected a JSON array of media items")
    posts = []
    problems = []
    for index, element in enumerate(data):
        item = array_item(element)
        if item is None:
            # One broken element costs itself, not the array.
            problems.append(f"element {index}: not an Instagram media item, skipped")
        elif item.get("product_type") != "ad":
            read = post_from_item if is_v1_item(item) else post_from_node
            posts.append(read(item, url))
    return ParseResult(platform=PLATFORM, parser_kind="item_array", posts=posts, problems=problems)


def _load_object(body: str | bytes, what: str) -> dict[str, Any]:
    data = load_json(body, what)
    if not isinstance(data, dict):
        raise ParseError(f"{what}: expected a JSON object")
    return data
