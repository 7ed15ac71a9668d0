"""Spiders as ``podium worker`` runs them: jobs from Redis, every request tagged with its run.

A worker runs each platform's spider with this mixin in front (``queued_spider``). The scheduler
pushes a job (JSON: ``run_id``, ``target``, ``handle``/``athlete``/``source``, ``full``) to the
spider's start list; the worker turns it into one ``data:`` request whose callback yields the
job's first requests, so a job travels the same road as every page.

Every request of a run carries the run's id and its real callback and errback by name in its
meta, and goes through ``queued_callback`` / ``queued_errback``: they count each request the page
schedules into the run's outstanding count before it is pushed, tag what the page yields with
the run, turn an exception into a problem of the run, and end with ``PageDone``, which the
pipeline takes as "this page is done" once it has stored what came before it. The listing's
state (``Listing``: the stop rule's count, the ids seen for a full sweep) travels pickled in the
request's ``cb_kwargs``, so consecutive pages may land on different workers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_redis.spiders import RedisMixin
from twisted.python.failure import Failure

from archive import config as config_mod
from archive.queue_keys import article_key, start_key
from archive.queued_runs import RunBoard
from crawler.items import ArticleItem, ArticleStep, CrawlProblem, ListingDone, PageDone, RawPost
from crawler.spiders.base import AthleteSpider, Listing, UnfetchableURL, _flag

#: Request meta keys: the run a request belongs to, and its callback and errback by name.
RUN = "podium_run"
CALLBACK = "podium_callback"
ERRBACK = "podium_errback"
#: How long an article's follow-up count outlives its last change (a lost follow-up).
ARTICLE_TTL_SECONDS = 24 * 3600

_BOARD: RunBoard | None = None


def use_board(board: RunBoard) -> None:
    """The worker's Redis run board, for spiders, pipelines and pending articles."""
    global _BOARD
    _BOARD = board


def board() -> RunBoard:
    """The worker's run board (``use_board`` first)."""
    if _BOARD is None:
        raise RuntimeError("no run board: crawler.queued.use_board() was not called")
    return _BOARD


def post_key(post: RawPost) -> tuple[str, str, str]:
    """How the pipeline finds the run of a post it stores."""
    return (post.platform, post.platform_post_id or "", post.source_kind)


@dataclass
class SharedPendingArticle:
    """An article waiting for its follow-ups, counted in Redis: they may land on any worker.

    ``finish_one`` yields an ``ArticleStep``; the pipeline stores the follow-up's posts first,
    then counts down, and the worker that counts to zero stores the article.
    """

    key: str
    item: ArticleItem
    run_id: int | None

    def expect(self, n: int) -> None:
        """``n`` more follow-ups to wait for."""
        client = board().client
        with client.pipeline() as pipe:
            pipe.incrby(self.key, n)
            pipe.expire(self.key, ARTICLE_TTL_SECONDS)
            pipe.execute()

    def finish_one(self) -> Iterator[Any]:
        """One follow-up is done (the pipeline counts it down)."""
        yield ArticleStep(self.key, self.item, self.run_id)


def _name(method: Callable[..., Any] | None, default: str) -> str:
    return getattr(method, "__name__", None) or default


class QueuedSpider(RedisMixin):  # type: ignore[misc]  # scrapy-redis ships no types
    """The mixin that makes a platform spider a worker's (``queued_spider``)."""

    # Spider attributes this mixin relies on (AthleteSpider provides them).
    name: str
    platform: str
    crawler: Crawler
    settings_obj: config_mod.Settings
    stop_after: int
    noted_problems: list[CrawlProblem]
    requests_for_url: Callable[[str], Iterable[Request]]
    start_account: Callable[[Listing], Iterable[Request]]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        prefix = crawler.settings.get("PODIUM_REDIS_PREFIX") or "podium"
        spider.redis_key = start_key(prefix, spider.name)
        spider.post_runs = {}
        spider.requests_done = 0
        spider.errors = 0
        spider.setup_redis(crawler)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        """A request of a run the duplicate filter dropped: counted, never done, so done now.

        It cannot bring the count to zero: the page that yielded it is not done yet.
        """
        run = request.meta.get(RUN)
        if run is not None:
            board().done(int(run))

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """The platform's politeness, its delay left to the budget all workers share."""
        super().update_settings(settings)
        # crawler.ratelimit spaces requests download_delay apart across every worker; a delay
        # per worker on top would only slow one worker down, not the platform's total.
        settings.set("DOWNLOAD_DELAY", 0.0, priority="spider")

    async def start(self) -> Any:
        """Jobs waiting in Redis now; later ones arrive whenever the spider is idle."""
        for request in self.next_requests():
            yield request

    def make_request_from_data(self, data: bytes) -> Request:
        """A job from the scheduler, as the one request that starts it."""
        job = json.loads(data)
        run = int(job["run_id"])
        return Request(
            "data:,job",
            callback=self.queued_callback,
            errback=self.queued_errback,
            dont_filter=True,
            priority=-10,  # pages of runs already going come first
            cb_kwargs={"job": job},
            meta={RUN: run, CALLBACK: "start_job", ERRBACK: "request_failed", "job": True},
        )

    # --- a job's first requests ---------------------------------------------------------------

    def start_job(self, response: Response, job: dict[str, Any]) -> Iterator[Any]:
        """The first requests of one job: its URLs, its news source or its accounts."""
        run = int(job["run_id"])
        if job.get("urls"):
            for url in str(job["urls"]).split():
                try:
                    yield from self.requests_for_url(url)
                except UnfetchableURL as exc:
                    yield CrawlProblem(f"cannot fetch: {exc}", url, self.platform, run_id=run)
            return
        if self.name == "news":
            yield from self.source_requests(job.get("source"))
            return
        for athlete, handle in self.job_accounts(job):
            known = self.known_posts.fresh(handle)
            full = _flag(job.get("full", False))
            listing = Listing(athlete, handle, known, self.stop_after, full)
            yield from self.start_account(listing)

    def job_accounts(self, job: dict[str, Any]) -> list[tuple[str | None, str]]:
        """(athlete, handle) of the accounts a job names: one handle, or an athlete's."""
        if job.get("handle"):
            return [(job.get("athlete"), str(job["handle"]).lstrip("@"))]
        roster = config_mod.load_roster(self.settings_obj.roster_path)
        return [
            (a.slug, acc.handle)
            for a in roster.athletes
            if job.get("athlete") in (None, a.slug)
            for acc in a.accounts
            if acc.platform == self.platform
        ]

    # --- every page of a run ------------------------------------------------------------------

    def queued(self, request: Request, run: int) -> Request:
        """``request`` as a request of ``run``: its callbacks by name in its meta."""
        if request.meta.get(RUN) == run and request.callback == self.queued_callback:
            return request
        meta = {
            **request.meta,
            RUN: run,
            CALLBACK: _name(request.callback, "parse"),
            ERRBACK: _name(request.errback, "request_failed"),
        }
        return request.replace(
            callback=self.queued_callback, errback=self.queued_errback, meta=meta
        )

    def tag(self, obj: Any, run: int) -> Any:
        """What a page yielded, tagged with its run; a request counted into the run first."""
        if isinstance(obj, Request):
            board().add(run)
            return self.queued(obj, run)
        if isinstance(obj, RawPost):
            self.post_runs[post_key(obj)] = run
        elif isinstance(obj, CrawlProblem | ListingDone | ArticleStep) and obj.run_id is None:
            obj.run_id = run
        return obj

    def _drained(self, run: int) -> Iterator[Any]:
        noted, self.noted_problems[:] = list(self.noted_problems), []
        for problem in noted:
            yield self.tag(problem, run)

    def queued_callback(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A page of a run: its callback's output tagged, then ``PageDone``."""
        run, name = int(response.meta[RUN]), response.meta[CALLBACK]
        fetched = not response.meta.get("job")
        self.requests_done += 1
        try:
            for obj in getattr(self, name)(response, **kwargs) or ():
                yield self.tag(obj, run)
        except Exception as exc:  # noqa: BLE001 - kept as a problem of the run, never silenced
            # What the callback had not yielded yet is lost: a problem of the run, kept.
            self.errors += 1
            yield CrawlProblem(
                f"error in {name}: {type(exc).__name__}: {str(exc)[:300]}",
                response.url if fetched else None,
                self.platform,
                response.body if fetched else None,
                run_id=run,
            )
        yield from self._drained(run)
        yield PageDone(run, fetched=fetched)

    def queued_errback(self, failure: Failure) -> Iterator[Any]:
        """A request of a run that failed for good: its errback's output tagged, then
        ``PageDone``."""
        request: Request = failure.request  # type: ignore[attr-defined]
        run, name = int(request.meta[RUN]), request.meta[ERRBACK]
        self.requests_done += 1
        self.errors += 1
        try:
            for obj in getattr(self, name)(failure) or ():
                yield self.tag(obj, run)
        except Exception as exc:  # noqa: BLE001 - kept as a problem of the run, never silenced
            yield CrawlProblem(
                f"error in {name}: {type(exc).__name__}: {str(exc)[:300]}",
                request.url,
                self.platform,
                run_id=run,
            )
        yield PageDone(run, fetched=False)

    def pending_article(self, item: ArticleItem) -> SharedPendingArticle:
        """An article's follow-ups counted in Redis (news)."""
        rb = board()
        n = rb.client.incr(f"{rb.prefix}:article-seq")
        return SharedPendingArticle(article_key(rb.prefix, int(n)), item, None)


def queued_spider(cls: type[AthleteSpider]) -> type[AthleteSpider]:
    """``cls`` as a worker runs it: same name, jobs and requests through Redis."""
    return type(cls.__name__, (QueuedSpider, cls), {"__module__": cls.__module__})
