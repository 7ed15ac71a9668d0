"""Workers on one Redis and one PostgreSQL archive: the same archive as one process makes.

Real Redis (a key prefix per test) and real PostgreSQL (a database per test); the workers are
`podium worker` processes of their own; the scheduler's job function (``archive.refresh``)
pushes the jobs, one per account and news source, as `podium schedule` does. The reference is
what plain `podium crawl` children make of the same demo server.

The single-process crawl reads the news last: a post seen both embedded and on its platform
keeps an "embed" version only when the embed came first (``archive.post_merge``), so the tests
push the news jobs once the platforms' runs are done, as it does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from archive import db, store
from archive.crawl import SPIDERS
from tests.reliability.test_crash_recovery import content
from tests.scale.conftest import RecordingDemoServer
from tests.scale.world import World, differences

#: A queued run whose count has not moved this long lost pages (``crawl.timeout_seconds``).
DEADLINE = 4


def crawl_everything(world: World) -> list[dict[str, object]]:
    """Every account's job, then every news source's, each wave to its end."""
    queued = world.schedule_all(news=False)
    world.wait_until(world.all_runs_closed)
    queued += world.schedule_all(news=True)
    world.wait_until(world.all_runs_closed)
    return queued


def test_three_workers_archive_what_one_process_does(
    world: World, reference: Callable[[], Any]
) -> None:
    single = threading.Thread(target=reference)
    single.start()  # meanwhile, on the same demo server
    for _ in range(3):
        world.start_worker()
    world.wait_ready(3)
    queued = crawl_everything(world)

    assert {q["status"] for q in queued} == {"queued"}
    runs = world.runs()
    assert len(runs) == len(queued)  # one crawl_run per job, each closed once
    assert [r["status"] for r in runs] == ["finished"] * len(runs)
    pages = sum(r["pages"] for r in runs)
    assert pages > len(runs)  # listings of several pages
    # Each worker's liveness hash counts the requests it did (jobs' starts too).
    world.wait_until(lambda: sum(int(w["requests"]) for w in world.live_workers()) >= pages)
    assert {w["platforms"] for w in world.live_workers()} == {",".join(SPIDERS)}
    assert world.stop_workers() == [0, 0, 0]  # SIGTERM: a clean exit
    assert world.live_workers() == []  # a worker that stops takes its hash away
    single.join()
    assert differences(content(world.settings.database_url), reference()) == {}


def test_a_worker_killed_mid_crawl_loses_nothing_after_the_next_run(
    world: World, demo_server: RecordingDemoServer, reference: Callable[[], Any]
) -> None:
    reference()  # made first, on a quiet server
    config = world.settings_text().replace("[crawl]\n", f"[crawl]\ntimeout_seconds = {DEADLINE}\n")
    world.write_config(config)
    demo_server.delay = 0.4  # every worker always has requests in flight
    doomed, *others = [world.start_worker() for _ in range(3)]
    world.wait_ready(3)
    demo_server.arrivals.clear()
    first = world.schedule_all(news=False)
    world.wait_until(lambda: len(demo_server.arrivals) >= 12)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    # The others finish what is left; the runs whose pages died with it stop moving.
    world.wait_until(world.queues_empty)
    world.wait_until(lambda: world.all_runs_closed_or_stale(DEADLINE))
    demo_server.delay = 0.0
    lost = [r for r in world.runs() if r["status"] == "running"]
    assert lost, "the killed worker held no page: kill it earlier"

    again = crawl_everything(world)  # the next scheduled run of every target

    runs = {r["id"]: r for r in world.runs()}
    assert {runs[r["id"]]["status"] for r in lost} == {"incomplete"}
    assert all("pages lost" in (runs[r["id"]]["finish_reason"] or "") for r in lost)
    assert sorted(c for q in again for c in q["closed_lost"]) == sorted(r["id"] for r in lost)
    latest = {runs[q["run_id"]]["status"] for q in again}
    assert latest == {"finished"}
    assert len(runs) == len(first) + len(again)  # nothing doubled: one run per job
    assert [w.poll() for w in others] == [None, None]  # the others still serve
    assert differences(content(world.settings.database_url), reference()) == {}


def test_a_worker_stopped_mid_crawl_finishes_what_it_holds(
    world: World, demo_server: RecordingDemoServer, reference: Callable[[], Any]
) -> None:
    reference()  # made first, on a quiet server
    demo_server.delay = 0.4  # every worker always has requests in flight
    stopped, *others = [world.start_worker() for _ in range(3)]
    world.wait_ready(3)
    demo_server.arrivals.clear()
    queued = world.schedule_all(news=False)
    world.wait_until(lambda: len(demo_server.arrivals) >= 12)
    stopped.send_signal(signal.SIGTERM)
    assert stopped.wait(timeout=60) == 0  # its requests in flight done, a clean exit
    world.wait_until(world.all_runs_closed)  # nothing it held was lost
    demo_server.delay = 0.0
    queued += world.schedule_all(news=True)
    world.wait_until(world.all_runs_closed)

    runs = world.runs()
    assert len(runs) == len(queued)
    assert [r["status"] for r in runs] == ["finished"] * len(runs)
    assert [w.poll() for w in others] == [None, None]
    assert differences(content(world.settings.database_url), reference()) == {}


def test_a_spider_error_in_a_worker_is_a_problem_of_its_run(world: World) -> None:
    """A callback that raises in a worker loses what it had not yielded: that must be a problem
    row of the run it served, as in a plain crawl, never only a line in the worker's log."""
    world.start_worker(
        env={
            "SCRAPY_SETTINGS_MODULE": "tests.reliability.killswitch",
            "PODIUM_TEST_RAISE_AT": "2",
        },
        module=("crawler.worker",),
    )
    world.wait_ready(1)
    world.schedule_all(spiders=("bluesky",))
    world.wait_until(world.all_runs_closed)
    engine = db.make_engine(world.settings.database_url)
    with engine.connect() as conn:
        problems = conn.execute(sa.text("SELECT reason, crawl_run_id FROM problem")).all()
    engine.dispose()
    bugs = [p for p in problems if "RuntimeError: a spider bug" in p.reason]
    assert len(bugs) == 1, (problems, world.logs())
    assert bugs[0].crawl_run_id in {r["id"] for r in world.runs()}
    assert "Error caught on signal handler" not in world.logs()


@pytest.mark.parametrize("known_run", [True, False])
def test_an_item_error_in_a_worker_is_a_problem(world: World, known_run: bool) -> None:
    """A pipeline that raises on an item in a worker: the item is a problem row of its run (of
    no run when the worker cannot tell which), as in a plain crawl."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from crawler import queued
    from crawler.items import RawPost
    from crawler.queued_pipelines import QueuedStorePipeline

    engine = db.make_engine(world.settings.database_url)
    run = store.start_crawl_run(
        engine, spider="bluesky", target="bluesky:x", athlete_slug=None, full_sweep=False
    )
    queued.use_board(world.board)
    crawler = get_crawler(Spider, {"PODIUM_DATABASE_URL": world.settings.database_url})
    crawler.spider = Spider(name="bluesky")
    item = RawPost(platform="bluesky", platform_post_id="3kbroken", raw={"uri": "at://x"})
    runs = {(item.platform, item.platform_post_id, item.source_kind): run} if known_run else {}
    crawler.spider.post_runs = runs  # type: ignore[attr-defined]
    pipeline = QueuedStorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        raise RuntimeError("a pipeline bug")
    except RuntimeError:
        failure = Failure()
    pipeline.item_error(item, None, crawler.spider, failure)
    pipeline.spider_closed(crawler.spider, "finished")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT reason, crawl_run_id FROM problem")).all()
    engine.dispose()
    assert len(rows) == 1 and "RuntimeError: a pipeline bug" in rows[0].reason, rows
    assert rows[0].crawl_run_id == (run if known_run else None)
