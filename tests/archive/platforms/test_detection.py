"""parse_payload: what it recognises alone or with a URL, each post's identity, errors, parser kinds."""

from __future__ import annotations

import importlib

import pytest

from archive.errors import ParseError
from archive.platforms import PARSER_KINDS, detect_payload, parse_payload
from tests.conftest import fixture_path

PLATFORMS = ("tiktok", "instagram", "bluesky", "mastodon", "youtube", "x", "news")
NEEDS_URL = {("mastodon", "statuses_empty.json"), ("x", "syndication_tombstone.json")}


def payload_names(platform: str) -> list[str]:
    return sorted(p.name for p in fixture_path("payloads", platform).iterdir() if p.is_file())


def test_parser_kinds_cover_every_platform_and_each_has_a_parser():
    assert tuple(PARSER_KINDS) == PLATFORMS
    for platform, parser_kinds in PARSER_KINDS.items():
        assert parser_kinds
        module = importlib.import_module(f"archive.platforms.{platform}")
        assert parser_kinds == module.PARSER_KINDS
        for parser_kind in parser_kinds:
            assert callable(getattr(module, f"parse_{parser_kind}")), (platform, parser_kind)


@pytest.mark.parametrize(
    ("platform", "name"),
    [
        (p, n)
        for p in PLATFORMS
        for n in payload_names(p)
        if (p, n) not in NEEDS_URL and not n.startswith("video_page_")
    ],
)
def test_fixture_platform_is_recognised_without_hints(platform, name):
    found_platform, parser_kind = detect_payload(
        fixture_path("payloads", platform, name).read_bytes()
    )
    assert found_platform == platform
    assert parser_kind in PARSER_KINDS[platform]


# The URL a payload comes with: every Mastodon and X payload, and TikTok's video pages (without it
# an empty status list, a tombstone or a blocked page cannot be recognised).
FETCHED_FROM = {
    "mastodon": "https://social.example.nl/api/v1/accounts/113000000000000001/statuses?limit=20",
    "x": "https://cdn.syndication.twimg.com/tweet-result?id=1879000000000000001&token=0",
}
TIKTOK_VIDEO_URL = "https://www.tiktok.com/@lenaberg.skates/video/7401234567890123456"


def fetched_from(platform: str, name: str) -> str | None:
    if platform == "tiktok" and name.startswith("video_page"):
        return TIKTOK_VIDEO_URL
    return FETCHED_FROM.get(platform)


def _tiktok_identity(post):
    assert post.platform == "tiktok"
    assert post.platform_post_id
    assert post.platform_post_id.isdigit()
    assert post.url is None or post.url.startswith("https://www.tiktok.com/@")
    assert post.source_kind in ("platform", "embed")
    if post.availability == "active":
        assert post.caption is not None


def _instagram_identity(post):
    assert post.platform_post_id
    assert post.url == f"https://www.instagram.com/p/{post.platform_post_id}/"
    assert post.hashtags is None  # Instagram has no structured tags: text rules only


def _bluesky_identity(post):
    assert post.platform_post_id.startswith("at://did:")
    assert "/app.bsky.feed.post/" in post.platform_post_id
    if post.availability == "active":
        assert post.url.startswith("https://bsky.app/profile/")
        assert post.url.endswith(post.platform_post_id.rsplit("/", 1)[-1])


def _mastodon_identity(post):
    assert post.platform_post_id.startswith("https://")
    assert "@" in post.author_handle
    assert post.hashtags_complete
    assert post.mentions_complete


def _youtube_identity(post):
    assert len(post.platform_post_id) == 11
    assert post.author_id.startswith("UC")
    assert post.caption


def _x_identity(post):
    assert post.platform_post_id.isdigit()


POST_IDENTITY = {
    "tiktok": _tiktok_identity,
    "instagram": _instagram_identity,
    "bluesky": _bluesky_identity,
    "mastodon": _mastodon_identity,
    "youtube": _youtube_identity,
    "x": _x_identity,
}


@pytest.mark.parametrize(
    ("platform", "name"), [(p, n) for p in POST_IDENTITY for n in payload_names(p)]
)
def test_every_fixture_with_its_url_is_recognised_and_its_posts_have_identity(platform, name):
    result = parse_payload(
        fixture_path("payloads", platform, name).read_bytes(), url=fetched_from(platform, name)
    )
    assert result.platform == platform
    assert result.parser_kind in PARSER_KINDS[platform]
    for post in result.posts:
        POST_IDENTITY[platform](post)


def test_explicit_platform_and_parser_kind_skip_detection():
    body = fixture_path("payloads", "tiktok", "web_items.json").read_bytes()
    result = parse_payload(body, platform="tiktok", parser_kind="items")
    assert (result.platform, result.parser_kind, len(result.posts)) == ("tiktok", "items", 2)


def test_url_hint_names_a_mastodon_tag_timeline():
    body = fixture_path("payloads", "mastodon", "tag_timeline.json").read_bytes()
    url = "https://social.example.nl/api/v1/timelines/tag/schaatsen"
    assert parse_payload(body, url=url).parser_kind == "tag_timeline"


def test_bytes_with_bom_and_str_bodies_read_the_same():
    body = fixture_path("payloads", "bluesky", "profile.json").read_bytes()
    assert parse_payload(b"\xef\xbb\xbf" + body) == parse_payload(body.decode("utf-8"))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a payload Podium knows: the file is empty"),
        (b'{"feed": [', "malformed JSON"),
        (b'{"hello": "world"}', "not a payload Podium knows: unrecognised JSON"),
        (b"[1, 2, 3]", "not a payload Podium knows: unrecognised JSON"),
        (b"just some words", "not a payload Podium knows: neither JSON, XML nor HTML"),
        (b"SQLite format 3\x00\x10\x00", "not a payload Podium knows"),
        (
            b'<?xml version="1.0"?><rss><channel/></rss>',
            "not a payload Podium knows: unrecognised XML",
        ),
    ],
)
def test_unrecognised_or_unreadable_payloads_raise_parse_error(body, reason):
    with pytest.raises(ParseError, match=reason):
        parse_payload(body)


def test_unknown_platform_or_kind_raise_parse_error():
    with pytest.raises(ParseError, match="unknown platform"):
        parse_payload(b"{}", platform="myspace")
    with pytest.raises(ParseError, match="no payload kind"):
        parse_payload(b"{}", platform="bluesky", parser_kind="timeline")


def test_parse_error_is_one_line():
    with pytest.raises(ParseError) as caught:
        parse_payload(b'{"a":\n\n[')
    assert "\n" not in str(caught.value)


def test_random_bytes_are_not_a_payload_but_a_page_with_a_nul_is() -> None:
    """lxml calls anything HTML: random bytes must not become an empty news article."""
    import random

    rng = random.Random(20261203)
    for _ in range(500):
        with pytest.raises(ParseError, match="not a payload Podium knows"):
            parse_payload(rng.randbytes(rng.randint(1, 4096)))
    page = b"<!doctype html><html><body><p>Goud\x00 op de 1000 meter</p></body></html>"
    assert parse_payload(page + b" " * 400, url="https://sport.example/a") is not None
