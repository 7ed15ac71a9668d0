"""Timeline export on SQLite and PostgreSQL: every format, order, history, escaping, streaming."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import store
from archive.cli import cli
from archive.errors import UnknownAthleteError
from archive.export import export_timeline, iter_timeline, neutralize_cell, safe_link
from archive.normalize import normalize_post
from archive.records import RawArticle, RawEmbed, RawPost
from tests.archive.test_search import POSTS, SEEN, seed

LOTTE = "lotte-van-dijk"


@pytest.fixture
def archive(engine: Engine) -> Engine:
    """The search corpus, plus an edit, a count change, a deletion and an article embed."""
    seed(engine)
    n, (key, platform, posted, caption, _) = 0, POSTS[0]
    later = SEEN + timedelta(days=1)
    edited = RawPost(
        platform=platform,
        platform_post_id=f"{platform}-{n}-{key}",
        url=f"https://example.org/{platform}/{n}",
        author_handle="lotte.dijk",
        posted_at=posted,
        caption=caption + " Bedankt allemaal!",
        counts={"likes": 99},
    )
    gone = RawPost(
        platform="tiktok",
        platform_post_id="tiktok-5-rust",
        author_handle="lotte.dijk",
        availability="deleted",
        caption=None,
    )
    store.upsert_posts(
        engine, [normalize_post(edited, fetched_at=later), normalize_post(gone, fetched_at=later)]
    )
    article = RawArticle(
        url="https://news.example.org/goud",
        title="Goud voor Lotte",
        embeds=[RawEmbed("tiktok", "https://example.org/tiktok/0", "tiktok-0-goud", 0)],
    )
    store.upsert_article(engine, article, published_at=SEEN, observed_at=SEEN)
    return engine


def text(engine: Engine, fmt: str, **kw: Any) -> str:
    return "".join(export_timeline(engine, LOTTE, fmt=fmt, **kw))


LOTTE_ORDER = [
    "tiktok-0-goud",
    "tiktok-1-madchen",
    "instagram-2-kin",
    "tiktok-5-rust",
    "tiktok-7-evil",
]


def test_the_export_is_a_lazy_iterator_not_a_list(archive: Engine) -> None:
    for fmt in ("ndjson", "csv", "json", "html"):
        chunks = export_timeline(archive, LOTTE, fmt=fmt)
        assert isinstance(chunks, Iterator)
        assert not isinstance(chunks, list | tuple)
    assert isinstance(iter_timeline(archive, LOTTE), Iterator)


def test_ndjson_one_post_per_line_in_time_order_with_provenance(archive: Engine) -> None:
    lines = text(archive, "ndjson").splitlines()
    posts = [json.loads(line) for line in lines]
    assert [p["platform_post_id"] for p in posts] == LOTTE_ORDER
    goud = posts[0]
    assert goud["caption"].endswith("Bedankt allemaal!")
    assert goud["edits"] == 1
    assert goud["counts"]["likes"] == 99
    assert goud["hashtags"] == ["schaatsen"]
    assert goud["mentions"] == ["femke.kok"]
    assert goud["articles"] == [
        {"url": "https://news.example.org/goud", "title": "Goud voor Lotte"}
    ]
    assert goud["url"] == "https://example.org/tiktok/0"
    assert goud["first_seen_at"] == "2026-03-01T00:00:00Z"
    assert goud["last_seen_at"] == "2026-03-02T00:00:00Z"
    assert goud["posted_at"] == "2026-02-01T10:00:00Z"
    rust = posts[3]
    assert rust["availability"] == "deleted"
    assert rust["sound"] == {"title": "Kou op het ijs", "artist": "De Rijders"}
    assert posts[2]["language"] == "ja"
    assert "versions" not in goud


def test_json_has_the_athlete_and_each_posts_history(archive: Engine) -> None:
    doc = json.loads(text(archive, "json"))
    assert doc["athlete"] == {
        "slug": LOTTE,
        "name": "Lotte van Dijk",
        "sport": "speed skating",
        "country": "NL",
    }
    goud = doc["posts"][0]
    assert [v["caption"] for v in goud["versions"]] == [
        POSTS[0][3],
        POSTS[0][3] + " Bedankt allemaal!",
    ]
    assert [s["likes"] for s in goud["snapshots"]] == [10, 99]
    assert [p["platform_post_id"] for p in doc["posts"]] == LOTTE_ORDER


def test_csv_is_utf8_with_header_and_formulas_neutralized(archive: Engine) -> None:
    out = text(archive, "csv")
    assert out.startswith("\ufeffposted_at,platform,")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert [r["platform_post_id"] for r in rows] == LOTTE_ORDER
    evil = rows[-1]
    assert evil["caption"].startswith("<script>")
    assert rows[0]["mentions"] == "'@femke.kok"  # would start a formula in a spreadsheet
    assert rows[0]["hashtags"] == "#schaatsen"
    assert rows[2]["caption"].startswith("金メダル")
    for value in ("=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralize_cell(value) == "'" + value
    assert neutralize_cell("goud") == "goud"
    assert neutralize_cell(5) == 5


def test_html_is_self_contained_escaped_and_links_only_http(archive: Engine) -> None:
    page = text(archive, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<svg" in page
    assert "src=" not in page
    assert "<link" not in page
    assert "http" not in page.split("<main>")[0].replace("http-equiv", "")  # no external CSS
    assert page.count("<article") == len(LOTTE_ORDER)
    assert 'href="https://example.org/tiktok/0"' in page
    assert "Goud voor Lotte" in page
    assert "February 2026" in page
    assert "deleted" in page
    assert "edited 1×" in page
    assert safe_link("javascript:alert(1)", "x") == "<bdi>x</bdi>: <bdi>javascript:alert(1)</bdi>"
    assert (
        safe_link("data:text/html,<b>", "x") == "<bdi>x</bdi>: <bdi>data:text/html,&lt;b&gt;</bdi>"
    )
    assert safe_link('https://a.example/"><b>', "x").startswith(
        '<a href="https://a.example/&quot;&gt;&lt;b&gt;"'
    )


def test_exports_are_stable(archive: Engine) -> None:
    for fmt in ("ndjson", "csv", "json", "html"):
        assert text(archive, fmt) == text(archive, fmt)


def test_since_until_and_platform(archive: Engine) -> None:
    def ids(**kw: Any) -> list[str]:
        return [p["platform_post_id"] for p in iter_timeline(archive, LOTTE, **kw)]

    assert ids(since=date(2026, 2, 2), until=date(2026, 2, 3)) == LOTTE_ORDER[1:3]
    assert ids(since=date(2026, 2, 6), until=date(2026, 2, 6)) == ["tiktok-5-rust"]
    assert ids(until=date(2026, 2, 1)) == ["tiktok-0-goud"]
    assert ids(platform="instagram") == ["instagram-2-kin"]
    assert ids(since=date(2027, 1, 1)) == []
    assert "No posts" in text(archive, "html", since=date(2027, 1, 1))


def test_unknown_athlete_is_one_line_with_close_matches(archive: Engine, archive_url: str) -> None:
    with pytest.raises(UnknownAthleteError, match="lotte-van-dijk"):
        export_timeline(archive, "lotte-van-dyk")
    result = CliRunner().invoke(cli, ["timeline", "lotte-van-dyk", "--db", archive_url])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "did you mean lotte-van-dijk" in result.output


def test_cli_writes_each_format(archive: Engine, archive_url: str, tmp_path: Any) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["timeline", LOTTE, "--db", archive_url])
    assert out.exit_code == 0, out.output
    assert len(out.stdout.splitlines()) == len(LOTTE_ORDER)
    for fmt in ("csv", "json", "html"):
        target = tmp_path / f"t.{fmt}"
        res = runner.invoke(
            cli,
            [
                "timeline",
                LOTTE,
                "--format",
                fmt,
                "-o",
                str(target),
                "--since",
                "2026-02-02",
                "--db",
                archive_url,
            ],
        )
        assert res.exit_code == 0, res.output
        assert target.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "t.json").read_text())["posts"][0]["platform_post_id"] == (
        "tiktok-1-madchen"
    )


def test_streaming_reads_in_chunks(archive: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.export import posts
    from archive.store import timeline

    monkeypatch.setattr(posts, "CHUNK", 2)
    calls = []
    real = timeline.related

    def spy(conn: Any, ids: Any, history: bool) -> Any:
        calls.append(list(ids))
        return real(conn, ids, history)

    monkeypatch.setattr(timeline, "related", spy)
    chunks = export_timeline(archive, LOTTE, fmt="ndjson")
    assert calls == []  # nothing read before the first chunk is asked for
    assert len("".join(chunks).splitlines()) == len(LOTTE_ORDER)
    assert [len(c) for c in calls] == [2, 2, 1]
    calls.clear()
    posts = iter_timeline(archive, LOTTE)
    assert next(posts)["platform_post_id"] == LOTTE_ORDER[0]
    assert len(calls) == 1  # one chunk read for the first post, not the whole timeline
    assert len(list(posts)) == len(LOTTE_ORDER) - 1
    assert len(calls) == 3


def test_a_week_chart_counts_posts_per_utc_week(archive: Engine) -> None:
    weeks = store.weekly_post_counts(
        archive, _athlete_id(archive), platform=None, period=store.Period()
    )
    assert weeks == {
        (date(2026, 1, 26), "tiktok"): 1,
        (date(2026, 2, 2), "tiktok"): 3,
        (date(2026, 2, 2), "instagram"): 1,
    }


def _athlete_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(store.require_athlete(conn, LOTTE)["id"])


def test_timeline_has_help() -> None:
    result = CliRunner().invoke(cli, ["timeline", "--help"])
    assert result.exit_code == 0
    assert "ndjson" in result.output


@pytest.mark.parametrize("caption", ["=cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "+1"])
def test_csv_neutralizes_captions_that_start_a_formula(engine: Engine, caption: str) -> None:
    seed(engine)
    raw = RawPost(
        platform="tiktok",
        platform_post_id="f1",
        author_handle="lotte.dijk",
        posted_at=datetime(2026, 2, 9, tzinfo=UTC),
        caption=caption,
    )
    store.upsert_posts(engine, [normalize_post(raw, fetched_at=SEEN)])
    rows = list(csv.reader(io.StringIO(text(engine, "csv").removeprefix("\ufeff"))))
    assert rows[-1][5] == "'" + caption


def test_reads_do_not_wait_for_a_writer_on_sqlite(sqlite_engine: Engine) -> None:
    """A reader that took the write lock would fail with "database is locked" here."""
    from archive import db
    from archive.search import search_posts

    seed(sqlite_engine)
    with db.writer(sqlite_engine).begin() as writer:  # BEGIN IMMEDIATE: holds the write lock
        writer.exec_driver_sql("UPDATE post SET likes = 1")
        assert len(list(iter_timeline(sqlite_engine, LOTTE))) == len(LOTTE_ORDER)
        assert search_posts(sqlite_engine, "training")


# A timeline row's columns (archive.store.timeline.TimelineRow); the text ones by index.
_CLEAN_ROW = (
    7,
    "tiktok",
    "7300000000000000001",
    "https://www.tiktok.com/@femke/video/7300000000000000001",
    "femke",
    "2026-02-01 10:00:00.000000",
    "2026-02-02 10:00:00.000000",
    "2026-02-03 10:00:00.000000",
    "Goud! 🥇 #schaatsen",
    "nl",
    "nl",
    "active",
    100,
    10,
    1,
    None,
    None,
    "Song",
    "Artist",
    "https://nos.nl/artikel/1",
)
_TEXT_FIELDS = {
    2: ("platform_post_id",),
    3: ("url",),
    4: ("handle",),
    8: ("caption",),
    10: ("declared_language",),
    17: ("sound", "title"),
    18: ("sound", "artist"),
    19: ("source_url",),
}


@pytest.mark.parametrize("column", sorted(_TEXT_FIELDS))
@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\x85", "\ud800"])
def test_timeline_post_cleans_each_text_field_alone(column: int, bad: str) -> None:
    """A control character in any one text field (or tag, mention, article title) becomes
    U+FFFD there; every other field is as stored."""
    from archive.export import timeline_post
    from archive.store.timeline import Related

    shown = "\ufffd" + bad[1:]
    rel = Related(
        hashtags={7: ["schaatsen", f"goud{bad}"]},
        mentions={7: [f"ploeg{bad}"]},
        versions_n={7: 2},
        articles={7: [("https://nos.nl/a", f"Titel{bad}")]},
    )
    row = list(_CLEAN_ROW)
    row[column] = row[column][:3] + bad + row[column][3:]  # type: ignore[index]
    post: dict[str, Any] = dict(timeline_post(tuple(row), rel, False))  # type: ignore[arg-type]
    clean: dict[str, Any] = dict(timeline_post(_CLEAN_ROW, Related({}, {}, {7: 2}, {}), False))
    assert post.pop("hashtags") == ["schaatsen", f"goud{shown}"]
    assert post.pop("mentions") == [f"ploeg{shown}"]
    assert post.pop("articles") == [{"url": "https://nos.nl/a", "title": f"Titel{shown}"}]
    path = _TEXT_FIELDS[column]
    holder_post, holder_clean = (post, clean) if len(path) == 1 else (post["sound"], clean["sound"])
    original = _CLEAN_ROW[column]
    assert holder_post.pop(path[-1]) == original[:3] + shown + original[3:]  # type: ignore[index]
    holder_clean.pop(path[-1])
    for name in ("hashtags", "mentions", "articles"):
        clean.pop(name)
    assert post == clean
