"""Parsers that cannot be crashed (issue 8): one test per class of bug the fuzz found.

tests/reliability/test_parser_fuzz.py finds these by the thousand; here each class has a small,
named case: deep JSON, wrong types, garbage that used to leak, XXE and entity bombs, quadratic
regexes, and the parse_payload boundary.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import archive.platforms
from archive.errors import ParseError
from archive.normalize import parse_count, parse_time
from archive.platforms import parse_payload
from archive.platforms.decoding import MAX_JSON_DEPTH, decode_json, element_text, parse_fragment
from archive.platforms.fields import count, ident, obj, objs, text, url
from archive.platforms.validation import validate_result
from archive.records import ParseResult, RawAccount, RawPost
from tests.conftest import fixture_path


def _json(platform: str, name: str) -> Any:
    return json.loads(fixture_path("payloads", platform, name).read_bytes())


def _parse(data: Any, **kwargs: Any) -> ParseResult:
    return parse_payload(json.dumps(data).encode("ascii"), **kwargs)


# --- bounded JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"feed": ' + "[" * 100_000,
        '{"a": ' + '{"b": ' * 50_000 + "1" + "}" * 50_001,
    ],
    ids=["balanced", "truncated", "objects"],
)
def test_json_nested_100k_deep_is_a_parse_error_not_a_recursion_error(body: str) -> None:
    with pytest.raises(ParseError, match="nested deeper"):
        parse_payload(body.encode())


def test_json_at_the_depth_limit_still_reads_and_brackets_in_strings_do_not_count() -> None:
    assert decode_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    deep_looking = json.dumps({"text": "[{" * 10_000, "escaped": '\\"[[[[' * 100})
    assert decode_json(deep_looking)["text"].startswith("[{")
    with pytest.raises(ParseError):
        decode_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_an_integer_python_refuses_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_payload(b'{"feed": [], "cursor": ' + b"9" * 5000 + b"}")


# --- typed accessors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "as_text", "as_ident", "as_count"),
    [
        ("abc", "abc", "abc", "abc"),
        ("", "", None, None),
        (12, None, "12", 12),
        (True, None, None, None),
        (-1, None, None, None),
        (1.5, None, None, 1.5),
        (float("nan"), None, None, None),
        ({"text": "x"}, None, None, None),
        (["x"], None, None, None),
        (None, None, None, None),
        ("a b", "a b", None, "a b"),
        ("id\x00", "id\x00", None, "id\x00"),
    ],
)
def test_accessors_never_stringify_the_wrong_type(
    value: Any, as_text: Any, as_ident: Any, as_count: Any
) -> None:
    assert text(value) == as_text
    assert ident(value) == as_ident
    assert count(value) == as_count or (as_count is None and count(value) is None)
    assert obj(value) == (value if isinstance(value, dict) else {})
    assert objs([value, {"k": 1}]) == [*([value] if isinstance(value, dict) else []), {"k": 1}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://bsky.app/profile/x", "https://bsky.app/profile/x"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        ("https:///no-host", None),
        ("https://[::1", None),
        ("https://a.example/with space", None),
        ({"url": "https://x"}, None),
    ],
)
def test_url_accessor(value: Any, expected: str | None) -> None:
    assert url(value) == expected


# --- wrong types in real shapes: no crash, no garbage ---------------------------------------


@pytest.mark.parametrize("bad", [{"text": "caption"}, ["caption"], True, 42, None], ids=repr)
def test_a_bluesky_caption_of_the_wrong_type_is_no_caption(bad: Any) -> None:
    feed = _json("bluesky", "author_feed_page1.json")
    feed["feed"][0]["post"]["record"]["text"] = bad
    result = _parse(feed)
    assert len(result.posts) == 4
    assert result.posts[0].caption is None


def test_a_bluesky_feed_item_that_is_not_an_object_costs_itself() -> None:
    feed = _json("bluesky", "author_feed_page1.json")
    feed["feed"].insert(1, "not an item")
    result = parse_payload(json.dumps(feed).encode(), platform="bluesky", parser_kind="author_feed")
    assert len(result.posts) == 4


@pytest.mark.parametrize("bad", [{"x": 1}, ["https://a"], 17.5, True], ids=repr)
def test_a_mastodon_uri_of_the_wrong_type_never_becomes_the_text_of_a_dict(bad: Any) -> None:
    statuses = _json("mastodon", "statuses_page1.json")
    statuses[0]["uri"] = bad
    statuses[0]["id"] = bad
    result = _parse(statuses, platform="mastodon")
    assert len(result.posts) == len(statuses) - 1
    assert all("{" not in str(p.platform_post_id) for p in result.posts)
    assert any("post id" in p and "dropped" in p for p in result.problems)


def test_a_mastodon_list_with_one_non_status_keeps_the_others() -> None:
    statuses = _json("mastodon", "statuses_page1.json")
    statuses.insert(1, {"content": 1})
    result = _parse(statuses, platform="mastodon", parser_kind="statuses")
    assert len(result.posts) == len(statuses) - 1
    assert result.problems == ["element 1: not a Status, skipped"]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("desc", {"a": 1}),
        ("author", ["x"]),
        ("stats", "many"),
        ("textExtra", "tags"),
        ("music", ["m"]),
        ("createTime", {"t": 1}),
        ("imagePost", {"images": "x"}),
        ("video", 5),
    ],
)
def test_tiktok_items_with_fields_of_the_wrong_type(field: str, bad: Any) -> None:
    items = _json("tiktok", "web_items.json")
    items[0][field] = bad
    result = _parse(items)
    assert len(result.posts) == len(items)
    post = result.posts[0]
    assert post.caption is None or isinstance(post.caption, str)
    assert post.posted_at is None or isinstance(post.posted_at, int | str)
    assert all(isinstance(u, str) for u in post.media_urls)


def test_garbage_that_slips_past_a_parser_is_cleared_or_dropped_with_a_reason() -> None:
    good = RawPost(platform="tiktok", platform_post_id="7401234567890123456")
    garbage = RawPost(
        platform="tiktok",
        platform_post_id="7401234567890123457",
        url="javascript:alert(1)",
        caption={"text": "x"},  # type: ignore[arg-type]
        posted_at="not a time",
        counts={"likes": "many", "views": 10},
        media_urls=["https://ok.example/1.jpg", "file:///etc/passwd"],
        availability="gone",
        is_pinned="yes",  # type: ignore[arg-type]
    )
    no_id = RawPost(platform="tiktok", platform_post_id="{'id': 1}")
    account = RawAccount(
        platform="tiktok", platform_account_id="[1]", url="ftp://x", listing_key="{'secUid': 1}"
    )
    result = validate_result(
        ParseResult(
            platform="tiktok", parser_kind="items", posts=[good, garbage, no_id], accounts=[account]
        )
    )
    assert result.posts == [good, garbage]
    assert (garbage.url, garbage.caption, garbage.posted_at) == (None, None, None)
    assert garbage.counts == {"views": 10}
    assert garbage.media_urls == ["https://ok.example/1.jpg"]
    assert (garbage.availability, garbage.is_pinned) == ("unknown", False)
    assert (account.platform_account_id, account.url, account.listing_key) == (None, None, None)
    assert len(result.problems) == 11
    assert all("\n" not in p for p in result.problems)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9" * 5000, None),  # int() refuses past 4300 digits, and is slow long before
        (10**30, None),  # no BIGINT holds it
        (1e308, None),
        ("1e308K", None),
        (2**63 - 1, 2**63 - 1),
        ("97,723", 97723),
    ],
    ids=["5000-digits", "10**30", "1e308", "1e308K", "bigint-max", "grouped"],
)
def test_counts_a_database_cannot_hold_are_no_counts(value: Any, expected: int | None) -> None:
    assert parse_count(value) == expected


def test_a_5mb_time_string_is_no_time() -> None:
    assert parse_time("1" * 5_000_000) is None
    assert parse_time("2025-01-05T09:24:00Z" + " x" * 2_500_000) is None


# --- XML and HTML ---------------------------------------------------------------------------


_FEED_START = (
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">'
)


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE feed [<!ENTITY xxe SYSTEM "http://203.0.113.9/evil.dtd">]>',
        '<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY xxe "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
    ids=["file", "network", "laughs"],
)
def test_xml_with_entity_declarations_is_refused(prolog: str) -> None:
    body = f'<?xml version="1.0"?>{prolog}{_FEED_START}<title>&xxe;</title><yt:videoId>x</yt:videoId></feed>'
    with pytest.raises(ParseError, match="entity declarations refused"):
        parse_payload(body.encode())


def test_billion_laughs_in_html_is_harmless() -> None:
    laughs = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10))
    body = f'<!DOCTYPE html [<!ENTITY lol1 "lol">{laughs}]><html><body><p>&lol9;</p></body></html>'
    result = parse_payload(body.encode(), platform="news")
    assert result.article is not None
    # The entities were never expanded (10**8 "lol"s): nothing in the record grew.
    assert len(repr(result)) < 100_000


def test_html_nested_100k_deep_reads_without_recursion() -> None:
    fragment = parse_fragment("<div>" * 100_000 + "deep" + "</div>" * 100_000)
    assert element_text(fragment) in ("deep", "")
    article = b"<html><body>" + b"<p>" * 100_000 + b"</body></html>"
    assert parse_payload(article, platform="news").article is not None


@pytest.mark.parametrize(
    "body",
    [
        # Embeds whose markup made a lazy regex backtrack for hours.
        "<blockquote class='instagram-media' data-instgrm-permalink="
        "'https://www.instagram.com/p/BxYzAbCdEfG/'><p>caption"
        + " " * 2_000_000
        + "</p></blockquote>",
        "<blockquote class='bluesky-embed' data-bluesky-uri='at://did:plc:x/app.bsky.feed.post/1'>"
        "<p>text</p>" + "-" * 70_000 + "</blockquote>",
        "<blockquote class='twitter-tweet'><p>text</p>"
        + "—" * 70_000
        + "<a href='https://twitter.com/a/status/1'>x</a></blockquote>",
        "<blockquote class='tiktok-embed' cite='https://www.tiktok.com/@a/video/1' data-video-id='1'>"
        "<section><a href='https://www.tiktok.com/music/x-" + "1" * 200_000 + "x'>♬ s</a>"
        "</section></blockquote>",
    ],
    ids=["blank-run", "dashes", "em-dashes", "music-digits"],
)
def test_pathological_embed_markup_parses(body: str) -> None:
    """Inputs that sent a backtracking regex into minutes: each is read as the embed it is
    (their speed is bench/ matter; a regression here shows as a hang)."""
    result = parse_payload(body.encode())
    assert result.platform in ("instagram", "bluesky", "x", "tiktok")


def test_a_lone_surrogate_in_mastodon_html_is_repaired_before_lxml() -> None:
    statuses = _json("mastodon", "statuses_page1.json")
    statuses[0]["content"] = "<p>a\ud800b\x00c</p>"
    result = _parse(statuses, platform="mastodon")
    assert result.posts[0].caption == "a\ufffdb\ufffdc"
    assert result.posts[0].repairs == ["caption: 1 lone surrogate, 1 NUL replaced by U+FFFD"]


# --- the parse_payload boundary -------------------------------------------------------------


def test_a_parser_bug_becomes_a_one_line_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(body: Any, url: Any) -> ParseResult:
        raise AttributeError("'str' object has no attribute 'get'\nsecond line")

    monkeypatch.setattr(archive.platforms.bluesky, "parse_author_feed", broken)
    with pytest.raises(ParseError) as caught:
        parse_payload(fixture_path("payloads", "bluesky", "author_feed_page1.json").read_bytes())
    reason = str(caught.value)
    assert reason.startswith("bluesky author_feed: parser failed (AttributeError:")
    assert "\n" not in reason


def test_a_parse_error_reason_is_one_short_printable_line() -> None:
    key = "k\ud800\n" * 100_000
    with pytest.raises(ParseError) as caught:
        parse_payload(json.dumps({key: 1}).encode("ascii"))
    reason = str(caught.value)
    reason.encode("utf-8")
    assert "\n" not in reason and len(reason) <= 300


def test_a_malformed_json_message_reads_as_a_sentence() -> None:
    from archive.errors import ParseError
    from archive.platforms.decoding import load_json

    with pytest.raises(ParseError) as caught:
        load_json('{"caption": "Goud', "Bluesky getAuthorFeed")
    message = str(caught.value)
    assert "Unterminated string starting at line 1 column 13" in message
    assert "at at" not in message
