"""Validate -> Normalize -> Store, batched: the only crawler code that touches the archive.

One ``crawl_run`` row per crawl: opened here (or by the parent process, which passes its id in
the ``PODIUM_CRAWL_RUN_ID`` setting), closed with its counts and how the crawl finished.

Normalizing and storing run off the reactor thread, each stage on a thread of its own
(``_Lane``), so the crawl keeps fetching and parsing while they work (SQLite and much of
zstd/hashing release the GIL). Each lane does its work in the order the items came, and every
item that has to wait for earlier work (a listing's end waits for its posts to be normalized
and stored) passes through the same lane behind that work: what the archive sees, and when a
listing counts as read, is exactly what it was with the stages inline. Closing the run comes
last, on the store lane too, so the reactor serves the process's other crawls meanwhile. Without
a running reactor (unit tests), or with ``PODIUM_PIPELINE_THREADS = False``, the stages run
inline.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from archive import config as config_mod
from archive import db, store
from archive.errors import ConfigError, ParseError
from archive.language import warm_up
from archive.normalize import parse_time
from archive.observe import observe
from archive.observe import raw_bytes as _raw_bytes
from archive.records import NormalizedPost, Payload, RunStatus
from archive.textrepair import repair_article
from crawler.items import ArticleItem, CrawlProblem, ListingDone, RawPost

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class _Lane:
    """One thread that runs a stage's work in the order it was given, off the reactor thread.

    ``run`` gives the work's result at once when the lane is inline, else an awaitable that
    Scrapy awaits (the item waits, the crawl does not).
    """

    def __init__(self, name: str, threaded: bool) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=name) if threaded else None

    @property
    def threaded(self) -> bool:
        return self._executor is not None

    def run(self, work: Callable[..., Any], *args: Any) -> Any:
        if self._executor is None:
            return work(*args)
        return self._await(self.submit(work, *args))

    def later(self, work: Callable[..., Any], *args: Any) -> None:
        """Run ``work`` in turn, not waiting for it (its errors are its own to handle)."""
        if self._executor is None:
            work(*args)
        else:
            self._executor.submit(work, *args)

    def submit(self, work: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run ``work`` in turn; its result (or error) arrives on the reactor thread."""
        from twisted.internet import reactor

        done: Deferred[Any] = Deferred()

        def deliver(future: Future[Any]) -> None:
            exc = future.exception()
            if exc is None:
                reactor.callFromThread(done.callback, future.result())
            else:
                reactor.callFromThread(done.errback, Failure(exc))  # type: ignore[no-untyped-call]

        assert self._executor is not None
        self._executor.submit(work, *args).add_done_callback(deliver)
        return done

    @staticmethod
    async def _await(done: Deferred[Any]) -> Any:
        return await maybe_deferred_to_future(done)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)


def _threaded(crawler: Crawler) -> bool:
    """Whether the stages get threads: in a running crawl, unless the settings say no."""
    if not crawler.settings.getbool("PODIUM_PIPELINE_THREADS", True):
        return False
    reactor = sys.modules.get("twisted.internet.reactor")
    return bool(getattr(reactor, "running", False))


class _Pipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def _inc(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, n)


class ValidatePipeline(_Pipeline):
    """A post without identity becomes a problem (kept, never dropped); duplicates in a run go."""

    def open_spider(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, RawPost):
            return item
        if not item.platform or not item.platform_post_id:
            return CrawlProblem(
                reason="post without identity (platform and platform_post_id are required)",
                url=item.source_url,
                platform=item.platform or None,
                body=_raw_bytes(item.raw),
                detail={"url": item.url, "caption": item.caption},
            )
        key = (item.platform, item.platform_post_id, item.source_kind)
        if key in self.seen:
            raise DropItem(
                f"duplicate within this crawl: {item.platform} {item.platform_post_id}",
                log_level="DEBUG",
            )
        self.seen.add(key)
        return item


class NormalizePipeline(_Pipeline):
    """RawPost -> NormalizedPost (archive.normalize), the athlete's usual languages as prior."""

    def open_spider(self) -> None:
        self.priors: dict[str, tuple[str, ...]] = {}
        try:
            roster = config_mod.load_roster(config_mod.load().roster_path)
            self.priors = {a.slug: a.languages for a in roster.athletes}
        except ConfigError as exc:
            log.warning("no language priors: %s", exc)
        self.lane = _Lane("podium-normalize", _threaded(self.crawler))
        if self.lane.threaded:
            self.crawler.signals.connect(self._warm_up, signal=signals.spider_opened)

    def _warm_up(self) -> None:
        """Once the spider is open, the models load on the lane while the first pages are
        fetched, not when the first caption arrives (its item would wait for them either way),
        nor while the crawl is being opened (loading holds the GIL)."""
        usual = {code for languages in self.priors.values() for code in languages}
        self.lane.later(warm_up, sorted(usual))

    def close_spider(self) -> None:
        self.lane.close()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, RawPost):
            return self.lane.run(self._normalize, item)
        # Anything else (a listing's end, an article) keeps its place behind the posts before it.
        return self.lane.run(lambda: item)

    def _normalize(self, item: RawPost) -> Any:
        try:
            return observe(
                item, observed_at=_now(), prior=self.priors.get(item.athlete_slug or "", ())
            )
        except (ParseError, ValueError, TypeError) as exc:
            return CrawlProblem(
                reason=f"cannot normalize: {exc}",
                url=item.source_url,
                platform=item.platform,
                body=_raw_bytes(item.raw),
                detail={"platform_post_id": item.platform_post_id},
            )


#: Runs this process has open, per archive (database URL). The last of them to close catches
#: the search side index up for all (``store.finish_crawl_run``): a process crawling several
#: spiders at once (``bench/crawl.py`` does) does it once, not once per spider, each time behind
#: the spiders still writing.
_open_runs: Counter[str] = Counter()
_open_runs_lock = threading.Lock()


class StorePipeline(_Pipeline):
    """Batches posts into archive.store; records problems, articles, sweeps and the crawl run."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    def _open_archive(self, *, threaded: bool) -> None:
        """What every store pipeline holds, the worker's too: the archive, the pending batch
        and what the run has done so far, and the lane the storing (and the error handlers'
        problems) runs on (``threaded``: off the reactor thread)."""
        s = self.crawler.settings
        self.engine = db.make_engine(s.get("PODIUM_DATABASE_URL"))
        db.check_connection(self.engine)
        self.batch_size = s.getint("PODIUM_BATCH_SIZE", 200)
        self.batch: list[NormalizedPost] = []
        self.result = store.BatchResult()
        self.deleted = 0
        #: Why this run is not ``finished`` although Scrapy finished it: listings that broke
        #: off, pages that could not be read, errors in callbacks and pipelines.
        self.shortfalls: list[str] = []
        #: A batch the database never took: no listing of this run may count as read.
        self.batch_lost = False
        self.lane = _Lane("podium-store", threaded)

    def open_spider(self) -> None:
        s = self.crawler.settings
        self._open_archive(threaded=_threaded(self.crawler))
        store.close_interrupted_runs(self.engine)
        spider = self.crawler.spider
        run_id = s.getint("PODIUM_CRAWL_RUN_ID", 0)
        self.run_id = run_id or store.start_crawl_run(
            self.engine,
            spider=spider.name if spider else "?",
            target=getattr(spider, "target", None),
            athlete_slug=getattr(spider, "athlete", None),
            full_sweep=bool(getattr(spider, "full_sweep", False)),
        )
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("podium/crawl_run_id", self.run_id)
        self.archive = str(s.get("PODIUM_DATABASE_URL"))
        with _open_runs_lock:
            _open_runs[self.archive] += 1

    def process_item(self, item: Any) -> Any:
        if isinstance(item, NormalizedPost):
            self._inc("podium/posts")
            self.batch.append(item)
            if item.repairs or len(self.batch) >= self.batch_size:
                return self.lane.run(self._post_then, item, self._take(item))
            return item
        if isinstance(item, CrawlProblem):
            return self.lane.run(self._problem_then, item)
        if isinstance(item, ArticleItem | ListingDone):
            return self.lane.run(self._close_then, item, self._take(None))
        return item

    def _take(self, item: NormalizedPost | None) -> list[NormalizedPost]:
        """The pending batch, when it is full or ``item`` is not a post (which waits for the
        posts before it to be stored); else nothing."""
        if item is None or len(self.batch) >= self.batch_size:
            batch, self.batch = self.batch, []
            return batch
        return []

    # What the store lane does, in the order the items came:

    def _post_then(self, item: NormalizedPost, batch: list[NormalizedPost]) -> NormalizedPost:
        if item.repairs:
            body = item.payload.body if item.payload else None
            detail: dict[str, object] = {"platform_post_id": item.platform_post_id}
            self._repaired(item.repairs, item.source_url, item.platform, body, detail)
        self._store(batch)
        return item

    def _problem_then(self, item: CrawlProblem) -> CrawlProblem:
        self._problem(item)
        return item

    def _close_then(
        self, item: ArticleItem | ListingDone, batch: list[NormalizedPost]
    ) -> ArticleItem | ListingDone:
        self._store(batch)
        if isinstance(item, ArticleItem):
            self._article(item)
        else:
            self._listing_done(item)
        return item

    def flush(self) -> None:
        """Store the pending batch now (on the lane, behind the rest: see ``spider_closed``)."""
        batch, self.batch = self.batch, []
        self._store(batch)

    def _store(self, batch: list[NormalizedPost]) -> None:
        """Store a batch in one transaction; a failing batch is retried post by post."""
        if not batch:
            return
        try:
            stored, failed = store.upsert_posts_each(self.engine, batch)
        except Exception as exc:  # noqa: BLE001 - the database stayed away past the retry budget
            self.batch_lost = True
            self.shortfalls.append(f"a batch of {len(batch)} posts was not stored: {exc}")
            log.error("batch of %d posts not stored: %s", len(batch), exc)
            return
        self.result.add(stored)
        for failure in failed:
            post = failure.post
            self._problem(
                CrawlProblem(
                    reason=failure.reason,
                    url=post.source_url,
                    platform=post.platform,
                    body=post.payload.body if post.payload else None,
                    detail={"post": store.post_to_detail(post)},
                )
            )

    def _problem(self, item: CrawlProblem, *, lost: bool = True) -> None:
        """Keep a problem; ``lost``: something was not read or stored, so the run falls short."""
        self._inc("podium/problems")
        if lost:
            self.shortfalls.append(f"{item.reason} ({item.url})" if item.url else item.reason)
        log.warning("problem: %s (%s)", item.reason, item.url)
        payload = Payload(item.body, item.url, _now(), item.platform) if item.body else None
        store.record_problem(
            self.engine,
            reason=item.reason,
            platform=item.platform,
            source_url=item.url,
            payload=payload,
            platform_post_id=str(item.detail.get("platform_post_id") or "") or None,
            detail=item.detail or None,
            crawl_run_id=self.run_id or None,  # 0: a worker's item of no known run
        )

    def _article(self, item: ArticleItem) -> None:
        now = _now()
        article, repairs = repair_article(item.article)
        payload = Payload(item.body, item.url, now, "news.article", "text/html")
        store.upsert_article(
            self.engine,
            article,
            observed_at=now,
            published_at=parse_time(article.published_at),
            payload=payload,
            post_ids=self.result.post_ids,
        )
        self._inc("podium/articles")
        if repairs:
            self._repaired(repairs, item.url, "news", item.body, {"article": item.url})

    def _repaired(
        self,
        repairs: Sequence[str],
        url: str | None,
        platform: str | None,
        body: bytes | None,
        detail: dict[str, object],
    ) -> None:
        """Text with bad characters was stored repaired: say so, with the raw payload. A repair
        loses nothing, so the run does not fall short for it."""
        self._inc("podium/repairs")
        reason = f"repaired text: {'; '.join(repairs)}"
        detail = {**detail, "repairs": list(repairs)}
        self._problem(CrawlProblem(reason, url, platform, body, detail), lost=False)

    def _listing_done(self, item: ListingDone) -> None:
        """Close a listing: a full sweep judges deletions; a listing read as asked moves the
        account's watermark (what the next run's stop rule may count as known)."""
        account = f"{item.platform} {item.handle}"
        if item.doubt:
            self._problem(CrawlProblem(f"{account}: {item.doubt}", None, item.platform))
            self._record_listing(item, "doubted", item.doubt)
            return
        if not item.read_as_asked:
            self.shortfalls.append(f"{account}: the listing broke off")
            self._record_listing(item, "broke_off", item.reason)
            return
        if self.batch_lost:  # some of its posts may be in the lost batch: read it again
            self._record_listing(item, "broke_off", "a batch of posts was not stored")
            return
        if item.full_sweep and item.complete:
            spider = self.crawler.spider
            verdict = store.mark_missing_deleted(
                self.engine,
                item.platform,
                item.handle,
                item.seen_ids,
                swept_at=getattr(spider, "started_at", None) or _now(),
                listed_since=parse_time(item.window_start),
            )
            if verdict.suspect:
                self._problem(CrawlProblem(f"{account}: {verdict.suspect}", None, item.platform))
                self._record_listing(item, "suspect", verdict.suspect)
                return
            self.deleted += len(verdict.deleted)
            if verdict.deleted:
                log.info(
                    "%s: %d posts no longer listed, marked deleted", account, len(verdict.deleted)
                )
        store.mark_listing_read(self.engine, item.platform, item.handle, at=_now())
        self._record_listing(item, "read" if item.complete else "caught_up", None)

    def _record_listing(self, item: ListingDone, outcome: str, reason: str | None) -> None:
        try:
            store.record_listing(
                self.engine,
                crawl_run_id=self.run_id,
                platform=item.platform,
                handle=item.handle,
                outcome=outcome,
                full_sweep=item.full_sweep,
                posts_seen=len(item.seen_ids),
                pages=item.pages,
                reason=reason,
            )
        except Exception as exc:  # noqa: BLE001 - health is lost for this listing, never the crawl
            log.error("cannot record how %s %s ended: %s", item.platform, item.handle, exc)

    def spider_error(self, failure: Failure, response: Response, spider: Any) -> None:
        """A callback raised: what it had not yielded yet is lost, so it is a problem."""
        where = getattr(response.request, "callback", None) if response.request else None
        name = getattr(where, "__name__", "callback")
        self.lane.later(
            self._safe_problem,
            CrawlProblem(
                reason=f"error in {name}: {_one_line(failure)}",
                url=response.url,
                platform=getattr(spider, "platform", None) or None,
                body=response.body,
            ),
        )

    def item_error(
        self, item: Any, response: Response | None, spider: Any, failure: Failure
    ) -> None:
        """A pipeline raised on an item: the item, as far as it can be kept, is a problem."""
        body: bytes | None = None
        if isinstance(item, RawPost):
            body = _raw_bytes(item.raw)
        elif isinstance(item, NormalizedPost) and item.payload:
            body = item.payload.body
        self.lane.later(
            self._safe_problem,
            CrawlProblem(
                reason=f"error in the pipeline: {_one_line(failure)}",
                url=getattr(item, "source_url", None) or (response.url if response else None),
                platform=getattr(item, "platform", None),
                body=body,
                detail={"platform_post_id": getattr(item, "platform_post_id", None)},
            ),
        )

    def _safe_problem(self, item: CrawlProblem) -> None:
        try:
            self._problem(item)
        except Exception as exc:  # noqa: BLE001 - the archive itself is failing: the run says so
            self.shortfalls.append(f"{item.reason} (not recorded: {exc})".splitlines()[0])
            log.error("cannot record a problem: %s", exc)

    def spider_closed(self, spider: Any, reason: str) -> Deferred[None] | None:
        """Close the run: the last batch stored, listings cut short recorded, the run row closed
        with how the crawl went (and the search side index caught up, ``store.finish_crawl_run``).

        On the store lane, behind every item and problem given to it before, so the reactor
        goes on serving the process's other crawls meanwhile (Scrapy waits for the Deferred).
        """
        stats = self.crawler.stats
        assert stats is not None
        pages = stats.get_value("response_received_count", 0)
        open_listings = getattr(spider, "open_listings", None) or {}
        cut = [
            open_listings[h].done(spider.platform, complete=False) for h in sorted(open_listings)
        ]
        if not self.lane.threaded:
            try:
                self._close_run(reason, pages, cut)
            finally:
                self._release()
            return None
        closed: Deferred[None] = self.lane.submit(self._close_run, reason, pages, cut)

        def release(result: Any) -> Any:
            self._release()
            return result

        return closed.addBoth(release)

    def _close_run(self, reason: str, pages: int, cut: list[ListingDone]) -> None:
        try:
            self.flush()
        finally:
            for listing in cut:
                self.shortfalls.append(
                    f"{listing.platform} {listing.handle}: the listing broke off"
                )
                self._record_listing(
                    listing, "broke_off", f"the crawl ended ({reason}) mid-listing"
                )
            # Every post of this run is written: the run no longer counts as open.
            with _open_runs_lock:
                _open_runs[self.archive] -= 1
                last = _open_runs[self.archive] <= 0
                if last:
                    del _open_runs[self.archive]
            status = run_status(reason, self.shortfalls)
            store.finish_crawl_run(
                self.engine,
                self.run_id,
                status=status,
                reason=reason if status != "incomplete" else f"{len(self.shortfalls)} shortfalls",
                pages=pages,
                result=self.result,
                deleted=self.deleted,
                errors="\n".join(self.shortfalls[:50]) or None,
                catch_up_search=last,
            )

    def _release(self) -> None:
        self.lane.close()
        self.engine.dispose()


def run_status(reason: str, shortfalls: list[str]) -> RunStatus:
    """How a run ended: ``finished`` only when Scrapy finished and nothing fell short."""
    if reason in ("shutdown", "parent_died"):
        return "interrupted"
    if reason != "finished":
        return "failed"
    return "incomplete" if shortfalls else "finished"


def _one_line(failure: Failure) -> str:
    lines = str(failure.value).strip().splitlines()
    return f"{failure.type.__name__}: {lines[0][:300] if lines else ''}".rstrip(": ")  # type: ignore[union-attr]
