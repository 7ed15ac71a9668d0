"""``podium worker``: a long-lived process that crawls whatever Redis holds for its platforms.

    python -m crawler.worker [--platform P]... [--concurrency N]

One Scrapy process, one crawler per platform, each spider reading scrapy-redis' shared request
queue (``{prefix}:{spider}:requests``) and the scheduler's jobs (``{prefix}:{spider}:start_urls``);
run any number of them on any number of machines. Every 5 s the worker writes its liveness hash
``{prefix}:worker:{host}:{pid}`` (30 s expiry). SIGTERM (or Ctrl-C) lets the requests in flight
finish and store their posts, then exits 0; what is still queued waits in Redis for the others.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from datetime import UTC, datetime
from typing import Any

from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from twisted.internet import task

from archive import config as config_mod
from archive.errors import ConfigError
from archive.queue_keys import (
    WORKER_HEARTBEAT_SECONDS,
    WORKER_TTL_SECONDS,
    dupefilter_key,
    requests_key,
    worker_key,
)
from archive.queued_runs import RunBoard, connect
from crawler import queued

log = logging.getLogger(__name__)

#: How often an idle worker looks for work (Scrapy's engine looks every 5 s by default).
POLL_SECONDS = 0.5


def worker_settings(base: Settings, *, redis_url: str, prefix: str, concurrency: int) -> Settings:
    """The project's Scrapy settings, turned into a scrapy-redis worker's."""
    s = base.copy()
    s.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler")
    s.set("SCHEDULER_PERSIST", True)  # the queue outlives any one worker
    # scrapy-redis fills in %(spider)s: the same names archive.queue_keys gives everyone else.
    s.set("SCHEDULER_QUEUE_KEY", requests_key(prefix, "%(spider)s"))
    s.set("SCHEDULER_DUPEFILTER_KEY", dupefilter_key(prefix, "%(spider)s"))
    s.set("DUPEFILTER_CLASS", "crawler.queued_dupefilter.RunDupeFilter")
    s.set("REDIS_URL", redis_url)
    s.set("PODIUM_REDIS_PREFIX", prefix)
    s.set("CONCURRENT_REQUESTS", concurrency)
    # One item after another per page, so PageDone is stored after the page's posts.
    s.set("CONCURRENT_ITEMS", 1)
    s.set(
        "ITEM_PIPELINES",
        {
            "crawler.queued_pipelines.QueuedValidatePipeline": 100,
            "crawler.pipelines.NormalizePipeline": 200,
            "crawler.queued_pipelines.QueuedStorePipeline": 300,
        },
    )
    middlewares = dict(s.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.ratelimit.SharedRateLimit"] = 545  # sees a 429 before the backoff
    s.set("DOWNLOADER_MIDDLEWARES", middlewares)
    extensions = dict(s.getdict("EXTENSIONS"))
    extensions["crawler.extensions.ProgressLines"] = None  # no parent reads them
    extensions["crawler.extensions.ParentWatch"] = None  # a worker has no parent crawl
    s.set("EXTENSIONS", extensions)
    return s


class Liveness:
    """Writes the worker's hash (``archive.queue_keys.WORKER_FIELDS``) every few seconds."""

    def __init__(self, board: RunBoard, process: CrawlerProcess, platforms: list[str]) -> None:
        self.board, self.process = board, process
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.key = worker_key(board.prefix, f"{self.host}:{self.pid}")
        self.platforms = ",".join(platforms)
        self.started = _iso_now()
        self.loop = task.LoopingCall(self.beat)

    def _sum(self, attr: str) -> int:
        return sum(int(getattr(c.spider, attr, 0) or 0) for c in self.process.crawlers)

    def beat(self) -> None:
        """One heartbeat: the hash with its counts, its expiry pushed out."""
        client = self.board.client
        try:
            with client.pipeline() as pipe:
                pipe.hset(
                    self.key,
                    mapping={
                        "host": self.host,
                        "pid": self.pid,
                        "platforms": self.platforms,
                        "started": self.started,
                        "seen": _iso_now(),
                        "requests": self._sum("requests_done"),
                        "errors": self._sum("errors"),
                    },
                )
                pipe.expire(self.key, WORKER_TTL_SECONDS)
                pipe.execute()
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat must not stop the crawl
            log.warning("cannot write the worker's heartbeat: %s", exc)

    def start(self) -> None:
        """Beat now and every WORKER_HEARTBEAT_SECONDS."""
        self.loop.start(WORKER_HEARTBEAT_SECONDS, now=True)

    def stop(self) -> None:
        """Stop beating and take the hash away: this worker is gone."""
        if self.loop.running:
            self.loop.stop()
        self.board.client.delete(self.key)


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The worker's options (``podium worker`` passes them through)."""
    parser = argparse.ArgumentParser(prog="python -m crawler.worker", description=__doc__)
    parser.add_argument(
        "--platform",
        action="append",
        choices=config_mod.SPIDER_NAMES,
        help="a platform to crawl (repeatable; default: all)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="requests at once")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the worker until SIGTERM; 0 when it stopped cleanly."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    try:
        conf = config_mod.load()
        if not conf.redis_url:
            raise ConfigError("PODIUM_REDIS_URL is not set: a worker takes its work from Redis")
        board = RunBoard(connect(conf.redis_url), conf.redis_prefix)
    except ConfigError as exc:
        sys.stderr.write(f"podium worker: {exc}\n")
        return 1
    queued.use_board(board)
    platforms = list(dict.fromkeys(args.platform or config_mod.SPIDER_NAMES))
    settings = worker_settings(
        get_project_settings(),
        redis_url=conf.redis_url,
        prefix=conf.redis_prefix,
        concurrency=max(1, args.concurrency),
    )
    settings.set("LOG_LEVEL", args.log_level)
    # An idle worker asks Redis for work this often, not every 5 s.
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = POLL_SECONDS
    process = CrawlerProcess(settings)
    loader: Any = process.spider_loader
    for platform in platforms:
        process.crawl(queued.queued_spider(loader.load(platform)))
    liveness = Liveness(board, process, platforms)
    liveness.start()
    try:
        process.start()  # until SIGTERM/SIGINT: Scrapy's own handlers stop the crawls gently
    finally:
        liveness.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
