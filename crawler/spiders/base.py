"""AthleteSpider: roster-driven start requests, politeness from config, the stop rule."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from archive import config as config_mod
from archive.errors import ParseError
from archive.platforms import parse_payload
from archive.records import ParseResult
from crawler.failures import describe_failure
from crawler.items import CrawlProblem, ListingDone, RawPost


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class UnfetchableURL(ValueError):
    """A ``--url`` this spider cannot fetch (not a post URL of its platform, a video without a
    feed): the crawl keeps it as a problem, never drops it with a log line."""


@dataclass
class Listing:
    """Where one account's listing stands: the stop rule and, for a full sweep, the ids seen.

    Pinned posts sit at the top of a listing whatever their age, so they neither count as
    known nor break a run of known posts: the crawl stops after ``stop_after`` consecutive
    known posts, not at the first.
    """

    athlete: str | None
    handle: str
    known: set[str]
    stop_after: int
    full: bool
    seen: list[str] = field(default_factory=list)
    known_in_a_row: int = 0
    pages: int = 0
    #: What made this listing untrustworthy although it ended normally (an empty page that
    #: still pointed to a next one): it then marks nothing deleted and is not "read".
    doubt: str | None = None
    #: Why it broke off, when it did (the problem that ended it).
    reason: str | None = None

    def see(self, post: RawPost) -> None:
        """Take one listed post into account."""
        if post.platform_post_id:
            self.seen.append(post.platform_post_id)
        if post.is_pinned:
            return
        if post.platform_post_id in self.known:
            self.known_in_a_row += 1
        else:
            self.known_in_a_row = 0

    @property
    def should_stop(self) -> bool:
        """True once an incremental crawl has reached what the archive already holds."""
        return not self.full and self.known_in_a_row >= self.stop_after

    def done(self, platform: str, *, complete: bool, window_start: Any = None) -> ListingDone:
        """The item that closes this listing (a full sweep reconciles deletions from it)."""
        return ListingDone(
            platform,
            self.handle,
            list(self.seen),
            complete,
            self.full,
            window_start,
            caught_up=not complete and self.should_stop,
            doubt=self.doubt,
            pages=self.pages,
            reason=self.reason,
        )


class AthleteSpider(Spider):
    """Base of the platform spiders.

    Arguments (``-a name=value``): ``athlete`` (a roster slug: only that athlete), ``handle``
    (one account, outside the roster too), ``urls`` (posts or pages to fetch, separated by
    spaces, commas or newlines), ``full`` (1: read whole listings and reconcile deletions).
    """

    platform: ClassVar[str] = ""

    def __init__(
        self,
        athlete: str | None = None,
        handle: str | None = None,
        urls: str | None = None,
        full: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings_obj = config_mod.load()
        self.athlete = athlete
        self.full_sweep = _flag(full)
        self.urls = [u for u in re.split(r"[\s,]+", urls or "") if u]
        self.handle = handle.lstrip("@") if handle else None
        self.base_url = self.settings_obj.platform(self.platform or self.name).base_url
        self.stop_after = self.settings_obj.crawl.stop_after_known
        self.started_at = datetime.now(UTC)
        self.target = f"{self.name}:{athlete or handle or ('urls' if self.urls else 'roster')}"
        self.page_size = self.settings_obj.platform(self.platform or self.name).page_size
        #: Listings started and not yet closed: one still open when the crawl ends broke off
        #: (a callback raised, a request vanished) and the run is not ``finished``.
        self.open_listings: dict[str, Listing] = {}
        #: Problems noticed while reading a response, for the middleware to yield as items.
        self.noted_problems: list[CrawlProblem] = []

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Politeness per platform, from config/podium.toml."""
        super().update_settings(settings)
        p = config_mod.load().platform(cls.platform or cls.name)
        settings.set("DOWNLOAD_DELAY", p.download_delay, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", p.concurrency, priority="spider")
        settings.set("AUTOTHROTTLE_ENABLED", p.autothrottle, priority="spider")
        settings.set("RETRY_TIMES", p.retry_times, priority="spider")
        settings.set("ROBOTSTXT_OBEY", p.obey_robots, priority="spider")

    # --- what to crawl -----------------------------------------------------------------

    def accounts(self) -> list[tuple[str | None, str]]:
        """(athlete slug, handle) of every roster account on this spider's platform."""
        if self.handle:
            return [(self.athlete, self.handle)]
        roster = config_mod.load_roster(self.settings_obj.roster_path)
        if self.athlete:
            roster.require_athlete(self.athlete, str(self.settings_obj.roster_path))
        return [
            (a.slug, acc.handle)
            for a in roster.athletes
            if self.athlete in (None, a.slug)
            for acc in a.accounts
            if acc.platform == self.platform
        ]

    async def start(self) -> AsyncIterator[Any]:
        """Requests for the given URLs, or for every roster account on this platform."""
        if self.urls:
            for url in self.urls:
                try:
                    requests = list(self.requests_for_url(url))
                except UnfetchableURL as exc:  # kept as a problem: the run falls short, says why
                    yield CrawlProblem(
                        reason=f"cannot fetch: {exc}", url=url, platform=self.platform
                    )
                    continue
                for request in requests:
                    yield request
            return
        for athlete, handle in self.accounts():
            listing = self.open_listing(athlete, handle)
            for request in self.start_account(listing):
                yield request

    def open_listing(self, athlete: str | None, handle: str) -> Listing:
        """Start one account's listing with what the archive already holds of it."""
        listing = Listing(athlete, handle, self.known_ids(handle), self.stop_after, self.full_sweep)
        self.open_listings[handle] = listing
        return listing

    def known_ids(self, handle: str) -> set[str]:
        """What the archive holds for this account (through the ArchiveKnowledge extension)."""
        known = getattr(self, "known_posts", None)
        return set() if known is None else known.for_account(handle)

    def start_account(self, listing: Listing) -> Iterable[Request]:
        """The first request(s) of one account's listing."""
        raise NotImplementedError

    def requests_for_url(self, url: str) -> Iterable[Request]:
        """Request(s) that fetch one post or page given by URL; :class:`UnfetchableURL` when this
        spider cannot fetch what the URL names."""
        raise NotImplementedError

    # --- helpers for callbacks ---------------------------------------------------------

    def read(
        self,
        response: Response,
        *,
        parser_kind: str | None = None,
        platform: str | None = None,
    ) -> ParseResult | CrawlProblem:
        """Parse a response with archive.platforms, or a CrawlProblem saying why not."""
        if response.status >= 400:
            return CrawlProblem(
                reason=f"HTTP {response.status}",
                url=response.url,
                platform=platform or self.platform,
                body=response.body,
            )
        try:
            result = parse_payload(
                response.body,
                url=response.url,
                platform=platform or self.platform,
                parser_kind=parser_kind,
            )
        except ParseError as exc:
            return CrawlProblem(
                reason=str(exc),
                url=response.url,
                platform=platform or self.platform,
                body=response.body,
            )
        # What the parser's final check dropped or cleared: kept as problems with the page
        # (crawler.middlewares.EveryRequestAnswered yields them after the callback's output).
        for note in result.problems:
            self.noted_problems.append(
                CrawlProblem(
                    reason=f"part of a page dropped: {note}",
                    url=response.url,
                    platform=platform or self.platform,
                    body=response.body,
                )
            )
        return result

    def listed_posts(self, result: ParseResult, listing: Listing) -> Iterator[RawPost]:
        """The account's own posts of one listing page, taken into the stop rule.

        Reposts are not the athlete's posts: they are skipped (and counted in the stats).
        """
        listing.pages += 1
        if not result.posts and result.next_cursor:
            listing.doubt = f"page {listing.pages} of the listing was empty but pointed to a next"
        for post in result.posts:
            if post.is_repost:
                self.crawler.stats.inc_value("podium/reposts_skipped")
                continue
            post.athlete_slug = listing.athlete
            listing.see(post)
            yield post

    def give_up(self, listing: Listing, problem: CrawlProblem) -> Iterator[Any]:
        """A listing that cannot go on: the problem, kept, and the listing closed incomplete."""
        problem.detail.setdefault("handle", listing.handle)
        listing.reason = problem.reason
        yield problem
        yield self.end_listing(listing, complete=False)

    def listing_failed(self, failure: Failure) -> Iterator[Any]:
        """Errback of listing requests that failed for good (network, DNS, robots.txt).

        The request carries its ``listing`` in ``cb_kwargs``: the listing ends, incomplete, so
        a full sweep marks nothing deleted from it.
        """
        request = failure.request  # type: ignore[attr-defined]
        listing: Listing = request.cb_kwargs["listing"]
        yield from self.give_up(
            listing,
            CrawlProblem(reason=describe_failure(failure), url=request.url, platform=self.platform),
        )

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        """Errback of every other request (``crawler.middlewares.EveryRequestAnswered``): a
        post, page or feed that could not be fetched is a problem, never silence."""
        request = failure.request  # type: ignore[attr-defined]
        yield CrawlProblem(
            reason=describe_failure(failure), url=request.url, platform=self.platform
        )

    def end_listing(
        self, listing: Listing, *, complete: bool, window_start: Any = None
    ) -> ListingDone:
        """Close an account's listing (complete: read to its end without a block or error)."""
        self.open_listings.pop(listing.handle, None)
        self.logger.info(
            "%s %s: %d pages, %d posts listed%s",
            self.platform,
            listing.handle,
            listing.pages,
            len(listing.seen),
            "" if complete else " (incomplete: nothing marked deleted)",
        )
        return listing.done(self.platform, complete=complete, window_start=window_start)
