"""X/Twitter parsers: syndication JSON and embed blockquotes (FORMATS.md §4)."""

from __future__ import annotations

from dataclasses import asdict

from archive.platforms import parse_payload
from tests.conftest import fixture_path

SYNDICATION_URL = "https://cdn.syndication.twimg.com/tweet-result?id=1879000000000000001&token=0"


def parse(name: str, url: str | None = None):
    return parse_payload(fixture_path("payloads", "x", name).read_bytes(), url=url)


def test_syndication_tweet_as_dict():
    post = asdict(parse("syndication.json", SYNDICATION_URL).posts[0])
    assert post.pop("raw")["id_str"] == "1879000000000000001"
    assert post == {
        "platform": "x",
        "platform_post_id": "1879000000000000001",
        "url": "https://x.com/LenaBergSkates/status/1879000000000000001",
        "source_url": SYNDICATION_URL,
        "source_kind": "platform",
        "kind": "text",
        "author_handle": "LenaBergSkates",
        "author_id": "900000000000000001",
        "author_name": "Lena Berg",
        "posted_at": "2025-01-14T18:30:05.000Z",
        "caption": "🥇 Europees kampioen op de 1500m! Dank @KNSB voor alles. #schaatsen #über",
        "counts": {"likes": 1240, "comments": 37},
        "sound": None,
        "hashtags": ["schaatsen", "über"],
        "hashtags_complete": False,
        "mentions": ["KNSB"],
        "mentions_complete": False,
        "declared_language": "nl",
        "availability": "active",
        "is_repost": False,
        "is_pinned": False,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": ["https://pbs.twimg.com/media/Gfake.jpg"],
        "repairs": [],
    }


def test_tombstone_marks_the_post_from_the_url():
    result = parse("syndication_tombstone.json", SYNDICATION_URL)
    assert result.status == "unavailable"
    assert [(p.platform_post_id, p.availability) for p in result.posts] == [
        ("1879000000000000001", "unknown")
    ]


def test_not_found_is_an_empty_object():
    result = parse_payload(b"{}", url=SYNDICATION_URL)
    assert (result.platform, result.status, result.posts) == ("x", "not_found", [])


def test_embed_blockquote_text_author_and_language():
    result = parse("embed_blockquote.html")
    assert (result.platform, result.parser_kind) == ("x", "embed")
    post = result.posts[0]
    assert (post.platform_post_id, post.source_kind) == ("1879000000000000002", "embed")
    assert post.caption == (
        "Was für ein Rennen! @LenaBergSkates holt Gold 🥇 #Eisschnelllauf "
        "pic.twitter.com/AbCdEf1234"
    )
    assert (post.author_handle, post.author_name) == ("sportfiktiv", "Sportschau Fiktiv")
    assert (post.declared_language, post.posted_at) == ("de", None)  # date text is not a time
