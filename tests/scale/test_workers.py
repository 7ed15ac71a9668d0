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
