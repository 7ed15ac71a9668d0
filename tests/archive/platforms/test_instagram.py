"""Instagram parsers over composed fixtures faithful to FORMATS.md §2 (v1/xdt items, GraphQL
edges, embed blockquotes v7 and v14)."""

from __future__ import annotations

import json
import lzma
from dataclasses import asdict

import pytest

from archive.errors import ParseError
from archive.platforms import parse_payload
from archive.records import RawSound
from tests.conftest import FIXTURES, fixture_path

POST_URL = "https://www.instagram.com/api/v1/media/3500000000000000001/info/"


def parse(name: str, url: str | None = None):
    return parse_payload(fixture_path("payloads", "instagram", name).read_bytes(), url=url)


def test_v1_reel_with_licensed_music_as_dict():
    result = parse("post_v1.json", POST_URL)
    assert (result.platform, result.parser_kind) == ("instagram", "post")
    post = asdict(result.posts[0])
    raw = post.pop("raw")
    assert raw["pk"] == "3500000000000000001"
    assert post == {
        "platform": "instagram",
        "platform_post_id": "DAbCdEfGhIj",
        "url": "https://www.instagram.com/p/DAbCdEfGhIj/",
        "source_url": POST_URL,
        "source_kind": "platform",
        "kind": "video",
        "author_handle": "lena.berg.skating",
        "author_id": "1067250001",
        "author_name": "Lena Berg",
        "posted_at": 1730000000,
        "caption": "Ein Tag in Inzell 🏔️ #eisschnelllauf #über @coach.piet",
        "counts": {"likes": 1500, "comments": 48, "views": 52000},
        "sound": {
            "title": "Schaatsenrijden",
            "artist": "De Kast",
            "is_original": False,
            "platform_sound_id": "420000000000001",
        },
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
        "media_urls": ["https://scontent.cdninstagram.com/o1/v/DAbCdEfGhIj.mp4?oe=6800AAAA"],
        "repairs": [],
    }


def test_bare_item_with_original_sound():
    post = parse("reel_original_audio.json").posts[0]
    assert post.sound == RawSound("Originalton", "lena.berg.skating", True, "440000000000002")


def test_user_feed_pages_and_pinned_carousel_and_hidden_likes():
    result = parse("user_feed.json")
    assert (result.parser_kind, result.next_cursor, result.has_more) == (
        "user_feed",
        "3500000000000000003_1067250001",
        True,
    )
    pinned, photo = result.posts
    assert (pinned.kind, pinned.is_pinned, len(pinned.media_urls)) == ("carousel", True, 3)
    assert (photo.kind, photo.caption, photo.sound) == ("photo", None, None)
    assert "likes" not in photo.counts  # hidden likes stay unknown, not 0
    assert result.accounts[0].handle == "lena.berg.skating"


def test_graphql_shortcode_media_with_music_attribution():
    result = parse("shortcode_media.json")
    post = result.posts[0]
    assert (result.parser_kind, post.platform_post_id, post.posted_at) == (
        "graphql_post",
        "C9xYzAbCdEf",
        1715000000,
    )
    assert post.caption == "Laatste training van het seizoen 💪 #schaatsen"
    assert post.sound == RawSound("Original audio", "lena.berg.skating", True, "450000000000003")
    assert post.counts == {"likes": 3100, "comments": 77, "views": 41000}


def test_web_profile_info_gives_account_posts_and_cursor():
    result = parse("web_profile_info.json")
    assert (result.next_cursor, result.has_more) == ("QVFDZmFrZUN1cnNvcg==", True)
    account = result.accounts[0]
    assert (account.platform_account_id, account.handle, account.display_name) == (
        "1067250001",
        "lena.berg.skating",
        "Lena Berg",
    )
    assert account.counts == {"followers": 120500, "following": 410, "posts": 812}
    no_caption = result.posts[0]
    assert (no_caption.caption, no_caption.is_pinned) == (None, True)  # edges == []


def test_legacy_captioned_embed_has_caption_author_and_time():
    post = parse("embed_v7_captioned.html").posts[0]
    assert (post.source_kind, post.platform_post_id) == ("embed", "BxYzAbCdEfG")
    assert post.caption == "Goud! 🥇 Wat een dag in Thialf #schaatsen #über"
    assert (post.author_handle, post.author_name) == ("lena.berg.skating", "Lena Berg")
    assert post.posted_at == "2019-02-10T15:04:05+00:00"


def test_v14_embed_without_caption_gives_no_post():
    result = parse("embed_v14.html")
    assert (result.parser_kind, result.posts) == ("embed", [])


def test_item_array_of_timeline_nodes_reads_each_item():
    result = parse("item_array.json")
    assert (result.platform, result.parser_kind, result.next_cursor, result.accounts) == (
        "instagram",
        "item_array",
        None,
        [],
    )
    reel, photo = result.posts
    assert (reel.platform_post_id, reel.kind, reel.author_handle, reel.author_id) == (
        "DAbCdEfGhIp",
        "video",
        "lena.berg.skating",
        "1067250001",
    )
    assert reel.caption == "Laatste rondje voor Thialf 🔥 #schaatsen #roadtomilano @coach.piet"
    assert reel.counts == {"likes": 2300, "comments": 61, "views": 41000}
    assert reel.sound == RawSound("Schaatsenrijden", "De Kast", False, "420000000000001")
    assert (photo.platform_post_id, photo.caption, photo.is_pinned) == ("DAbCdEfGhIo", None, False)
    assert "likes" not in photo.counts  # hidden likes stay unknown


def test_reduced_item_array_with_shortcode_and_without_user_stays_authorless():
    result = parse("item_array_reduced.json")
    assert result.parser_kind == "item_array"
    gold, camp = result.posts
    assert (gold.platform_post_id, gold.url, gold.posted_at) == (
        "DAbCdEfGhIr",
        "https://www.instagram.com/p/DAbCdEfGhIr/",
        1731200000,
    )
    # No user: no author, though the id ends in the owner's pk (an import's --athlete says who).
    assert (gold.author_handle, gold.author_id, gold.author_name) == (None, None, None)
    assert gold.sound == RawSound("Original audio", "lena.berg.skating", True, "440000000000009")
    assert (camp.caption, camp.counts) == ("Trainingskamp Inzell ⛰️", {"likes": 900, "comments": 14})


def test_item_array_of_edges_and_graph_nodes_skips_what_is_no_item():
    body = json.dumps(
        [
            {"node": {"code": "DAbCdEfGhIs", "taken_at": 1731300000, "caption": {"text": "Rust"}}},
            {"shortcode": "C9xYzAbCdEg", "taken_at_timestamp": 1715000100},
            {"code": "DAbCdEfGhIt", "taken_at": 1731400000, "product_type": "ad"},
        ]
    )
    result = parse_payload(body)
    assert result.parser_kind == "item_array"
    assert [(p.platform_post_id, p.posted_at) for p in result.posts] == [
        ("DAbCdEfGhIs", 1731300000),
        ("C9xYzAbCdEg", 1715000100),
    ]  # the ad is nobody's post
    mixed = parse_payload(
        body[:-1] + ', {"note": "not a post"}]', platform="instagram", parser_kind="item_array"
    )
    assert mixed.problems == ["element 3: not an Instagram media item, skipped"]
    assert len(mixed.posts) == 2


INSTALOADER = FIXTURES / "imports" / "instaloader" / "lenaberg.skates"


def test_instaloader_post_file_is_a_graphql_node():
    """instaloader's ``save_structure_to_file``: ``{"node": …, "instaloader": {"node_type"}}``,
    pretty-printed with sorted keys (``.json``) or compact and LZMA-compressed (``.json.xz``)."""
    result = parse_payload((INSTALOADER / "2024-08-10_00-33-20_UTC.json").read_bytes())
    [post] = result.posts
    assert (result.parser_kind, post.platform_post_id, post.kind) == (
        "graphql_post",
        "C9zLenaBrg3",
        "video",
    )
    assert (post.author_handle, post.author_id) == ("lenaberg.skates", "1067250001")
    assert post.posted_at == 1723250000
    assert post.counts == {"likes": 1800, "comments": 33, "views": 25000}
    assert post.sound == RawSound("Original audio", "lenaberg.skates", True, "440000000000010")
    compressed = lzma.decompress((INSTALOADER / "2024-08-11_00-33-20_UTC.json.xz").read_bytes())
    [carousel] = parse_payload(compressed).posts
    assert (carousel.platform_post_id, carousel.kind, carousel.caption) == (
        "C9-LenaBrg4",
        "carousel",
        None,  # edge_media_to_caption.edges == []
    )


def test_instaloader_profile_file_is_not_a_post():
    profile = lzma.decompress((INSTALOADER / "lenaberg.skates_1067250001.json.xz").read_bytes())
    with pytest.raises(ParseError, match="not a payload Podium knows"):
        parse_payload(profile)


def test_a_bare_graph_node_as_zeeschuimer_exports_it():
    node = {
        "__typename": "XDTGraphImage",
        "id": "1",
        "shortcode": "C9yLenaBrg2",
        "edge_media_to_caption": {"edges": [{"node": {"text": "Podium! #schaatsen"}}]},
        "owner": {"id": "1067250001", "username": "lenaberg.skates"},
    }
    result = parse_payload(json.dumps(node))
    assert (result.parser_kind, result.posts[0].caption, result.posts[0].kind) == (
        "graphql_post",
        "Podium! #schaatsen",
        "photo",
    )
