"""Mastodon: an account's public statuses through its home instance's REST API."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy import Request
from scrapy.http import Response

from archive.platforms import mastodon
from crawler.items import CrawlProblem
from crawler.spiders.base import AthleteSpider, Listing, UnfetchableURL

# https://instance/@user/123 (also @user@other.instance), and the API form /api/v1/statuses/123
_STATUS_PAGE = re.compile(r"^/@[^/]+/(?P<id>\d+)/?$")
_STATUS_API = re.compile(r"^(?P<prefix>.*)/api/v1/statuses/(?P<id>\d+)/?$")
_MAX_LIMIT = 40


class MastodonSpider(AthleteSpider):
    """Mastodon accounts (``user@instance``), newest first, boosts left out.

    Source: ``/api/v1/accounts/lookup?acct=user@instance``, then
    ``/api/v1/accounts/:id/statuses?limit=…&exclude_reblogs=true``; one status through
    ``/api/v1/statuses/:id``. Each account is asked at its own instance (``https://<instance>``);
    a configured base URL (``PODIUM_MASTODON_BASE_URL``) replaces every instance.
    Access: anonymous public API (instances that forbid unauthenticated reads answer 401: a
    problem, the listing ends incomplete).
    Pagination: the ``Link`` header's ``rel="next"`` (``max_id``), until a page is empty or has no
    next link.
    Fields not available: views and saves; ``pinned`` (only sent to the owner's token).
    Caveats: the archive id is the status ``uri``; the API wants the instance-local id, so a
    ``--url`` of a status that is gone (404) is a problem, not a deletion (deletions come from
    full sweeps).
    """

    name = "mastodon"
    platform = "mastodon"

    def instance_base(self, host: str | None) -> str | None:
        """Where to ask: the configured base URL, else the instance itself."""
        if self.base_url:
            return self.base_url
        return f"https://{host}" if host else None

    def statuses_url(self, base: str, account_id: str, max_id: str | None = None) -> str:
        query: dict[str, Any] = {
            "limit": min(self.page_size, _MAX_LIMIT),
            "exclude_reblogs": "true",
        }
        if max_id:
            query["max_id"] = max_id
        return f"{base}/api/v1/accounts/{account_id}/statuses?{urlencode(query)}"

    def start_account(self, listing: Listing) -> Iterable[Any]:
        _, _, host = listing.handle.partition("@")
        base = self.instance_base(host)
        if base is None:
            yield from self.give_up(
                listing,
                CrawlProblem(
                    reason="Mastodon handle without an instance (user@instance)",
                    url=None,
                    platform=self.platform,
                ),
            )
            return
        yield Request(
            f"{base}/api/v1/accounts/lookup?{urlencode({'acct': listing.handle})}",
            callback=self.parse_account,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing, "base": base},
        )

    def requests_for_url(self, url: str) -> Iterable[Request]:
        parts = urlsplit(url)
        api = _STATUS_API.match(f"{parts.scheme}://{parts.netloc}{parts.path}")
        page = _STATUS_PAGE.match(parts.path)
        if api is not None:
            status_url = api.group(0)
        elif page is not None and (base := self.instance_base(parts.hostname)):
            status_url = f"{base}/api/v1/statuses/{page['id']}"
        else:
            raise UnfetchableURL("not a Mastodon status URL")
        yield Request(status_url, callback=self.parse_status)

    # --- callbacks --------------------------------------------------------------------------

    def parse_account(self, response: Response, listing: Listing, base: str) -> Iterator[Any]:
        result = self.read(response, parser_kind="account")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        local_id = result.accounts[0].listing_key if result.accounts else None
        if not local_id:
            yield from self.give_up(
                listing,
                CrawlProblem(
                    reason="Mastodon account lookup: no id",
                    url=response.url,
                    platform=self.platform,
                    body=response.body,
                ),
            )
            return
        yield Request(
            self.statuses_url(base, local_id),
            callback=self.parse_statuses,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing, "base": base, "account_id": local_id},
        )

    def parse_statuses(
        self, response: Response, listing: Listing, base: str, account_id: str
    ) -> Iterator[Any]:
        result = self.read(response, parser_kind="statuses")
        if isinstance(result, CrawlProblem):
            yield from self.give_up(listing, result)
            return
        yield from self.listed_posts(result, listing)
        link = (response.headers.get(b"Link") or b"").decode("latin-1")
        max_id = mastodon.next_max_id(link)
        if result.posts and max_id and not listing.should_stop:
            yield Request(
                self.statuses_url(base, account_id, max_id),
                callback=self.parse_statuses,
                errback=self.listing_failed,
                cb_kwargs={"listing": listing, "base": base, "account_id": account_id},
            )
        else:
            yield self.end_listing(listing, complete=not listing.should_stop)

    def parse_status(self, response: Response) -> Iterator[Any]:
        result = self.read(response, parser_kind="status")
        if isinstance(result, CrawlProblem):
            yield result
            return
        yield from result.posts
