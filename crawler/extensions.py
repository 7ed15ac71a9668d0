"""What a crawl needs from the archive, and progress lines for `podium crawl`.

Spiders never touch the database: ``ArchiveKnowledge`` asks ``archive.store`` on their behalf and
hangs the answers on the spider as ``spider.known_posts``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from archive import config as config_mod
from archive import db, store

log = logging.getLogger(__name__)


class KnownPosts:
    """The ids the archive holds per account, asked once per account."""

    def __init__(self, database_url: str, platform: str) -> None:
        self.database_url, self.platform = database_url, platform
        self._cache: dict[str, set[str]] = {}
        self._engine: Any = None

    def for_account(self, handle: str) -> set[str]:
        """Ids of this account's archived posts (empty for an account never crawled)."""
        if handle not in self._cache:
            if self._engine is None:
                self._engine = db.make_engine(self.database_url)
            self._cache[handle] = store.known_post_ids(self._engine, self.platform, handle)
        return self._cache[handle]

    def fresh(self, handle: str) -> set[str]:
        """Ids as the archive holds them now (a worker's spider serves run after run)."""
        self._cache.pop(handle, None)
        return self.for_account(handle)

    def close(self) -> None:
        """Release the engine."""
        if self._engine is not None:
            self._engine.dispose()


class ArchiveKnowledge:
    """Gives each spider ``known_posts`` when it opens."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveKnowledge:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        url = self.crawler.settings.get("PODIUM_DATABASE_URL") or config_mod.load().database_url
        platform = getattr(spider, "platform", spider.name)
        spider.known_posts = KnownPosts(url, platform)  # type: ignore[attr-defined]

    def spider_closed(self, spider: Spider) -> None:
        known = getattr(spider, "known_posts", None)
        if known is not None:
            known.close()


class ProgressLines:
    """Every few seconds, one machine-readable line on stderr for the parent `podium crawl`."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler, self.interval, self.last = crawler, interval, 0.0
        crawler.signals.connect(self.tick, signal=signals.response_received)
        crawler.signals.connect(self.tick, signal=signals.item_scraped)
        crawler.signals.connect(self.final, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLines:
        return cls(crawler, crawler.settings.getfloat("PODIUM_PROGRESS_INTERVAL", 1.0))

    def _emit(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        pages = stats.get_value("response_received_count", 0)
        posts = stats.get_value("podium/posts", 0)
        errors = stats.get_value("podium/problems", 0) + stats.get_value("log_count/ERROR", 0)
        sys.stderr.write(f"PODIUM-PROGRESS pages={pages} posts={posts} errors={errors}\n")
        sys.stderr.flush()

    def tick(self, *args: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._emit()

    def final(self, spider: Spider, reason: str) -> None:
        self._emit()


class ParentWatch:
    """A crawl whose parent (`podium crawl`, the scheduler) died stops instead of running alone.

    The parent passes its pid in ``PODIUM_PARENT_PID``; once this process has another parent
    (it was re-parented to init or a subreaper), the spider is closed with reason
    ``parent_died``: what was fetched is stored and the run is closed as ``interrupted``. If
    the close hangs, the process exits hard after ``PODIUM_PARENT_GRACE`` seconds.
    """

    def __init__(self, crawler: Crawler, parent: int, interval: float, grace: float) -> None:
        self.crawler, self.parent, self.interval, self.grace = crawler, parent, interval, grace
        self.loop: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParentWatch:
        parent = int(os.environ.get("PODIUM_PARENT_PID") or 0)
        if not parent:
            raise NotConfigured("no PODIUM_PARENT_PID: a crawl started by hand has no parent")
        s = crawler.settings
        return cls(
            crawler,
            parent,
            s.getfloat("PODIUM_PARENT_CHECK_INTERVAL", 0.5),
            s.getfloat("PODIUM_PARENT_GRACE", 30.0),
        )

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.check)
        self.loop.start(self.interval, now=True)

    def check(self) -> None:
        if os.getppid() == self.parent:
            return
        self.loop.stop()
        log.error("the parent process %d is gone: stopping this crawl", self.parent)
        deadline = threading.Timer(self.grace, os._exit, args=(3,))
        deadline.daemon = True
        deadline.start()
        engine = self.crawler.engine
        assert engine is not None
        deferred_from_coro(engine.close_spider_async(reason="parent_died"))

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
