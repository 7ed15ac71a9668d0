"""YouTube: a channel's videos through its public Atom feed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawler.items import CrawlProblem
from crawler.spiders.base import AthleteSpider, Listing, UnfetchableURL

_CHANNEL_URL = re.compile(r"youtube\.com/channel/(UC[\w-]+)|[?&]channel_id=(UC[\w-]+)")


#: YouTube's channel feed holds the latest 15 videos, newest first.
FEED_LIMIT = 15


class YoutubeSpider(AthleteSpider):
    """YouTube channels (the roster handle is the ``UC…`` channel id).

    Source: ``/feeds/videos.xml?channel_id=…`` (Atom, ``yt:``/``media:`` namespaces).
    Access: public feed, no API key.
    Pagination: none: the feed is one page.
    Fields not available: comments, shares, saves, duration, language; the like count is
    ``media:starRating/@count``.
    Caveats: a feed that parses closes a complete listing, so a full sweep marks videos it no
    longer shows as deleted. The real feed holds only the 15 latest videos: against
    youtube.com, older videos would look deleted to a full sweep unless reconciliation is
    limited to the window the feed covers (posts newer than its oldest entry). There is no
    one-video endpoint without a key: a ``--url`` must name a channel (``/channel/UC…`` or a
    feed URL).
    """

    name = "youtube"
    platform = "youtube"

    def feed_url(self, channel_id: str) -> str:
        return f"{self.base_url}/feeds/videos.xml?{urlencode({'channel_id': channel_id})}"

    def start_account(self, listing: Listing) -> Iterable[Request]:
        yield Request(
            self.feed_url(listing.handle),
            callback=self.parse_channel_feed,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing},
        )

    def requests_for_url(self, url: str) -> Iterable[Request]:
        m = _CHANNEL_URL.search(url)
        if m is None:
            raise UnfetchableURL("not a YouTube channel or feed URL (videos have no feed)")
        channel_id = m[1] or m[2]
        yield from self.start_account(self.open_listing(None, channel_id))

    def parse_channel_feed(self, response: Response, listing: Listing) -> Iterator[Any]:
        result = self.read(response, parser_kind="channel_feed")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        yield from self.listed_posts(result, listing)
        # A full feed may have dropped older videos: judge only what it still covers.
        window = result.posts[-1].posted_at if len(result.posts) >= FEED_LIMIT else None
        yield self.end_listing(listing, complete=True, window_start=window)
