"""Workers on one Redis and one PostgreSQL archive: the same archive as one process makes.

Real Redis (a key prefix per test) and real PostgreSQL (a database per test); the workers are
`podium worker` processes of their own; the scheduler's job function (``archive.refresh``)
pushes the jobs, one per account and news source, as `podium schedule` does.
"""

from __future__ import annotations

import threading

from tests.conftest import make_pg_database
from tests.reliability.test_crash_recovery import content
from tests.scale.world import World, differences, single_process_crawl


def test_three_workers_archive_what_one_process_does(world: World, pg_server: str) -> None:
    reference_url, drop = make_pg_database(pg_server)
    try:
        reference = World(
            world.folder / "reference", world.server, reference_url, world.redis_url, "unused"
        )
        single = threading.Thread(target=single_process_crawl, args=(reference,))
        single.start()  # meanwhile, on the same demo server
        for _ in range(3):
            world.start_worker()
        world.wait_ready(3)
        # The single-process crawl reads the news last: a post seen both embedded and on its
        # platform keeps an "embed" version only when the embed came first (post_merge), so
        # the workers get the news jobs once the platforms' runs are done, as it does.
        queued = world.schedule_all(news=False)
        world.wait_until(world.all_runs_closed)
        queued += world.schedule_all(news=True)
        assert {q["status"] for q in queued} == {"queued"}
        world.wait_until(world.all_runs_closed)

        runs = world.runs()
        assert len(runs) == len(queued)  # one crawl_run per job, each closed once
        assert [r["status"] for r in runs] == ["finished"] * len(runs)
        assert sum(r["pages"] for r in runs) > len(runs)  # listings of several pages
        assert world.stop_workers() == [0, 0, 0]  # SIGTERM: a clean exit
        single.join()
        assert differences(content(world.settings.database_url), content(reference_url)) == {}
    finally:
        drop()
