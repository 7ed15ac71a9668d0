"""Mastodon parsers over composed fixtures faithful to the REST API v1 entities and the account
RSS (FORMATS.md §2, §2.4)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from archive.errors import ParseError
from archive.platforms import mastodon, parse_payload
from tests.conftest import fixture_path

STATUSES_URL = "https://social.example.nl/api/v1/accounts/113000000000000001/statuses?limit=20"
TAG_URL = "https://social.example.nl/api/v1/timelines/tag/schaatsen"


def parse(name: str, url: str | None = None):
    return parse_payload(fixture_path("payloads", "mastodon", name).read_bytes(), url=url)


def test_status_with_tags_mentions_and_links_as_dict():
    post = asdict(parse("statuses_page1.json", STATUSES_URL).posts[0])
    raw = post.pop("raw")
    assert raw["id"] == "113800000000000003"
    assert post == {
        "platform": "mastodon",
        "platform_post_id": "https://social.example.nl/users/lenaberg/statuses/113800000000000003",
        "url": "https://social.example.nl/@lenaberg/113800000000000003",
        "source_url": STATUSES_URL,
        "source_kind": "platform",
        "kind": "text",
        "author_handle": "lenaberg@social.example.nl",
        "author_id": "https://social.example.nl/users/lenaberg",
        "author_name": "Lena Berg ⛸️",
        "posted_at": "2025-01-14T18:02:11.123Z",
        # <p> -> blank line, <br> -> line break, hidden link parts kept: the full URL
        "caption": (
            "Goud op de 1500m! 🥇 Dank aan @trainerin\n\n"
            "Uitslagen: https://www.example.org/uitslagen/2025/ek\n#Schaatsen #über"
        ),
        "counts": {"likes": 57, "shares": 12, "comments": 4, "quotes": 0},
        "sound": None,
        "hashtags": ["schaatsen", "über"],
        "hashtags_complete": True,
        "mentions": ["trainerin@mastodon.example.de"],
        "mentions_complete": True,
        "declared_language": "nl",
        "availability": "active",
        "is_repost": False,
        "is_pinned": True,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": ["https://files.example.nl/media/1.jpg"],
        "repairs": [],
    }


def test_reblog_is_the_boosted_status_marked_as_repost():
    post = parse("statuses_page1.json").posts[1]
    assert post.is_repost is True
    assert post.author_handle == "knsb@sport.example.org"
    assert post.caption == "Lena Berg is Europees kampioen! 🎉 #schaatsen"
    assert post.counts["likes"] == 300
    assert post.raw["id"] == "113800000000000002"  # the boost itself stays in raw


def test_edited_status_keeps_edited_at():
    result = parse("status.json")
    assert result.parser_kind == "status"
    post = result.posts[0]
    assert (post.posted_at, post.edited_at) == (
        "2025-01-12T08:00:00.000Z",
        "2025-01-12T08:05:30.000Z",
    )
    assert post.caption == "Rustdag.\nMorgen weer het ijs op."


def test_tag_timeline_reads_everyone_and_is_named_by_its_url():
    result = parse("tag_timeline.json", TAG_URL)
    assert result.parser_kind == "tag_timeline"
    assert [p.author_handle for p in result.posts] == [
        "haruka@ice.example.jp",
        "lenaberg@social.example.nl",
    ]
    assert result.posts[0].hashtags == ["日本代表", "schaatsen"]
    assert result.posts[0].declared_language == "ja"
    assert (
        parse("tag_timeline.json").parser_kind == "statuses"
    )  # without the URL they look the same


def test_pinned_listing_marks_every_status_pinned():
    result = parse("tag_timeline.json", STATUSES_URL + "&pinned=true")
    assert all(p.is_pinned for p in result.posts)


def test_account_lookup_is_an_account_without_posts():
    result = parse("account_lookup.json")
    assert (result.parser_kind, result.posts) == ("account", [])
    account = result.accounts[0]
    assert (account.handle, account.platform_account_id, account.listing_key) == (
        "lenaberg@social.example.nl",
        "https://social.example.nl/users/lenaberg",
        "113000000000000001",
    )
    assert account.counts == {"followers": 812, "following": 95, "posts": 310}


def test_empty_page_needs_the_url_to_be_recognised():
    assert parse("statuses_empty.json", STATUSES_URL).posts == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://social.example.nl/api/v1/accounts/1/statuses?max_id=1130>; rel="next", '
            '<https://social.example.nl/api/v1/accounts/1/statuses?min_id=1139>; rel="prev"',
            "1130",
        ),
        ('<https://social.example.nl/api/v1/accounts/1/statuses?min_id=1139>; rel="prev"', None),
        ("", None),
    ],
)
def test_next_max_id_from_link_header(header, expected):
    assert mastodon.next_max_id(header) == expected


RSS_URL = "https://social.example.nl/@lenaberg.rss"
STATUS = "https://social.example.nl/@lenaberg/"


def test_account_rss_item_reads_like_the_api_status():
    result = parse("account_rss.xml", RSS_URL)
    assert (result.platform, result.parser_kind, result.next_cursor) == (
        "mastodon",
        "account_rss",
        None,
    )
    post = asdict(result.posts[0])
    raw = post.pop("raw")
    # The raw payload is the feed with this item alone: the channel still names the author.
    assert raw.startswith("<rss") and raw.count("<item>") == 1 and "<title>" in raw
    assert "113800000000000007</guid>" in raw
    assert post == {
        "platform": "mastodon",
        # No uri in the feed: the status URL is the id.
        "platform_post_id": STATUS + "113800000000000007",
        "url": STATUS + "113800000000000007",
        "source_url": RSS_URL,
        "source_kind": "platform",
        "kind": "text",
        "author_handle": "lenaberg@social.example.nl",
        "author_id": None,
        "author_name": "Lena Berg ⛸️",
        "posted_at": "Sat, 18 Jan 2025 16:40:12 +0000",
        # the same text the API's content gives (test_status_with_tags_mentions_and_links_as_dict)
        "caption": (
            "Goud op de 1500m! 🥇 Dank aan @trainerin\n\n"
            "Uitslagen: https://www.example.org/uitslagen/2025/ek\n#Schaatsen #über"
        ),
        "counts": {},
        "sound": None,
        "hashtags": ["Schaatsen", "über"],
        "hashtags_complete": True,
        "mentions": ["trainerin@mastodon.example.de"],
        "mentions_complete": True,
        "declared_language": None,
        "availability": "active",
        "is_repost": False,
        "is_pinned": False,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": [
            "https://files.social.example.nl/media_attachments/files/113/800/000/000/000/007/original/podium.jpg"
        ],
        "repairs": [],
    }
    account = result.accounts[0]
    assert (account.platform_account_id, account.handle, account.display_name, account.url) == (
        None,
        "lenaberg@social.example.nl",
        "Lena Berg ⛸️",
        "https://social.example.nl/@lenaberg",
    )


def test_account_rss_leaves_out_content_warning_and_poll_and_keeps_emoji_names():
    warned, poll = parse("account_rss.xml").posts[1:]
    assert warned.caption == (
        "Gisteren hard gevallen in de bocht. Niks gebroken, wel blauw. Vrijdag weer op het ijs."
    )
    assert poll.caption == "Welke afstand zien jullie het liefst op het WK? :schaats: #WK2025"
    assert (poll.hashtags, poll.mentions) == (["WK2025"], [])


def test_tag_feed_without_generator_is_recognised_by_its_status_links():
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Lena Berg</title><link>https://social.example.nl/@lenaberg/tagged/schaatsen</link>"
        "<item><link>https://social.example.nl/@lenaberg/113800000000000009</link>"
        "<pubDate>Sun, 19 Jan 2025 10:00:00 +0000</pubDate>"
        "<description>&lt;p&gt;Ijs! #schaatsen&lt;/p&gt;</description>"
        "<category>schaatsen</category></item>"
        "<item><link>https://social.example.nl/about</link><description>x</description></item>"
        "</channel></rss>"
    )
    result = parse_payload(body)
    assert (result.platform, result.parser_kind) == ("mastodon", "account_rss")
    assert [(p.platform_post_id, p.hashtags) for p in result.posts] == [
        ("https://social.example.nl/@lenaberg/113800000000000009", ["schaatsen"])
    ]
    assert result.problems == ["item 1: no status link, skipped"]
    assert result.accounts[0].url == "https://social.example.nl/@lenaberg"


def test_news_rss_is_not_a_mastodon_feed_and_a_truncated_feed_is_refused():
    news = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Sport</title>'
        "<item><link>https://sport.example/a/1</link></item></channel></rss>"
    )
    with pytest.raises(ParseError, match="unrecognised XML"):
        parse_payload(news)
    body = fixture_path("payloads", "mastodon", "account_rss.xml").read_bytes()
    with pytest.raises(ParseError, match="malformed XML"):
        parse_payload(body[: len(body) // 2])
