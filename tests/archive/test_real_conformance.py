"""Every real captured payload in shared/real/ is recognised and read right by parse_payload.

The payloads are not copied into the project; they are read from ``<repo>/../shared/real`` (or
``$PODIUM_SHARED_DIR/real``). Locally a missing folder skips these tests; under ``CI=true`` it
fails. Expected values below were checked by hand against the files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from archive.platforms import parse_payload

_SHARED = os.environ.get("PODIUM_SHARED_DIR")
REAL = (
    Path(_SHARED) if _SHARED else Path(__file__).resolve().parents[2].parent / "shared"
) / "real"
IN_CI = os.environ.get("CI", "").lower() == "true"

DRIL = "at://did:plc:6wpkkitfdkgthatfvspcfmjo/app.bsky.feed.post/"
BSKY = "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/"
MASTO = "http://localhost:3000/ap/users/"

#: file -> (platform, parser kind, number of posts, {attribute path: expected value})
EXPECTED: dict[str, tuple[str, str, int, dict[str, Any]]] = {
    "bluesky/bskyprofiler-author_feed.json": (
        "bluesky",
        "author_feed",
        5,
        {
            "next_cursor": "2025-02-21T18:38:52.746Z",
            "posts.0.platform_post_id": DRIL + "3lix6ufungs22",
            "posts.0.url": "https://bsky.app/profile/dril.bsky.social/post/3lix6ufungs22",
            "posts.0.author_handle": "dril.bsky.social",
            "posts.0.author_name": "wint",
            "posts.0.posted_at": "2025-02-24T20:30:07.343Z",
            "posts.0.counts": {"likes": 8172, "shares": 951, "comments": 105, "quotes": 17},
            "posts.0.declared_language": "en",
            "posts.1.kind": "photo",
            "posts.4.platform_post_id": DRIL + "3liphb4l7m22n",
        },
    ),
    "bluesky/bskyprofiler-profile.json": (
        "bluesky",
        "profile",
        0,
        {
            "accounts.0.platform_account_id": "did:plc:6wpkkitfdkgthatfvspcfmjo",
            "accounts.0.handle": "dril.bsky.social",
            "accounts.0.pinned_post_ids": [DRIL + "3lcjnbvar5k2s"],
            "accounts.0.counts": {"followers": 523417, "following": 116, "posts": 387},
        },
    ),
    "bluesky/bskyprofiler-regular_post_w_video.json": (
        "bluesky",
        "feed_view_post",
        1,
        {
            "posts.0.platform_post_id": BSKY + "3lax5zxh7bc2p",
            "posts.0.kind": "video",
            "posts.0.author_handle": "bsky.app",
            "posts.0.posted_at": "2024-11-15T00:53:46.785Z",
            "posts.0.counts": {"likes": 88335, "shares": 8906, "comments": 2364, "quotes": 1699},
        },
    ),
    "bluesky/bskyprofiler-reply.json": (
        "bluesky",
        "feed_view_post",
        1,
        {
            "posts.0.platform_post_id": BSKY + "3launcoafjs2p",
            "posts.0.caption": "we're the #1 free app on the App Store?",
            "posts.0.hashtags": None,  # no facets: "#1" is left to the text rules (not a tag)
            "posts.0.is_repost": False,
        },
    ),
    "mastodon/mastodonpy-account_statuses_page1.json": (
        "mastodon",
        "statuses",
        5,
        {
            "posts.0.platform_post_id": MASTO + "117020565966271181/statuses/117020580518794573",
            "posts.0.caption": "Toot number 9!",
            "posts.0.posted_at": "2026-08-01T13:52:34.108Z",
            "posts.0.author_handle": "mastodonpy_test@localhost",
            "posts.0.author_name": "John Lennon",
            "posts.0.declared_language": "en",
            "posts.4.caption": "Toot number 5!",
        },
    ),
    "mastodon/mastodonpy-account_statuses_page2_max_id.json": (
        "mastodon",
        "statuses",
        5,
        {
            "posts.0.url": "http://localhost:3000/@mastodonpy_test/117020580481736214",
            "posts.0.caption": "Toot number 4!",
            "posts.4.caption": "Toot number 0!",
        },
    ),
    "mastodon/mastodonpy-accounts_lookup.json": (
        "mastodon",
        "account",
        0,
        {
            "accounts.0.handle": "mastodonpy_test@localhost",
            "accounts.0.display_name": "John Lennon",
            "accounts.0.raw.id": "117020565966271181",
        },
    ),
    "mastodon/mastodonpy-status_edited.json": (
        "mastodon",
        "status",
        1,
        {
            "posts.0.caption": (
                "the best editor? why, of course it is the KDE Advanced Text Editor, Kate"
            ),
            "posts.0.posted_at": "2026-08-01T13:54:00.505Z",
            "posts.0.edited_at": "2026-08-01T13:54:00.695Z",
            "posts.0.declared_language": "ja",
        },
    ),
    "mastodon/mastodonpy-timeline_tag_hoot.json": (
        "mastodon",
        "statuses",  # a tag timeline is only told apart by its URL
        1,
        {
            "posts.0.caption": "#hoot (hashtag toot)",
            "posts.0.hashtags": ["hoot"],
            "posts.0.hashtags_complete": True,
            "posts.0.author_handle": "mastodonpy_test_2@localhost",
        },
    ),
    "news/trafilatura-brigitte.de.ikigai.html": (
        "news",
        "article",
        1,
        {
            "article.title": "Ikigai macht dich sofort glücklicher!",
            "article.published_at": "2019-06-19T14:29:08+0000",
            "article.publisher": "BRIGITTE.de",
            "article.embeds.0.platform_post_id": "BalQ2SWFty8",
            "posts.0.platform": "instagram",
            "posts.0.source_kind": "embed",
            "posts.0.author_handle": "skep.association",
            "posts.0.author_name": "SKEP",
            "posts.0.posted_at": "2017-10-23T07:31:37+00:00",
            "posts.0.caption": (
                "What working at SKEP feels like... #skep #ikigai #diversity #inclusion"
            ),
        },
    ),
    "news/trafilatura-handball.ch-bruderduell.html": (
        "news",
        "article",
        0,
        {
            "article.language": "de",
            "article.embeds.0.platform": "instagram",
            "article.embeds.0.platform_post_id": "CZbSJqLhYy0",
            "article.embeds.0.post": None,
        },
    ),
    "news/trafilatura-hertha-blog.de.dame.html": (
        "news",
        "article",
        2,
        {
            "article.url": "http://www.hertha-blog.de/der-lange-und-die-alte-dame.html",
            "posts.0.platform": "x",
            "posts.0.platform_post_id": "870271225624485888",
            "posts.0.author_handle": "HerthaBSC",
            "posts.0.author_name": "Hertha BSC",
            "posts.0.declared_language": "de",
            "posts.1.platform_post_id": "888351639865876480",
            "posts.1.author_handle": "michaelpreetz",
        },
    ),
    "tiktok/automaton__tt-oembed-ahormozi-7336007528070958382.json": (
        "tiktok",
        "oembed",
        1,
        {
            "posts.0.platform_post_id": "7336007528070958382",
            "posts.0.author_handle": "ahormozi",
            "posts.0.author_name": "Alex Hormozi",
            "posts.0.sound.title": "original sound",
            "posts.0.sound.artist": "Alex Hormozi",
            "posts.0.sound.platform_sound_id": "7336007642428508970",
            "posts.0.posted_at": None,
        },
    ),
    "tiktok/scrapfly__posts.json": (
        "tiktok",
        "items",
        1,
        {
            "posts.0.platform_post_id": "7198206283571285294",
            "posts.0.author_handle": "oddanimalspecimens",
            "posts.0.author_id": "6976999329680589829",
            "posts.0.posted_at": "1675963028",
            "posts.0.hashtags": ["animals", "science", "learnontiktok"],
            "posts.0.counts": {
                "views": 15000000,
                "likes": 1500000,
                "comments": 4572,
                "shares": 13000,
                "saves": "97723",
            },
            "posts.0.sound": None,
        },
    ),
    "youtube/akirk-friends-youtube.xml": (
        "youtube",
        "channel_feed",
        15,
        {
            "accounts.0.platform_account_id": "UCipwt-3-cptv9K6uhfZ61GA",
            "posts.0.platform_post_id": "IGciw-yYlo4",
            "posts.0.posted_at": "2025-04-16T17:50:36+00:00",
            "posts.0.caption": "AeroNewsGermany auf der AERO Friedrichshafen ✈️ #aeronews #shorts",
            "posts.0.counts": {"views": "71584", "likes": "3367"},
            "posts.0.author_id": "UCipwt-3-cptv9K6uhfZ61GA",
        },
    ),
}


def _real_dir() -> Path:
    if not REAL.is_dir():
        message = f"real payloads not found at {REAL}"
        if IN_CI:
            pytest.fail(f"{message}; under CI=true they are required")
        pytest.skip(message)
    return REAL


def _resolve(value: Any, path: str) -> Any:
    for part in path.split("."):
        if part.isdigit():
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            value = getattr(value, part)
    return value


def test_table_covers_every_real_file():
    real = _real_dir()
    present = {
        p.relative_to(real).as_posix()
        for p in real.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    }
    assert sorted(present - EXPECTED.keys()) == [], "new real payloads need a row in EXPECTED"
    assert sorted(EXPECTED.keys() - present) == [], "EXPECTED names files that are gone"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_payload_is_read_right(name):
    platform, parser_kind, n_posts, checks = EXPECTED[name]
    body = (_real_dir() / name).read_bytes()
    result = parse_payload(body)  # no platform, no URL: recognised from content alone
    assert (result.platform, result.parser_kind, result.status) == (platform, parser_kind, "ok")
    assert len(result.posts) == n_posts
    for path, expected in checks.items():
        assert _resolve(result, path) == expected, path
    for post in result.posts:
        assert post.platform_post_id
        assert post.platform in ("tiktok", "instagram", "bluesky", "mastodon", "youtube", "x")
