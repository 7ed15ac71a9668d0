"""Instagram: an account's posts through web_profile_info and the v1 user feed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from archive.platforms.instagram import shortcode_from_url
from crawler.items import CrawlProblem
from crawler.spiders.base import AthleteSpider, Listing, UnfetchableURL

# The web app's id: web_profile_info answers only requests that carry it.
_WEB_APP_HEADERS = {"X-IG-App-ID": "936619743392459"}
_FEED_COUNT = 12


class InstagramSpider(AthleteSpider):
    """Instagram accounts, newest first.

    Source: ``/api/v1/users/web_profile_info/?username=…`` (the account and its first 12 posts,
    edge format), then ``/api/v1/feed/user/<user id>/?count=12&max_id=…`` (v1 items); one post
    through ``/p/<shortcode>/?__a=1&__d=dis``.
    Access: logged-out web endpoints with the web app id header; best effort (Instagram often
    answers 401/429 or a login wall to logged-out clients).
    Pagination: ``end_cursor`` of the profile, then ``next_max_id`` while ``more_available``.
    Fields not available: shares and saves; likes when the owner hides them; sound on
    non-reels.
    Caveats: a profile or feed page that fails ends the listing incomplete (nothing marked
    deleted); a ``--url`` of a post that answers 404 is a problem, not a deletion (a logged-out
    404 can also be a private account or a login wall).
    """

    name = "instagram"
    platform = "instagram"

    def profile_url(self, handle: str) -> str:
        return f"{self.base_url}/api/v1/users/web_profile_info/?{urlencode({'username': handle})}"

    def feed_url(self, user_id: str, max_id: str) -> str:
        query = urlencode({"count": _FEED_COUNT, "max_id": max_id})
        return f"{self.base_url}/api/v1/feed/user/{user_id}/?{query}"

    def start_account(self, listing: Listing) -> Iterable[Request]:
        yield Request(
            self.profile_url(listing.handle),
            headers=_WEB_APP_HEADERS,
            callback=self.parse_web_profile_info,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing},
        )

    def requests_for_url(self, url: str) -> Iterable[Request]:
        code = shortcode_from_url(url)
        if code is None:
            raise UnfetchableURL("not an Instagram post URL")
        yield Request(
            f"{self.base_url}/p/{code}/?__a=1&__d=dis",
            headers=_WEB_APP_HEADERS,
            callback=self.parse_post,
            cb_kwargs={"shortcode": code},
        )

    # --- callbacks --------------------------------------------------------------------------

    def parse_web_profile_info(self, response: Response, listing: Listing) -> Iterator[Any]:
        result = self.read(response, parser_kind="web_profile_info")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        user_id = result.accounts[0].platform_account_id if result.accounts else None
        yield from self.next_page(result, listing, user_id)

    def parse_user_feed(self, response: Response, listing: Listing, user_id: str) -> Iterator[Any]:
        result = self.read(response, parser_kind="user_feed")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        yield from self.next_page(result, listing, user_id)

    def next_page(self, result: Any, listing: Listing, user_id: str | None) -> Iterator[Any]:
        """The page's posts, then the next feed page or the end of the listing."""
        yield from self.listed_posts(result, listing)
        if result.has_more and result.next_cursor and result.posts and user_id is None:
            yield from self.give_up(
                listing,
                CrawlProblem(
                    reason="Instagram profile without a user id: cannot page on",
                    url=None,
                    platform=self.platform,
                ),
            )
        elif result.has_more and result.next_cursor and result.posts and not listing.should_stop:
            yield Request(
                self.feed_url(str(user_id), result.next_cursor),
                headers=_WEB_APP_HEADERS,
                callback=self.parse_user_feed,
                errback=self.listing_failed,
                cb_kwargs={"listing": listing, "user_id": str(user_id)},
            )
        else:
            yield self.end_listing(listing, complete=not listing.should_stop)

    def parse_post(self, response: Response, shortcode: str) -> Iterator[Any]:
        result = self.read(response, parser_kind="post")
        if isinstance(result, CrawlProblem):
            result.detail["platform_post_id"] = shortcode
            yield result
            return
        yield from result.posts
