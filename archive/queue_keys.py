"""The Redis key names distributed crawling shares (workers, scheduler, CLI): no scrapy here.

Every key lives under one prefix (``PODIUM_REDIS_PREFIX``, default ``podium``) so several
archives, or several tests, can share one Redis.

- ``{prefix}:{spider}:requests``  the scrapy-redis request queue of one spider (a sorted set:
  scrapy-redis' priority queue), which is platform P's queue (spider name = platform slug).
- ``{prefix}:{spider}:start_urls``  jobs the scheduler pushed for one spider (a list of JSON
  objects, scrapy-redis' ``redis_key``): a worker turns each into the job's first requests.
  A platform's queue depth is the length of both: ``ZCARD requests + LLEN start_urls``.
- ``{prefix}:{spider}:dupefilter``  the scrapy-redis duplicate filter of one spider (a set); a
  request of a crawl run is filtered within its run (``{prefix}:run:{run_id}:dupefilter``), so
  the next run fetches the same listing again.
- ``{prefix}:worker:{worker_id}``  one live worker (a hash, fields in ``WORKER_FIELDS``),
  refreshed every ``WORKER_HEARTBEAT_SECONDS`` with a ``WORKER_TTL_SECONDS`` expiry: a worker
  that died simply disappears. ``worker_id`` is ``host:pid``.
- ``{prefix}:run:{run_id}``  one crawl run's outstanding requests and counts (a hash); beside it
  ``…:shortfalls`` (a list), ``…:listings`` (how its listings ended, JSON, applied when the run
  finishes) and ``…:dupefilter``.
- ``{prefix}:article:{n}``  how many follow-ups (embedded posts fetched from their platform) a
  news article still waits for; the worker that counts it to zero stores the article.
- ``{prefix}:rate:{platform}``  the earliest time the next request to a platform may leave, shared
  by every worker (a string holding a Unix time in seconds).
"""

from __future__ import annotations

DEFAULT_PREFIX = "podium"

#: How often a worker refreshes its hash, and how long the hash outlives its last refresh.
WORKER_HEARTBEAT_SECONDS = 5
WORKER_TTL_SECONDS = 30

#: The fields of a worker's hash: host, pid, platforms (comma-separated), started and seen (ISO
#: 8601 UTC), requests (responses processed, an int) and errors (failed requests, an int).
WORKER_FIELDS = ("host", "pid", "platforms", "started", "seen", "requests", "errors")


def requests_key(prefix: str, spider: str) -> str:
    """The scrapy-redis request queue of one spider (the queue of that platform)."""
    return f"{prefix}:{spider}:requests"


def start_key(prefix: str, spider: str) -> str:
    """The list of jobs (JSON) the scheduler pushed for one spider."""
    return f"{prefix}:{spider}:start_urls"


def dupefilter_key(prefix: str, spider: str) -> str:
    """The scrapy-redis duplicate filter (request fingerprints) of one spider."""
    return f"{prefix}:{spider}:dupefilter"


def worker_key(prefix: str, worker_id: str) -> str:
    """The liveness hash of one worker (``worker_id`` = ``host:pid``)."""
    return f"{prefix}:worker:{worker_id}"


def worker_pattern(prefix: str) -> str:
    """A SCAN/KEYS pattern matching every worker's hash under ``prefix``."""
    return f"{prefix}:worker:*"


def run_key(prefix: str, run_id: int) -> str:
    """The outstanding-request counter and listing state of one crawl run."""
    return f"{prefix}:run:{run_id}"


def run_part_key(prefix: str, run_id: int, part: str) -> str:
    """A key beside a run's hash: ``shortfalls``, ``listings``, ``dupefilter``, ``article:…``."""
    return f"{prefix}:run:{run_id}:{part}"


def article_key(prefix: str, n: int) -> str:
    """The follow-up count of one article of a queued news crawl."""
    return f"{prefix}:article:{n}"


def rate_key(prefix: str, platform: str) -> str:
    """The shared next-allowed-request time of one platform."""
    return f"{prefix}:rate:{platform}"
