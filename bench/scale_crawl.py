"""Posts/s of the whole demo crawl by 1, 2 and 3 `podium worker` processes (Redis queue,
PostgreSQL archive) beside the single-process crawl (`podium crawl`: one Scrapy child per
platform, one after another), in one run, with the machine's core count and load.

    python bench/scale_crawl.py [--rounds 1]

Each case crawls the demo site (early snapshot, every account and news source) into a fresh
PostgreSQL database; workers get a fresh Redis prefix and are started, and listening, before the
clock starts: the time is from the first job pushed to the last run closed. Posts/s = posts in
the archive afterwards / that time. Needs PostgreSQL and Redis (PODIUM_TEST_DATABASE_URL,
PODIUM_TEST_REDIS_URL, defaults as in the tests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _posts(url: str) -> int:
    from archive import db, store

    engine = db.make_engine(url)
    try:
        return int(store.archive_totals(engine)["posts"])
    finally:
        engine.dispose()


def one_case(workers: int) -> tuple[float, int]:
    """(seconds, posts) of one whole demo crawl: by ``workers`` workers, or (0) one process."""
    from demo.server import DemoServer
    from tests.conftest import PG_URL, REDIS_URL
    from tests.pgdb import make_pg_database
    from tests.scale.world import World, single_process_crawl

    url, drop = make_pg_database(PG_URL)
    folder = Path(tempfile.mkdtemp(prefix="podium-scale-"))
    try:
        with DemoServer() as server:
            world = World(folder, server, url, REDIS_URL, f"bench-{uuid.uuid4().hex[:8]}")
            try:
                if workers == 0:
                    started = time.monotonic()
                    single_process_crawl(world)
                    return time.monotonic() - started, _posts(url)
                os.environ.update(world.env)
                for _ in range(workers):
                    world.start_worker()
                world.wait_ready(workers)
                started = time.monotonic()
                world.schedule_all()
                world.wait_until(world.all_runs_closed, timeout=600)
                seconds = time.monotonic() - started
                world.stop_workers()
                return seconds, _posts(url)
            finally:
                world.stop_workers()
                world.forget_keys()
    finally:
        drop()


def crawl_lines(rounds: int = 1) -> list[str]:
    """posts/s of the single-process crawl and of 1, 2 and 3 workers, as printed lines."""
    lines = [f"{'case':<28} {'seconds':>8} {'posts':>6} {'posts/s':>8} {'vs single':>9}"]
    baseline = None
    for workers in (0, 1, 2, 3):
        runs = [one_case(workers) for _ in range(rounds)]
        seconds = statistics.median(s for s, _ in runs)
        posts = runs[0][1]
        rate = posts / seconds
        baseline = baseline or rate
        name = "single process (podium crawl)" if workers == 0 else f"{workers} worker(s)"
        lines.append(f"{name:<28} {seconds:>8.1f} {posts:>6} {rate:>8.1f} {rate / baseline:>8.2f}x")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1, help="crawls per case (median reported)")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}")
    for line in crawl_lines(args.rounds):
        print(line)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
