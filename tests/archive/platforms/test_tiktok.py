"""TikTok parsers over composed fixtures faithful to FORMATS.md §1 and the real captures.

Fixtures are fictional (athlete "Lena Berg", @lenaberg.skates); shapes follow the 2024-2026
rehydration pages, SIGI_STATE pages, item_list responses, oEmbed and embed blockquotes.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from archive.errors import ParseError
from archive.platforms import PARSER_KINDS, parse_payload, tiktok
from archive.records import RawSound
from tests.conftest import fixture_path

VIDEO_URL = "https://www.tiktok.com/@lenaberg.skates/video/7401234567890123456"


def parse(name: str, url: str | None = None):
    return parse_payload(fixture_path("payloads", "tiktok", name).read_bytes(), url=url)


def test_video_page_post_as_dict():
    result = parse("video_page.html", VIDEO_URL)
    assert (result.platform, result.parser_kind, result.status) == ("tiktok", "video_page", "ok")
    post = asdict(result.posts[0])
    raw = post.pop("raw")
    assert raw["id"] == "7401234567890123456"
    assert post == {
        "platform": "tiktok",
        "platform_post_id": "7401234567890123456",
        "url": VIDEO_URL,
        "source_url": VIDEO_URL,
        "source_kind": "platform",
        "kind": "video",
        "author_handle": "lenaberg.skates",
        "author_id": "6912345678901234567",
        "author_name": "Lena Berg 🇳🇱",
        "posted_at": "1723130000",
        "caption": "Nieuw PR op de 1500m! 🥇 Dank aan @coach.piet #schaatsen #über #Thialf ",
        # statsV2 (exact strings) wins over stats (rounded ints)
        "counts": {
            "views": "151234",
            "likes": "12034",
            "comments": "245",
            "shares": "311",
            "saves": "1870",
        },
        "sound": {
            "title": "Originalton",
            "artist": "Lena Berg 🇳🇱",
            "is_original": True,
            "platform_sound_id": "7401234599990001111",
        },
        "hashtags": ["schaatsen"],
        "hashtags_complete": False,
        "mentions": ["coach.piet"],
        "mentions_complete": False,
        "declared_language": "nl",  # TikTok's textLanguage
        "availability": "active",
        "is_repost": False,
        "is_pinned": False,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": ["https://v16-webapp-prime.tiktok.com/video/fake/?a=1988&expire=1790000000"],
        "repairs": [],
    }


@pytest.mark.parametrize(
    ("name", "status", "availability"),
    [
        ("video_page_private.html", "private", "private"),
        ("video_page_private_account.html", "private", "private"),
        ("video_page_unavailable.html", "unavailable", "unknown"),
    ],
)
def test_status_codes_mark_the_post_from_the_url(name, status, availability):
    result = parse(name, VIDEO_URL)
    assert result.status == status
    assert [(p.platform_post_id, p.availability) for p in result.posts] == [
        ("7401234567890123456", availability)
    ]


def test_blocked_ip_status_gives_no_post():
    result = parse("video_page_blocked.html", VIDEO_URL)
    assert (result.parser_kind, result.status, result.posts) == ("video_page", "blocked", [])


def test_challenge_page_is_blocked_never_deleted():
    result = parse("challenge_page.html", VIDEO_URL)
    assert (result.platform, result.parser_kind, result.status) == (
        "tiktok",
        "blocked_page",
        "blocked",
    )
    assert result.posts == []


def test_page_without_data_from_a_tiktok_url_is_blocked():
    shell = b"<!DOCTYPE html><html><head><title>Log in | TikTok</title></head><body></body></html>"
    result = parse_payload(shell, url=VIDEO_URL)
    assert (result.platform, result.parser_kind, result.status) == (
        "tiktok",
        "blocked_page",
        "blocked",
    )


def test_photo_page_has_images_and_licensed_music():
    post = parse("photo_page.html").posts[0]
    assert post.kind == "photo"
    assert post.url == "https://www.tiktok.com/@lenaberg.skates/photo/7402222222222222222"
    assert len(post.media_urls) == 2  # urlList as a list and as a bare string
    assert post.sound == RawSound("Sterren", "DJ Noord & Fenna", False, "7100000000000000042")
    assert post.counts["saves"] == "33"  # collectCount stays a string on the page


def test_profile_page_gives_account_with_sec_uid_and_pinned_item():
    result = parse("profile_page.html")
    assert result.parser_kind == "profile_page"
    account = result.accounts[0]
    assert (account.handle, account.platform_account_id) == (
        "lenaberg.skates",
        "6912345678901234567",
    )
    assert account.listing_key.startswith("MS4wLjABAAAA")  # secUid: what item_list wants
    assert account.counts["followers"] == "48123"  # statsV2
    assert [(p.platform_post_id, p.is_pinned) for p in result.posts] == [
        ("7300000000000000001", True)
    ]
    assert result.posts[0].posted_at == 1700000000


@pytest.mark.parametrize("name", ["sigi_state_page.html", "sigi_state_inline.html"])
def test_sigi_state_author_is_a_string_with_flat_details(name):
    result = parse(name)
    assert result.parser_kind == "sigi_state_page"
    post = result.posts[0]
    assert (post.author_handle, post.author_id, post.author_name) == (
        "lenaberg.skates",
        "6912345678901234567",
        "Lena Berg",
    )
    assert post.hashtags == ["schaatsen", "EKsprint"]  # from challenges
    assert post.sound.title == "original sound"
    assert result.accounts[0].counts["followers"] == 31000


def test_item_list_pages_with_cursor_and_missing_sound():
    result = parse("item_list_page1.json")
    assert (result.parser_kind, result.next_cursor, result.has_more) == (
        "item_list",
        "1723400000000",
        True,
    )
    ja, no_sound = result.posts
    assert ja.hashtags == ["日本代表"]
    assert ja.posted_at == 1723500000  # int in the API
    assert no_sound.sound is None
    assert no_sound.hashtags is None  # no textExtra at all: nothing structured to offer
    last = parse("item_list_last_page.json")
    assert (last.posts, last.next_cursor, last.has_more) == ([], None, False)


def test_creator_item_list_cursor_is_last_create_time_in_ms():
    result = parse("creator_item_list.json")
    assert (result.next_cursor, result.has_more) == ("1723400000000", True)


def test_oembed_caption_is_title_and_sound_comes_from_html():
    result = parse("oembed.json")
    post = result.posts[0]
    assert result.parser_kind == "oembed"
    assert post.caption.endswith("#Thialf ")  # trailing space kept, as desc
    assert (post.author_handle, post.author_name) == ("lenaberg.skates", "Lena Berg 🇳🇱")
    assert post.posted_at is None
    assert post.counts == {}
    assert post.sound == RawSound("Originalton", "Lena Berg", None, "7401234599990001111")


def test_embed_blockquote_text_keeps_author_and_sound_lines():
    result = parse("embed_blockquote.html")
    assert (result.platform, result.parser_kind) == ("tiktok", "embed")
    post = result.posts[0]
    assert post.source_kind == "embed"
    assert post.caption.splitlines() == [
        "@lenaberg.skates",
        "Nieuw PR op de 1500m! 🥇 Dank aan @coach.piet #schaatsen #über #Thialf",
        "♬ Originalton - Lena Berg",
    ]
    assert post.hashtags == ["schaatsen", "über", "thialf"]
    assert post.hashtags_complete is False


def test_zeeschuimer_ndjson_and_bare_item_lists():
    export = parse("zeeschuimer_export.ndjson")
    assert export.parser_kind == "items"
    assert [p.kind for p in export.posts] == ["video", "photo"]
    bare = parse("web_items.json")
    assert [p.author_handle for p in bare.posts] == ["haruka.ice", "lenaberg.skates"]


def test_malformed_json_raises_parse_error():
    with pytest.raises(ParseError, match="malformed JSON"):
        parse_payload(b'{"itemList": [', platform="tiktok", parser_kind="item_list")


def test_kinds_are_exposed():
    assert set(tiktok.PARSER_KINDS) == set(PARSER_KINDS["tiktok"])
    assert {"video_page", "sigi_state_page", "item_list", "oembed", "embed"} <= set(
        PARSER_KINDS["tiktok"]
    )


def test_reduced_item_dump_with_and_without_author():
    result = parse("web_items_reduced.json")
    assert result.parser_kind == "items"
    known, authorless = result.posts
    assert (known.author_handle, known.url, known.posted_at) == (
        "lenaberg.skates",
        "https://www.tiktok.com/@lenaberg.skates/video/7407777777777777777",
        "1723700000",
    )
    assert known.counts == {
        "views": 250000,
        "likes": 12000,
        "comments": 310,
        "shares": 140,
        "saves": "980",
    }
    # No author: none is guessed; the URL takes yt-dlp's placeholder handle.
    assert (authorless.author_handle, authorless.author_id, authorless.url) == (
        None,
        None,
        "https://www.tiktok.com/@_/video/7406666666666666666",
    )
    assert (authorless.caption, authorless.sound, authorless.hashtags) == (
        "Rustdag. ♬ origineel geluid - Lena Berg",
        None,
        None,
    )


def test_one_web_item_and_one_export_line_are_items_too():
    line = (
        fixture_path("payloads", "tiktok", "zeeschuimer_export.ndjson").read_text().splitlines()[0]
    )
    export_line = parse_payload(line)
    item = parse_payload(json.dumps(json.loads(line)["data"]))
    assert (export_line.parser_kind, item.parser_kind) == ("items", "items")
    assert export_line.posts[0].platform_post_id == item.posts[0].platform_post_id
