"""Validate -> Normalize -> Store on a real SQLite archive: problems kept, batches, crawl_run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from archive import db, store
from archive.records import NormalizedPost, RawArticle, RawEmbed
from archive.store import search_index
from crawler.items import ArticleItem, CrawlProblem, ListingDone, RawPost
from crawler.pipelines import NormalizePipeline, StorePipeline, ValidatePipeline
from crawler.spiders.bluesky import BlueskySpider

CAPTION = "Vandaag weer een lange training op het ijs gedaan met de hele ploeg #schaatsen"


def raw(n: int, **kw: object) -> RawPost:
    values: dict[str, object] = {
        "platform": "tiktok",
        "platform_post_id": f"73{n:017d}",
        "caption": f"{CAPTION} {n}",
        "author_handle": "lotte.dijk",
        "author_id": "68",
        "posted_at": 1_760_000_000 + n,
        "counts": {"likes": n},
        "raw": {"id": n, "desc": CAPTION},
        "source_url": "https://www.tiktok.com/api/creator/item_list/",
    }
    values.update(kw)
    return RawPost(**values)  # type: ignore[arg-type]


@pytest.fixture
def pipelines(sqlite_engine: sa.Engine, sqlite_url: str):  # type: ignore[no-untyped-def]
    crawler = get_crawler(
        BlueskySpider, {"PODIUM_DATABASE_URL": sqlite_url, "PODIUM_BATCH_SIZE": 3}
    )
    crawler.spider = BlueskySpider.from_crawler(crawler)
    stages = [ValidatePipeline(crawler), NormalizePipeline(crawler), StorePipeline(crawler)]
    for stage in stages:
        stage.open_spider()

    def run(item: object) -> object:
        for stage in stages:
            item = stage.process_item(item)
        return item

    yield run, stages[-1], crawler
    stages[-1].engine.dispose()


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_a_post_without_identity_becomes_a_problem_and_the_batch_goes_on(
    pipelines, sqlite_engine
) -> None:
    run, store_stage, _ = pipelines
    assert isinstance(run(raw(1, platform_post_id=None)), CrawlProblem)
    for n in range(2, 6):
        assert isinstance(run(raw(n)), NormalizedPost)
    store_stage.spider_closed(None, "finished")
    assert count(sqlite_engine, "SELECT count(*) FROM post") == 4
    with sqlite_engine.connect() as conn:
        reason, detail = conn.execute(sa.text("SELECT reason, detail FROM problem")).one()
        payload = conn.execute(sa.text("SELECT count(*) FROM raw_payload")).scalar_one()
    assert "without identity" in reason and "training" in detail
    assert payload == 5  # the problem's raw record is kept too


def test_posts_are_stored_in_batches_and_the_run_is_closed(pipelines, sqlite_engine) -> None:
    run, store_stage, _ = pipelines
    for n in range(4):
        run(raw(n))
    assert count(sqlite_engine, "SELECT count(*) FROM post") == 3  # one batch of PODIUM_BATCH_SIZE
    store_stage.spider_closed(None, "finished")
    with sqlite_engine.connect() as conn:
        r = conn.execute(sa.text("SELECT status, posts_new, finished_at FROM crawl_run")).one()
    assert (r.status, r.posts_new) == ("finished", 4) and r.finished_at is not None


def test_the_last_run_of_a_process_to_close_catches_the_search_index_up(
    sqlite_engine, sqlite_url
) -> None:
    # Two spiders crawling at once in one process: the first to close leaves the side index to
    # the second, which catches it up with both runs' posts.
    stages = []
    for _ in range(2):
        crawler = get_crawler(BlueskySpider, {"PODIUM_DATABASE_URL": sqlite_url})
        crawler.spider = BlueskySpider.from_crawler(crawler)
        normalize, store_stage = NormalizePipeline(crawler), StorePipeline(crawler)
        normalize.open_spider()
        store_stage.open_spider()
        stages.append((normalize, store_stage))
    store.sync_search_index(sqlite_engine)  # current before anything is stored
    for n, (normalize, store_stage) in enumerate(stages):
        store_stage.process_item(normalize.process_item(raw(n)))
    stages[0][1].spider_closed(None, "finished")
    with sqlite_engine.connect() as conn:
        assert search_index.ready_index(conn) is None  # behind: the other run is still open
    stages[1][1].spider_closed(None, "finished")
    with sqlite_engine.connect() as conn:
        assert search_index.ready_index(conn) is not None
        assert count(sqlite_engine, "SELECT count(*) FROM crawl_run WHERE status = 'finished'") == 2
    assert store.sync_search_index(sqlite_engine).outcome == "current"


def test_duplicates_within_a_run_are_dropped(pipelines) -> None:
    run, _, _ = pipelines
    run(raw(1))
    with pytest.raises(DropItem):
        run(raw(1))
    assert isinstance(run(raw(1, source_kind="embed")), NormalizedPost)  # another observation kind


def test_a_full_sweep_marks_missing_posts_deleted_only_when_complete(
    pipelines, sqlite_engine
) -> None:
    run, _, crawler = pipelines
    crawler.spider.started_at = datetime.now(UTC)
    for n in range(3):
        run(raw(n))
    ids = [f"73{n:017d}" for n in range(3)]
    crawler.spider.started_at = datetime(2100, 1, 1, tzinfo=UTC)
    run(ListingDone("tiktok", "lotte.dijk", ids[:1], complete=False, full_sweep=True))
    assert count(sqlite_engine, "SELECT count(*) FROM post WHERE availability = 'deleted'") == 0
    run(ListingDone("tiktok", "lotte.dijk", ids[:1], complete=True, full_sweep=True))
    assert count(sqlite_engine, "SELECT count(*) FROM post WHERE availability = 'deleted'") == 2


def test_an_article_links_its_embeds_to_archived_posts(pipelines, sqlite_engine) -> None:
    run, _, _ = pipelines
    run(raw(7, source_kind="embed", raw=None))
    article = RawArticle(
        url="https://sport.example/a",
        title="Goud",
        embeds=[
            RawEmbed("tiktok", "https://www.tiktok.com/@lotte.dijk/video/7", f"73{7:017d}", 0),
            RawEmbed("instagram", "https://www.instagram.com/p/ABC/", "ABC", 1),
        ],
    )
    run(ArticleItem(article, "https://sport.example/a", b"<html></html>"))
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT platform, post_id IS NOT NULL FROM article_embed ORDER BY position")
        ).all()
    assert [tuple(r) for r in rows] == [("tiktok", 1), ("instagram", 0)]


def test_store_stage_needs_a_reachable_database(tmp_path) -> None:
    crawler = get_crawler(
        BlueskySpider, {"PODIUM_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x"}
    )
    crawler.spider = BlueskySpider.from_crawler(crawler)
    with pytest.raises(db.DatabaseError, match="cannot reach"):
        StorePipeline(crawler).open_spider()


def _run_row(engine: sa.Engine) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status, errors, problems FROM crawl_run")).one()


def test_an_empty_listing_is_a_soft_block_that_deletes_nothing(pipelines, sqlite_engine) -> None:
    """A 200 with ``{"feed": []}`` in a full sweep: a problem, an incomplete run, no deletion."""
    run, store_stage, crawler = pipelines
    for n in range(17):
        run(raw(n))
    crawler.spider.started_at = datetime(2100, 1, 1, tzinfo=UTC)
    run(ListingDone("tiktok", "lotte.dijk", [], complete=True, full_sweep=True))
    store_stage.spider_closed(crawler.spider, "finished")
    assert count(sqlite_engine, "SELECT count(*) FROM post WHERE availability = 'deleted'") == 0
    row = _run_row(sqlite_engine)
    assert row.status == "incomplete" and row.problems == 1
    assert "came back empty" in row.errors


def test_a_listing_with_doubt_moves_no_watermark_and_deletes_nothing(
    pipelines, sqlite_engine
) -> None:
    run, store_stage, crawler = pipelines
    for n in range(6):
        run(raw(n))
    crawler.spider.started_at = datetime(2100, 1, 1, tzinfo=UTC)
    doubt = "page 3 of the listing was empty but pointed to a next"
    ids = [f"73{n:017d}" for n in range(6)]
    run(ListingDone("tiktok", "lotte.dijk", ids[:2], True, True, doubt=doubt))
    store_stage.spider_closed(crawler.spider, "finished")
    assert count(sqlite_engine, "SELECT count(*) FROM post WHERE availability = 'deleted'") == 0
    assert count(sqlite_engine, "SELECT count(*) FROM account WHERE watermark IS NOT NULL") == 0
    assert _run_row(sqlite_engine).status == "incomplete"


def test_a_listing_read_as_asked_moves_the_watermark(pipelines, sqlite_engine) -> None:
    run, store_stage, crawler = pipelines
    run(raw(1))
    run(ListingDone("tiktok", "lotte.dijk", [f"73{1:017d}"], False, False, caught_up=True))
    assert count(sqlite_engine, "SELECT count(*) FROM account WHERE watermark IS NOT NULL") == 1
    store_stage.spider_closed(crawler.spider, "finished")
    assert _run_row(sqlite_engine).status == "finished"


@pytest.mark.parametrize(
    ("reason", "shortfalls", "status"),
    [
        ("finished", [], "finished"),
        ("finished", ["a page could not be read"], "incomplete"),
        ("shutdown", [], "interrupted"),
        ("parent_died", [], "interrupted"),
        ("closespider_timeout", [], "failed"),
    ],
)
def test_run_status(reason: str, shortfalls: list[str], status: str) -> None:
    from crawler.pipelines import run_status

    assert run_status(reason, shortfalls) == status


def test_a_lone_surrogate_in_a_raw_payload_is_kept_as_its_escape() -> None:
    from crawler.pipelines import _raw_bytes

    body = _raw_bytes({"text": "goud \ud800 #schaatsen"})
    assert body is not None and b"\\ud800" in body
    assert body.decode("utf-8")  # valid UTF-8, and the same JSON value as sent


def test_bad_characters_cost_only_themselves(pipelines, sqlite_engine) -> None:
    """A lone surrogate and a NUL in a caption and an article title: stored as U+FFFD, each
    repair a problem row of its own with the raw payload, and the run still finished."""
    run, store_stage, crawler = pipelines
    run(raw(1, caption="Goud\ud800 op de 1000 meter\x00 #schaatsen", raw={"desc": "Goud\ud800"}))
    run(raw(2))
    article = RawArticle(url="https://sport.example/b", title="Goud\x00 voor Lotte", embeds=[])
    run(ArticleItem(article, "https://sport.example/b", b"<html>Goud</html>"))
    store_stage.spider_closed(crawler.spider, "finished")
    with sqlite_engine.connect() as conn:
        caption = conn.execute(
            sa.text("SELECT caption FROM post WHERE platform_post_id = :p"), {"p": f"73{1:017d}"}
        ).scalar_one()
        title = conn.execute(sa.text("SELECT title FROM article")).scalar_one()
        reasons = conn.execute(sa.text("SELECT reason FROM problem ORDER BY id")).scalars().all()
    assert caption == "Goud\ufffd op de 1000 meter\ufffd #schaatsen"
    assert title == "Goud\ufffd voor Lotte"
    assert len(reasons) == 2 and all(r.startswith("repaired text: ") for r in reasons)
    assert count(sqlite_engine, "SELECT count(*) FROM post") == 2
    assert _run_row(sqlite_engine).status == "finished"  # a repair loses nothing
