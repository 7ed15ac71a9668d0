"""Mastodon on the demo site: one server for every demo instance (FORMATS.md Mastodon §2).

``accounts/lookup``, ``accounts/:id``, ``accounts/:id/statuses`` (``max_id``/``min_id``/
``since_id``/``limit``, ``Link`` header pointing back at the demo), ``statuses/:id`` and
``statuses/:id/history``. Status ``url``/``uri`` and links in ``content`` use the instance's own
host (``https://schaats.example/...``); only the ``Link`` header points at ``{root}/mastodon``.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from demo.content import Account, Post, Repost, World, render
from demo.render.web import (
    Request,
    Response,
    dumps,
    iso_z,
    json_response,
    raw_json,
    truncated,
)

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
_STATUSES = re.compile(r"^/api/v1/accounts/(\d+)/statuses/?$")
_ACCOUNT = re.compile(r"^/api/v1/accounts/(\d+)/?$")
_STATUS = re.compile(r"^/api/v1/statuses/(\d+)(/history)?/?$")
_PAGING_PARAMS = ("limit", "only_media", "exclude_replies", "exclude_reblogs", "pinned", "tagged")


def status_url(post: Post) -> str:
    """``https://<instance>/@<user>/<id>``."""
    acc = post.account
    return f"https://{acc.instance}/@{acc.username}/{post.post_id}"


def _not_found() -> Response:
    return json_response({"error": "Record not found"}, status=404)


def account_entity(world: World, acc: Account, snapshot: str) -> dict[str, Any]:
    """The Account entity, as the account's own instance shows it (``acct`` = username)."""
    posts = world.listing(acc, snapshot)
    last = posts[0].created_at if posts else acc.created_at
    host = f"https://{acc.instance}"
    media = f"{host}/system/accounts"
    return {
        "id": acc.account_id,
        "username": acc.username,
        "acct": acc.username,
        "display_name": acc.name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": acc.created_at.strftime("%Y-%m-%dT00:00:00.000Z"),
        "note": f"<p>{html.escape(acc.bio)}</p>",
        "url": f"{host}/@{acc.username}",
        "uri": f"{host}/users/{acc.username}",
        "avatar": f"{media}/avatars/{acc.account_id[:3]}/original/{acc.account_id}.jpg",
        "avatar_static": f"{media}/avatars/{acc.account_id[:3]}/original/{acc.account_id}.jpg",
        "header": f"{media}/headers/{acc.account_id[:3]}/original/{acc.account_id}.jpg",
        "header_static": f"{media}/headers/{acc.account_id[:3]}/original/{acc.account_id}.jpg",
        "followers_count": acc.followers // 20 + (len(posts) * 3 if snapshot == "later" else 0),
        "following_count": acc.following // 3,
        "statuses_count": len(posts),
        "last_status_at": last.strftime("%Y-%m-%d"),
        "hide_collections": False,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [
            {
                "name": "Website",
                "value": _link_html(f"https://{acc.athlete}.example").replace(
                    'rel="nofollow noopener"', 'rel="nofollow noopener me"'
                ),
                "verified_at": None,
            },
        ],
    }


def _link_html(url: str) -> str:
    scheme, _, rest = url.partition("://")
    shown, hidden = rest[:30], rest[30:]
    cls = "ellipsis" if hidden else ""
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{scheme}://</span><span class="{cls}">{html.escape(shown)}'
        f'</span><span class="invisible">{html.escape(hidden)}</span></a>'
    )


def content_html(world: World, post: Post, snapshot: str) -> str:
    """The status ``content``: paragraphs, hashtag links and h-card mentions."""
    rendered = render(world, post.caption_in(snapshot), "mastodon")
    text, pos, parts = rendered.text, 0, []
    host = f"https://{post.account.instance}"
    for kind, start, end, value, acc in rendered.spans:
        parts.append(html.escape(text[pos:start], quote=False))
        if kind == "tag":
            parts.append(
                f'<a href="{host}/tags/{html.escape(value.lower())}" '
                f'class="mention hashtag" rel="tag">#<span>{html.escape(value)}</span></a>'
            )
        elif kind == "mention" and acc is not None:
            parts.append(
                f'<span class="h-card" translate="no"><a href="https://{acc.instance}/'
                f'@{acc.username}" class="u-url mention">@<span>{acc.username}</span>'
                "</a></span>"
            )
        elif kind == "link":
            parts.append(_link_html(value))
        else:
            parts.append(html.escape(text[start:end], quote=False))
        pos = end
    parts.append(html.escape(text[pos:], quote=False))
    body = "".join(parts).strip()
    paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n")]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _mentions(world: World, post: Post, snapshot: str) -> list[dict[str, Any]]:
    rendered = render(world, post.caption_in(snapshot), "mastodon")
    out = []
    for kind, *_rest, acc in rendered.spans:
        if kind == "mention" and acc is not None:
            acct = (
                acc.username
                if acc.instance == post.account.instance
                else (f"{acc.username}@{acc.instance}")
            )
            out.append(
                {
                    "id": acc.account_id,
                    "username": acc.username,
                    "url": f"https://{acc.instance}/@{acc.username}",
                    "acct": acct,
                }
            )
    return out


def _tags(world: World, post: Post, snapshot: str) -> list[dict[str, str]]:
    rendered = render(world, post.caption_in(snapshot), "mastodon")
    seen: dict[str, dict[str, str]] = {}
    for kind, _start, _end, value, _acc in rendered.spans:
        if kind == "tag" and value.lower() not in seen:
            seen[value.lower()] = {
                "name": value.lower(),
                "url": f"https://{post.account.instance}/tags/{value.lower()}",
            }
    return list(seen.values())


def status_entity(world: World, post: Post, snapshot: str) -> dict[str, Any]:
    """The Status entity of an own post."""
    acc = post.account
    counts = post.counts(snapshot)
    edited = post.edited_in(snapshot)
    media = []
    for n in range(int(post.extra.get("media", 0))):
        media_id = str(int(post.post_id) + 17 + n)
        base = f"https://{acc.instance}/system/media_attachments/files/{media_id[:3]}"
        media.append(
            {
                "id": media_id,
                "type": "image",
                "url": f"{base}/original/{media_id}.jpg",
                "preview_url": f"{base}/small/{media_id}.jpg",
                "remote_url": None,
                "preview_remote_url": None,
                "text_url": None,
                "meta": {
                    "original": {
                        "width": 1600,
                        "height": 1200,
                        "size": "1600x1200",
                        "aspect": 1.3333333333333333,
                    }
                },
                "description": f"Foto van {acc.name}",
                "blurhash": "UFBWY[of00WB~qj[M{ay%Mj[WBay",
            }
        )
    return {
        "id": post.post_id,
        "created_at": iso_z(post.created_at),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": post.language,
        "uri": f"https://{acc.instance}/users/{acc.username}/statuses/{post.post_id}",
        "url": status_url(post),
        "replies_count": counts["comments"],
        "reblogs_count": counts["shares"],
        "favourites_count": counts["likes"],
        "quotes_count": 0,
        "edited_at": iso_z(post.edited_at) if edited and post.edited_at else None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "content": content_html(world, post, snapshot),
        "filtered": [],
        "reblog": None,
        "application": {"name": "Web", "website": None},
        "account": account_entity(world, acc, snapshot),
        "media_attachments": media,
        "mentions": _mentions(world, post, snapshot),
        "tags": _tags(world, post, snapshot),
        "emojis": [],
        "quote": None,
        "card": None,
        "poll": None,
    }


def reblog_entity(world: World, repost: Repost, snapshot: str) -> dict[str, Any]:
    """A boost: an empty outer status whose ``reblog`` is the boosted status."""
    by = repost.by
    inner = status_entity(world, repost.post, snapshot)
    return {
        **inner,
        "id": repost.repost_id,
        "created_at": iso_z(repost.created_at),
        "language": None,
        "uri": f"https://{by.instance}/users/{by.username}/statuses/{repost.repost_id}/activity",
        "url": f"https://{by.instance}/@{by.username}/{repost.repost_id}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": None,
        "content": "",
        "reblog": inner,
        "application": None,
        "account": account_entity(world, by, snapshot),
        "media_attachments": [],
        "mentions": [],
        "tags": [],
    }


def timeline(world: World, acc: Account, snapshot: str) -> list[tuple[int, Post | Repost]]:
    """The account's statuses (own posts and boosts), newest first, keyed by int id."""
    entries: list[tuple[int, Post | Repost]] = [
        (int(p.post_id), p) for p in world.listing(acc, snapshot)
    ]
    entries += [
        (int(r.repost_id), r)
        for r in world.reposts
        if r.platform == "mastodon" and r.by is acc and r.post.visible(snapshot)
    ]
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return entries


def _entity(world: World, entry: Post | Repost, snapshot: str) -> dict[str, Any]:
    if isinstance(entry, Repost):
        return reblog_entity(world, entry, snapshot)
    return status_entity(world, entry, snapshot)


def _account_by_id(world: World, account_id: str) -> Account | None:
    return next(
        (a for a in world.platform_accounts["mastodon"] if a.account_id == account_id), None
    )


def _statuses(world: World, req: Request, account_id: str) -> Response:
    acc = _account_by_id(world, account_id)
    if acc is None:
        return _not_found()
    limit = max(1, min(req.int_arg("limit", DEFAULT_LIMIT), MAX_LIMIT))
    entries = timeline(world, acc, req.snapshot)
    if req.arg("exclude_reblogs") in ("true", "1"):
        entries = [e for e in entries if isinstance(e[1], Post)]
    if req.arg("only_media") in ("true", "1"):
        entries = [e for e in entries if isinstance(e[1], Post) and e[1].extra.get("media")]
    if req.arg("pinned") in ("true", "1"):
        entries = []
    if tagged := req.arg("tagged").lower():
        entries = [
            e
            for e in entries
            if isinstance(e[1], Post)
            and any(t["name"] == tagged for t in _tags(world, e[1], req.snapshot))
        ]
    max_id, since_id, min_id = (req.int_arg(k, 0) for k in ("max_id", "since_id", "min_id"))
    if max_id:
        entries = [e for e in entries if e[0] < max_id]
    if since_id:
        entries = [e for e in entries if e[0] > since_id]
    if min_id:
        # the page immediately newer than min_id, still sent newest first
        entries = [e for e in entries if e[0] > min_id][-limit:]
    page = entries[:limit]
    headers = {}
    if page:
        kept = {k: req.arg(k) for k in _PAGING_PARAMS if req.arg(k) and k != "limit"}
        base = f"{req.base('mastodon')}/api/v1/accounts/{acc.account_id}/statuses"
        links = []
        if len(page) == limit:
            links.append(
                f'<{base}?{urlencode({"limit": limit, **kept, "max_id": page[-1][0]})}>; rel="next"'
            )
        links.append(
            f'<{base}?{urlencode({"limit": limit, **kept, "min_id": page[0][0]})}>; rel="prev"'
        )
        headers["Link"] = ", ".join(links)
    body = [_entity(world, entry, req.snapshot) for _, entry in page]
    return json_response(body, headers=headers)


def _status(world: World, req: Request, status_id: str, history: bool) -> Response:
    post = world.post("mastodon", status_id)
    if post is None or not post.visible(req.snapshot):
        repost = next(
            (r for r in world.reposts if r.platform == "mastodon" and r.repost_id == status_id),
            None,
        )
        if repost is None or history:
            return _not_found()
        return json_response(reblog_entity(world, repost, req.snapshot))
    if history:
        versions = [("early", post.created_at)]
        if post.edited_in(req.snapshot) and post.edited_at:
            versions.append(("later", post.edited_at))
        account = account_entity(world, post.account, req.snapshot)
        return json_response(
            [
                {
                    "content": content_html(world, post, snap),
                    "spoiler_text": "",
                    "sensitive": False,
                    "created_at": iso_z(when),
                    "account": account,
                    "poll": None,
                    "media_attachments": [],
                    "emojis": [],
                }
                for snap, when in versions
            ]
        )
    text = dumps(status_entity(world, post, req.snapshot))
    if post.malformed_page:
        return raw_json(truncated(text))
    return raw_json(text)


def _lookup(world: World, req: Request) -> Response:
    acct = req.arg("acct").lstrip("@")
    username, _, instance = acct.partition("@")
    for acc in world.platform_accounts["mastodon"]:
        if acc.username.lower() == username.lower() and instance.lower() in ("", acc.instance):
            return json_response(account_entity(world, acc, req.snapshot))
    return _not_found()


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/mastodon``."""
    path = req.path
    if path.rstrip("/") == "/api/v1/accounts/lookup":
        return _lookup(world, req)
    if match := _STATUSES.match(path):
        return _statuses(world, req, match.group(1))
    if match := _ACCOUNT.match(path):
        acc = _account_by_id(world, match.group(1))
        return json_response(account_entity(world, acc, req.snapshot)) if acc else _not_found()
    if match := _STATUS.match(path):
        return _status(world, req, match.group(1), bool(match.group(2)))
    return json_response({"error": "Not Found"}, status=404)
