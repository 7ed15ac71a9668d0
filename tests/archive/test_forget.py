"""`podium forget` on SQLite and the real PostgreSQL: exactly their rows go, nothing else moves."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine, make_url

from archive import store
from archive.cli import cli
from archive.config import AccountConfig, AthleteConfig, Roster
from archive.db import SCHEDULER_JOB_TABLE
from archive.errors import ArchiveError
from archive.normalize import normalize_post
from archive.records import Payload, RawArticle, RawEmbed, RawPost, RawSound
from archive.search import search_posts
from archive.store.erase import TABLES

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
L1, L2, F1, F2 = (f"71000000000000000{n:02d}" for n in (1, 2, 3, 4))
L3 = "CqLotte0001"
SONG = RawSound("Kou op het ijs", "De Rijders", False, "7200000000000000001")
ORIGINAL = RawSound("origineel geluid", "Lotte van Dijk", True, "7200000000000000002")
SHARED_BODY = b'{"listing": "one page, two athletes"}'
ROSTER = Roster(
    (
        AthleteConfig(
            "lotte-van-dijk",
            "Lotte van Dijk",
            accounts=(
                AccountConfig("tiktok", "lotte.dijk"),
                AccountConfig("instagram", "LotteDijk"),
            ),
        ),
        AthleteConfig("femke-kok", "Femke Kok", accounts=(AccountConfig("tiktok", "femke.kok"),)),
    )
)
ALL_TABLES = (*TABLES, "article")
KEYS = {"post_hashtag": ("post_id", "hashtag_id")}


def url_of(platform: str, handle: str, pid: str) -> str:
    if platform == "instagram":
        return f"https://www.instagram.com/p/{pid}/"
    return f"https://www.tiktok.com/@{handle}/video/{pid}"


def observe(
    platform: str,
    handle: str,
    pid: str,
    caption: str,
    *,
    at: datetime = T0,
    likes: int = 10,
    sound: RawSound | None = None,
    slug: str,
    body: bytes | None = None,
) -> store.NormalizedPost:
    raw = RawPost(
        platform=platform,
        platform_post_id=pid,
        url=url_of(platform, handle, pid),
        author_handle=handle,
        author_id=f"id-{handle}",
        posted_at=1_760_000_000,
        caption=caption,
        counts={"likes": likes, "views": 1000},
        sound=sound,
        athlete_slug=slug,
    )
    post = normalize_post(raw, fetched_at=at)
    if body is None:  # what a real payload is: the item, naming its own id
        body = f'{{"id": "{pid}", "desc": "{caption[:20]}", "likes": {likes}}}'.encode()
    return dataclasses.replace(post, payload=Payload(body, raw.url, at, platform))


def build(engine: Engine) -> None:
    """Two athletes sharing a hashtag and a sound; histories, problems, runs, embeds, jobs."""
    store.sync_roster(engine, ROSTER)
    lotte, femke = "lotte-van-dijk", "femke-kok"
    quokka = "Quokkasprint op Thialf! Goud op de 1000 meter #schaatsen #goud @femke.kok"
    store.upsert_posts(
        engine,
        [
            observe("tiktok", "lotte.dijk", L1, quokka, sound=SONG, slug=lotte),
            observe(
                "tiktok",
                "lotte.dijk",
                L2,
                "Rustdag #lotteonly",
                sound=ORIGINAL,
                slug=lotte,
                body=SHARED_BODY,
            ),
            observe("instagram", "lottedijk", L3, "Zebrafinish in Calgary #schaatsen", slug=lotte),
            observe(
                "tiktok",
                "femke.kok",
                F1,
                "Femke wint de 500 meter #schaatsen #goud",
                sound=SONG,
                slug=femke,
            ),
            observe("tiktok", "femke.kok", F2, "Rust", slug=femke, body=SHARED_BODY),
        ],
    )
    later = T0 + timedelta(hours=1)
    store.upsert_posts(  # an edit and new counts: L1's first payload is no longer linked
        engine,
        [
            observe(
                "tiktok",
                "lotte.dijk",
                L1,
                quokka.replace("meter", "meter, wat een dag"),
                at=later,
                likes=20,
                sound=SONG,
                slug=lotte,
            ),
            observe(
                "tiktok",
                "femke.kok",
                F1,
                "Femke wint de 500 meter #schaatsen #goud",
                at=later,
                likes=30,
                sound=SONG,
                slug=femke,
            ),
        ],
    )
    runs = {
        target: store.start_crawl_run(
            engine, spider="tiktok", target=target, athlete_slug=slug, full_sweep=False
        )
        for target, slug in (
            ("tiktok:lotte.dijk", lotte),
            ("tiktok:lotte-van-dijk", lotte),
            ("tiktok:femke.kok", femke),
            ("tiktok:roster", None),
        )
    }

    def problem(reason: str, body: bytes | None = None, **kw: Any) -> None:
        payload = Payload(body, None, T0, "tiktok") if body else None
        store.record_problem(engine, reason=reason, payload=payload, **kw)

    problem(
        "L2 not stored", b'{"bad": "' + L2.encode() + b'"}', platform="tiktok", platform_post_id=L2
    )
    problem("a payload naming L1", b'{"item": {"id": "' + L1.encode() + b'"}}', platform="tiktok")
    problem("L3 page", platform="instagram", source_url=url_of("instagram", "", L3))
    problem("in lotte's run", crawl_run_id=runs["tiktok:lotte.dijk"])
    problem(
        "femke's",
        b'{"femke": "' + F1.encode() + b'"}',
        platform="tiktok",
        platform_post_id=F1,
        crawl_run_id=runs["tiktok:femke.kok"],
    )
    problem("in the roster run", crawl_run_id=runs["tiktok:roster"])
    embeds = [
        RawEmbed("tiktok", url_of("tiktok", "lotte.dijk", L1), L1, 0),
        RawEmbed("tiktok", url_of("tiktok", "femke.kok", F1), F1, 1),
        RawEmbed("instagram", url_of("instagram", "", L3), L3, 2),
        RawEmbed("tiktok", "https://www.tiktok.com/@x/video/7999", "7999", 3),
    ]
    store.upsert_article(
        engine,
        RawArticle("https://news.example/goud", title="Goud!", embeds=embeds),
        published_at=T0,
        observed_at=T0,
        payload=Payload(b"<html>article</html>", "https://news.example/goud", T0, "news"),
    )
    jobs = sa.Table(  # APScheduler 3's SQLAlchemyJobStore table
        SCHEDULER_JOB_TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    jobs.create(engine)
    with engine.begin() as conn:
        conn.execute(
            jobs.insert(),
            [
                {"id": j, "next_run_time": 1.0, "job_state": b"x"}
                for j in (
                    "tiktok:lotte.dijk",
                    "instagram:LotteDijk",
                    "tiktok:femke.kok",
                    "news:demo-sport",
                )
            ],
        )


def dump(engine: Engine) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of every table a forget may touch, by primary key."""
    out = {}
    with engine.connect() as conn:
        for table in ALL_TABLES:
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()
            key = KEYS.get(table, ("id",))
            out[table] = {
                tuple(r[k] for k in key): tuple(r[c] for c in sorted(r) if c != "search_tsv")
                for r in rows
            }
    return out


def column(engine: Engine, sql: str) -> set[Any]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(sql)).scalars())


def assert_only_removed(before: dict[str, Any], after: dict[str, Any], counts: dict[str, int]):
    for table in ALL_TABLES:
        gone = set(before[table]) - set(after[table])
        assert set(after[table]) <= set(before[table]), f"{table}: rows appeared"
        assert len(gone) == counts.get(table, 0), table
        for key, row in after[table].items():
            assert row == before[table][key], f"{table} {key} changed"


def test_forget_athlete_removes_exactly_their_rows(engine: Engine) -> None:
    build(engine)
    for handle in ("Lotte.Dijk", "femke.kok"):  # how each listing ended (archive.status)
        store.record_listing(
            engine,
            crawl_run_id=None,
            platform="tiktok",
            handle=handle,
            outcome="read",
            full_sweep=False,
            posts_seen=3,
            pages=1,
        )
    before = dump(engine)
    result = store.forget_athlete(engine, "lotte-van-dijk")
    expected = {
        "athlete": 1,
        "account": 2,
        "post": 3,
        "post_version": 4,  # L1 twice (an edit), L2, L3
        "metric_snapshot": 4,
        "post_hashtag": 4,
        "hashtag": 1,  # lotteonly; schaatsen and goud are Femke's too
        "mention": 1,
        "sound": 1,  # Lotte's original sound; the shared song stays
        "article_embed": 2,
        "problem": 4,
        "crawl_run": 2,
        "listing_run": 1,  # Lotte's; Femke's stays
        "raw_payload": 5,  # L1 twice, L3, two problems'; L2's is Femke's too
        SCHEDULER_JOB_TABLE: 2,
    }
    assert result.removed == expected
    after = dump(engine)
    assert_only_removed(before, after, expected)
    assert column(engine, "SELECT platform_post_id FROM post") == {F1, F2}
    assert column(engine, "SELECT slug FROM athlete") == {"femke-kok"}
    assert column(engine, "SELECT key FROM hashtag") == {"schaatsen", "goud"}
    assert column(engine, "SELECT title FROM sound") == {"Kou op het ijs"}
    assert column(engine, "SELECT position FROM article_embed") == {1, 3}
    assert column(engine, "SELECT reason FROM problem") == {"femke's", "in the roster run"}
    assert column(engine, "SELECT target FROM crawl_run") == {"tiktok:femke.kok", "tiktok:roster"}
    assert column(engine, f"SELECT id FROM {SCHEDULER_JOB_TABLE}") == {
        "tiktok:femke.kok",
        "news:demo-sport",
    }
    femke_bodies = [
        observe("tiktok", "femke.kok", F1, "Femke wint de 500 meter #schaatsen #goud", slug="x"),
        observe(
            "tiktok",
            "femke.kok",
            F1,
            "Femke wint de 500 meter #schaatsen #goud",
            likes=30,
            slug="x",
        ),
    ]
    assert column(engine, "SELECT sha256 FROM raw_payload") == {
        hashlib.sha256(body).hexdigest()
        for body in (
            *(p.payload.body for p in femke_bodies if p.payload),
            SHARED_BODY,  # L2's and F2's: F2 still holds it
            b'{"femke": "' + F1.encode() + b'"}',
            b"<html>article</html>",
        )
    }


def test_forget_account_keeps_the_athlete_and_other_accounts(engine: Engine) -> None:
    build(engine)
    before = dump(engine)
    result = store.forget_account(engine, "tiktok", "@Lotte.Dijk")
    expected = {
        "account": 1,
        "post": 2,
        "post_version": 3,
        "metric_snapshot": 3,
        "post_hashtag": 3,
        "hashtag": 1,
        "mention": 1,
        "sound": 1,
        "article_embed": 1,
        "problem": 3,  # L2's, the payload naming L1, the one in the account's run
        "crawl_run": 1,  # the account's; the athlete-wide run stays
        "raw_payload": 4,
        SCHEDULER_JOB_TABLE: 1,
    }
    assert result.removed == {t: expected.get(t, 0) for t in TABLES}
    assert_only_removed(before, dump(engine), expected)
    assert column(engine, "SELECT platform_post_id FROM post") == {L3, F1, F2}
    assert column(engine, "SELECT slug FROM athlete") == {"lotte-van-dijk", "femke-kok"}


@pytest.mark.parametrize(
    "url",
    [
        "https://www.instagram.com/p/CqLotte0001/",
        "https://www.instagram.com/p/CqLotte0001/?igsh=abc#x",
        "https://instagram.com/reel/CqLotte0001",
        "CqLotte0001",
    ],
)
def test_forget_post_by_url(engine: Engine, url: str) -> None:
    build(engine)
    before = dump(engine)
    result = store.forget_post(engine, url)
    expected = {
        "post": 1,
        "post_version": 1,
        "metric_snapshot": 1,
        "post_hashtag": 1,
        "article_embed": 1,
        "problem": 1,
        "raw_payload": 1,
    }
    assert result.removed == {t: expected.get(t, 0) for t in TABLES}
    assert_only_removed(before, dump(engine), expected)
    assert search_posts(engine, "zebrafinish") == []


def test_a_post_url_resolves_the_way_the_parsers_read_it(engine: Engine) -> None:
    store.upsert_posts(
        engine,
        [
            normalize_post(
                RawPost(platform=p, platform_post_id=pid, url=u, caption="x"), fetched_at=T0
            )
            for p, pid, u in [
                ("tiktok", L1, f"https://www.tiktok.com/@lotte.dijk/video/{L1}"),
                ("youtube", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
                (
                    "bluesky",
                    "at://did:plc:abc/app.bsky.feed.post/3kxyz",
                    "https://bsky.app/profile/femke.bsky.social/post/3kxyz",
                ),
                (
                    "mastodon",
                    "https://mastodon.social/users/femke/statuses/111",
                    "https://mastodon.social/@femke/111",
                ),
            ]
        ],
    )
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.text("SELECT platform, id FROM post")).tuples().all())
        for platform, url in [
            ("tiktok", f"https://www.tiktok.com/@_/video/{L1}?is_from_webapp=1"),
            ("tiktok", f"tiktok.com/@lotte.dijk/video/{L1}"),
            ("youtube", "https://youtu.be/dQw4w9WgXcQ"),
            ("youtube", "https://www.youtube.com/shorts/dQw4w9WgXcQ"),
            ("youtube", "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=10"),
            ("bluesky", "https://bsky.app/profile/did:plc:abc/post/3kxyz"),
            ("bluesky", "https://bsky.app/profile/femke.bsky.social/post/3kxyz/"),
            ("mastodon", "https://mastodon.social/@femke/111?x=1"),
            ("mastodon", "https://mastodon.social/users/femke/statuses/111"),
        ]:
            assert store.find_posts_by_url(conn, url) == [ids[platform]], url
        assert store.find_posts_by_url(conn, "https://www.tiktok.com/@x/video/1") == []
        assert store.find_posts_by_url(conn, "https://example.com/nothing") == []


def test_dry_run_changes_nothing_and_counts_what_a_run_removes(engine: Engine) -> None:
    build(engine)
    before = dump(engine)
    dry = store.forget_athlete(engine, "lotte-van-dijk", dry_run=True)
    assert dry.dry_run and dump(engine) == before
    assert search_posts(engine, "quokkasprint") != []
    real = store.forget_athlete(engine, "lotte-van-dijk")
    assert dry.removed == real.removed and sum(real.removed.values()) > 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: store.forget_athlete(e, "lotte-van-dyk"), "did you mean lotte-van-dijk"),
        (lambda e: store.forget_account(e, "tiktok", "nobody"), "no account tiktok:nobody"),
        (lambda e: store.forget_account(e, "bluesky", "lotte.dijk"), "no account"),
        (lambda e: store.forget_post(e, "https://www.tiktok.com/@a/video/1"), "no post with URL"),
    ],
)
def test_unknown_targets_change_nothing(engine: Engine, call: Any, message: str) -> None:
    build(engine)
    before = dump(engine)
    with pytest.raises(ArchiveError) as exc:
        call(engine)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert dump(engine) == before


def test_search_no_longer_finds_the_forgotten_caption(engine: Engine) -> None:
    build(engine)
    assert [h.platform_post_id for h in search_posts(engine, "quokkasprint")] == [L1]
    assert [h.platform_post_id for h in search_posts(engine, "zebrafinish")] == [L3]
    store.forget_athlete(engine, "lotte-van-dijk")
    assert search_posts(engine, "quokkasprint") == []
    assert search_posts(engine, "zebrafinish") == []
    assert {h.platform_post_id for h in search_posts(engine, "#schaatsen")} == {F1}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM post WHERE search_tsv @@ 'quokkasprint'::tsquery "
                "OR strpos(search_text, 'quokka') > 0"
            ).scalar_one()
        else:
            n = conn.exec_driver_sql(
                "SELECT count(*) FROM post_fts WHERE post_fts MATCH 'quokkasprint'"
            ).scalar_one()
    assert n == 0


def test_sqlite_stays_intact_and_keeps_no_trace_of_the_text(sqlite_engine: Engine) -> None:
    build(sqlite_engine)
    store.forget_athlete(sqlite_engine, "lotte-van-dijk")
    path = Path(str(make_url(str(sqlite_engine.url)).database))
    sqlite_engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        con.execute("INSERT INTO post_fts(post_fts) VALUES ('integrity-check')")
        con.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, post_fts, 'row')")
        terms = {t for (t,) in con.execute("SELECT term FROM temp.vocab")}
        assert "schaatsen" in terms and not terms & {"quokkasprint", "zebrafinish", "rustdag"}
        index = b"".join(bytes(b) for (b,) in con.execute("SELECT block FROM post_fts_data"))
        assert b"quokka" not in index and b"zebrafin" not in index
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    data = path.read_bytes()
    for word in (b"uokkasprint", b"ebrafinish", b"otteonly", b"origineel geluid"):
        assert word not in data, word


def test_forget_leaves_no_dangling_foreign_keys(sqlite_engine: Engine) -> None:
    build(sqlite_engine)
    store.forget_account(sqlite_engine, "instagram", "lottedijk")
    store.forget_athlete(sqlite_engine, "lotte-van-dijk")
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


# --- the command --------------------------------------------------------------------------


def podium(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def cli_archive(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    build(sqlite_engine)
    roster = tmp_path / "athletes.toml"
    roster.write_text(
        '[[athlete]]\nslug = "lotte-van-dijk"\nname = "Lotte van Dijk"\n'
        '  [[athlete.account]]\n  platform = "tiktok"\n  handle = "lotte.dijk"\n'
    )
    monkeypatch.setenv("PODIUM_ROSTER", str(roster))
    return str(sqlite_engine.url)


def test_cli_dry_run_prints_counts_per_table_and_changes_nothing(
    cli_archive: str, sqlite_engine: Engine
) -> None:
    before = dump(sqlite_engine)
    done = podium("forget", "athlete", "lotte-van-dijk", "--dry-run", "--db", cli_archive)
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "would remove (dry run, nothing changed) for athlete lotte-van-dijk:"
    counts = dict(re.fullmatch(r"\s+(\S+)\s+(\d+)", line).groups() for line in lines[1:])
    assert (
        counts["post"] == "3" and counts["post_fts"] == "3" and counts[SCHEDULER_JOB_TABLE] == "2"
    )
    assert list(counts) == ["athlete", "account", "post", "post_fts", *TABLES[3:]]
    assert "still in" in done.stderr and "athletes sync" in done.stderr
    assert dump(sqlite_engine) == before


def test_cli_forget_account_and_post(cli_archive: str, sqlite_engine: Engine) -> None:
    done = podium("forget", "account", "tiktok:lotte.dijk", "--db", cli_archive)
    assert done.exit_code == 0 and "removed for account tiktok:lotte.dijk:" in done.stdout
    assert "still in" in done.stderr
    done = podium("forget", "post", url_of("instagram", "", L3), "--db", cli_archive)
    assert done.exit_code == 0 and re.search(r"^\s+post\s+1$", done.stdout, re.M)
    assert column(sqlite_engine, "SELECT platform_post_id FROM post") == {F1, F2}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("athlete", "nobody"), 1, "podium: error: no athlete 'nobody' in the archive"),
        (("account", "tiktok:nobody"), 1, "podium: error: no account tiktok:nobody in the archive"),
        (("post", "https://www.tiktok.com/@a/video/9"), 1, "podium: error: no post with URL"),
        (("account", "lotte.dijk"), 2, "is not PLATFORM:HANDLE"),
        (("person", "x"), 2, "'person' is not one of"),
    ],
)
def test_cli_unknown_targets_are_one_line_errors(
    cli_archive: str, sqlite_engine: Engine, args: tuple[str, ...], code: int, message: str
) -> None:
    before = dump(sqlite_engine)
    done = podium("forget", *args, "--db", cli_archive)
    assert done.exit_code == code and message in done.stderr
    if code == 1:
        assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert dump(sqlite_engine) == before
