"""Which archived posts a URL names (``podium forget post``, and anyone holding a link)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.platforms import instagram, platform_from_url, x
from archive.store._common import account_t, post_t, select_ids

# Post URL shapes whose id the archive keeps as platform_post_id (see archive/platforms).
_TIKTOK_ID = re.compile(r"/(?:video|photo)/(\d+)")
_YOUTUBE_PATH = re.compile(r"^/(?:shorts|embed|live|v)/([\w-]{11})")
_BLUESKY_PATH = re.compile(r"^/profile/([^/]+)/post/(\w+)")
_MASTODON_PATH = re.compile(r"^/@([\w.]+)(?:@[\w.-]+)?/(\d+)")


def find_posts_by_url(conn: Connection, url: str) -> list[int]:
    """Ids of the posts a URL names: the stored ``post.url`` (query and trailing slash aside),
    a platform id given as is, else the platform's id in the URL as the parsers read it."""
    url = url.strip()
    c = post_t.c
    found = select_ids(conn, sa.select(c.id).where(c.url.in_(_url_forms(url))))
    if found:
        return found
    found = select_ids(conn, sa.select(c.id).where(c.platform_post_id == url))
    if found:
        return found
    parts = urlsplit(url if "//" in url else f"https://{url}")
    platform = platform_from_url(parts.geturl())
    where: list[Any] = []
    if platform == "tiktok" and (m := _TIKTOK_ID.search(parts.path)):
        where = [c.platform_post_id == m.group(1)]
    elif platform == "instagram" and (code := instagram.shortcode_from_url(parts.geturl())):
        where = [c.platform_post_id == code]
    elif platform == "x" and (m := x.STATUS_URL.search(parts.geturl())):
        where = [c.platform_post_id == m.group(2)]
    elif platform == "youtube" or parts.hostname in ("youtu.be", "www.youtu.be"):
        platform = "youtube"
        video = (
            parts.path.strip("/")
            if parts.hostname and parts.hostname.endswith("youtu.be")
            else (parse_qs(parts.query).get("v") or [""])[0]
        )
        if not video and (m := _YOUTUBE_PATH.match(parts.path)):
            video = m.group(1)
        where = [c.platform_post_id == video] if video else []
    elif platform == "bluesky" and (m := _BLUESKY_PATH.match(parts.path)):
        actor, rkey = m.groups()
        suffix = f"/app.bsky.feed.post/{rkey}"
        if actor.startswith("did:"):
            where = [c.platform_post_id == f"at://{actor}{suffix}"]
        else:
            owner = sa.select(account_t.c.id).where(
                account_t.c.platform == "bluesky", account_t.c.handle_key == actor.casefold()
            )
            where = [c.platform_post_id.endswith(suffix, autoescape=True), c.account_id.in_(owner)]
    elif platform is None and (m := _MASTODON_PATH.match(parts.path)):
        user, status_id = m.groups()
        platform = "mastodon"
        where = [c.platform_post_id == f"https://{parts.netloc}/users/{user}/statuses/{status_id}"]
    if not where:
        return []
    return select_ids(conn, sa.select(c.id).where(c.platform == platform, *where))


def _url_forms(url: str) -> list[str]:
    """The URL as given, without query and fragment, with and without a trailing slash."""
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    forms = {url, bare, bare.rstrip("/"), bare.rstrip("/") + "/"}
    return sorted(f for f in forms if f)
