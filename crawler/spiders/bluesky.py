"""Bluesky: an account's posts through the public AppView (no login)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawler.items import CrawlProblem
from crawler.spiders.base import AthleteSpider, Listing, UnfetchableURL

_POST_URL = re.compile(r"/profile/(?P<actor>[^/]+)/post/(?P<rkey>[A-Za-z0-9]+)")


class BlueskySpider(AthleteSpider):
    """Bluesky author feeds.

    Source: ``app.bsky.feed.getAuthorFeed`` and ``getPostThread`` on the public AppView.
    Access: public API, no token.
    Pagination: ``cursor`` from each page, until a page comes back without one.
    Fields not available: views and saves (Bluesky has none).
    Caveats: records are immutable, so captions are never edited; reposts are skipped;
    a pinned post comes first with ``reason: reasonPin`` (``includePins``).
    """

    name = "bluesky"
    platform = "bluesky"

    def feed_url(self, handle: str, cursor: str | None = None) -> str:
        query = {
            "actor": handle,
            "limit": self.page_size,
            "filter": "posts_and_author_threads",
            "includePins": "true",
        }
        if cursor:
            query["cursor"] = cursor
        return f"{self.base_url}/xrpc/app.bsky.feed.getAuthorFeed?{urlencode(query)}"

    def start_account(self, listing: Listing) -> Iterable[Request]:
        yield Request(
            self.feed_url(listing.handle),
            callback=self.parse_author_feed,
            cb_kwargs={"listing": listing},
            errback=self.listing_failed,
        )

    def requests_for_url(self, url: str) -> Iterable[Request]:
        m = _POST_URL.search(url)
        if m is None:
            raise UnfetchableURL("not a Bluesky post URL")
        uri = f"at://{m['actor']}/app.bsky.feed.post/{m['rkey']}"
        yield Request(
            f"{self.base_url}/xrpc/app.bsky.feed.getPostThread?"
            f"{urlencode({'uri': uri, 'depth': 0})}",
            callback=self.parse_post_thread,
        )

    def parse_author_feed(self, response: Response, listing: Listing) -> Iterator[Any]:
        result = self.read(response, parser_kind="author_feed")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        yield from self.listed_posts(result, listing)
        if result.next_cursor and not listing.should_stop and result.posts:
            yield Request(
                self.feed_url(listing.handle, result.next_cursor),
                callback=self.parse_author_feed,
                cb_kwargs={"listing": listing},
                errback=self.listing_failed,
            )
        else:
            yield self.end_listing(listing, complete=not listing.should_stop)

    def parse_post_thread(self, response: Response) -> Iterator[Any]:
        result = self.read(response, parser_kind="post_thread")
        if isinstance(result, CrawlProblem):
            yield result
            return
        yield from result.posts
