"""Workers on one Redis and one PostgreSQL archive: the same archive as one process makes.

Real Redis (a key prefix per test) and real PostgreSQL (a database per test); the workers are
`podium worker` processes of their own; the scheduler's job function pushes the jobs.
"""

from __future__ import annotations

from tests.conftest import make_pg_database
from tests.reliability.test_crash_recovery import content
from tests.scale.world import World, single_process_crawl


def test_three_workers_archive_what_one_process_does(world: World, pg_server: str) -> None:
    for _ in range(3):
        world.start_worker()
    queued = world.schedule_all()
    assert {q["status"] for q in queued} == {"queued"}
    world.wait_until(world.all_runs_closed)
    runs = world.runs()
    assert len(runs) == len(queued)  # one crawl_run per job
    assert {r["status"] for r in runs} <= {"finished", "incomplete"}
    assert world.stop_workers() == [0, 0, 0]  # SIGTERM: a clean exit

    reference_url, drop = make_pg_database(pg_server)
    try:
        reference = World(
            world.folder / "reference", world.server, reference_url, world.redis_url, "unused"
        )
        single_process_crawl(reference)
        assert content(world.settings.database_url) == content(reference_url)
    finally:
        drop()
