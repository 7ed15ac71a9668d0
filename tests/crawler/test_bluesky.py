"""Bluesky spider against saved demo-site responses.

Fixtures in tests/fixtures/responses/bluesky/ were captured from the offline demo site
(``demo.site.build_site(snapshot, "http://127.0.0.1:8765").get(path)``):

- author_feed_pinned.json: later, ``getAuthorFeed?actor=lottevandijk.bsky.example&limit=5…``
  (the pinned post first with ``reasonPin``, four own posts, one repost of another account);
- author_feed_last_page.json: early, the same feed from an old cursor (no ``cursor`` back);
- author_feed_malformed.json: later, Haruka's feed with a cursor (HTTP 200, truncated JSON);
- post_thread.json / post_thread_not_found.json: later, ``getPostThread`` of a post and of the
  deleted one (HTTP 400 ``NotFound``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request

from crawler.items import CrawlProblem, ListingDone, RawPost
from crawler.spiders.base import Listing
from crawler.spiders.bluesky import BlueskySpider
from tests.conftest import fixture_path
from tests.crawler.conftest import (
    DEMO_ROOT,
    collect,
    fake_response,
    of_type,
    spider_for,
    start_requests,
)

BASE = f"{DEMO_ROOT}/bluesky"
HANDLE = "lottevandijk.bsky.example"


def _listing(known: set[str] | None = None, full: bool = False) -> Listing:
    return Listing("lotte-van-dijk", HANDLE, known or set(), 3, full)


def _feed(spider: BlueskySpider, name: str, listing: Listing) -> list:
    return collect(
        spider.parse_author_feed(
            fake_response(f"bluesky/{name}", spider.feed_url(listing.handle)), listing=listing
        )
    )


def _own_uris(name: str) -> list[str]:
    feed = json.loads(fixture_path("responses", "bluesky", name).read_bytes())["feed"]
    return [
        i["post"]["uri"]
        for i in feed
        if (i.get("reason") or {}).get("$type", "").endswith("reasonPin") or not i.get("reason")
    ]


@pytest.fixture
def spider() -> BlueskySpider:
    return spider_for(BlueskySpider)


def test_roster_accounts_start_at_their_author_feeds(spider: BlueskySpider) -> None:
    requests = start_requests(spider)
    assert [parse_qs(urlsplit(r.url).query)["actor"] for r in requests] == [
        [HANDLE],
        ["mila.bsky.example"],
    ]
    assert all(r.url.startswith(f"{BASE}/xrpc/app.bsky.feed.getAuthorFeed?") for r in requests)


def test_feed_page_yields_own_posts_skips_reposts_and_pages_on(spider: BlueskySpider) -> None:
    out = _feed(spider, "author_feed_pinned.json", _listing())
    posts = of_type(out, RawPost)
    assert [p.platform_post_id for p in posts] == _own_uris("author_feed_pinned.json")
    assert all(p.author_handle == HANDLE and p.athlete_slug == "lotte-van-dijk" for p in posts)
    assert [p.is_pinned for p in posts] == [True, False, False, False, False]
    [request] = of_type(out, Request)
    assert request.callback == spider.parse_author_feed
    assert parse_qs(urlsplit(request.url).query)["cursor"] == ["2025-11-20T10:28:02.000Z"]


def test_known_posts_in_a_row_stop_paging(spider: BlueskySpider) -> None:
    uris = _own_uris("author_feed_pinned.json")
    out = _feed(spider, "author_feed_pinned.json", _listing(known={uris[0], *uris[2:]}))
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is False
    assert done.caught_up is True and done.read_as_asked  # stopped at what the archive holds


def test_an_empty_page_that_points_to_a_next_one_is_doubted(spider: BlueskySpider) -> None:
    listing = _listing(full=True)
    body = json.dumps({"feed": [], "cursor": "2025-01-01T00:00:00.000Z"}).encode()
    out = collect(
        spider.parse_author_feed(
            fake_response(body, spider.feed_url(listing.handle)), listing=listing
        )
    )
    [done] = of_type(out, ListingDone)
    assert done.doubt and not done.read_as_asked


def test_last_page_closes_a_complete_listing(spider: BlueskySpider) -> None:
    out = _feed(spider, "author_feed_last_page.json", _listing(full=True))
    [done] = of_type(out, ListingDone)
    assert done.complete is True
    assert len(done.seen_ids) == 2


def test_malformed_feed_page_is_a_problem_and_an_incomplete_listing(spider: BlueskySpider) -> None:
    out = _feed(spider, "author_feed_malformed.json", _listing(full=True))
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert "malformed JSON" in out[0].reason
    assert out[1].complete is False


def test_post_url_reads_the_thread(spider: BlueskySpider) -> None:
    [request] = spider.requests_for_url(f"https://bsky.app/profile/{HANDLE}/post/3meq57ghxe2q2")
    assert parse_qs(urlsplit(request.url).query)["uri"] == [
        f"at://{HANDLE}/app.bsky.feed.post/3meq57ghxe2q2"
    ]
    [post] = collect(
        spider.parse_post_thread(fake_response("bluesky/post_thread.json", request.url))
    )
    assert post.platform_post_id.startswith("at://did:plc:")
    [problem] = collect(
        spider.parse_post_thread(
            fake_response("bluesky/post_thread_not_found.json", request.url, status=400)
        )
    )
    assert problem.reason == "HTTP 400"


def test_what_a_parser_drops_from_a_page_follows_the_output_as_a_problem(
    spider: BlueskySpider,
) -> None:
    from crawler.middlewares import EveryRequestAnswered

    post = {
        "uri": "at://did:plc:abc/app.bsky.feed.post/3kabc",
        "cid": "c",
        "author": {"did": "did:plc:abc", "handle": HANDLE},
        "record": {"$type": "app.bsky.feed.post", "text": "Goud!", "createdAt": "not a time"},
        "indexedAt": "2025-01-01T00:00:00Z",
    }
    listing = _listing(full=True)
    response = fake_response(
        json.dumps({"feed": [{"post": post}]}).encode(), spider.feed_url(HANDLE)
    )
    middleware = EveryRequestAnswered(spider.crawler)
    out = list(
        middleware.process_spider_output(
            response, spider.parse_author_feed(response, listing=listing)
        )
    )
    [kept] = of_type(out, RawPost)
    assert kept.posted_at is None  # the bad time cleared, the post kept
    [problem] = of_type(out, CrawlProblem)
    assert problem.reason.startswith("part of a page dropped: ") and "posted_at" in problem.reason
    assert problem.body == response.body and not spider.noted_problems
