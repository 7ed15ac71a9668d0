"""TikTok: an account's videos through the profile page and the creator item_list API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy import Request
from scrapy.http import Response

from archive.platforms.tiktok import page_observations, post_kind_and_id
from archive.records import ParseResult
from crawler.items import CrawlProblem
from crawler.spiders.base import AthleteSpider, Listing, UnfetchableURL

# item_list cursors are milliseconds; TikTok has nothing older than September 2016 (yt-dlp).
_OLDEST_CURSOR = 1472706000000
_WEEK_MS = 7 * 24 * 3600 * 1000
_MAX_COUNT = 35


def canonical_url(url: str, what: str, post_id: str) -> str:
    """The post's tiktok.com URL: the one given when it is one, else the ``@_`` form."""
    parts = urlsplit(url)
    if (parts.hostname or "").endswith("tiktok.com"):
        return f"https://www.tiktok.com{parts.path}"
    return f"https://www.tiktok.com/@_/{what}/{post_id}"


class TiktokSpider(AthleteSpider):
    """TikTok accounts, newest first.

    Source: the profile page ``/@<handle>`` (``webapp.user-detail``: the ``secUid``), then
    ``/api/creator/item_list/?secUid=…&cursor=…&count=…&type=1``; one post through its video
    page ``/@_/video/<id>`` (``webapp.video-detail``).
    Access: public web endpoints, no login; best effort (TikTok often serves a challenge page).
    Pagination: ``cursor`` (ms) from each item_list page while ``hasMore``; a cursor that does
    not move steps back a week (yt-dlp), and nothing is older than September 2016.
    Fields not available: exact counts in item_list (``statsV2`` is only on video pages);
    item_list has no edit history (a changed ``desc`` is the only sign of an edit).
    Caveats: a profile page without data (challenge shell) or a failed item_list ends the
    listing incomplete (nothing is marked deleted). A video page that is blocked gives a
    ``blocked`` observation, never ``deleted``; one that says the video is unavailable gives
    ``deleted``. Pinned videos come first and do not count for the stop rule.
    """

    name = "tiktok"
    platform = "tiktok"

    def profile_url(self, handle: str) -> str:
        return f"{self.base_url}/@{handle}"

    def item_list_url(self, sec_uid: str, cursor: int) -> str:
        query = {
            "aid": 1988,
            "app_name": "tiktok_web",
            "device_platform": "web_pc",
            "channel": "tiktok_web",
            "secUid": sec_uid,
            "cursor": cursor,
            "count": min(self.page_size, _MAX_COUNT),
            "type": 1,
        }
        return f"{self.base_url}/api/creator/item_list/?{urlencode(query)}"

    def start_account(self, listing: Listing) -> Iterable[Request]:
        yield Request(
            self.profile_url(listing.handle),
            callback=self.parse_profile_page,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing},
        )

    def requests_for_url(self, url: str) -> Iterable[Request]:
        found = post_kind_and_id(url)
        if found is None:
            raise UnfetchableURL("not a TikTok post URL")
        what, post_id = found
        yield Request(
            f"{self.base_url}/@_/{what}/{post_id}",
            callback=self.parse_video_page,
            cb_kwargs={"post_id": post_id, "url": canonical_url(url, what, post_id)},
        )

    # --- callbacks --------------------------------------------------------------------------

    def parse_profile_page(self, response: Response, listing: Listing) -> Iterator[Any]:
        result = self.read(response, parser_kind="profile_page")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        sec_uid = result.accounts[0].listing_key if result.accounts else None
        if result.status != "ok" or not sec_uid:
            yield from self.give_up(
                listing,
                CrawlProblem(
                    reason=f"TikTok profile page: {result.status}, no secUid",
                    url=response.url,
                    platform=self.platform,
                    body=response.body,
                ),
            )
            return
        for post in result.posts:  # userInfo.itemList, when the page carries one
            post.athlete_slug = listing.athlete
            yield post
        yield Request(
            self.item_list_url(sec_uid, 0),
            callback=self.parse_item_list,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing, "sec_uid": sec_uid, "cursor": 0},
        )

    def parse_item_list(
        self, response: Response, listing: Listing, sec_uid: str, cursor: int
    ) -> Iterator[Any]:
        result = self.read(response, parser_kind="item_list")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        if result.status != "ok":
            yield from self.give_up(
                listing,
                CrawlProblem(
                    reason=f"TikTok item_list: {result.status}",
                    url=response.url,
                    platform=self.platform,
                    body=response.body,
                ),
            )
            return
        yield from self.listed_posts(result, listing)
        next_cursor = self.next_cursor(result, cursor)
        if next_cursor is not None and not listing.should_stop:
            yield Request(
                self.item_list_url(sec_uid, next_cursor),
                callback=self.parse_item_list,
                errback=self.listing_failed,
                cb_kwargs={"listing": listing, "sec_uid": sec_uid, "cursor": next_cursor},
            )
        else:
            yield self.end_listing(listing, complete=not listing.should_stop)

    @staticmethod
    def next_cursor(result: ParseResult, cursor: int) -> int | None:
        """The cursor of the next page, or None at the listing's end."""
        if not (result.has_more and result.next_cursor and result.posts):
            return None
        try:
            nxt = int(result.next_cursor)
        except ValueError:
            return None
        if cursor and nxt >= cursor:  # the same page again: step back a week (yt-dlp)
            nxt = cursor - _WEEK_MS
        return nxt if nxt >= _OLDEST_CURSOR else None

    def parse_video_page(self, response: Response, post_id: str, url: str) -> Iterator[Any]:
        result = self.read(response, parser_kind="video_page")
        if isinstance(result, CrawlProblem):
            result.detail["platform_post_id"] = post_id
            yield result
            return
        yield from page_observations(result, post_id, url, response.url)
