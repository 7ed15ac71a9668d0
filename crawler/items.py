"""The items spiders may yield; RawPost is archive.records' one definition of a post."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.records import RawArticle, RawPost

__all__ = ["ArticleItem", "ArticleStep", "CrawlProblem", "ListingDone", "PageDone", "RawPost"]


@dataclass(slots=True)
class CrawlProblem:
    """A page that could not be parsed (kingfisher's FileError idea), kept as a ``problem`` row."""

    reason: str
    url: str | None
    platform: str | None
    body: bytes | None = None
    detail: dict[str, object] = field(default_factory=dict)
    #: The queued crawl run it belongs to (``podium worker``); None in a crawl of its own.
    run_id: int | None = None


@dataclass(slots=True)
class ArticleItem:
    """A news article and the posts it embeds (the embedded posts arrive as RawPost items)."""

    article: RawArticle
    url: str
    body: bytes


@dataclass(slots=True)
class ListingDone:
    """How an account's listing ended; made by ``AthleteSpider.end_listing``, judged by
    ``StorePipeline`` and kept as a ``listing_run`` row.

    ``complete``: read to its end, so a full sweep may reconcile deletions. ``caught_up``: an
    incremental listing that stopped at what the archive already held. Either one, without
    ``doubt``, is read as asked: the account's watermark moves. Neither: it broke off (a block,
    an error, a 429 that never cleared) and nothing is marked deleted. ``doubt``: something odd
    about a listing that ended normally (an empty page that pointed to a next one): it is kept
    as a problem, moves no watermark and marks nothing deleted.
    """

    platform: str
    handle: str
    seen_ids: list[str]
    complete: bool
    full_sweep: bool
    #: The listing shows only posts from this time on (a YouTube feed holds the latest 15):
    #: older posts are not judged. As the platform gave it; None when the listing is whole.
    window_start: Any = None
    caught_up: bool = False
    doubt: str | None = None
    pages: int = 0
    #: Why a listing broke off (the problem that ended it), for ``listing_run``.
    reason: str | None = None
    #: The queued crawl run it belongs to (``podium worker``); None in a crawl of its own.
    run_id: int | None = None

    @property
    def read_as_asked(self) -> bool:
        """Whether every post the listing should show was read (and so is now stored)."""
        return (self.complete or self.caught_up) and not self.doubt


@dataclass(slots=True)
class PageDone:
    """The last item of one page of a queued crawl run (``podium worker``): once the pipeline has
    stored what came before it, the page counts as done for the run."""

    run_id: int
    #: False for a job's start and a request that failed: not a page of the platform.
    fetched: bool = True


@dataclass(slots=True)
class ArticleStep:
    """One follow-up of an article done on some worker: the article is stored by the worker
    that finishes the last one, after storing that follow-up's posts (``crawler.queued``)."""

    key: str
    item: ArticleItem
    run_id: int | None = None
