"""YouTube Atom feed parser over composed feeds faithful to FORMATS.md §3."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from archive.errors import ParseError
from archive.platforms import parse_payload
from tests.conftest import fixture_path

FEED_URL = "https://www.youtube.com/feeds/videos.xml?channel_id=UCfict10nalLenaBerg0001"


def parse(name: str, url: str | None = None):
    return parse_payload(fixture_path("payloads", "youtube", name).read_bytes(), url=url)


def test_channel_feed_entry_as_dict():
    result = parse("channel_feed.xml", FEED_URL)
    post = asdict(result.posts[0])
    assert "<yt:videoId>aB3dE5gH7jK</yt:videoId>" in post.pop("raw")
    assert post == {
        "platform": "youtube",
        "platform_post_id": "aB3dE5gH7jK",
        "url": "https://www.youtube.com/watch?v=aB3dE5gH7jK",
        "source_url": FEED_URL,
        "source_kind": "platform",
        "kind": "video",
        "author_handle": None,
        "author_id": "UCfict10nalLenaBerg0001",
        "author_name": "Lena Berg Skating",
        "posted_at": "2025-01-15T17:00:05+00:00",
        # title, blank line, description
        "caption": (
            "Vlog: EK Afstanden in Heerenveen 🥇 #schaatsen\n\n"
            "Een week vol wedstrijden.\nDank aan iedereen! #über #Thialf\n\nMuziek: eigen opname"
        ),
        "counts": {"views": "15234", "likes": "812"},
        "sound": None,
        "hashtags": None,
        "hashtags_complete": False,
        "mentions": None,
        "mentions_complete": False,
        "declared_language": None,
        "availability": "active",
        "is_repost": False,
        "is_pinned": False,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": ["https://i3.ytimg.com/vi/aB3dE5gH7jK/hqdefault.jpg"],
        "repairs": [],
    }


def test_short_without_description_is_the_title_only():
    short = parse("channel_feed.xml").posts[1]
    assert (short.kind, short.caption) == ("short", "Start 500m in slow motion #shorts")


def test_channel_id_gets_its_uc_prefix_even_when_the_feed_level_one_lacks_it():
    result = parse("channel_feed.xml")
    assert result.accounts[0].platform_account_id == "UCfict10nalLenaBerg0001"
    assert result.accounts[0].display_name == "Lena Berg Skating"


def test_playlist_feed():
    result = parse("playlist_feed.xml")
    assert (result.parser_kind, [p.platform_post_id for p in result.posts]) == (
        "playlist_feed",
        ["aB3dE5gH7jK"],
    )


def test_malformed_feed_raises_parse_error():
    body = b'<?xml version="1.0"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"><entry>'
    with pytest.raises(ParseError, match="malformed XML"):
        parse_payload(body)
