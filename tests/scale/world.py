"""A demo server, a PostgreSQL archive, a Redis prefix and workers, for the scale-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import redis

from archive import config as config_mod
from archive import db, refresh, store
from archive.crawl import SPIDERS
from archive.queue_keys import requests_key, start_key, worker_pattern
from archive.queued_runs import RunBoard
from demo.job import demo_settings
from demo.server import DemoServer
from tests.conftest import REPO

#: A whole demo crawl by workers ends well within this (seconds), on a loaded machine too.
CRAWL_TIMEOUT = 120


class World:
    """Everything a scale-out test runs against, in ``folder``."""

    def __init__(
        self, folder: Path, server: DemoServer, database_url: str, redis_url: str, prefix: str
    ) -> None:
        self.folder, self.server = folder, server
        self.redis_url, self.prefix = redis_url, prefix
        self.config = folder / "config"
        self.config.mkdir(parents=True, exist_ok=True)
        self.settings, self.env = demo_settings(server, self.config, database_url)
        self.env.update(
            PODIUM_CONFIG_DIR=str(self.config),
            PODIUM_DATABASE_URL=database_url,
            PODIUM_REDIS_URL=redis_url,
            PODIUM_REDIS_PREFIX=prefix,
        )
        self.settings = config_mod.load(self.config, environ=self.env)
        self.redis = redis.Redis.from_url(redis_url)
        self.board = RunBoard(self.redis, prefix)
        self.workers: list[subprocess.Popen[bytes]] = []
        db.upgrade(database_url)
        engine = db.make_engine(database_url)
        store.sync_roster(engine, config_mod.load_roster(self.settings.roster_path))
        engine.dispose()

    def settings_text(self) -> str:
        """podium.toml as it is."""
        return (self.config / "podium.toml").read_text(encoding="utf-8")

    def write_config(self, text: str) -> None:
        """Replace podium.toml (and reload the settings)."""
        (self.config / "podium.toml").write_text(text, encoding="utf-8")
        self.settings = config_mod.load(self.config, environ=self.env)

    def start_worker(
        self,
        *args: str,
        launcher: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        module: Sequence[str] = ("archive.cli", "worker"),
    ) -> subprocess.Popen[bytes]:
        """A `podium worker` process of its own (run through ``launcher``, e.g. ``ip netns exec
        NS``, with ``env`` over this world's environment; ``module``: ``("crawler.worker",)``
        keeps the environment's ``SCRAPY_SETTINGS_MODULE``, which `podium worker` sets)."""
        env = {**os.environ, **self.env, **(env or {}), "PYTHONPATH": str(REPO)}
        log = (self.folder / f"worker-{len(self.workers)}.log").open("wb")
        command = [sys.executable, "-m", *module, "--concurrency", "4", *args]
        proc = subprocess.Popen(
            [*launcher, *command],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def live_workers(self) -> list[dict[str, str]]:
        """The liveness hashes of the workers under this prefix."""
        out = []
        for key in self.redis.scan_iter(match=worker_pattern(self.prefix)):
            raw = self.redis.hgetall(key)
            out.append({k.decode(): v.decode() for k, v in raw.items()})
        return out

    def wait_ready(self, n: int) -> None:
        """Wait until ``n`` workers have written their liveness hash (they are listening)."""
        self.wait_until(lambda: len(self.live_workers()) >= n)

    def schedule_all(
        self, *, news: bool | None = None, spiders: tuple[str, ...] = SPIDERS
    ) -> list[dict[str, object]]:
        """What the scheduler does when every target's job fires: one run_crawl each (only the
        news sources with ``news=True``, none of them with ``news=False``; only ``spiders``')."""
        roster = config_mod.load_roster(self.settings.roster_path)
        out = []
        for t in refresh.targets(self.settings, roster):
            if (news is not None and (t.spider == "news") != news) or t.spider not in spiders:
                continue
            kwargs = refresh.job_kwargs(t, self.settings)
            out.append(
                refresh.run_crawl(
                    kwargs["target"],
                    spider=t.spider,
                    database_url=self.settings.database_url,
                    config_dir=str(self.config),
                    handle=t.handle,
                    athlete=t.athlete,
                    source=t.source,
                    cadence_minutes=t.cadence_minutes,
                )
            )
        return out

    def runs(self) -> list[dict[str, object]]:
        """Every crawl_run row, oldest first."""
        engine = db.make_engine(self.settings.database_url)
        rows = store.list_runs(engine, limit=1000)
        engine.dispose()
        return sorted(rows, key=lambda r: r["id"])

    def wait_until(self, done: Callable[[], bool], timeout: float = CRAWL_TIMEOUT) -> None:
        """Poll until ``done()``; AssertionError with the workers' logs at the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            for proc in self.workers:
                assert proc.poll() is None or proc.returncode in (0, -9), self.logs()
            time.sleep(0.3)
        going = [(r["id"], r["target"]) for r in self.runs() if r["status"] == "running"]
        raise AssertionError(f"not done in {timeout} s: {going}\n{self.logs()}")

    def queues_empty(self) -> bool:
        """No job and no request waits in Redis for any spider."""
        return not any(
            self.redis.zcard(requests_key(self.prefix, s))
            or self.redis.llen(start_key(self.prefix, s))
            for s in SPIDERS
        )

    def all_runs_closed_or_stale(self, deadline: float) -> bool:
        """Every run is closed, or its count has not moved for ``deadline`` seconds."""
        now = self.board.now()
        for run in self.runs():
            if run["status"] != "running":
                continue
            moved = self.board.last_moved(int(run["id"]))
            if moved is not None and now - moved <= deadline:
                return False
        return True

    def all_runs_closed(self) -> bool:
        """Every crawl_run row is closed."""
        return all(r["status"] != "running" for r in self.runs())

    def logs(self) -> str:
        """The tail of every worker's log."""
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.folder.glob("worker-*.log"))
        )

    def stop_workers(self) -> list[int | None]:
        """SIGTERM every worker still running; their exit codes."""
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in self.workers:
            try:
                codes.append(proc.wait(timeout=30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes

    def forget_keys(self) -> None:
        """Remove every Redis key under this world's prefix."""
        keys = list(self.redis.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            self.redis.delete(*keys)
        self.redis.close()


def single_process_crawl(world: World) -> None:
    """The reference: the same demo crawled by plain `podium crawl` children, one per spider."""
    from archive.crawl import CrawlJob, run_crawl_job

    env = {k: v for k, v in world.env.items() if k != "PODIUM_REDIS_URL"}
    settings = config_mod.load(world.config, environ=env)
    for spider in SPIDERS:
        run_crawl_job(CrawlJob(spider, {}, f"{spider}:reference"), settings, extra_env=env)


def differences(got: dict[str, Any], want: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """Per table, the rows only one of two archive dumps holds (empty when they are equal)."""
    out = {}
    for table in sorted(set(got) | set(want)):
        g, w = Counter(got.get(table, [])), Counter(want.get(table, []))
        extra, missing = sorted((g - w).elements()), sorted((w - g).elements())
        if extra or missing:
            out[table] = {"only_workers": extra[:5], "only_single": missing[:5]}
    return out
