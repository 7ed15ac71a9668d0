"""What distributed crawling looks like right now, read from Redis: workers and queue depths.

Workers announce themselves in a hash each (``archive.queue_keys.worker_key``: host, pid,
platforms, started, seen, requests, errors), refreshed every few seconds with a short expiry, so
a worker that died disappears by itself; one whose ``seen`` is older than the expiry (a clock
skewed, a hash copied by hand) is shown as not alive. A platform's queue is its spider's
scrapy-redis request queue plus the jobs the scheduler pushed that no worker has started yet.
Only reads; nothing here imports scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from archive import config as config_mod
from archive import queue_keys
from archive.db import safe_url
from archive.timestamps import utc_minute

#: How long ``podium status`` waits for Redis before saying it cannot reach it.
REDIS_TIMEOUT_SECONDS = 3.0


class WorkerState(TypedDict):
    """One worker as its hash says, and whether it is alive."""

    worker: str
    host: str | None
    pid: int | None
    platforms: list[str]
    alive: bool
    started: datetime | None
    seen: datetime | None
    requests: int
    errors: int


class QueueDepth(TypedDict):
    """What waits for one platform's workers."""

    platform: str
    requests: int  # in the scrapy-redis request queue
    jobs: int  # start jobs pushed by the scheduler, not yet taken


class ClusterReport(TypedDict):
    """Workers and queues under one prefix, or why Redis could not be read."""

    redis: str
    prefix: str
    workers: list[WorkerState]
    queues: list[QueueDepth]
    error: str | None


def read_cluster(
    redis_url: str,
    prefix: str = queue_keys.DEFAULT_PREFIX,
    *,
    spiders: Iterable[str] = config_mod.SPIDER_NAMES,
    now: datetime | None = None,
) -> ClusterReport:
    """Every worker's hash under ``prefix`` and every spider's queue depth.

    Redis that cannot be reached is not an error of the caller: the report says why in
    ``error`` and lists nothing.
    """
    import redis

    report = ClusterReport(
        redis=safe_url(redis_url), prefix=prefix, workers=[], queues=[], error=None
    )
    try:
        client = redis.Redis.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
    except ValueError as exc:
        report["error"] = f"bad Redis URL {safe_url(redis_url)!r}: {exc}"
        return report
    try:
        with client:
            report["workers"] = _workers(client, prefix, now or datetime.now(UTC))
            report["queues"] = [_queue(client, prefix, spider) for spider in spiders]
    except redis.RedisError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        report["error"] = f"cannot read Redis at {safe_url(redis_url)}: {first}"
        report["workers"], report["queues"] = [], []
    return report


def _workers(client: Any, prefix: str, now: datetime) -> list[WorkerState]:
    pattern = queue_keys.worker_pattern(_glob_escape(prefix))
    keys = sorted(client.scan_iter(match=pattern, count=500))
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    out = []
    start = len(queue_keys.worker_key(prefix, ""))
    for key, raw in zip(keys, pipe.execute(), strict=True):
        if raw:  # expired between SCAN and HGETALL: gone
            out.append(worker_state(_text(key)[start:], _decoded(raw), now))
    return out


def worker_state(worker_id: str, fields: Mapping[str, str], now: datetime) -> WorkerState:
    """A worker's hash read into a WorkerState; alive while ``seen`` is within the expiry."""
    seen = _time(fields.get("seen"))
    ttl = timedelta(seconds=queue_keys.WORKER_TTL_SECONDS)
    return WorkerState(
        worker=worker_id,
        host=fields.get("host") or None,
        pid=_int(fields.get("pid")),
        platforms=[p for p in (fields.get("platforms") or "").split(",") if p],
        alive=seen is not None and now - seen <= ttl,
        started=_time(fields.get("started")),
        seen=seen,
        requests=_int(fields.get("requests")) or 0,
        errors=_int(fields.get("errors")) or 0,
    )


def _queue(client: Any, prefix: str, spider: str) -> QueueDepth:
    return QueueDepth(
        platform=spider,
        requests=_length(client, queue_keys.requests_key(prefix, spider)),
        jobs=_length(client, queue_keys.start_key(prefix, spider)),
    )


def _length(client: Any, key: str) -> int:
    """Entries in a queue key, whichever scrapy-redis queue class made it."""
    kind = _text(client.type(key))
    if kind == "zset":  # PriorityQueue, scrapy-redis' default
        return int(client.zcard(key))
    if kind == "list":  # FifoQueue, LifoQueue; the start-job list
        return int(client.llen(key))
    if kind == "set":
        return int(client.scard(key))
    return 0


def worker_rows(report: ClusterReport) -> list[dict[str, Any]]:
    """The workers flattened for a table."""
    return [
        {
            "worker": w["worker"],
            "alive": "yes" if w["alive"] else "no",
            "platforms": ",".join(w["platforms"]),
            "requests": w["requests"],
            "errors": w["errors"],
            "started": utc_minute(w["started"]),
            "seen": _second(w["seen"]),
        }
        for w in report["workers"]
    ]


def queue_rows(report: ClusterReport) -> list[dict[str, Any]]:
    """The queue depths flattened for a table."""
    return [
        {"platform": q["platform"], "queued requests": q["requests"], "waiting jobs": q["jobs"]}
        for q in report["queues"]
    ]


WORKER_COLUMNS = ["worker", "alive", "platforms", "requests", "errors", "started", "seen"]
QUEUE_COLUMNS = ["platform", "queued requests", "waiting jobs"]


def _glob_escape(text: str) -> str:
    """``text`` with Redis glob characters escaped, for a MATCH pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _decoded(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in raw.items()}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _second(value: datetime | None) -> str:
    return value.strftime("%H:%M:%S") if value else ""
