"""One request budget per platform across every worker: a next-allowed-time key in Redis.

Each request to a platform reserves the next free slot of that platform's budget
(``download_delay`` seconds apart, config/podium.toml) with one atomic script on the Redis clock,
and waits for it: three workers together send what one would. A 429 with ``Retry-After`` pushes
the platform's next slot that far out, so one worker's 429 slows them all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from archive import config as config_mod
from archive.queue_keys import rate_key
from crawler import queued

log = logging.getLogger(__name__)

#: How long a platform's key outlives its last request (it only ever holds a near time).
_KEY_TTL_SECONDS = 3600

# Reserve the next slot: returns how long to wait for it (seconds, as a string: Lua numbers
# become integers on the way out).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(at + tonumber(ARGV[1])), 'EX', ARGV[2])
return tostring(at - now)
"""
# Push the next slot to at least now + ARGV[1] (a Retry-After).
_PUSH = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(until_), 'EX', ARGV[2])
end
return 1
"""


class PlatformBudget:
    """The shared next-allowed-request time of each platform, in Redis under ``prefix``."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._push = client.register_script(_PUSH)

    def reserve(self, platform: str, interval: float) -> float:
        """Take the platform's next slot; how many seconds to wait for it."""
        key = rate_key(self.prefix, platform)
        return float(self._reserve(keys=[key], args=[interval, _KEY_TTL_SECONDS]))

    def push(self, platform: str, seconds: float) -> None:
        """No request to the platform before ``seconds`` from now (a 429's Retry-After)."""
        self._push(keys=[rate_key(self.prefix, platform)], args=[seconds, _KEY_TTL_SECONDS])


class SharedRateLimit:
    """Downloader middleware of ``podium worker``: the platform's budget, shared in Redis."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = config_mod.load()
        self.prefix = crawler.settings.get("PODIUM_REDIS_PREFIX") or "podium"
        self.budget = PlatformBudget(queued.board().client, self.prefix)
        self.bases = {
            p: self.settings.platform(p).base_url.rstrip("/")
            for p in (*config_mod.SPIDER_NAMES, "x")
            if self.settings.platform(p).base_url
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRateLimit:
        return cls(crawler)

    def platform_of(self, request: Request) -> str:
        """The platform a request goes to: by its base URL, else the spider's own."""
        for platform, base in self.bases.items():
            if request.url.startswith(base + "/"):
                return platform
        spider = self.crawler.spider
        return str(getattr(spider, "platform", None) or getattr(spider, "name", "?"))

    async def process_request(self, request: Request, spider: Spider | None = None) -> Any:
        if request.url.startswith("data:"):
            return None  # a job's start: no platform is asked
        platform = self.platform_of(request)
        interval = self.settings.platform(platform).download_delay
        wait = self.budget.reserve(platform, interval)
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status == 429:
            header = response.headers.get(b"Retry-After")
            try:
                seconds = float(header.decode()) if header else 0.0
            except ValueError:
                seconds = 0.0  # an HTTP date: BackoffRetryMiddleware's own backoff applies
            if seconds > 0:
                platform = self.platform_of(request)
                self.budget.push(platform, seconds)
                log.info("%s said 429: every worker waits %.0f s", platform, seconds)
        return response
