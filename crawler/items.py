"""The items spiders may yield; RawPost is archive.records' one definition of a post."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.records import RawArticle, RawPost

__all__ = ["ArticleItem", "CrawlProblem", "ListingDone", "RawPost"]


@dataclass(slots=True)
class CrawlProblem:
    """A page that could not be parsed (kingfisher's FileError idea), kept as a ``problem`` row."""

    reason: str
    url: str | None
    platform: str | None
    body: bytes | None = None
    detail: dict[str, object] = field(default_factory=dict)


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

    @property
    def read_as_asked(self) -> bool:
        """Whether every post the listing should show was read (and so is now stored)."""
        return (self.complete or self.caught_up) and not self.doubt
