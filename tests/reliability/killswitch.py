"""Scrapy settings for crash tests: the project's own, plus a switch that kills the crawl.

A child crawl started with ``SCRAPY_SETTINGS_MODULE=tests.reliability.killswitch`` runs exactly
as in production, with small batches (many commits per crawl) and the ``KillSwitch``
extension. ``PODIUM_TEST_KILL_AT=<point>:<n>`` SIGKILLs the crawl and its parent (the
`podium crawl` or scheduler process, ``PODIUM_PARENT_PID``) at the n-th:

- ``response``: response received, before any callback saw it (mid-fetch);
- ``item``: item through every pipeline, sitting in the unflushed batch (mid-batch);
- ``commit``: batch written inside its transaction, before the commit (mid-commit);
- ``watermark``: listing read as asked, all its posts stored, before that is recorded.

``PODIUM_TEST_COUNT_FILE`` receives how many of each point a crawl passed (JSON), so a test
can spread its kill points over a whole crawl. ``PODIUM_TEST_RAISE_AT=<n>`` makes the n-th
listing callback raise after yielding its first post (a bug in a spider, as a probe saw).
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.settings import *  # noqa: F403 - the production settings, unchanged
from crawler.settings import EXTENSIONS as _EXTENSIONS

EXTENSIONS = {**_EXTENSIONS, "tests.reliability.killswitch.KillSwitch": 50}
PODIUM_BATCH_SIZE = 7
POINTS = ("response", "item", "commit", "watermark")


def _die() -> None:
    parent = int(os.environ.get("PODIUM_PARENT_PID") or 0)
    if parent:
        os.kill(parent, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


class KillSwitch:
    def __init__(self, crawler: Crawler) -> None:
        point, _, n = os.environ.get("PODIUM_TEST_KILL_AT", "").partition(":")
        self.point, self.n = point, int(n or 0)
        self.raise_at = int(os.environ.get("PODIUM_TEST_RAISE_AT") or 0)
        self.count_file = os.environ.get("PODIUM_TEST_COUNT_FILE")
        self.counts: Counter[str] = Counter()
        crawler.signals.connect(
            lambda **_: self.hit("response"), signals.response_received, weak=False
        )
        crawler.signals.connect(lambda **_: self.hit("item"), signals.item_scraped, weak=False)
        crawler.signals.connect(self.closed, signals.spider_closed)
        self._patch()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KillSwitch:
        return cls(crawler)

    def hit(self, point: str) -> None:
        self.counts[point] += 1
        if point == self.point and self.counts[point] == self.n:
            _die()

    def _patch(self) -> None:
        import archive.store
        import archive.store.posts as posts
        from crawler.spiders.base import AthleteSpider

        upsert_in, mark_read, listed = (
            posts.upsert_posts_in,
            archive.store.mark_listing_read,
            AthleteSpider.listed_posts,
        )

        def upsert_then_maybe_die(*args: Any, **kwargs: Any) -> Any:
            result = upsert_in(*args, **kwargs)
            self.hit("commit")  # inside the transaction: it was never committed
            return result

        def maybe_die_then_mark(*args: Any, **kwargs: Any) -> Any:
            self.hit("watermark")
            return mark_read(*args, **kwargs)

        def listed_then_maybe_raise(spider: Any, result: Any, listing: Any) -> Any:
            self.counts["listing_page"] += 1
            page = self.counts["listing_page"]
            for n, post in enumerate(listed(spider, result, listing)):
                if n == 1 and page == self.raise_at:
                    raise RuntimeError("a spider bug, injected by the test")
                yield post

        posts.upsert_posts_in = upsert_then_maybe_die  # type: ignore[assignment]
        archive.store.mark_listing_read = maybe_die_then_mark  # type: ignore[assignment]
        AthleteSpider.listed_posts = listed_then_maybe_raise  # type: ignore[method-assign]

    def closed(self, spider: Any) -> None:
        if self.count_file:
            Path(self.count_file).write_text(json.dumps(dict(self.counts)), encoding="utf-8")
