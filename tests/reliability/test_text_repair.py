"""A bad character never costs more than itself: lone surrogates and NUL become U+FFFD, recorded.

Issue 8: one lone surrogate in one Bluesky caption dropped a page of 172 posts; in a TikTok desc
it dropped the item; NUL cannot be stored on PostgreSQL at all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.normalize import normalize_post
from archive.platforms import parse_payload
from archive.records import RawAccount, RawArticle, RawEmbed, RawPost, RawSound
from archive.textrepair import (
    describe_repair,
    repair_account,
    repair_article,
    repair_raw_post,
    repair_text,
    repair_text_counts,
)
from tests.conftest import fixture_path

FETCHED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
FFFD = "\ufffd"


@pytest.mark.parametrize(
    ("text", "expected", "surrogates", "nuls"),
    [
        ("", "", 0, 0),
        ("plain caption #gold", "plain caption #gold", 0, 0),
        ("Gold \ud800 today", f"Gold {FFFD} today", 1, 0),
        ("\udfff", FFFD, 1, 0),
        ("half an emoji \ud83d!", f"half an emoji {FFFD}!", 1, 0),
        ("low then high \ude00\ud83d", f"low then high {FFFD}{FFFD}", 2, 0),
        ("a\x00b", f"a{FFFD}b", 0, 1),
        ("\x00\x00", FFFD * 2, 0, 2),
        ("\ud800\x00\udbff", FFFD * 3, 2, 1),
        ("emoji 🏃🏽‍♀️ and 日本 stay", "emoji 🏃🏽‍♀️ and 日本 stay", 0, 0),
        ("already \ufffd replaced", "already \ufffd replaced", 0, 0),
        ("other controls \x01\x1b stay", "other controls \x01\x1b stay", 0, 0),
    ],
)
def test_repair_text_table(text: str, expected: str, surrogates: int, nuls: int) -> None:
    assert repair_text_counts(text) == (expected, surrogates, nuls)
    assert repair_text(text) == (expected, surrogates + nuls)


@pytest.mark.parametrize(
    ("surrogates", "nuls", "line"),
    [
        (1, 0, "caption: 1 lone surrogate replaced by U+FFFD"),
        (2, 0, "caption: 2 lone surrogates replaced by U+FFFD"),
        (0, 3, "caption: 3 NUL replaced by U+FFFD"),
        (1, 2, "caption: 1 lone surrogate, 2 NUL replaced by U+FFFD"),
    ],
)
def test_describe_repair(surrogates: int, nuls: int, line: str) -> None:
    assert describe_repair("caption", surrogates, nuls) == line


_ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
_BAD = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"])


@settings(derandomize=True, max_examples=400)
@given(st.text(alphabet=st.one_of(_ANY_CHAR, _BAD), max_size=60))
def test_repair_text_property(text: str) -> None:
    repaired, count = repair_text(text)
    # Storable and printable everywhere: strict UTF-8, no NUL (PostgreSQL refuses it).
    repaired.encode("utf-8")
    assert "\x00" not in repaired
    # One for one: nothing else changes, and a bad character costs exactly one character.
    assert len(repaired) == len(text)
    bad = [c == "\x00" or "\ud800" <= c <= "\udfff" for c in text]
    assert count == sum(bad)
    assert all(r == (FFFD if b else c) for r, c, b in zip(repaired, text, bad, strict=True))
    # Idempotent, and the identity on good text.
    assert repair_text(repaired) == (repaired, 0)
    if not count:
        assert repaired is text


def test_repair_raw_post_covers_every_text_field() -> None:
    post = RawPost(
        platform="tiktok",
        platform_post_id="7401234567890123456",
        url="https://www.tiktok.com/@a\x00/video/7401234567890123456",
        source_url="https://news.example/\ud800",
        author_handle="lena\ud800",
        author_id="\x00",
        author_name="Lena \udfff Berg",
        caption="Gold \ud800\x00",
        hashtags=["gold\ud800", "ok"],
        mentions=["\x00x"],
        declared_language="en\x00",
        sound=RawSound(title="Song \ud800", artist="\x00Artist", platform_sound_id="1\x00"),
        raw={"desc": "kept as sent \ud800"},
    )
    fixed, notes = repair_raw_post(post)
    assert fixed.caption == f"Gold {FFFD}{FFFD}"
    assert fixed.author_handle == f"lena{FFFD}" and fixed.author_id == FFFD
    assert fixed.hashtags == [f"gold{FFFD}", "ok"] and fixed.mentions == [f"{FFFD}x"]
    assert fixed.sound is not None and fixed.sound.title == f"Song {FFFD}"
    assert fixed.raw == {"desc": "kept as sent \ud800"}  # the payload is not rewritten
    assert post.caption == "Gold \ud800\x00"  # the input is not changed
    assert notes == [
        "url: 1 NUL replaced by U+FFFD",
        "source_url: 1 lone surrogate replaced by U+FFFD",
        "author_handle: 1 lone surrogate replaced by U+FFFD",
        "author_id: 1 NUL replaced by U+FFFD",
        "author_name: 1 lone surrogate replaced by U+FFFD",
        "caption: 1 lone surrogate, 1 NUL replaced by U+FFFD",
        "hashtags: 1 lone surrogate replaced by U+FFFD",
        "mentions: 1 NUL replaced by U+FFFD",
        "declared_language: 1 NUL replaced by U+FFFD",
        "sound title: 1 lone surrogate replaced by U+FFFD",
        "sound artist: 1 NUL replaced by U+FFFD",
        "sound platform_sound_id: 1 NUL replaced by U+FFFD",
    ]
    assert repair_raw_post(fixed) == (fixed, [])


def test_normalize_post_repairs_every_text_field_and_records_it() -> None:
    post = RawPost(
        platform="tiktok",
        platform_post_id="7401234567890123456",
        author_handle="lena\x00",
        author_name="Lena \ud800",
        caption="Gold \ud800 #gold\x00 @coach\ud800",
        hashtags=["gold\x00"],
        sound=RawSound(title="Song \ud800", artist="Artist"),
        declared_language="en",
        repairs=["caption: 1 NUL replaced by U+FFFD"],  # what the parser already replaced
    )
    normalized = normalize_post(post, fetched_at=FETCHED)
    assert normalized.caption == f"Gold {FFFD} #gold{FFFD} @coach{FFFD}"
    assert normalized.author_handle == f"lena{FFFD}" and normalized.author_name == f"Lena {FFFD}"
    assert normalized.text.sound is not None and normalized.text.sound.title == f"Song {FFFD}"
    assert "\x00" not in json.dumps([t.display for t in normalized.text.hashtags])
    assert normalized.repairs == (
        "caption: 1 NUL replaced by U+FFFD",
        "author_handle: 1 NUL replaced by U+FFFD",
        "author_name: 1 lone surrogate replaced by U+FFFD",
        "caption: 2 lone surrogates, 1 NUL replaced by U+FFFD",
        "hashtags: 1 NUL replaced by U+FFFD",
        "sound title: 1 lone surrogate replaced by U+FFFD",
    )
    for value in (normalized.caption, normalized.text.body, normalized.author_handle):
        assert value is not None
        value.encode("utf-8")


def test_a_clean_post_has_no_repairs() -> None:
    post = RawPost(platform="bluesky", platform_post_id="at://did:plc:x/app.bsky.feed.post/1")
    assert normalize_post(post, fetched_at=FETCHED).repairs == ()


def test_repair_article_covers_the_article_and_its_embeds() -> None:
    embedded = RawPost(
        platform="x", platform_post_id="1", caption="Tweet \x00", source_kind="embed"
    )
    article = RawArticle(
        url="https://news.example/a",
        title="Gold \ud800",
        author="\x00",
        description="ok",
        embeds=[
            RawEmbed(
                platform="x",
                url="https://x.com/a/status/1",
                platform_post_id="1",
                position=0,
                post=embedded,
            )
        ],
    )
    fixed, notes = repair_article(article)
    assert fixed.title == f"Gold {FFFD}" and fixed.author == FFFD
    assert fixed.embeds[0].post is not None and fixed.embeds[0].post.caption == f"Tweet {FFFD}"
    assert notes == [
        "title: 1 lone surrogate replaced by U+FFFD",
        "author: 1 NUL replaced by U+FFFD",
        "embed 0 caption: 1 NUL replaced by U+FFFD",
    ]
    assert article.title == "Gold \ud800"  # the input is not changed
    assert repair_article(fixed) == (fixed, [])


def test_repair_account() -> None:
    account = RawAccount(
        platform="bluesky", platform_account_id="did:plc:x", handle="a\ud800", display_name="\x00"
    )
    fixed, notes = repair_account(account)
    assert (fixed.handle, fixed.display_name) == (f"a{FFFD}", FFFD)
    assert notes == [
        "handle: 1 lone surrogate replaced by U+FFFD",
        "display_name: 1 NUL replaced by U+FFFD",
    ]


# --- parsers keep the rest of the page ------------------------------------------------------


def _feed_with_bad_caption(bad: str) -> bytes:
    feed = json.loads(
        fixture_path("payloads", "bluesky", "author_feed_page1.json").read_text("utf-8")
    )
    feed["feed"][1]["post"]["record"]["text"] = f"Second post {bad} with facets after it"
    return json.dumps(feed).encode("ascii")  # "\ud800" travels as a JSON escape, as it did


@pytest.mark.parametrize("bad", ["\ud800", "\udc00\ud800", "\x00"])
def test_a_bluesky_page_with_one_bad_caption_yields_all_its_posts(bad: str) -> None:
    clean = parse_payload(
        fixture_path("payloads", "bluesky", "author_feed_page1.json").read_bytes()
    )
    result = parse_payload(_feed_with_bad_caption(bad))
    assert len(result.posts) == len(clean.posts) == 4
    assert [p.platform_post_id for p in result.posts] == [p.platform_post_id for p in clean.posts]
    normalized = [normalize_post(p, fetched_at=FETCHED) for p in result.posts]
    assert FFFD in normalized[1].caption and normalized[1].repairs
    assert all(not n.repairs for i, n in enumerate(normalized) if i != 1)


def test_a_tiktok_desc_with_a_lone_surrogate_keeps_the_item() -> None:
    items = json.loads(fixture_path("payloads", "tiktok", "web_items.json").read_text("utf-8"))
    items[0]["desc"] = "Sub-7 \ud800 #speedskating"
    result = parse_payload(json.dumps(items).encode("ascii"))
    assert len(result.posts) == len(items)
    post = normalize_post(result.posts[0], fetched_at=FETCHED)
    assert post.caption == f"Sub-7 {FFFD} #speedskating"
    assert post.repairs == ("caption: 1 lone surrogate replaced by U+FFFD",)
    assert [t.key for t in post.text.hashtags][:1] == ["speedskating"]


def test_a_mastodon_status_with_a_lone_surrogate_in_its_html_keeps_the_page() -> None:
    statuses = json.loads(
        fixture_path("payloads", "mastodon", "statuses_page1.json").read_text("utf-8")
    )
    statuses[0]["content"] = "<p>Gold \ud800 today</p>"
    result = parse_payload(json.dumps(statuses).encode("ascii"), platform="mastodon")
    assert len(result.posts) == len(statuses)
    post = normalize_post(result.posts[0], fetched_at=FETCHED)
    assert post.caption == f"Gold {FFFD} today"
    # Replaced before lxml read the HTML, so the parser records it; the normalizer keeps it.
    assert post.repairs == ("caption: 1 lone surrogate replaced by U+FFFD",)


# --- the same text on SQLite and PostgreSQL ------------------------------------------------

_BAD_CAPTION = "Gold \ud800 today \x00 #gold"


@pytest.mark.parametrize(
    "url_fixture", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_repaired_text_round_trips_the_same_on_both_backends(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine = sa.create_engine(request.getfixturevalue(url_fixture))
    table = sa.Table("t", sa.MetaData(), sa.Column("caption", sa.Text))
    repaired = repair_text(_BAD_CAPTION)[0]
    try:
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"caption": repaired}])
        with engine.connect() as conn:
            assert conn.execute(sa.select(table.c.caption)).scalar_one() == repaired
    finally:
        engine.dispose()
    assert repaired == f"Gold {FFFD} today {FFFD} #gold"
