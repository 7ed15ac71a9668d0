"""podium reprocess on SQLite and PostgreSQL: after a normalizer change exactly the affected rows
change, nothing else is written, no version or snapshot is added; dry runs write nothing; a
payload that no longer reads is a problem; the process pool gives what one process gives.

The archive is filled the way a crawl fills it: a payload parsed by ``parse_payload``, each post
normalized and stored with its ``raw`` as its payload. The "older rules" it is filled under are
today's with two rules monkeypatched (non-ASCII hashtags missed, one caption's language not
found) and version 2; reprocess then runs today's rules, in this process or in spawned workers.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import normalize, store
from archive.cli import cli
from archive.normalize import normalize_post
from archive.platforms import parse_payload
from archive.records import Payload
from archive.rederivation import derive_chunk
from archive.reprocess import reprocess
from crawler.pipelines import _raw_bytes
from tests.conftest import fixture_path

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
CURRENT = normalize.NORMALIZER_VERSION
OLD = str(int(CURRENT) - 1)

CAPTIONS = {
    0: "Vandaag een zware training gehad op het ijs van Thialf met de hele ploeg #schaatsen "
    "@femke.kok",
    1: "Heute war das Training im Eisstadion wirklich hart aber es hat Spaß gemacht #über "
    "#eisschnelllauf",
    2: "What a race today in Calgary, a new personal best and so many happy faces #speedskating",
    3: "Morgen weer een wedstrijd in Heerenveen, ik heb er heel veel zin in #schaatsen",
}
# what each post's row holds and a re-derivation may touch (the counts are there to prove
# that they are not)
COLUMNS = (
    "caption",
    "body",
    "language",
    "language_confidence",
    "declared_language",
    "sound_id",
    "search_text",
    "posted_at",
    "last_seen_at",
    "likes",
    "raw_payload_id",
)


def item(n: int, caption: str | None = None) -> dict[str, Any]:
    """A TikTok web item (what item_list, pages and exports hold)."""
    return {
        "id": f"73{n:017d}",
        "desc": CAPTIONS[n] if caption is None else caption,
        "createTime": 1_760_000_000 + n * 3600,
        "author": {"id": "6800000001", "uniqueId": "lotte.dijk", "nickname": "Lotte"},
        "stats": {"diggCount": 10 + n, "playCount": 1000, "commentCount": 3},
        "music": {"id": f"71{n:017d}", "title": "Kou op het ijs", "authorName": "De Rijders"},
    }


def crawl(engine: Engine, body: bytes, *, at: datetime = T0, url: str | None = None) -> None:
    """What a crawl does with one fetched payload: parse, normalize, keep each post's raw."""
    posts = []
    for raw in parse_payload(body, url=url).posts:
        post = normalize_post(raw, fetched_at=at)
        payload = Payload(_raw_bytes(raw.raw) or b"", raw.source_url, at, raw.platform)
        posts.append(dataclasses.replace(post, payload=payload))
    store.upsert_posts(engine, posts)


@contextmanager
def older_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Version OLD: hashtags with a non-ASCII letter missed, Calgary's caption undetermined."""
    real_tags, real_detect = normalize.extract_hashtags, normalize.detect_clean
    with monkeypatch.context() as m:
        m.setattr(normalize, "NORMALIZER_VERSION", OLD)
        m.setattr(
            normalize,
            "extract_hashtags",
            lambda text: tuple(t for t in real_tags(text) if t.key.isascii()),
        )
        m.setattr(
            normalize,
            "detect_clean",
            lambda text, prior=(), declared=None: (
                ("und", 0.0) if "Calgary" in text else real_detect(text, prior, declared)
            ),
        )
        yield


def mastodon_statuses() -> bytes:
    return fixture_path("payloads", "mastodon", "statuses_page1.json").read_bytes()


@pytest.fixture
def archive(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Four TikTok posts (the last edited once) and three Mastodon ones, under the older rules."""
    with older_rules(monkeypatch):
        crawl(engine, json.dumps([item(n) for n in range(4)]).encode())
        edited = item(3, CAPTIONS[3].replace("Morgen", "Zaterdag"))
        crawl(engine, json.dumps([edited]).encode(), at=T0 + timedelta(days=1))
        crawl(
            engine,
            mastodon_statuses(),
            url="https://social.example.nl/api/v1/accounts/113000000000000001/statuses",
        )
    return engine


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every row a reprocess could touch, by post."""
    with engine.connect() as conn:
        posts = {
            r.platform_post_id: {c: getattr(r, c) for c in (*COLUMNS, "normalizer_version")}
            for r in conn.execute(sa.text("SELECT * FROM post"))
        }
        tags = conn.execute(
            sa.text(
                "SELECT p.platform_post_id, h.key, ph.position FROM post_hashtag ph "
                "JOIN hashtag h ON h.id = ph.hashtag_id JOIN post p ON p.id = ph.post_id "
                "ORDER BY 1, 3"
            )
        ).all()
        mentions = conn.execute(
            sa.text(
                "SELECT p.platform_post_id, m.key, m.display, m.position FROM mention m "
                "JOIN post p ON p.id = m.post_id ORDER BY 1, 4"
            )
        ).all()
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("post_version", "metric_snapshot", "problem", "sound", "raw_payload")
        }
    return {"posts": posts, "tags": tags, "mentions": mentions, "counts": counts}


def tiktok(n: int) -> str:
    return f"73{n:017d}"


def without_versions(snap: dict[str, Any]) -> dict[str, Any]:
    posts = {
        pid: {c: v for c, v in row.items() if c != "normalizer_version"}
        for pid, row in snap["posts"].items()
    }
    return {**snap, "posts": posts}


def test_reprocess_changes_exactly_the_affected_rows_and_adds_no_versions(
    archive: Engine,
) -> None:
    before = snapshot(archive)
    assert {r["normalizer_version"] for r in before["posts"].values()} == {OLD}
    assert before["counts"]["post_version"] == 8  # 7 posts, one edited once

    report = reprocess(archive, workers=1)

    assert (report.selected, report.changed, report.unchanged) == (7, 2, 5)
    assert (report.problems, report.kept, report.without_payload) == (0, 0, 0)
    assert dict(report.fields) == {"hashtags": 1, "language": 1, "language_confidence": 1}
    changed = {s["platform_post_id"]: s["fields"] for s in report.samples}
    assert changed == {
        tiktok(1): ["hashtags"],
        tiktok(2): ["language", "language_confidence"],
    }
    after = snapshot(archive)
    assert {r["normalizer_version"] for r in after["posts"].values()} == {CURRENT}
    assert after["counts"] == before["counts"]  # no version, snapshot, problem or sound added
    assert after["posts"][tiktok(2)]["language"] == "en"
    assert [k for pid, k, _ in after["tags"] if pid == tiktok(1)] == ["über", "eisschnelllauf"]
    assert [k for pid, k, _ in before["tags"] if pid == tiktok(1)] == ["eisschnelllauf"]
    # everything else is as it was: the other posts, the other links, the edited caption
    a, b = without_versions(after), without_versions(before)
    for pid in set(a["posts"]) - {tiktok(1), tiktok(2)}:
        assert a["posts"][pid] == b["posts"][pid], pid
    assert a["mentions"] == b["mentions"]
    assert [t for t in a["tags"] if t[0] != tiktok(1)] == [
        t for t in b["tags"] if t[0] != tiktok(1)
    ]
    assert after["posts"][tiktok(3)]["caption"].startswith("Zaterdag")

    again = reprocess(archive, workers=1)
    assert (again.selected, again.rederived, again.changed) == (0, 0, 0)
    everything = reprocess(archive, workers=1, since_version="1")
    assert (everything.selected, everything.changed, everything.unchanged) == (7, 0, 7)
    assert snapshot(archive) == after


def test_a_dry_run_reports_the_same_and_writes_nothing(archive: Engine) -> None:
    before = snapshot(archive)
    dry = reprocess(archive, workers=1, dry_run=True)
    assert snapshot(archive) == before
    assert (dry.changed, dry.unchanged, dict(dry.fields)) == (
        2,
        5,
        {"hashtags": 1, "language": 1, "language_confidence": 1},
    )
    assert "2 would change (language 1, language_confidence 1, hashtags 1)" in dry.summary()
    real = reprocess(archive, workers=1)
    assert what_it_found(dry) == what_it_found(real)


def what_it_found(report: Any) -> dict[str, Any]:
    """A report's findings, without how it ran (dry or not) and how long it took."""
    return {k: v for k, v in report.as_dict().items() if k not in ("dry_run", "seconds")}


def test_the_process_pool_gives_what_one_process_gives(archive: Engine) -> None:
    pool = {"workers": 2, "chunk_size": 2, "pool_min_posts_per_worker": 1}
    one = reprocess(archive, workers=1, dry_run=True)
    pooled = reprocess(archive, **pool, dry_run=True)
    assert pooled.workers == 2
    same = {"workers": 0, "seconds": 0}
    assert pooled.as_dict() | same == one.as_dict() | same
    done = reprocess(archive, **pool)
    assert (done.changed, done.unchanged) == (2, 5)
    assert reprocess(archive, **pool).selected == 0


@pytest.mark.parametrize(
    ("asked", "min_each", "chunk", "used"),
    [
        (2, 3000, 100, 1),  # 7 posts: far too few to pay for a process
        (2, 4, 2, 1),  # 7 posts, 4 a worker: room for one worker only, so none
        (2, 3, 2, 2),  # 3 a worker: two workers have enough
        (8, 1, 2, 2),  # eight asked, but 7 posts in chunks of 2 keep two busy at most
        (1, 1, 2, 1),  # asked for one
    ],
)
def test_a_pool_starts_only_as_many_workers_as_have_enough_posts(
    archive: Engine, asked: int, min_each: int, chunk: int, used: int
) -> None:
    report = reprocess(
        archive,
        workers=asked,
        chunk_size=chunk,
        pool_min_posts_per_worker=min_each,
        dry_run=True,
    )
    assert report.workers == used
    assert (report.selected, report.changed) == (7, 2)


def test_platform_and_since_version_select_the_posts(archive: Engine) -> None:
    only = reprocess(archive, workers=1, platform="mastodon")
    assert (only.selected, only.changed, only.unchanged) == (3, 0, 3)
    rest = reprocess(archive, workers=1)
    assert (rest.selected, rest.changed) == (4, 2)
    assert reprocess(archive, workers=1, since_version=CURRENT).selected == 7
    with pytest.raises(ValueError, match="newer than the current"):
        reprocess(archive, since_version=str(int(CURRENT) + 1))
    with pytest.raises(ValueError, match="not a normalizer version"):
        reprocess(archive, since_version="two")


def test_a_payload_that_no_longer_reads_is_a_problem_and_its_post_is_kept(
    archive: Engine,
) -> None:
    with archive.begin() as conn:
        pay_id = conn.execute(
            sa.text("SELECT raw_payload_id FROM post WHERE platform_post_id = :p"),
            {"p": tiktok(0)},
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE raw_payload SET data = :d WHERE id = :i"),
            {"d": b"not zlib at all", "i": pay_id},
        )
        conn.execute(
            sa.text(
                "UPDATE raw_payload SET data = :d WHERE id = "
                "(SELECT raw_payload_id FROM post WHERE platform_post_id = :p)"
            ),
            {"d": zlib.compress(b'{"neither": "a post"}'), "p": tiktok(1)},
        )
    before = snapshot(archive)
    report = reprocess(archive, workers=1)
    assert (report.problems, report.changed, report.unchanged) == (2, 1, 4)
    after = snapshot(archive)
    for pid in (tiktok(0), tiktok(1)):
        assert after["posts"][pid] == before["posts"][pid]  # kept, at its old version
    with archive.connect() as conn:
        problems = conn.execute(
            sa.text("SELECT platform_post_id, reason, raw_payload_id FROM problem ORDER BY 1")
        ).all()
    assert [p.platform_post_id for p in problems] == [tiktok(0), tiktok(1)]
    assert problems[0].raw_payload_id == pay_id
    assert all(p.reason.startswith("reprocess: its payload no longer reads") for p in problems)
    assert "not a payload Podium knows" in problems[1].reason
    again = reprocess(archive, workers=1)
    assert (again.selected, again.problems) == (2, 2)
    assert snapshot(archive)["counts"]["problem"] == 2  # said once


def test_a_post_whose_latest_payload_shows_no_caption_is_kept(engine: Engine) -> None:
    url = "https://cdn.syndication.twimg.com/tweet-result?id=1879000000000000001&token=0"
    crawl(engine, fixture_path("payloads", "x", "syndication.json").read_bytes(), url=url)
    tombstone = fixture_path("payloads", "x", "syndication_tombstone.json").read_bytes()
    crawl(engine, tombstone, url=url, at=T0 + timedelta(days=1))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE post SET normalizer_version = '1'"))
    before = snapshot(engine)
    report = reprocess(engine, workers=1)
    assert (report.kept, report.problems, report.changed, report.unchanged) == (1, 0, 0, 0)
    assert dict(report.kept_reasons) == {"its payload shows no caption": 1}
    assert snapshot(engine) == before
    assert "1 kept as they are (its payload shows no caption: 1)" in report.summary()


def test_a_post_seen_again_meanwhile_keeps_its_newer_caption(archive: Engine) -> None:
    rows = store.posts_to_rederive(archive, platform="tiktok", versions=[OLD], limit=10)
    derived = derive_chunk(rows)  # what the older payloads give now ...
    newer = CAPTIONS[1].replace("Heute", "Gestern") + " #über"
    crawl(archive, json.dumps([item(1, newer)]).encode(), at=T0 + timedelta(days=2))
    outcomes = store.apply_rederived(archive, derived)  # ... applied after a crawl saw post 1
    by_post = {d.platform_post_id: o for d, o in zip(derived, outcomes, strict=True)}
    assert by_post[tiktok(1)].outcome == "kept"
    assert by_post[tiktok(1)].reason == "seen again while reprocessing"
    assert by_post[tiktok(2)].outcome == "changed"
    with archive.connect() as conn:
        caption = conn.execute(
            sa.text("SELECT caption FROM post WHERE platform_post_id = :p"), {"p": tiktok(1)}
        ).scalar_one()
    assert caption == newer


def test_the_command_reports_and_refuses_a_bad_version(archive: Engine) -> None:
    url = archive.url.render_as_string(hide_password=False)
    runner = CliRunner()
    dry = runner.invoke(cli, ["reprocess", "--db", url, "--dry-run", "--workers", "1"])
    assert dry.exit_code == 0, dry.output
    assert "7 posts re-derived under normalizer version" in dry.stdout
    assert f"tiktok {tiktok(1)}: hashtags" in dry.stdout
    as_json = runner.invoke(cli, ["reprocess", "--db", url, "--workers", "1", "--format", "json"])
    data = json.loads(as_json.stdout)
    assert (data["changed"], data["unchanged"], data["dry_run"]) == (2, 5, False)
    bad = runner.invoke(cli, ["reprocess", "--db", url, "--since-version", "99"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("podium: error: ")
    assert "newer than the current normalizer version" in bad.stderr


def test_what_crosses_to_a_worker_and_back_pickles_as_its_fields(archive: Engine) -> None:
    rows = store.posts_to_rederive(archive, platform=None, versions=[OLD], limit=10)
    derived = derive_chunk(rows)
    records: list[Any] = [*rows, *derived]
    for d in derived:
        assert d.post is not None
        post = dataclasses.replace(d.post, payload=Payload(b"{}", "https://x.test/", T0, "tiktok"))
        records += [post, post.text, post.counts, post.payload, *post.text.hashtags]
        records += [post.text.sound] if post.text.sound else []
    kinds = {type(r).__name__ for r in records}
    assert {"PayloadRow", "Rederived", "NormalizedPost", "NormalizedText", "Counts"} <= kinds
    assert {"Payload", "Tag"} <= kinds
    for record in records:
        assert pickle.loads(pickle.dumps(record)) == record
        cls, values = record.__reduce__()
        assert cls is type(record)
        assert values == tuple(getattr(record, f.name) for f in dataclasses.fields(record))
