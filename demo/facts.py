"""What the demo site shows in a snapshot, as plain JSON-able data for end-to-end tests.

Derived from the same world the pages are rendered from, never typed by hand. See
``expected_facts`` for the shape.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from demo.content import PLATFORMS, SNAPSHOTS, Post, World, build_world, render
from demo.render import bluesky, instagram, mastodon, news, tiktok, x, youtube
from demo.render.web import iso_z

DEFAULT_ROOT = "http://demo.invalid"
#: Page sizes for which the facts list the Bluesky posts a malformed second page hides.
BLUESKY_LIMITS = (25, 30, 50, 100)


def public_url(post: Post) -> str:
    """The post's canonical URL on its platform."""
    return {
        "tiktok": tiktok.video_url,
        "instagram": instagram.permalink,
        "bluesky": bluesky.web_url,
        "mastodon": mastodon.status_url,
        "youtube": youtube.watch_url,
    }[post.platform](post)


def demo_url(root: str, post: Post) -> str:
    """Where the demo serves the post on its own (YouTube: the channel feed)."""
    base = f"{root.rstrip('/')}/{post.platform}"
    acc = post.account
    if post.platform == "tiktok":
        kind = "photo" if post.kind == "photo" else "video"
        return f"{base}/@{acc.handle}/{kind}/{post.post_id}"
    if post.platform == "instagram":
        return f"{base}/p/{post.post_id}/?__a=1&__d=dis"
    if post.platform == "bluesky":
        return f"{base}/xrpc/app.bsky.feed.getPostThread?uri={quote(post.post_id, safe='')}"
    if post.platform == "mastodon":
        return f"{base}/api/v1/statuses/{post.post_id}"
    return f"{base}/feeds/videos.xml?channel_id={acc.account_id}"


def archive_id(post: Post) -> str:
    """The id Podium's parsers use as ``platform_post_id`` (Mastodon: the status ``uri``)."""
    if post.platform == "mastodon":
        acc = post.account
        return f"https://{acc.instance}/users/{acc.username}/statuses/{post.post_id}"
    return post.post_id


def caption_text(world: World, post: Post, snapshot: str) -> str:
    """The caption as the platform's payload carries it (Mastodon: the text of ``content``)."""
    if post.platform == "tiktok":
        return tiktok.caption_text(world, post, snapshot)
    return render(world, post.caption_in(snapshot), post.platform).text


def _tags_and_mentions(world: World, post: Post, snapshot: str) -> tuple[list[str], list[str]]:
    rendered = render(world, post.caption_in(snapshot), post.platform)
    tags: dict[str, str] = {}
    mentions: dict[str, str] = {}
    for kind, _start, _end, value, acc in rendered.spans:
        if kind == "tag":
            tags.setdefault(value.casefold(), value)
        elif kind == "mention":
            shown = (
                f"{acc.username}@{acc.instance}" if acc and post.platform == "mastodon" else value
            )
            mentions.setdefault(shown.casefold(), shown)
    return list(tags.values()), list(mentions.values())


def _sound(post: Post) -> dict[str, Any] | None:
    if post.sound is None:
        return None
    return {
        "id": post.sound.id,
        "title": post.sound.title,
        "artist": post.sound.artist,
        "is_original": post.sound.original,
    }


def post_facts(world: World, post: Post, snapshot: str, root: str) -> dict[str, Any]:
    """What one post looks like in the snapshot."""
    tags, mentions = _tags_and_mentions(world, post, snapshot)
    facts: dict[str, Any] = {
        "platform": post.platform,
        "post_id": post.post_id,
        "archive_id": archive_id(post),
        "athlete": post.account.athlete or None,
        "handle": post.account.handle,
        "account_id": post.account.account_id,
        "url": public_url(post),
        "demo_url": demo_url(root, post),
        "posted_at": iso_z(post.created_at, 0),
        "kind": post.kind,
        "language": post.language,
        "declared_language": post.language if post.platform in ("bluesky", "mastodon") else None,
        "caption": caption_text(world, post, snapshot),
        "hashtags": tags,
        "mentions": mentions,
        "sound": _sound(post),
        "counts": dict(post.counts(snapshot)),
        "edited": post.edited_in(snapshot),
        "pinned": post.pinned_in_later and snapshot == "later",
        "new_in_later": post.new_in_later,
        "embedded_in": [
            news.article_url(root, a)
            for a in news.visible_articles(world, snapshot)
            if any(e.platform == post.platform and e.post_id == post.post_id for e in a.embeds)
        ],
    }
    if post.platform == "youtube":
        facts["title"] = post.title_in(snapshot)
    return facts


def expected_facts(snapshot: str, root: str = DEFAULT_ROOT) -> dict[str, Any]:
    """Everything an archive filled from this snapshot should hold (see ROUTES.md, "Facts")."""
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"unknown snapshot {snapshot!r}")
    world = build_world()
    root = root.rstrip("/")
    later = snapshot == "later"
    platforms: dict[str, Any] = {}
    posts: dict[str, dict[str, Any]] = {}
    by_athlete: dict[str, dict[str, int]] = {}
    changes: dict[str, dict[str, list[str]]] = {
        k: {} for k in ("new", "edited", "deleted", "pinned")
    }
    languages: set[str] = set()
    for platform in PLATFORMS:
        accounts: dict[str, Any] = {}
        posts[platform] = {}
        by_athlete[platform] = {}
        for acc in world.platform_accounts[platform]:
            listed = world.listing(acc, snapshot)
            accounts[acc.handle] = {
                "athlete": acc.athlete,
                "account_id": acc.account_id,
                "name": acc.name,
                "post_ids": [p.post_id for p in listed],
            }
            by_athlete[platform][acc.athlete] = len(listed)
            for post in listed:
                posts[platform][post.post_id] = post_facts(world, post, snapshot, root)
                languages.add(post.language)
        everything = [
            p for acc in world.platform_accounts[platform] for p in world.by_account[acc.key]
        ]
        changes["new"][platform] = [p.post_id for p in everything if later and p.new_in_later]
        changes["edited"][platform] = [p.post_id for p in everything if p.edited_in(snapshot)]
        changes["deleted"][platform] = [
            p.post_id for p in everything if later and p.deleted_in_later
        ]
        changes["pinned"][platform] = [p.post_id for p in everything if later and p.pinned_in_later]
        platforms[platform] = {"accounts": accounts, "post_count": len(posts[platform])}

    return {
        "snapshot": snapshot,
        "root": root,
        "base_urls": {name: f"{root}/{name}" for name in (*PLATFORMS, "x", "news")},
        "athletes": [
            {
                "slug": a.slug,
                "name": a.name,
                "sport": a.sport,
                "country": a.country,
                "languages": list(a.languages),
                "accounts": {
                    acc.platform: acc.handle
                    for acc in world.accounts.values()
                    if acc.athlete == a.slug
                },
            }
            for a in world.athletes
        ],
        "platforms": platforms,
        "posts_by_athlete": by_athlete,
        "posts": posts,
        "archive_ids": {
            platform: {p.post_id: archive_id(p) for p in world.posts[platform].values()}
            for platform in PLATFORMS
        },
        **changes,
        "blocked": _blocked(world, snapshot, root),
        "malformed": _malformed(world, snapshot, root),
        "reposts": _reposts(world, snapshot),
        "articles": _articles(world, snapshot, root),
        "tweets": [
            {
                "tweet_id": t.tweet_id,
                "athlete": t.athlete,
                "handle": t.handle,
                "url": x.status_url(t),
                "demo_url": f"{root}/x/tweet-result?id={t.tweet_id}&token=0",
                "posted_at": iso_z(t.created_at, 0),
                "language": t.language,
                "caption": render(world, t.caption, "x").text,
            }
            for t in world.tweets
        ],
        "url_list": _url_list(world, snapshot, root),
        "languages": sorted(languages),
    }


def _blocked(world: World, snapshot: str, root: str) -> list[dict[str, Any]]:
    if snapshot != "later":
        return []
    return [
        {
            "platform": p.platform,
            "post_id": p.post_id,
            "url": public_url(p),
            "demo_url": demo_url(root, p),
            "what": "HTTP 200 challenge shell without __UNIVERSAL_DATA_FOR_REHYDRATION__",
            "expect": "availability stays active (blocked, never deleted)",
            "listed": p.visible(snapshot),
        }
        for p in world.posts["tiktok"].values()
        if p.blocked_in_later
    ]


def _malformed(world: World, snapshot: str, root: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if snapshot == "later":
        acc = world.find_account("bluesky", bluesky.MALFORMED_FEED_HANDLE)
        assert acc is not None
        ids = [item["post"]["uri"] for _, item in bluesky.feed_items(world, acc, snapshot)]
        out.append(
            {
                "platform": "bluesky",
                "handle": acc.handle,
                "athlete": acc.athlete,
                "what": "getAuthorFeed pages with a cursor are truncated JSON (HTTP 200)",
                "path_prefix": f"{root}/bluesky/xrpc/app.bsky.feed.getAuthorFeed?actor=",
                "unreachable_post_ids_by_limit": {
                    str(limit): ids[limit:] for limit in BLUESKY_LIMITS
                },
            }
        )
    for post in world.posts["mastodon"].values():
        if post.malformed_page and post.visible(snapshot):
            out.append(
                {
                    "platform": "mastodon",
                    "handle": post.account.handle,
                    "athlete": post.account.athlete,
                    "post_id": post.post_id,
                    "what": "GET /api/v1/statuses/<id> is truncated JSON (HTTP 200); the status "
                    "is fine in the account's listing",
                    "demo_url": demo_url(root, post),
                }
            )
    return out


def _reposts(world: World, snapshot: str) -> list[dict[str, Any]]:
    return [
        {
            "platform": r.platform,
            "repost_id": r.repost_id,
            "by_handle": r.by.handle,
            "by_athlete": r.by.athlete,
            "post_id": r.post.post_id,
            "archive_id": archive_id(r.post),
            "author_handle": r.post.account.handle,
            "author_athlete": r.post.account.athlete or None,
            "reposted_at": iso_z(r.created_at, 0),
        }
        for r in world.reposts
        if r.post.visible(snapshot)
    ]


def _articles(world: World, snapshot: str, root: str) -> list[dict[str, Any]]:
    out = []
    for article in news.visible_articles(world, snapshot):
        embeds = []
        for e in article.embeds:
            if e.platform == "x":
                tweet = next(t for t in world.tweets if t.tweet_id == e.post_id)
                url, athlete = x.status_url(tweet), tweet.athlete
            else:
                post = world.post(e.platform, e.post_id)
                assert post is not None
                url, athlete = public_url(post), post.account.athlete
            embeds.append(
                {
                    "platform": e.platform,
                    "post_id": e.post_id,
                    "form": e.form,
                    "url": url,
                    "athlete": athlete,
                }
            )
        out.append(
            {
                "slug": article.slug,
                "url": news.article_url(root, article),
                "headline": article.headline,
                "published_at": iso_z(article.published_at, 0),
                "author": article.author,
                "athlete": article.athlete or None,
                "embeds": embeds,
            }
        )
    return out


def _url_list(world: World, snapshot: str, root: str) -> list[dict[str, Any]]:
    """Post URLs for ``podium crawl --url``: an ordinary post, the blocked one, a deleted one."""
    picks: list[tuple[Post, str]] = []
    for post in world.posts["tiktok"].values():
        if post.blocked_in_later:
            picks.append((post, "blocked" if snapshot == "later" else "active"))
        elif post.deleted_in_later:
            picks.append((post, "deleted" if snapshot == "later" else "active"))
    story = next(p for p in world.posts["tiktok"].values() if p.story == "lotte-gold-tiktok")
    picks.insert(0, (story, "active"))
    return [
        {
            "platform": p.platform,
            "post_id": p.post_id,
            "url": public_url(p),
            "demo_url": demo_url(root, p),
            "expect": expect,
        }
        for p, expect in picks
    ]
