"""Crawl runs whose pages land on any worker: their accounting in Redis (no scrapy here).

With ``PODIUM_REDIS_URL`` the scheduler opens a ``crawl_run`` row, opens the run's hash in Redis
with one outstanding request (the job itself) and pushes the job to its spider's start list.
Workers add one for every request a page of the run schedules and take one off when a page is
done (its posts stored): the worker that brings the count to zero finishes the run. Counts,
shortfalls and how each listing ended gather in Redis meanwhile, so the run is one record
however many workers read its pages.

A worker that dies takes the pages it held with it: the count never reaches zero. The next
scheduled run of the same target (``enqueue_crawl``) closes such a run as ``incomplete`` once its
count has not moved for the deadline: a listing whose pages were lost moves no watermark and
marks nothing deleted, because those are applied only when the run finishes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import db, store
from archive.errors import ConfigError
from archive.queue_keys import run_key, run_part_key, start_key

log = logging.getLogger(__name__)

#: A run's keys outlive it by this much at most (a run nobody closes still goes away).
RUN_TTL_SECONDS = 7 * 24 * 3600
#: Shortfall lines a run keeps (the count is exact; the lines are examples).
SHORTFALL_LINES = 50
#: The counts a run gathers (``crawl_run`` columns by another name).
COUNTS = ("pages", "new", "updated", "unchanged", "deleted")

# Add to the outstanding count and note when it moved, on the Redis clock (one clock for every
# machine). Returns the new count, or -1 when the run is no longer open.
_MOVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'touched', t[1] + t[2] / 1000000)
return redis.call('HINCRBY', KEYS[1], 'outstanding', ARGV[1])
"""


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` (a one-line ConfigError when it does not answer)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"Redis at {db.safe_url(url)} does not answer: {exc}") from exc
    return client


@dataclass(slots=True)
class RunTotals:
    """What a run gathered in Redis by the time it finished."""

    started: datetime | None
    counts: dict[str, int] = field(default_factory=dict)
    shortfalls: int = 0
    shortfall_lines: list[str] = field(default_factory=list)
    listings: list[dict[str, Any]] = field(default_factory=list)


class RunBoard:
    """The Redis side of queued crawl runs, under one key prefix."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        # redis-py types its replies as "sync or awaitable"; this client is the sync one.
        self.client: Any = client
        self.prefix = prefix
        self._move = client.register_script(_MOVE)

    def key(self, run_id: int) -> str:
        """The run's hash."""
        return run_key(self.prefix, run_id)

    def part(self, run_id: int, name: str) -> str:
        """A key beside the run's hash."""
        return run_part_key(self.prefix, run_id, name)

    def now(self) -> float:
        """The Redis server's clock (Unix seconds), the one clock all machines share."""
        seconds, micros = self.client.time()
        return float(seconds) + float(micros) / 1e6

    # --- the scheduler ------------------------------------------------------------------------

    def open(self, run_id: int, *, spider: str, target: str, started: datetime) -> None:
        """Open a run with one outstanding request: the job, until a worker has started it."""
        key = self.key(run_id)
        with self.client.pipeline() as pipe:
            pipe.hset(
                key,
                mapping={
                    "outstanding": 1,
                    "touched": self.now(),
                    "started": started.astimezone(UTC).isoformat(),
                    "spider": spider,
                    "target": target,
                },
            )
            pipe.expire(key, RUN_TTL_SECONDS)
            pipe.execute()

    def push_job(self, spider: str, job: Mapping[str, Any]) -> None:
        """Append a job to its spider's start list (workers take the oldest first)."""
        self.client.rpush(start_key(self.prefix, spider), json.dumps(dict(job)))

    def last_moved(self, run_id: int) -> float | None:
        """When the run's count last moved (Redis clock), or None when Redis has no such run."""
        value = self.client.hget(self.key(run_id), "touched")
        return None if value is None else float(value)

    # --- the workers --------------------------------------------------------------------------

    def add(self, run_id: int, n: int = 1) -> int:
        """``n`` more requests of the run are scheduled; the new count (-1: run closed)."""
        return int(self._move(keys=[self.key(run_id)], args=[n]))

    def done(self, run_id: int, n: int = 1) -> int:
        """``n`` requests of the run are done; the new count (0: this caller finishes it)."""
        return int(self._move(keys=[self.key(run_id)], args=[-n]))

    def count(self, run_id: int, **counts: int) -> None:
        """Add to the run's counts (``pages``, ``new``, ``updated``, ``unchanged``, ``deleted``)."""
        key = self.key(run_id)
        with self.client.pipeline() as pipe:
            for name, n in counts.items():
                if n:
                    pipe.hincrby(key, name, n)
            pipe.execute()

    def shortfall(self, run_id: int, line: str) -> None:
        """Something of the run was not read or stored: it cannot end ``finished``."""
        part = self.part(run_id, "shortfalls")
        with self.client.pipeline() as pipe:
            pipe.hincrby(self.key(run_id), "shortfalls", 1)
            pipe.rpush(part, line[:500])
            pipe.ltrim(part, 0, SHORTFALL_LINES - 1)
            pipe.expire(part, RUN_TTL_SECONDS)
            pipe.execute()

    def defer_listing(self, run_id: int, listing: Mapping[str, Any]) -> None:
        """How a listing ended, applied (watermark, deletions) only when the whole run is done."""
        part = self.part(run_id, "listings")
        with self.client.pipeline() as pipe:
            pipe.rpush(part, json.dumps(dict(listing), default=str))
            pipe.expire(part, RUN_TTL_SECONDS)
            pipe.execute()

    def totals(self, run_id: int) -> RunTotals:
        """Everything the run gathered."""
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(self.key(run_id)).items()}
        started = raw.get("started")
        return RunTotals(
            started=datetime.fromisoformat(started) if started else None,
            counts={name: int(raw.get(name) or 0) for name in COUNTS},
            shortfalls=int(raw.get("shortfalls") or 0),
            shortfall_lines=[
                v.decode() for v in self.client.lrange(self.part(run_id, "shortfalls"), 0, -1)
            ],
            listings=[
                json.loads(v) for v in self.client.lrange(self.part(run_id, "listings"), 0, -1)
            ],
        )

    def forget(self, run_id: int) -> None:
        """Remove every key of a closed run."""
        keys = [self.key(run_id)]
        keys += list(self.client.scan_iter(match=self.part(run_id, "*"), count=500))
        self.client.delete(*keys)


# --- the scheduler's job ------------------------------------------------------------------------


def close_lost_runs(
    engine: Engine, board: RunBoard, target: str, *, deadline_seconds: float
) -> tuple[list[int], bool]:
    """Close the target's queued runs whose count has not moved for ``deadline_seconds`` as
    ``incomplete`` (their pages were lost with a worker). Returns the closed ids and whether
    a run of the target is still going (then no new one should start)."""
    closed: list[int] = []
    going = False
    now = board.now()
    for run in store.recent_runs(engine, target, limit=20):
        if run["status"] != "running" or run.get("started_by") != store.QUEUED:
            continue
        moved = board.last_moved(run["id"])
        if moved is not None and now - moved < deadline_seconds:
            going = True
            continue
        store.finish_crawl_run(
            engine,
            run["id"],
            status="incomplete",
            reason="pages lost",
            errors=(
                f"no page of this run was done for {deadline_seconds:.0f} s: a worker that held "
                "some stopped; nothing was marked deleted and no watermark moved"
            ),
            only_if_running=True,
        )
        board.forget(run["id"])
        closed.append(run["id"])
        log.warning("%s: run %d lost pages, closed as incomplete", target, run["id"])
    return closed, going


def enqueue_crawl(
    settings: config_mod.Settings,
    *,
    spider: str,
    target: str,
    args: Mapping[str, str],
) -> dict[str, Any]:
    """The scheduler's job with Redis: open a ``crawl_run`` and push the job to the workers.

    A target whose previous run is still going is not pushed again (no doubled jobs); one whose
    previous run lost pages has that run closed ``incomplete`` first.
    """
    assert settings.redis_url is not None
    client = connect(settings.redis_url)
    board = RunBoard(client, settings.redis_prefix)
    engine = db.make_engine(settings.database_url)
    try:
        closed, going = close_lost_runs(
            engine, board, target, deadline_seconds=settings.crawl.timeout_seconds
        )
        if going:
            log.info("%s: the previous run is still going, not pushed again", target)
            return {"target": target, "status": "skipped", "closed_lost": closed}
        full = args.get("full") == "1"
        run_id = store.start_crawl_run(
            engine,
            spider=spider,
            target=target,
            athlete_slug=args.get("athlete"),
            full_sweep=full,
            started_by=store.QUEUED,
        )
        run = store.get_crawl_run(engine, run_id) or {}
        started = run.get("started_at") or datetime.now(UTC)
        board.open(run_id, spider=spider, target=target, started=started)
        board.push_job(spider, {"run_id": run_id, "target": target, **args})
        log.info("%s: run %d pushed to the %s queue", target, run_id, spider)
        return {
            "target": target,
            "run_id": run_id,
            "status": "queued",
            "full_sweep": full,
            "closed_lost": closed,
        }
    finally:
        engine.dispose()
        client.close()
