"""Retries with backoff on 429 and 5xx, honouring Retry-After; an errback for every request."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

log = logging.getLogger(__name__)


class BackoffRetryMiddleware:
    """Scrapy's RetryMiddleware retries at once; a platform that says 429 wants us to wait.

    Waits ``Retry-After`` seconds when given, else ``base * 2**attempt`` with jitter, capped.
    Other retryable failures (connection errors) stay with Scrapy's RetryMiddleware.
    """

    def __init__(self, crawler: Crawler) -> None:
        s = crawler.settings
        self.codes = {
            int(c) for c in s.getlist("PODIUM_BACKOFF_HTTP_CODES", [429, 500, 502, 503, 504])
        }
        self.base = s.getfloat("PODIUM_BACKOFF_BASE", 2.0)
        self.cap = s.getfloat("PODIUM_BACKOFF_MAX", 120.0)
        self.max_retries = s.getint("RETRY_TIMES", 4)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def _delay(self, response: Response, attempt: int) -> float:
        header = response.headers.get(b"Retry-After")
        if header:
            try:
                return min(self.cap, max(0.0, float(header.decode())))
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        return min(self.cap, self.base * 2.0**attempt * (0.5 + random.random()))  # noqa: S311

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Any:
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        attempt = request.meta.get("retry_times", 0)
        spider = spider or self.crawler.spider
        assert spider is not None  # Scrapy calls this only while a spider runs
        retry = get_retry_request(
            request,
            spider=spider,
            reason=f"HTTP {response.status}",
            max_retry_times=self.max_retries,
        )
        if retry is None:
            return response  # give up: the callback sees the status and records a problem
        delay = self._delay(response, attempt)
        log.info("HTTP %s from %s: retrying in %.1f s", response.status, request.url, delay)
        await asyncio.sleep(delay)
        return retry


class EveryRequestAnswered:
    """Spider middleware: every request without an errback gets the spider's ``request_failed``,
    and what a parser dropped from a page follows the callback's output as problems.

    Scrapy only logs a download error when a request has no errback; here each one becomes a
    ``problem`` row with the URL and the reason, and the run is not ``finished``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EveryRequestAnswered:
        return cls(crawler)

    def _answered(self, obj: Any) -> Any:
        spider = self.crawler.spider
        errback = getattr(spider, "request_failed", None)
        if isinstance(obj, Request) and obj.errback is None and errback is not None:
            return obj.replace(errback=errback)
        return obj

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in start:
            yield self._answered(obj)

    def _noted(self) -> list[Any]:
        """Problems the spider noticed while reading (``AthleteSpider.read``), as items."""
        noted = getattr(self.crawler.spider, "noted_problems", None)
        if not noted:
            return []
        out = list(noted)
        noted.clear()
        return out

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for obj in result:
            yield self._answered(obj)
        yield from self._noted()

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for obj in result:
            yield self._answered(obj)
        for obj in self._noted():
            yield obj
