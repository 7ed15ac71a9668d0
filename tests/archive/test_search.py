"""Search on SQLite (FTS5) and the real PostgreSQL (tsvector + GIN): syntax, folding, parity."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import db, store
from archive.cli import cli
from archive.config import AccountConfig, AthleteConfig, Roster
from archive.errors import QueryError, UnknownAthleteError
from archive.normalize import normalize_post
from archive.records import RawPost, RawSound
from archive.search import make_snippet, parse_query, search_posts

SEEN = datetime(2026, 3, 1, tzinfo=UTC)
ROSTER = Roster(
    (
        AthleteConfig(
            "lotte-van-dijk",
            "Lotte van Dijk",
            "speed skating",
            "NL",
            accounts=(
                AccountConfig("tiktok", "lotte.dijk"),
                AccountConfig("instagram", "lottedijk"),
            ),
        ),
        AthleteConfig(
            "femke-kok",
            "Femke Kok",
            "speed skating",
            "NL",
            accounts=(
                AccountConfig("bluesky", "femke.bsky.social"),
                AccountConfig("mastodon", "femke@mastodon.social"),
            ),
        ),
    )
)
HANDLES = {
    "tiktok": "lotte.dijk",
    "instagram": "lottedijk",
    "bluesky": "femke.bsky.social",
    "mastodon": "femke@mastodon.social",
}
# key, platform, posted_at (UTC), caption, extra RawPost fields
POSTS: list[tuple[str, str, datetime, str, dict[str, Any]]] = [
    (
        "goud",
        "tiktok",
        datetime(2026, 2, 1, 10, tzinfo=UTC),
        "Schaatsen op Thialf vandaag! Goud op de 1000 meter 🥇 #schaatsen @femke.kok",
        {},
    ),
    (
        "madchen",
        "tiktok",
        datetime(2026, 2, 2, 10, tzinfo=UTC),
        "Das Mädchen aus Inzell holt Sølv im Sprint, was für ein Rennen #eisschnelllauf",
        {},
    ),
    (
        "kin",
        "instagram",
        datetime(2026, 2, 3, 10, tzinfo=UTC),
        "金メダルを取りました！五輪の舞台で滑れて幸せです 🥇",
        {"declared_language": "ja"},
    ),
    (
        "record",
        "bluesky",
        datetime(2026, 2, 4, 10, tzinfo=UTC),
        "Training in Calgary today, world record attempt tomorrow #speedskating",
        {},
    ),
    (
        "luck",
        "bluesky",
        datetime(2026, 2, 5, 23, 59, 59, tzinfo=UTC),
        "World records are made of hard training, not of luck or records alone",
        {},
    ),
    (
        "rust",
        "tiktok",
        datetime(2026, 2, 6, 0, 0, tzinfo=UTC),
        "Rustdag. Geen training vandaag, wel schaatsen kijken op tv 📺",
        {"sound": RawSound("Kou op het ijs", "De Rijders", False, "7100000000000000001")},
    ),
    (
        "korea",
        "mastodon",
        datetime(2026, 2, 7, 10, tzinfo=UTC),
        "한국 쇼트트랙 대표팀 화이팅! 中国队 加油 金牌 🇰🇷",
        {},
    ),
    (
        "evil",
        "tiktok",
        datetime(2026, 2, 8, 10, tzinfo=UTC),
        "<script>alert(1)</script> =SUM(A1) training night @evil",
        {},
    ),
]


def seed(engine: Engine) -> dict[str, int]:
    """The corpus above in an archive; returns post ids by key."""
    store.sync_roster(engine, ROSTER)
    batch = []
    for n, (key, platform, posted, caption, extra) in enumerate(POSTS):
        raw = RawPost(
            platform=platform,
            platform_post_id=f"{platform}-{n}-{key}",
            url=f"https://example.org/{platform}/{n}",
            author_handle=HANDLES[platform],
            posted_at=posted,
            caption=caption,
            counts={"likes": 10 + n},
            **extra,
        )
        batch.append(normalize_post(raw, fetched_at=SEEN))
    result = store.upsert_posts(engine, batch)
    return {
        key: result.post_ids[(platform, f"{platform}-{n}-{key}")]
        for n, (key, platform, *_rest) in enumerate(POSTS)
    }


@pytest.fixture
def seeded(engine: Engine) -> tuple[Engine, dict[str, int]]:
    return engine, seed(engine)


def keys(hits: list[Any], ids: dict[str, int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[h.post_id] for h in hits}


#: Queries with operators, prefixes, CJK and emoji whose answers are compared across backends
#: (and with the search side index's, tests/archive/test_search_index.py).
OPERATOR_QUERIES = [
    "training OR schaatsen -tv",
    "w*",
    "t* -training",
    "金*",
    "🇰🇷",
    "한국",
    '"not of luck"',
    "femke OR thialf OR inzell",
]
QUERIES = {
    "schaatsen": {"goud", "rust"},
    "SCHAATSEN": {"goud", "rust"},
    "#schaatsen": {"goud"},
    "#Schaatsen training": set(),
    "@femke.kok": {"goud"},
    "madchen": {"madchen"},
    "Mädchen": {"madchen"},
    "solv": {"madchen"},
    "SØLV": {"madchen"},
    "training": {"record", "luck", "rust", "evil"},
    "training world": {"record", "luck"},
    '"world record"': {"record"},
    '"record world"': set(),
    "record*": {"record", "luck"},
    "records": {"luck"},
    "record": {"record"},
    "calgary OR luck": {"record", "luck"},
    "training -world": {"rust", "evil"},
    "training -#speedskating": {"luck", "rust", "evil"},
    "金メダル": {"kin"},
    "五輪": {"kin"},
    '"金メダル"': {"kin"},
    "メダル": {"kin"},
    "金牌": {"korea"},
    "쇼트트랙": {"korea"},
    "中国队 加油": {"korea"},
    "🥇": {"goud", "kin"},
    "📺 schaatsen": {"rust"},
    "script": {"evil"},
    "thialf*": {"goud"},
    "1000": {"goud"},
}


@pytest.mark.parametrize(("query", "expected"), QUERIES.items(), ids=list(QUERIES))
def test_query_syntax_and_folding(
    seeded: tuple[Engine, dict[str, int]], query: str, expected: set[str]
) -> None:
    engine, ids = seeded
    assert keys(search_posts(engine, query, limit=100), ids) == expected


def test_parity_sqlite_and_postgresql_find_the_same_posts(sqlite_url: str, pg_url: str) -> None:
    engines = []
    for url in (sqlite_url, pg_url):
        db.upgrade(url)
        engines.append(db.make_engine(url))
    try:
        found = []
        for e in engines:
            ids = seed(e)
            found.append({q: keys(search_posts(e, q, limit=1000), ids) for q in QUERIES})
        assert found[0] == found[1]
        for q in OPERATOR_QUERIES:
            a, b = (
                sorted(h.platform_post_id for h in search_posts(e, q, limit=1000)) for e in engines
            )
            assert a == b, q
    finally:
        for e in engines:
            e.dispose()


def test_exclusions_only_and_empty_queries_are_refused(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    with pytest.raises(QueryError, match="exclusions only"):
        search_posts(engine, "-training -#schaatsen")
    with pytest.raises(QueryError, match="nothing to search"):
        search_posts(engine, '  "" * ^ ')


def test_rank_puts_the_better_match_first_and_date_sorts_newest_first(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = seeded
    hits = search_posts(engine, "records")
    assert [h.post_id for h in hits] == [ids["luck"]]
    ranked = search_posts(engine, "training")
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    dated = search_posts(engine, "training", sort="date")
    assert [h.post_id for h in dated] == [ids[k] for k in ("evil", "rust", "luck", "record")]
    assert len(search_posts(engine, "training", limit=2)) == 2


def test_filters(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = seeded

    def find(query: str, **kw: Any) -> set[str]:
        return keys(search_posts(engine, query, limit=100, **kw), ids)

    assert find("training", athlete="femke-kok") == {"record", "luck"}
    assert find("training", platform="tiktok") == {"rust", "evil"}
    assert find("schaatsen", hashtag="#Schaatsen") == {"goud"}
    assert find("training OR schaatsen", sound="rijders") == {"rust"}
    assert find("training OR schaatsen", sound="100%_") == set()
    assert find("金メダル", lang="ja") == {"kin"}
    assert find("training", lang="en") >= {"record", "luck"}


def test_since_and_until_are_inclusive_utc_days(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = seeded
    got = keys(
        search_posts(
            engine,
            "training OR schaatsen",
            since=date(2026, 2, 5),
            until=date(2026, 2, 5),
            limit=100,
        ),
        ids,
    )
    assert got == {"luck"}  # 23:59:59 on the 5th is in, 00:00 on the 6th is not
    got = keys(
        search_posts(
            engine,
            "training OR schaatsen",
            since=date(2026, 2, 6),
            until=date(2026, 2, 6),
            limit=100,
        ),
        ids,
    )
    assert got == {"rust"}
    assert search_posts(engine, "training", since=date(2026, 3, 1)) == []


def test_unknown_athlete_names_close_matches(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with pytest.raises(UnknownAthleteError, match="femke-kok"):
        search_posts(engine, "training", athlete="femke-kook")


def test_snippets_mark_the_matched_words() -> None:
    terms = parse_query("madchen solv* 金メダル 🥇").positive_terms()
    text = "Das Mädchen holt Sølvmedaille und 金メダルを取りました 🥇🏽!"
    assert make_snippet(text, terms) == (
        "Das «Mädchen» holt «Sølvmedaille» und «金メダル»を取りました «🥇»🏽!"
    )
    long = "word " * 100 + "Schaatsen " + "word " * 100
    snip = make_snippet(long, parse_query("schaatsen").positive_terms())
    assert snip.startswith("…")
    assert snip.endswith("…")
    assert "«Schaatsen»" in snip


def test_hits_carry_snippet_and_provenance(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ids = seeded
    (hit,) = search_posts(engine, "madchen")
    assert hit.snippet.startswith("Das «Mädchen» aus Inzell")
    assert hit.athlete == "lotte-van-dijk"
    assert hit.platform == "tiktok"
    assert hit.url == "https://example.org/tiktok/1"
    assert hit.posted_at == POSTS[1][2]


NASTY = [
    '"',
    '"unbalanced quote',
    'unbalanced" quote',
    "NEAR(a b)",
    "a NEAR/2 b",
    "^start",
    "col:val",
    "search_text:goud",
    "*",
    "**",
    "* *",
    "'; DROP TABLE post; --",
    "1=1 OR 1=1",
    "\x00",
    "a\x00b",
    "-",
    "- -",
    "--",
    "OR",
    "OR OR",
    "AND NOT",
    '""',
    "((",
    "))",
    "\\",
    "%_",
    "a" * 300,
    "\udcff",
    "🥇*",
    "#",
    "@",
    "#!!",
    "{}[]",
    "$1",
    ":q",
    "%(q)s",
    "?",
    "' OR ''='",
    "a & !b | c",
    "x <-> y",
    "goud:*",
    "!goud",
    "NOT goud",
    "goud NOT",
    "+goud",
    "goud^2",
    '"a" "',
    "ＯＲ",
    "-goud OR",
    "OR -goud goud",
    " ",
    "\t\n",
    "<script>alert(1)</script>",
    "null",
    "undefined",
]


@pytest.mark.parametrize("query", NASTY, ids=[repr(q)[:30] for q in NASTY])
def test_hostile_queries_are_safe_in_the_function(
    seeded: tuple[Engine, dict[str, int]], query: str
) -> None:
    engine, _ = seeded
    message = ""
    try:
        hits = search_posts(
            engine, query, athlete="lotte-van-dijk", sound=query, lang=query, hashtag=query
        )
    except QueryError as exc:
        message = str(exc)
        assert message
    else:
        assert isinstance(hits, list)
    assert "\n" not in message
    with contextlib.suppress(QueryError):
        search_posts(engine, query)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one() == len(POSTS)


@pytest.mark.parametrize("query", NASTY, ids=[repr(q)[:30] for q in NASTY])
def test_hostile_queries_are_safe_in_the_cli(
    seeded: tuple[Engine, dict[str, int]], archive_url: str, query: str
) -> None:
    query = query.replace("\x00", "").replace("\udcff", "\ufffd")  # argv cannot hold these
    result = CliRunner().invoke(
        cli, ["search", "--db", archive_url, "--format", "json", "--", query]
    )
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert result.output.startswith("podium: error: ")
        assert result.output.count("\n") == 1
    else:
        assert isinstance(json.loads(result.stdout), list)
    assert "Traceback" not in result.output


def test_cli_table_and_json(seeded: tuple[Engine, dict[str, int]], archive_url: str) -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["search", "madchen", "--db", archive_url])
    assert table.exit_code == 0, table.output
    assert "«Mädchen»" in table.stdout
    assert "lotte-van-dijk" in table.stdout
    js = runner.invoke(
        cli,
        [
            "search",
            "training",
            "--sort",
            "date",
            "--format",
            "json",
            "--athlete",
            "femke-kok",
            "--db",
            archive_url,
        ],
    )
    rows = json.loads(js.stdout)
    assert [r["platform_post_id"] for r in rows] == ["bluesky-4-luck", "bluesky-3-record"]
    assert rows[0]["snippet"].count("«") == 1
    assert rows[0]["posted_at"] == "2026-02-05T23:59:59Z"
    bad = runner.invoke(cli, ["search", "-x", "--db", archive_url])
    assert bad.exit_code == 2  # -x looks like an option: click says use --
    refused = runner.invoke(cli, ["search", "--db", archive_url, "--", "-training"])
    assert refused.exit_code == 1
    assert "exclusions only" in refused.output
    unknown = runner.invoke(cli, ["search", "goud", "--athlete", "lotte", "--db", archive_url])
    assert unknown.exit_code == 1
    assert "lotte-van-dijk" in unknown.output
    assert unknown.output.count("\n") == 1


def test_search_has_help() -> None:
    result = CliRunner().invoke(cli, ["search", "--help"])
    assert result.exit_code == 0
    assert "prefix*" in result.output


# --- what the reader sees: Mastodon mentions, whole CJK matches, totals, queries starting with -

# A Mastodon post shows ``@jonas``; the mention is stored as ``jonas@rad.example``.
MORE: list[tuple[str, str, datetime, str, dict[str, Any]]] = [
    (
        "jonas_rad",
        "mastodon",
        datetime(2026, 2, 9, 10, tzinfo=UTC),
        "Samen met @jonas op het ijs in Heerenveen",
        {"mentions": ["jonas@rad.example"], "mentions_complete": True},
    ),
    (
        "jonas_ijs",
        "mastodon",
        datetime(2026, 2, 10, 10, tzinfo=UTC),
        "Bedankt @jonas@ijs.example voor de tip",
        {},
    ),
    ("jonas_word", "tiktok", datetime(2026, 2, 11, 10, tzinfo=UTC), "Jonas won vandaag", {}),
    (
        "meter",
        "instagram",
        datetime(2026, 2, 12, 10, tzinfo=UTC),
        "500メートルで自己ベスト！スタートは完璧",
        {"declared_language": "ja"},
    ),
]
MORE_QUERIES = {
    "@jonas": {"jonas_rad", "jonas_ijs"},
    "@Jonas@rad.example": {"jonas_rad"},
    "@jonas@ijs.example": {"jonas_ijs"},
    "@jonas@elders.example": set(),
    "@jona": set(),
    "jonas": {"jonas_rad", "jonas_ijs", "jonas_word"},
    "jonas -@jonas": {"jonas_word"},
    "jonas -@jonas@rad.example": {"jonas_ijs", "jonas_word"},
    "@jonas@rad.example OR @jonas@ijs.example": {"jonas_rad", "jonas_ijs"},
    "スタート": {"meter"},
    "メートル": {"meter"},
    "ート": {"meter"},
}


def seed_more(engine: Engine) -> dict[str, int]:
    """The corpus above plus MORE; returns post ids by key."""
    ids = seed(engine)
    batch = []
    for n, (key, platform, posted, caption, extra) in enumerate(MORE, start=len(POSTS)):
        raw = RawPost(
            platform=platform,
            platform_post_id=f"{platform}-{n}-{key}",
            url=f"https://example.org/{platform}/{n}",
            author_handle=HANDLES[platform],
            posted_at=posted,
            caption=caption,
            **extra,
        )
        batch.append(normalize_post(raw, fetched_at=SEEN))
    result = store.upsert_posts(engine, batch)
    for n, (key, platform, *_rest) in enumerate(MORE, start=len(POSTS)):
        ids[key] = result.post_ids[(platform, f"{platform}-{n}-{key}")]
    return ids


@pytest.fixture
def seeded_more(engine: Engine) -> tuple[Engine, dict[str, int]]:
    return engine, seed_more(engine)


@pytest.mark.parametrize(("query", "expected"), MORE_QUERIES.items(), ids=list(MORE_QUERIES))
def test_mentions_as_the_reader_sees_them_and_cjk_words(
    seeded_more: tuple[Engine, dict[str, int]], query: str, expected: set[str]
) -> None:
    engine, ids = seeded_more
    assert keys(search_posts(engine, query, limit=100), ids) == expected


def test_parity_of_mentions_cjk_and_totals(sqlite_url: str, pg_url: str) -> None:
    found = []
    for url in (sqlite_url, pg_url):
        db.upgrade(url)
        engine = db.make_engine(url)
        try:
            by_id = {v: k for k, v in seed_more(engine).items()}
            results = {}
            for q in [*MORE_QUERIES, *QUERIES]:
                hits = sorted(search_posts(engine, q, limit=1000), key=lambda h: h.post_id)
                total = search_posts(engine, q, limit=1, count=True).total
                results[q] = ([by_id[h.post_id] for h in hits], [h.snippet for h in hits], total)
            found.append(results)
        finally:
            engine.dispose()
    assert found[0] == found[1]


def test_cjk_highlights_mark_whole_matches_only(
    seeded_more: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded_more
    (hit,) = search_posts(engine, "スタート")
    assert hit.snippet == "500メートルで自己ベスト！«スタート»は完璧"  # not 500メ«ート»ル
    (hit,) = search_posts(engine, "メートル")
    assert hit.snippet == "500«メートル»で自己ベスト！スタートは完璧"
    (hit,) = search_posts(engine, "@jonas@rad.example")
    assert hit.snippet == "Samen met @«jonas» op het ijs in Heerenveen"


def test_snippets_mark_whole_phrases_and_cjk_runs() -> None:
    text = "500メートルのスタート, world record! A world of records"
    assert make_snippet(text, parse_query('スタート "world record"').positive_terms()) == (
        "500メートルの«スタート», «world record»! A world of records"
    )
    assert make_snippet(text, parse_query("ート").positive_terms()) == (
        "500メ«ート»ルのスタ«ート», world record! A world of records"
    )
    assert make_snippet(text, parse_query("金*").positive_terms()) == text


def test_total_counts_every_match_with_the_filters(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    for sort in ("rank", "date"):
        hits = search_posts(engine, "training", limit=2, count=True, sort=sort)
        assert (len(hits), hits.total) == (2, 4)
        assert search_posts(engine, "training", limit=2, sort=sort).total is None
    assert search_posts(engine, "training", limit=100).total == 4  # all shown: known for free
    hits = search_posts(engine, "training OR schaatsen", platform="tiktok", limit=1, count=True)
    assert hits.total == 3
    assert search_posts(engine, "nowhere", count=True).total == 0


def test_cli_table_says_how_many_posts_match_in_all(
    seeded: tuple[Engine, dict[str, int]], archive_url: str
) -> None:
    runner = CliRunner()
    some = runner.invoke(cli, ["search", "training", "--limit", "2", "--db", archive_url])
    assert some.exit_code == 0, some.output
    assert sum(line.startswith("    ") for line in some.stdout.splitlines()) == 2  # snippets
    assert "2 of 4 matching posts shown" in some.stderr
    everything = runner.invoke(cli, ["search", "training", "--db", archive_url])
    assert everything.stderr.strip() == "4 matching posts"
    js = runner.invoke(cli, ["search", "training", "--format", "json", "--db", archive_url])
    assert len(json.loads(js.stdout)) == 4
    assert js.stderr == ""  # machine formats stay clean


def test_cli_queries_that_start_with_a_minus_go_after_double_dash(
    seeded: tuple[Engine, dict[str, int]], archive_url: str
) -> None:
    runner = CliRunner()
    for argv in (["-tv schaatsen"], ["-tv", "schaatsen"], ["schaatsen -tv"]):
        result = runner.invoke(
            cli, ["search", "--db", archive_url, "--format", "json", "--", *argv]
        )
        assert result.exit_code == 0, result.output
        assert [r["platform_post_id"] for r in json.loads(result.stdout)] == ["tiktok-0-goud"]
    refused = runner.invoke(cli, ["search", "--db", archive_url, "--", "-schaatsen"])
    assert refused.exit_code == 1
    assert "exclusions only" in refused.stderr
    assert "No such option" not in refused.output
    missing = runner.invoke(cli, ["search", "--db", archive_url])
    assert missing.exit_code == 2


def test_search_help_shows_the_double_dash_form() -> None:
    result = CliRunner().invoke(cli, ["search", "--help"])
    assert result.exit_code == 0
    assert "-- '-wind schaatsen'" in result.output
    assert "@jonas@rad.example" in result.output
