"""Bluesky on the demo site: the public AppView XRPC queries (FORMATS.md Bluesky §1).

``getAuthorFeed`` (cursor = the last item's sort time, reposts interleaved, pins with
``includePins=true``), ``getPostThread``, ``getPosts``, ``getProfile``, ``resolveHandle``. Facets
carry UTF-8 byte offsets computed from the rendered text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from demo.content import (
    PUBLIC_HOSTS,
    Account,
    Post,
    Repost,
    World,
    bluesky_cid,
    num,
    render,
)
from demo.render.web import (
    Request,
    Response,
    dumps,
    iso_z,
    json_response,
    raw_json,
    truncated,
)

HOST = PUBLIC_HOSTS["bluesky"]
CDN = "https://cdn.bsky.app"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
#: The account whose feed pages after the first are truncated JSON in the "later" snapshot.
MALFORMED_FEED_HANDLE = "haruka.bsky.example"


def web_url(post: Post) -> str:
    """``https://bsky.app/profile/<handle>/post/<rkey>``."""
    return f"{HOST}/profile/{post.account.handle}/post/{post.extra['rkey']}"


def indexed_at(post: Post) -> datetime:
    """When the AppView indexed the post (a little after ``createdAt``)."""
    return post.created_at + timedelta(milliseconds=int(post.extra.get("indexed_delay_ms", 400)))


def _error(name: str, message: str, status: int = 400) -> Response:
    return json_response({"error": name, "message": message}, status=status)


def _avatar(acc: Account) -> str:
    return f"{CDN}/img/avatar/plain/{acc.account_id}/{bluesky_cid('avatar', acc.key)}@jpeg"


def profile_basic(acc: Account) -> dict[str, Any]:
    """``ProfileViewBasic``."""
    return {
        "did": acc.account_id,
        "handle": acc.handle,
        "displayName": acc.name,
        "avatar": _avatar(acc),
        "associated": {"chat": {"allowIncoming": "following"}},
        "labels": [],
        "createdAt": iso_z(acc.created_at),
    }


def facets(world: World, post: Post, snapshot: str) -> list[dict[str, Any]]:
    """Rich-text facets with UTF-8 byte offsets into ``record.text``."""
    rendered = render(world, post.caption_in(snapshot), "bluesky")
    out = []
    for kind, start, end, value, acc in rendered.spans:
        byte_start = len(rendered.text[:start].encode("utf-8"))
        byte_end = len(rendered.text[:end].encode("utf-8"))
        if kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": value}
        elif kind == "mention" and acc is not None:
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": acc.account_id}
        elif kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": value}
        else:
            continue
        out.append(
            {
                "$type": "app.bsky.richtext.facet",
                "features": [feature],
                "index": {"byteEnd": byte_end, "byteStart": byte_start},
            }
        )
    return out


def post_view(world: World, post: Post, snapshot: str) -> dict[str, Any]:
    """``PostView`` with the record, the hydrated embed view and the counters."""
    acc = post.account
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": iso_z(post.created_at),
        "langs": [post.language],
        "text": render(world, post.caption_in(snapshot), "bluesky").text,
    }
    post_facets = facets(world, post, snapshot)
    if post_facets:
        record["facets"] = post_facets
    view: dict[str, Any] = {
        "uri": post.post_id,
        "cid": post.extra["cid"],
        "author": profile_basic(acc),
        "record": record,
    }
    images = int(post.extra.get("images", 0))
    if images:
        blobs = [bluesky_cid("blob", post.post_id, i) for i in range(images)]
        alts = [f"Foto {i + 1} van {acc.name}" for i in range(images)]
        record["embed"] = {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "alt": alt,
                    "aspectRatio": {"height": 1350, "width": 1080},
                    "image": {
                        "$type": "blob",
                        "ref": {"$link": blob},
                        "mimeType": "image/jpeg",
                        "size": 150_000 + num("size", blob) % 400_000,
                    },
                }
                for blob, alt in zip(blobs, alts, strict=True)
            ],
        }
        view["embed"] = {
            "$type": "app.bsky.embed.images#view",
            "images": [
                {
                    "thumb": f"{CDN}/img/feed_thumbnail/plain/{acc.account_id}/{blob}@jpeg",
                    "fullsize": f"{CDN}/img/feed_fullsize/plain/{acc.account_id}/{blob}@jpeg",
                    "alt": alt,
                    "aspectRatio": {"height": 1350, "width": 1080},
                }
                for blob, alt in zip(blobs, alts, strict=True)
            ],
        }
    counts = post.counts(snapshot)
    view.update(
        {
            "replyCount": counts["comments"],
            "repostCount": counts["shares"],
            "likeCount": counts["likes"],
            "quoteCount": counts["shares"] // 3,
            "bookmarkCount": counts["likes"] // 10,
            "indexedAt": iso_z(indexed_at(post)),
            "labels": [],
        }
    )
    return view


def _reason_repost(repost: Repost) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.defs#reasonRepost",
        "by": profile_basic(repost.by),
        "uri": f"at://{repost.by.account_id}/app.bsky.feed.repost/{repost.repost_id}",
        "cid": bluesky_cid("repost", repost.repost_id),
        "indexedAt": iso_z(repost.created_at),
    }


def feed_items(world: World, acc: Account, snapshot: str) -> list[tuple[str, dict[str, Any]]]:
    """The account's feed (own posts and reposts), newest first, as (sort key, item)."""
    items: list[tuple[str, dict[str, Any]]] = []
    for post in world.listing(acc, snapshot):
        items.append((iso_z(indexed_at(post)), {"post": post_view(world, post, snapshot)}))
    for repost in world.reposts:
        if repost.platform == "bluesky" and repost.by is acc:
            items.append(
                (
                    iso_z(repost.created_at),
                    {
                        "post": post_view(world, repost.post, snapshot),
                        "reason": _reason_repost(repost),
                    },
                )
            )
    items.sort(key=lambda pair: pair[0], reverse=True)
    return items


def pinned_post(world: World, acc: Account, snapshot: str) -> Post | None:
    """The account's pinned post in the snapshot."""
    if snapshot != "later":
        return None
    return next((p for p in world.listing(acc, snapshot) if p.pinned_in_later), None)


def _actor(world: World, req: Request, name: str = "actor") -> Account | None:
    actor = req.arg(name)
    return world.find_account("bluesky", actor) if actor else None


def _author_feed(world: World, req: Request) -> Response:
    acc = _actor(world, req)
    if acc is None:
        return _error("InvalidRequest", "Profile not found")
    limit = req.int_arg("limit", DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        return _error("InvalidRequest", f"limit must be between 1 and {MAX_LIMIT}")
    cursor = req.arg("cursor")
    wanted = req.arg("filter", "posts_with_replies")
    items = feed_items(world, acc, req.snapshot)
    if wanted == "posts_with_media":
        items = [(k, i) for k, i in items if "embed" in i["post"] and "reason" not in i]
    elif wanted == "posts_with_video":
        items = []  # the demo has no video posts on Bluesky
    rest = [(k, i) for k, i in items if not cursor or k < cursor]
    page = rest[:limit]
    body: dict[str, Any] = {"feed": [item for _, item in page]}
    pin = pinned_post(world, acc, req.snapshot)
    if not cursor and pin is not None and req.arg("includePins") == "true":
        body["feed"].insert(
            0,
            {
                "post": post_view(world, pin, req.snapshot),
                "reason": {"$type": "app.bsky.feed.defs#reasonPin"},
            },
        )
    if len(rest) > limit:
        body["cursor"] = page[-1][0]
    text = dumps(body)
    if cursor and req.snapshot == "later" and acc.handle == MALFORMED_FEED_HANDLE:
        return raw_json(truncated(text))
    return raw_json(text)


def _profile(world: World, req: Request) -> Response:
    acc = _actor(world, req)
    if acc is None:
        return _error("InvalidRequest", "Profile not found")
    posts = world.listing(acc, req.snapshot)
    body: dict[str, Any] = {
        **profile_basic(acc),
        "associated": {
            "lists": 0,
            "feedgens": 0,
            "starterPacks": 0,
            "labeler": False,
            "chat": {"allowIncoming": "following"},
        },
        "description": acc.bio,
        "indexedAt": iso_z(acc.created_at + timedelta(days=2)),
        "banner": f"{CDN}/img/banner/plain/{acc.account_id}/{bluesky_cid('banner', acc.key)}@jpeg",
        "followersCount": acc.followers + (len(posts) * 11 if req.snapshot == "later" else 0),
        "followsCount": acc.following,
        "postsCount": len(posts)
        + sum(1 for r in world.reposts if r.platform == "bluesky" and r.by is acc),
    }
    pin = pinned_post(world, acc, req.snapshot)
    if pin is not None:
        body["pinnedPost"] = {"cid": pin.extra["cid"], "uri": pin.post_id}
    return json_response(body)


def _find_post(world: World, uri: str, snapshot: str) -> Post | None:
    post = world.post("bluesky", uri)
    if post is None:
        # at://<handle>/app.bsky.feed.post/<rkey> also resolves
        parts = uri.removeprefix("at://").split("/")
        if len(parts) == 3:
            acc = world.find_account("bluesky", parts[0])
            if acc is not None:
                post = world.post("bluesky", f"at://{acc.account_id}/{parts[1]}/{parts[2]}")
    return post if post is not None and post.visible(snapshot) else None


def _thread(world: World, req: Request) -> Response:
    uri = req.arg("uri")
    post = _find_post(world, uri, req.snapshot)
    if post is None:
        return _error("NotFound", f"Post not found: {uri}")
    return json_response(
        {
            "thread": {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": post_view(world, post, req.snapshot),
                "replies": [],
                "threadContext": {},
            }
        }
    )


def _posts(world: World, req: Request) -> Response:
    found = [_find_post(world, uri, req.snapshot) for uri in req.query.get("uris", [])[:25]]
    return json_response({"posts": [post_view(world, p, req.snapshot) for p in found if p]})


def _resolve_handle(world: World, req: Request) -> Response:
    acc = world.find_account("bluesky", req.arg("handle"))
    if acc is None:
        return _error("InvalidRequest", "Unable to resolve handle")
    return json_response({"did": acc.account_id})


ROUTES = {
    "/xrpc/app.bsky.feed.getAuthorFeed": _author_feed,
    "/xrpc/app.bsky.actor.getProfile": _profile,
    "/xrpc/app.bsky.feed.getPostThread": _thread,
    "/xrpc/app.bsky.feed.getPosts": _posts,
    "/xrpc/com.atproto.identity.resolveHandle": _resolve_handle,
}


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/bluesky``."""
    route = ROUTES.get(req.path.rstrip("/"))
    if route is None:
        return _error("MethodNotImplemented", "Method Not Implemented", 501)
    return route(world, req)
