"""archive.normalize: the rules of DESIGN.md §3, table-tested on captions composed for tests."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import ParseError
from archive.normalize import (
    NORMALIZER_VERSION,
    extract_hashtags,
    extract_mentions,
    normalize_declared_language,
    normalize_post,
    normalize_text,
    parse_count,
    parse_time,
    to_json,
)
from archive.records import Counts, RawPost, RawSound, SoundCredit, Tag

FETCHED = datetime(2026, 2, 12, 9, 30, tzinfo=UTC)


def displays(tags: tuple[Tag, ...]) -> list[str]:
    return [t.display for t in tags]


# --- the worked example's shape --------------------------------------------------------------

EMBED_CAPTION = (
    "@sannevos I could not believe it. All the training, all the early mornings, all the "
    "falls I had, all the doubts. It all came down to this one race and it worked out.. "
    "Gold medal, world record. I am still speechless. ♬ Running up that hill - __sounds.daily__"
)


def test_embed_caption_with_trailing_sound_credit() -> None:
    nt = normalize_text(EMBED_CAPTION, platform="tiktok", author="sannevos")
    assert to_json(nt) == {
        "language": "en",
        # fastText's probability since normalizer 4 (langdetect's, 0.99999…, before)
        "language_confidence": pytest.approx(1.0, abs=0.05),
        "declared_language": None,
        "hashtags": [],
        "mentions": [],
        "sound": {
            "title": "Running up that hill",
            "artist": "__sounds.daily__",
            "is_original": None,
            "platform_sound_id": None,
        },
        "author": "sannevos",
        "body": (
            "I could not believe it. All the training, all the early mornings, all the falls I "
            "had, all the doubts. It all came down to this one race and it worked out.. Gold "
            "medal, world record. I am still speechless."
        ),
        "normalizer_version": NORMALIZER_VERSION,
    }


def test_to_json_key_order() -> None:
    out = to_json(normalize_text("hello"))
    assert list(out) == [
        "language",
        "language_confidence",
        "declared_language",
        "hashtags",
        "mentions",
        "sound",
        "author",
        "body",
        "normalizer_version",
    ]


def test_author_prefix_is_case_insensitive_and_only_a_whole_handle() -> None:
    assert normalize_text("@SanneVos what a race", author="sannevos").body == "what a race"
    nt = normalize_text("@sannevos_fan what a race", author="sannevos")
    assert nt.body == "@sannevos_fan what a race"
    assert displays(nt.mentions) == ["sannevos_fan"]
    # Without an author (a platform's own caption) the leading handle is a mention.
    assert displays(normalize_text("@sannevos what a race").mentions) == ["sannevos"]


# --- hashtags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gold! #über #Schnell", ["über", "Schnell"]),
        ("応援ありがとう #日本代表 #ファイト", ["日本代表", "ファイト"]),
        ("जीत गए #हिंदी #भारत", ["हिंदी", "भारत"]),
        ("#2026Olympics here", ["2026Olympics"]),
        ("we are #1 and #2026", []),
        ("#snow_day #snow_day #SNOW_DAY", ["snow_day"]),
        ("see https://example.org/page#section now", []),
        ("see www.example.org/#top now", []),
        ("C#sharp and a1#two and path/#x and &#123; and a&#x", []),
        ("##double", []),
        ("start #tag.", ["tag"]),
        ("(#inbrackets) and #comma, #end!", ["inbrackets", "comma", "end"]),
        ("full width ＃ファイト", ["ファイト"]),
        ("no tags here", []),
    ],
)
def test_hashtag_text_rules(text: str, expected: list[str]) -> None:
    assert displays(extract_hashtags(text)) == expected


def test_hashtag_keys_are_casefolded() -> None:
    assert extract_hashtags("#Straße #ÜBER") == (Tag("Straße", "strasse"), Tag("ÜBER", "über"))


def test_decomposed_hashtag_is_found_on_the_nfc_copy() -> None:
    decomposed = unicodedata.normalize("NFD", "#über")
    assert normalize_text(decomposed).hashtags == (Tag("über", "über"),)


@pytest.mark.parametrize(
    ("text", "given_hashtags", "complete", "expected"),
    [
        # Bluesky facets / Mastodon tags: authoritative, in given order, deduped by key.
        ("text #ignored", ["Beta", "alpha", "beta"], True, ["Beta", "alpha"]),
        ("text #ignored", [], True, []),
        # TikTok textExtra: text order first, then given ones the text lacks.
        ("#two #one", ["one", "#three", "  "], False, ["two", "one", "three"]),
        ("#Two", ["two"], False, ["Two"]),
        # No structured list: text rules.
        ("#solo", None, True, ["solo"]),
    ],
)
def test_structured_hashtags(
    text: str, given_hashtags: list[str] | None, complete: bool, expected: list[str]
) -> None:
    nt = normalize_text(text, hashtags=given_hashtags, hashtags_complete=complete)
    assert displays(nt.hashtags) == expected


# --- mentions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "text", "expected"),
    [
        ("tiktok", "thanks @femke.kok.", ["femke.kok"]),
        ("tiktok", "thanks @femke.kok, @Bas_99 and @femke.kok!", ["femke.kok", "Bas_99"]),
        ("instagram", "mail me at jan@example.org", []),
        ("instagram", "write to first.last@example.org today", []),
        ("instagram", "a-b@example.org and x_@y", []),
        ("instagram", "(@coach) and @team.nl", ["coach", "team.nl"]),
        ("instagram", "see https://www.tiktok.com/@someone/video/1", []),
        ("x", "@ alone and @. and @_", []),
        ("youtube", "met @Ádám today", ["Ádám"]),
        ("generic", "@anna @anna @ANNA", ["anna"]),
        ("mastodon", "hi @anna@mastodon.social and @bob.", ["anna@mastodon.social", "bob"]),
        ("mastodon", "hi @anna@social.example.org.", ["anna@social.example.org"]),
        ("mastodon", "mail jan@example.org", []),
        ("bluesky", "hi @anna.bsky.social and @example.com.", ["anna.bsky.social", "example.com"]),
        ("bluesky", "hi @plainname and jan@example.org", []),
        ("bluesky", "see @sub.domain-x.example.net!", ["sub.domain-x.example.net"]),
    ],
)
def test_mention_rules_per_platform(platform: str, text: str, expected: list[str]) -> None:
    assert displays(extract_mentions(text, platform)) == expected


def test_mention_keys_are_casefolded() -> None:
    assert extract_mentions("@Anna@Mastodon.Social", "mastodon") == (
        Tag("Anna@Mastodon.Social", "anna@mastodon.social"),
    )


@pytest.mark.parametrize(
    ("given_mentions", "complete", "expected"),
    [
        (["@carol", "dave"], True, ["carol", "dave"]),
        (["@carol"], False, ["bob", "carol"]),
        (["BOB"], False, ["bob"]),
    ],
)
def test_structured_mentions(
    given_mentions: list[str], complete: bool, expected: list[str]
) -> None:
    nt = normalize_text(
        "hi @bob", platform="tiktok", mentions=given_mentions, mentions_complete=complete
    )
    assert displays(nt.mentions) == expected


# --- sound ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_sound", "expected_body"),
    [
        (
            "Race day\n♬ Title With - Dash - The Artist",
            SoundCredit("Title With - Dash", "The Artist"),
            "Race day",
        ),
        ("Race day ♬  Only A Title", SoundCredit("Only A Title", None), "Race day"),
        ("Race day\n♬ Originalton - Femke\n", SoundCredit("Originalton", "Femke"), "Race day"),
        ("Race day\n♬son original - Léa", SoundCredit("son original", "Léa"), "Race day"),
        (
            "Race day ♬ оригинальный звук - Аня",
            SoundCredit("оригинальный звук", "Аня"),
            "Race day",
        ),
        ("♬ a - b\nthe caption", SoundCredit("a", "b"), "the caption"),
        ("Race day ♬", None, "Race day"),
        ("no sound here", None, "no sound here"),
    ],
)
def test_sound_line(text: str, expected_sound: SoundCredit | None, expected_body: str) -> None:
    nt = normalize_text(text)
    assert (nt.sound, nt.body) == (expected_sound, expected_body)


def test_structured_sound_wins_and_the_line_still_goes() -> None:
    sound = RawSound(title="  Originalton ", artist="", is_original=True, platform_sound_id="7301")
    nt = normalize_text("Race day ♬ Originalton - Femke", sound=sound)
    assert nt.sound == SoundCredit("Originalton", None, True, "7301")
    assert nt.body == "Race day"


def test_empty_sound_falls_back_to_the_line() -> None:
    nt = normalize_text("Race day ♬ Song - Band", sound=RawSound(title=" "))
    assert nt.sound == SoundCredit("Song", "Band")


def test_original_sound_is_never_guessed_from_words() -> None:
    assert normalize_text("x ♬ original sound - Femke").sound == SoundCredit(
        "original sound", "Femke", None
    )


# --- body, language fields --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("  a \t b  ", "a b"),
        ("line one  \r\n\r\n\n  line two\u00a0 x", "line one\nline two x"),
        ("", ""),
    ],
)
def test_body_whitespace(text: str, body: str) -> None:
    assert normalize_text(text).body == body


@pytest.mark.parametrize(
    ("declared", "expected"),
    [("en-US", "en"), ("NL", "nl"), ("zh_Hant", "zh"), ("und", None), ("", None), (None, None)],
)
def test_declared_language(declared: str | None, expected: str | None) -> None:
    assert normalize_declared_language(declared) == expected
    assert normalize_text("x", declared_language=declared).declared_language == expected


def test_language_ignores_hashtags_mentions_urls_and_emoji() -> None:
    text = (
        "Vandaag was een prachtige dag op het ijs en ik ben heel trots op het hele team "
        "#olympicgames #speedskating #teamwork @coachjohnson https://example.org/results 🥇🥇"
    )
    assert normalize_text(text).language == "nl"


@pytest.mark.parametrize(
    "caption",
    [
        "🥇🔥🙌 #gold @team",
        "🥇🔥🙌",
        "#olympicgames #speedskating #TeamNL",
        "@coach.jansen @team_norway 🇳🇱",
        "https://example.org/live 💪 #gold",
        "2026 🥇 #1",
    ],
)
def test_caption_without_words_is_undetermined(caption: str) -> None:
    nt = normalize_text(caption, platform="tiktok", declared_language="en", prior=("nl",))
    assert (nt.language, nt.language_confidence) == ("und", 0.0)


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("It is up 🔥 #gold", "en"),
        ("Please send @coach.jansen", "en"),
        ("Wat een dag! 🥇 #TeamNL https://example.org/x", "nl"),
    ],
)
def test_short_caption_gets_a_language(caption: str, expected: str) -> None:
    assert normalize_text(caption, platform="tiktok").language == expected


def test_declared_language_breaks_a_near_tie_in_detection() -> None:
    # "Lekker getraind vandaag" reads as Afrikaans to the models; Bluesky said Dutch.
    caption = "Lekker getraind vandaag"
    assert normalize_text(caption, platform="bluesky").language == "af"
    nt = normalize_text(caption, platform="bluesky", declared_language="nl-NL")
    assert (nt.language, nt.declared_language) == ("nl", "nl")


def test_declared_language_does_not_overrule_the_text() -> None:
    caption = "What an amazing day on the ice, so proud of the whole team today"
    assert normalize_text(caption, platform="bluesky", declared_language="de").language == "en"


# --- times and counts -------------------------------------------------------------------------

T = datetime(2026, 2, 10, 18, 5, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1770746707, T),
        ("1770746707", T),
        (1770746707.0, T),
        (1770746707000, T),
        ("1770746707000", T),
        ("2026-02-10T18:05:07Z", T),
        ("2026-02-10T18:05:07.000Z", T),
        ("2026-02-10T19:05:07+01:00", T),
        ("2026-02-10T18:05:07", T),
        ("2026-02-10T18:05:07.123456789Z", T.replace(microsecond=123456)),
        ("Tue, 10 Feb 2026 18:05:07 GMT", T),
        ("Tue, 10 Feb 2026 19:05:07 +0100", T),
        (datetime(2026, 2, 10, 18, 5, 7), T),  # naive means UTC  # noqa: DTZ001
        (datetime(2026, 2, 10, 20, 5, 7, tzinfo=timezone(timedelta(hours=2))), T),
        (date(2026, 2, 10), datetime(2026, 2, 10, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("yesterday", None),
        (0, None),
        (-5, None),
        (True, None),
        (float("nan"), None),
        (10**30, None),
        ([1], None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    result = parse_time(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (97723, 97723),
        ("97723", 97723),
        (" 97723 ", 97723),
        ("97,723", 97723),
        ("1.234.567", 1234567),
        ("97 723", 97723),
        (12.0, 12),
        ("12.0", 12),
        ("1.2K", 1200),
        ("1,5k", 1500),
        ("3M", 3_000_000),
        ("2.5B", 2_500_000_000),
        (0, 0),
        (None, None),
        (-1, None),
        ("-3", None),
        ("lots", None),
        ("", None),
        (True, None),
        (float("inf"), None),
        ({"n": 1}, None),
    ],
)
def test_parse_count(value: object, expected: int | None) -> None:
    assert parse_count(value) == expected


# --- posts ------------------------------------------------------------------------------------


def test_normalize_post() -> None:
    raw = RawPost(
        platform="tiktok",
        platform_post_id="7340000000000000001",
        url="https://www.tiktok.com/@sannevos/video/7340000000000000001",
        author_handle="sannevos",
        posted_at="1770746707",
        caption="Race day #speed with @coach ♬ Originalton - sannevos",
        counts={"views": "1.2M", "likes": 97723, "comments": "-1", "shares": None},
        sound=RawSound(title="Originalton", artist="sannevos", is_original=True),
        hashtags=["speed", "skating"],
    )
    fetched = datetime(2026, 2, 12, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    post = normalize_post(raw, fetched_at=fetched)
    assert post.platform_post_id == "7340000000000000001"
    assert post.posted_at == T
    assert post.edited_at is None
    assert post.caption == raw.caption
    assert post.counts == Counts(views=1_200_000, likes=97723)
    assert post.observed_at == FETCHED
    assert post.observed_at.tzinfo is UTC
    assert displays(post.text.hashtags) == ["speed", "skating"]
    assert displays(post.text.mentions) == ["coach"]
    assert post.text.sound == SoundCredit("Originalton", "sannevos", True)
    assert post.text.author is None
    assert post.text.body == "Race day #speed with @coach"


def test_normalize_post_embed_author_and_missing_caption() -> None:
    raw = RawPost(
        platform="instagram",
        platform_post_id="C1abc",
        source_kind="embed",
        author_handle="sannevos",
        caption="@sannevos thanks @coach",
    )
    post = normalize_post(raw, fetched_at=FETCHED)
    assert (post.text.author, post.text.body) == ("sannevos", "thanks @coach")
    assert displays(post.text.mentions) == ["coach"]
    raw.caption = None
    assert normalize_post(raw, fetched_at=FETCHED).caption == ""


@pytest.mark.parametrize(("platform", "post_id"), [("", "1"), ("tiktok", None), ("tiktok", " ")])
def test_normalize_post_without_identity_raises(platform: str, post_id: str | None) -> None:
    with pytest.raises(ParseError, match="platform"):
        normalize_post(RawPost(platform=platform, platform_post_id=post_id), fetched_at=FETCHED)


def test_normalize_post_needs_aware_fetch_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        normalize_post(
            RawPost(platform="tiktok", platform_post_id="1"),
            fetched_at=datetime(2026, 1, 1),  # noqa: DTZ001
        )


# --- properties -------------------------------------------------------------------------------

caption_text = st.lists(
    st.one_of(
        st.characters(),
        st.sampled_from(list("#@.♬ -_/&\n")),
        st.sampled_from(["#über", "@anna.b", "@a@b.cd", "https://x.org/a#b", "🥇", "日本"]),
    ),
    max_size=40,
).map("".join)
platforms = st.sampled_from(
    ["generic", "tiktok", "instagram", "x", "youtube", "mastodon", "bluesky"]
)


@settings(max_examples=300, deadline=None)
@given(text=caption_text, platform=platforms, author=st.none() | st.text(max_size=8))
def test_never_raises_and_finds_only_what_is_written(
    text: str, platform: str, author: str | None
) -> None:
    nt = normalize_text(text, platform=platform, author=author)
    nfc = unicodedata.normalize("NFC", text)
    for tag in nt.hashtags:
        assert "#" + tag.display in nfc or "＃" + tag.display in nfc
    for mention in nt.mentions:
        assert "@" + mention.display in nfc
    assert nt.body == nt.body.strip()
    assert normalize_text(text, platform=platform, author=author) == nt


@settings(max_examples=100, deadline=None)
@given(value=st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none()))
def test_parse_helpers_never_raise(value: object) -> None:
    result = parse_time(value)
    assert result is None or result.tzinfo is UTC
    count = parse_count(value)
    assert count is None or count >= 0


@pytest.mark.parametrize(
    ("platform", "post_id", "given", "expected"),
    [
        # TikTok ids carry the creation second in their top 32 bits.
        ("tiktok", str((1_760_000_000 << 32) + 12345), None, "2025-10-09T08:53:20+00:00"),
        # An X snowflake: (id >> 22) + 1288834974657 ms.
        (
            "x",
            str((1_700_000_000_000 - 1_288_834_974_657) << 22),
            None,
            "2023-11-14T22:13:20+00:00",
        ),
        # What the platform says wins over the id.
        ("tiktok", str(1_760_000_000 << 32), "1600000000", "2020-09-13T12:26:40+00:00"),
        # Other platforms' ids say nothing about time.
        ("instagram", "3456789012345678901", None, None),
        ("tiktok", "not-a-number", None, None),
    ],
)
def test_posted_at_from_the_id_when_nothing_else_says(
    platform: str, post_id: str, given: str | None, expected: str | None
) -> None:
    raw = RawPost(
        platform=platform,
        platform_post_id=post_id,
        posted_at=given,
        caption="Wat een mooie dag op het ijs vandaag met de hele ploeg samen",
    )
    post = normalize_post(raw, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert (post.posted_at.isoformat() if post.posted_at else None) == expected
