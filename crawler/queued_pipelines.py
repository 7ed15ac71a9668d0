"""The pipelines of ``podium worker``: the same Validate -> Normalize -> Store, per queued run.

A worker's spider serves run after run of many accounts at once, so what ``StorePipeline`` keeps
per crawl is kept here per run: a batch of posts per run, counts, problems and shortfalls in the
run's hash in Redis (``archive.queued_runs.RunBoard``). A page is done when ``PageDone`` arrives:
the run's posts are stored first, then the run's count goes down; the worker that brings it to
zero applies how the run's listings ended (watermarks, a full sweep's deletions) and closes the
``crawl_run`` row, ``finished`` or ``incomplete``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from scrapy.http import Response
from twisted.python.failure import Failure

from archive import store
from archive.queued_runs import RunBoard
from archive.records import NormalizedPost, RunStatus
from crawler import queued
from crawler.items import ArticleItem, ArticleStep, CrawlProblem, ListingDone, PageDone, RawPost
from crawler.pipelines import StorePipeline, ValidatePipeline

log = logging.getLogger(__name__)


class QueuedValidatePipeline(ValidatePipeline):
    """Validation without the crawl-wide duplicate set (it would span every run the worker
    serves); ``QueuedStorePipeline`` drops a post seen twice in one run's batch."""

    def process_item(self, item: Any) -> Any:
        self.seen.clear()
        return super().process_item(item)


class QueuedStorePipeline(StorePipeline):
    """``StorePipeline`` per queued run; see the module docstring."""

    def open_spider(self) -> None:
        # Inline: a worker stores on the reactor thread, run by run. StorePipeline's batch,
        # result and shortfalls are set per run around each of its helpers' calls.
        self._open_archive(threaded=False)
        self.board: RunBoard = queued.board()
        self.batches: dict[int, dict[tuple[str, str, str], NormalizedPost]] = {}
        self.run_id = 0
        self.current_run: int | None = None

    def _run_of(self, item: Any) -> int | None:
        runs = getattr(self.crawler.spider, "post_runs", {})
        if isinstance(item, RawPost | NormalizedPost):
            return runs.get((item.platform, item.platform_post_id or "", item.source_kind))
        return getattr(item, "run_id", None)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, NormalizedPost):
            key = (item.platform, item.platform_post_id, item.source_kind)
            run = self.crawler.spider.post_runs.pop(key, None)  # type: ignore[union-attr]
            if item.repairs:
                self.current_run = run
                body = item.payload.body if item.payload else None
                detail: dict[str, object] = {"platform_post_id": item.platform_post_id}
                self._repaired(item.repairs, item.source_url, item.platform, body, detail)
            batch = self.batches.setdefault(run or 0, {})
            batch[key] = item  # a post listed twice in a run is stored once, as last seen
            self._inc("podium/posts")
            if len(batch) >= self.batch_size:
                self.flush_run(run or 0)
        elif isinstance(item, CrawlProblem):
            self._problem(item)
        elif isinstance(item, ListingDone):
            self.flush_run(item.run_id or 0)
            if item.run_id:
                self.board.defer_listing(item.run_id, dataclasses.asdict(item))
        elif isinstance(item, ArticleStep):
            self._article_step(item)
        elif isinstance(item, ArticleItem):
            self.flush_all()
            self._article(item)
        elif isinstance(item, PageDone):
            self._page_done(item)
        return item

    # --- storing per run ----------------------------------------------------------------------

    def flush_run(self, run: int) -> None:
        """Store the run's pending posts; counts and shortfalls go to the run's hash."""
        pending = self.batches.pop(run, None)
        if not pending:
            return
        self.batch, self.result, self.batch_lost = (
            list(pending.values()),
            store.BatchResult(),
            False,
        )
        self.current_run = run or None
        before = len(self.shortfalls)
        super().flush()
        lost, self.batch_lost = self.batch_lost, False
        new_lines, self.shortfalls[before:] = self.shortfalls[before:], []
        if run:
            r = self.result
            self.board.count(run, new=r.new, updated=r.updated, unchanged=r.unchanged)
            for line in new_lines:
                self.board.shortfall(run, line)
            if lost:
                self.board.client.hset(self.board.key(run), "batch_lost", 1)

    def flush_all(self) -> None:
        """Store every run's pending posts."""
        for run in list(self.batches):
            self.flush_run(run)

    def flush(self) -> None:
        """StorePipeline's flush, as this pipeline does it: every run's batch."""
        if self.batch:  # called from StorePipeline's own code with a batch set up
            super().flush()
            return
        self.flush_all()

    def _problem(self, item: CrawlProblem, *, lost: bool = True) -> None:
        run = item.run_id or self.current_run
        self.run_id = run or 0
        before = len(self.shortfalls)
        super()._problem(item, lost=lost)
        new_lines, self.shortfalls[before:] = self.shortfalls[before:], []
        if run:
            for line in new_lines:
                self.board.shortfall(run, line)

    def _article_step(self, step: ArticleStep) -> None:
        """A follow-up of an article is done: its posts are stored now; the last one stores
        the article, which then finds every embedded post in the archive."""
        self.flush_run(step.run_id or 0)
        left = int(self.board.client.decr(step.key))
        if left <= 0:
            self.board.client.delete(step.key)
            self.flush_all()
            self.current_run = step.run_id
            self.result = store.BatchResult()
            self._article(step.item)

    # --- the run's count ----------------------------------------------------------------------

    def _page_done(self, page: PageDone) -> None:
        self.flush_run(page.run_id)
        if page.fetched:
            self.board.count(page.run_id, pages=1)
        if self.board.done(page.run_id) == 0:
            self.finish_run(page.run_id)

    def finish_run(self, run: int) -> None:
        """The run's last page is done: apply how its listings ended, close its row."""
        totals = self.board.totals(run)
        spider = self.crawler.spider
        kept = getattr(spider, "started_at", None)
        self.run_id, self.current_run, self.deleted = run, run, 0
        self.batch_lost = bool(self.board.client.hget(self.board.key(run), "batch_lost"))
        try:
            # A full sweep judges posts first seen before the run started, not the worker.
            if spider is not None and totals.started is not None:
                spider.started_at = totals.started  # type: ignore[attr-defined]
            for data in totals.listings:
                before = len(self.shortfalls)
                self._listing_done(ListingDone(**data))
                new_lines, self.shortfalls[before:] = self.shortfalls[before:], []
                for line in new_lines:
                    self.board.shortfall(run, line)
        finally:
            if spider is not None and kept is not None:
                spider.started_at = kept  # type: ignore[attr-defined]
            self.batch_lost = False
        if self.deleted:
            self.board.count(run, deleted=self.deleted)
        totals = self.board.totals(run)
        counts = totals.counts
        status: RunStatus = "incomplete" if totals.shortfalls else "finished"
        store.finish_crawl_run(
            self.engine,
            run,
            status=status,
            reason="finished" if status == "finished" else f"{totals.shortfalls} shortfalls",
            pages=counts["pages"],
            result=store.BatchResult(counts["new"], counts["updated"], counts["unchanged"]),
            deleted=counts["deleted"],
            errors="\n".join(totals.shortfall_lines) or None,
            only_if_running=True,
        )
        self.board.forget(run)
        log.info("run %d %s: %d pages, %d new", run, status, counts["pages"], counts["new"])

    # --- errors outside a page's output -------------------------------------------------------

    def spider_error(self, failure: Failure, response: Response, spider: Any) -> None:
        meta = getattr(response, "meta", {}) if isinstance(response, Response) else {}
        self.current_run = meta.get(queued.RUN)
        super().spider_error(failure, response, spider)

    def item_error(
        self, item: Any, response: Response | None, spider: Any, failure: Failure
    ) -> None:
        self.current_run = self._run_of(item)
        super().item_error(item, response, spider, failure)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """A worker stopping: what it holds is stored; its runs stay open for the others."""
        try:
            self.flush_all()
        finally:
            self.engine.dispose()
