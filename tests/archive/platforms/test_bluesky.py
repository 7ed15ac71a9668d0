"""Bluesky parsers over composed fixtures faithful to the AppView lexicons (FORMATS.md, Bluesky)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from archive.errors import ParseError
from archive.platforms import parse_payload
from tests.conftest import fixture_path

DID = "did:plc:lenaberg7fict10nal0000aa"
FEED_URL = "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=lenaberg.bsky.social"


def parse(name: str, url: str | None = None):
    return parse_payload(fixture_path("payloads", "bluesky", name).read_bytes(), url=url)


def test_pinned_post_as_dict():
    result = parse("author_feed_page1.json", FEED_URL)
    post = asdict(result.posts[0])
    raw = post.pop("raw")
    assert raw["reason"]["$type"] == "app.bsky.feed.defs#reasonPin"
    assert post == {
        "platform": "bluesky",
        "platform_post_id": f"at://{DID}/app.bsky.feed.post/3lpin0000aa22",
        "url": "https://bsky.app/profile/lenaberg.bsky.social/post/3lpin0000aa22",
        "source_url": FEED_URL,
        "source_kind": "platform",
        "kind": "photo",
        "author_handle": "lenaberg.bsky.social",
        "author_id": DID,
        "author_name": "Lena Berg",
        "posted_at": "2025-01-11T18:30:00.000Z",
        "caption": "🥇⛸️ Goud op de 1000m in Heerenveen! Dank @knsb.nl #schaatsen #Über",
        "counts": {"likes": 420, "shares": 35, "comments": 18, "quotes": 3},
        "sound": None,
        "hashtags": ["schaatsen", "Über"],
        "hashtags_complete": True,
        "mentions": ["knsb.nl"],
        "mentions_complete": True,
        "declared_language": "nl",
        "availability": "active",
        "is_repost": False,
        "is_pinned": True,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": [f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/bafkreiimg1@jpeg"],
        "repairs": [],
    }


def test_feed_paging_cursor():
    result = parse("author_feed_page1.json")
    assert (result.parser_kind, result.next_cursor, result.has_more) == (
        "author_feed",
        "2025-01-12T21:00:00.000Z",
        True,
    )
    last = parse("author_feed_last_page.json")
    assert (last.posts, last.next_cursor, last.has_more) == ([], None, False)


def test_byte_offset_facets_with_emoji_before_the_tag():
    # "🥇⛸️" is 10 UTF-8 bytes but 3 code points: slicing the str would cut the mention wrong.
    post = parse("author_feed_page1.json").posts[0]
    assert post.caption.startswith("🥇⛸️")
    assert post.mentions == ["knsb.nl"]
    assert post.hashtags == ["schaatsen", "Über"]


def test_record_tags_join_facet_tags_and_link_facets_are_no_tags():
    post = parse("author_feed_page1.json").posts[1]
    assert (post.hashtags, post.mentions, post.hashtags_complete) == (["trainingsdag"], [], True)


def test_repost_is_the_original_post_marked_as_repost():
    repost = parse("author_feed_page1.json").posts[2]
    assert repost.is_repost is True
    assert repost.author_handle == "knsb.nl"  # the original author, not the reposter
    single = parse("feed_view_post_repost.json")
    assert single.parser_kind == "feed_view_post"
    assert single.posts[0].is_repost is True


def test_post_without_facets_leaves_tags_to_the_text_rules():
    reply = parse("author_feed_page1.json").posts[3]
    assert (reply.hashtags, reply.hashtags_complete, reply.mentions, reply.mentions_complete) == (
        None,
        False,
        None,
        False,
    )
    assert reply.caption == "Dank je! 😊"


def test_post_thread_reads_the_thread_post():
    result = parse("post_thread.json")
    assert result.parser_kind == "post_thread"
    assert [p.platform_post_id for p in result.posts] == [
        f"at://{DID}/app.bsky.feed.post/3lpin0000aa22"
    ]
    assert result.posts[0].is_pinned is False  # pinning is only said by a feed's reason


def test_post_thread_not_found_is_deleted():
    result = parse("post_thread_not_found.json")
    assert result.status == "deleted"
    assert result.posts[0].availability == "deleted"


def test_bare_post_view_with_video_and_japanese_tag():
    result = parse("post_view.json")
    post = result.posts[0]
    assert (result.parser_kind, post.kind, post.declared_language) == ("post_view", "video", "ja")
    assert post.hashtags == ["日本代表"]
    assert post.media_urls[0].endswith("playlist.m3u8")


def test_profile_is_an_account_with_its_pinned_post():
    result = parse("profile.json")
    assert (result.parser_kind, result.posts) == ("profile", [])
    account = result.accounts[0]
    assert (account.platform_account_id, account.handle, account.display_name) == (
        DID,
        "lenaberg.bsky.social",
        "Lena Berg",
    )
    assert account.pinned_post_ids == [f"at://{DID}/app.bsky.feed.post/3lpin0000aa22"]
    assert account.counts == {"followers": 5120, "following": 180, "posts": 244}


def test_embed_blockquote_fragment():
    html = (
        '<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/app.bsky.feed.post/3lx"'
        ' data-bluesky-cid="bafyrei1"><p lang="nl">Morgen de 5000m!<br><br>#schaatsen</p>'
        '&mdash; Lena Berg (<a href="https://bsky.app/profile/did:plc:abc?ref_src=embed">'
        "@lenaberg.bsky.social</a>) "
        '<a href="https://bsky.app/profile/did:plc:abc/post/3lx?ref_src=embed">'
        "January 5, 2025 at 9:24 AM</a></blockquote>"
        '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>'
    )
    result = parse_payload(html)
    assert (result.platform, result.parser_kind) == ("bluesky", "embed")
    post = result.posts[0]
    assert (post.platform_post_id, post.url, post.source_kind) == (
        "at://did:plc:abc/app.bsky.feed.post/3lx",
        "https://bsky.app/profile/did:plc:abc/post/3lx",
        "embed",
    )
    assert (post.author_handle, post.author_name) == ("lenaberg.bsky.social", "Lena Berg")
    assert post.caption == "Morgen de 5000m!\n\n#schaatsen"
    assert post.posted_at is None


QUOTED = f"at://{DID}/app.bsky.feed.post/3lpin0000aa22"


def test_get_quotes_reads_the_quoting_post_views_and_cursor():
    url = f"https://public.api.bsky.app/xrpc/app.bsky.feed.getQuotes?uri={QUOTED}"
    result = parse("get_quotes.json", url)
    assert (result.parser_kind, result.next_cursor, result.has_more) == (
        "post_views",
        "2025-01-12T01:15:00.804Z",
        True,
    )
    with_media, plain = result.posts
    assert (with_media.author_handle, with_media.kind, with_media.declared_language) == (
        "haruka.example.jp",
        "photo",
        "ja",
    )
    assert with_media.media_urls == [
        "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:haruka0fict10nal00000cc/bafkreiflowers@jpeg"
    ]
    assert (plain.platform_post_id, plain.url, plain.is_repost) == (
        "at://did:plc:knsb0fict10nal000000bb/app.bsky.feed.post/3lquo0000ff22",
        "https://bsky.app/profile/knsb.nl/post/3lquo0000ff22",
        False,
    )
    assert (plain.hashtags, plain.mentions) == (["schaatsen"], ["lenaberg.bsky.social"])
    assert plain.counts == {"likes": 88, "shares": 6, "comments": 2, "quotes": 0}
    # The quoted post is only embedded in them: not a post of this result.
    assert QUOTED not in [p.platform_post_id for p in result.posts]


def test_search_posts_are_post_views_of_anyone():
    result = parse("search_posts.json")
    assert (result.parser_kind, result.next_cursor) == ("post_views", "25")
    assert [(p.author_handle, p.hashtags) for p in result.posts] == [
        ("lenaberg.bsky.social", ["schaatsen"]),
        ("knsb.nl", ["schaatsen", "Inzell"]),
    ]


def test_get_posts_and_bare_arrays_of_post_views_or_feed_items():
    views = json.loads(fixture_path("payloads", "bluesky", "search_posts.json").read_text("utf-8"))
    result = parse_payload(json.dumps({"posts": views["posts"]}))
    assert (result.parser_kind, len(result.posts), result.next_cursor, result.has_more) == (
        "post_views",
        2,
        None,
        False,
    )
    feed = json.loads(fixture_path("payloads", "bluesky", "author_feed_page1.json").read_text())
    array = parse_payload(json.dumps([views["posts"][0], *feed["feed"][:3]]))
    assert array.parser_kind == "post_views"
    assert [(p.is_pinned, p.is_repost) for p in array.posts] == [
        (False, False),
        (True, False),
        (False, False),
        (False, True),
    ]


def test_empty_post_views_are_recognised_by_quoted_uri_or_method():
    quotes = parse_payload(json.dumps({"uri": QUOTED, "posts": []}))
    assert (quotes.platform, quotes.parser_kind, quotes.posts) == ("bluesky", "post_views", [])
    url = "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=schaatsen"
    assert parse_payload(b'{"posts": []}', url=url).parser_kind == "post_views"
    with pytest.raises(ParseError, match="unrecognised JSON"):
        parse_payload(b'{"posts": []}')
