"""TikTok spider against saved demo-site responses.

Fixtures in tests/fixtures/responses/tiktok/ were captured from the offline demo site
(``demo.site.build_site(snapshot, "http://127.0.0.1:8765").get(path)``, 2026-02-10 data):

- profile_page.html: early, ``/tiktok/@lottevandijk``;
- profile_unknown.html: ``/tiktok/@nobody.here`` (statusCode 10221);
- item_list_page1.json: early, ``/tiktok/api/creator/item_list/?secUid=…&cursor=0&count=5&type=1``;
- item_list_pinned.json: the same in later (the pinned oldest video comes first);
- item_list_last_page.json: early, an older cursor (``hasMore: false``);
- video_page.html: early, ``/tiktok/@_/video/<id>``;
- video_page_unavailable.html: later, a deleted video (statusCode 10217);
- video_page_blocked.html: later, the HTTP-200 challenge shell "TikTok - Make Your Day".
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request

from crawler.items import CrawlProblem, ListingDone, RawPost
from crawler.spiders.base import Listing, UnfetchableURL
from crawler.spiders.tiktok import TiktokSpider
from tests.conftest import fixture_path
from tests.crawler.conftest import (
    DEMO_ROOT,
    collect,
    fake_response,
    of_type,
    spider_for,
    start_requests,
)

BASE = f"{DEMO_ROOT}/tiktok"
SEC_UID = "MS4wLjABAAAAJU3ge9do3g6PunlitLL6lDeRRJVjEwFcY9xmepLKLGMrzuRNCOBRUU5uVfWz8NFY"
PINNED_ID = "7358518568411777013"
BLOCKED_ID = "7602692730669977785"
GONE_ID = "7511065416166293649"


def _listing(known: set[str] = frozenset(), full: bool = False) -> Listing:  # type: ignore[assignment]
    return Listing("lotte-van-dijk", "lottevandijk", set(known), 3, full)


def _item_list(spider: TiktokSpider, name: str, listing: Listing, cursor: int = 0) -> list:
    url = spider.item_list_url(SEC_UID, cursor)
    return collect(
        spider.parse_item_list(
            fake_response(f"tiktok/{name}", url), listing=listing, sec_uid=SEC_UID, cursor=cursor
        )
    )


def _ids(name: str) -> list[str]:
    data = json.loads(fixture_path("responses", "tiktok", name).read_bytes())
    return [item["id"] for item in data["itemList"]]


@pytest.fixture
def spider() -> TiktokSpider:
    return spider_for(TiktokSpider)


def test_roster_accounts_start_at_their_profile_pages(spider: TiktokSpider) -> None:
    requests = start_requests(spider)
    assert [r.url for r in requests] == [f"{BASE}/@lottevandijk", f"{BASE}/@milaverhoeven10"]
    assert all(r.callback == spider.parse_profile_page for r in requests)
    assert requests[0].cb_kwargs["listing"].athlete == "lotte-van-dijk"


def test_profile_page_leads_to_item_list_with_the_secuid(spider: TiktokSpider) -> None:
    listing = _listing()
    out = collect(
        spider.parse_profile_page(
            fake_response("tiktok/profile_page.html", f"{BASE}/@lottevandijk"), listing=listing
        )
    )
    [request] = out
    assert request.callback == spider.parse_item_list
    query = parse_qs(urlsplit(request.url).query)
    assert request.url.startswith(f"{BASE}/api/creator/item_list/?")
    assert (query["secUid"], query["cursor"], query["type"]) == ([SEC_UID], ["0"], ["1"])
    assert request.cb_kwargs == {"listing": listing, "sec_uid": SEC_UID, "cursor": 0}


def test_unknown_profile_is_a_problem_and_an_incomplete_listing(spider: TiktokSpider) -> None:
    out = collect(
        spider.parse_profile_page(
            fake_response("tiktok/profile_unknown.html", f"{BASE}/@nobody.here"), listing=_listing()
        )
    )
    problem, done = out
    assert isinstance(problem, CrawlProblem)
    assert "no secUid" in problem.reason
    assert isinstance(done, ListingDone)
    assert done.complete is False


def test_challenge_shell_instead_of_profile_ends_the_listing(spider: TiktokSpider) -> None:
    out = collect(
        spider.parse_profile_page(
            fake_response("tiktok/video_page_blocked.html", f"{BASE}/@lottevandijk"),
            listing=_listing(full=True),
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert "blocked" in out[0].reason
    assert out[1].complete is False


def test_item_list_page_yields_posts_and_the_next_page(spider: TiktokSpider) -> None:
    out = _item_list(spider, "item_list_page1.json", _listing())
    posts = of_type(out, RawPost)
    assert [p.platform_post_id for p in posts] == _ids("item_list_page1.json")
    first = posts[0]
    assert (first.platform, first.athlete_slug, first.author_handle, first.source_kind) == (
        "tiktok",
        "lotte-van-dijk",
        "lottevandijk",
        "platform",
    )
    assert first.url == "https://www.tiktok.com/@lottevandijk/video/7604234655129082857"
    assert first.source_url.startswith(f"{BASE}/api/creator/item_list/")
    assert isinstance(first.posted_at, int)
    assert first.caption
    [request] = of_type(out, Request)
    assert request.callback == spider.parse_item_list
    assert parse_qs(urlsplit(request.url).query)["cursor"] == ["1745489904000"]
    assert request.cb_kwargs["cursor"] == 1745489904000
    assert not of_type(out, ListingDone)


def test_last_page_closes_a_complete_listing(spider: TiktokSpider) -> None:
    listing = _listing(full=True)
    out = _item_list(spider, "item_list_last_page.json", listing, cursor=1715000000000)
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is True
    assert done.full_sweep is True
    assert done.seen_ids == _ids("item_list_last_page.json")


def test_known_posts_in_a_row_stop_paging(spider: TiktokSpider) -> None:
    ids = _ids("item_list_pinned.json")
    assert ids[0] == PINNED_ID
    listing = _listing(known={PINNED_ID, *ids[-3:]})
    out = _item_list(spider, "item_list_pinned.json", listing)
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is False  # an incremental stop is not a complete listing
    assert done.seen_ids == ids
    assert [p.is_pinned for p in of_type(out, RawPost)][:2] == [True, False]


def test_a_known_pinned_post_does_not_count_for_the_stop_rule(spider: TiktokSpider) -> None:
    data = json.loads(fixture_path("responses", "tiktok", "item_list_pinned.json").read_bytes())
    data["itemList"] = data["itemList"][:3]  # the pinned post and the two newest
    listing = _listing(known={item["id"] for item in data["itemList"]})
    url = spider.item_list_url(SEC_UID, 0)
    out = collect(
        spider.parse_item_list(
            fake_response(json.dumps(data).encode(), url),
            listing=listing,
            sec_uid=SEC_UID,
            cursor=0,
        )
    )
    assert listing.known_in_a_row == 2  # below stop_after=3: the pinned one does not count
    assert len(of_type(out, Request)) == 1
    assert not of_type(out, ListingDone)


def test_full_sweep_pages_on_past_known_posts(spider: TiktokSpider) -> None:
    ids = _ids("item_list_page1.json")
    out = _item_list(spider, "item_list_page1.json", _listing(known=set(ids), full=True))
    assert len(of_type(out, Request)) == 1


def test_malformed_item_list_is_a_problem_and_ends_the_listing(spider: TiktokSpider) -> None:
    body = fixture_path("responses", "tiktok", "item_list_page1.json").read_bytes()[:3000]
    url = spider.item_list_url(SEC_UID, 0)
    out = collect(
        spider.parse_item_list(
            fake_response(body, url), listing=_listing(), sec_uid=SEC_UID, cursor=0
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert out[0].body == body
    assert out[1].complete is False


def test_rate_limited_item_list_is_a_problem_never_a_deletion(spider: TiktokSpider) -> None:
    url = spider.item_list_url(SEC_UID, 0)
    out = collect(
        spider.parse_item_list(
            fake_response(b'{"statusCode": 0}', url, status=429),
            listing=_listing(full=True),
            sec_uid=SEC_UID,
            cursor=0,
        )
    )
    assert out[0].reason == "HTTP 429"
    assert out[1].complete is False


def test_a_cursor_that_does_not_move_steps_back_a_week() -> None:
    from archive.records import ParseResult

    stuck = ParseResult(
        "tiktok",
        "item_list",
        posts=[RawPost("tiktok", "1")],
        next_cursor="1745489904000",
        has_more=True,
    )
    assert TiktokSpider.next_cursor(stuck, 1745489904000) == 1745489904000 - 7 * 86400 * 1000
    old = ParseResult(
        "tiktok",
        "item_list",
        posts=[RawPost("tiktok", "1")],
        next_cursor="1400000000000",
        has_more=True,
    )
    assert TiktokSpider.next_cursor(old, 1500000000000) is None


def test_url_asks_for_the_video_page(spider: TiktokSpider) -> None:
    [request] = spider.requests_for_url(
        "https://www.tiktok.com/@lottevandijk/video/7604234655129082857?lang=nl"
    )
    assert request.url == f"{BASE}/@_/video/7604234655129082857"
    assert request.callback == spider.parse_video_page
    assert request.cb_kwargs == {
        "post_id": "7604234655129082857",
        "url": "https://www.tiktok.com/@lottevandijk/video/7604234655129082857",
    }
    with pytest.raises(UnfetchableURL):
        list(spider.requests_for_url("https://www.tiktok.com/@lottevandijk"))


def test_video_page_gives_the_post(spider: TiktokSpider) -> None:
    post_id = "7604234655129082857"
    out = collect(
        spider.parse_video_page(
            fake_response("tiktok/video_page.html", f"{BASE}/@_/video/{post_id}"),
            post_id=post_id,
            url=f"https://www.tiktok.com/@_/video/{post_id}",
        )
    )
    [post] = out
    assert (post.platform_post_id, post.availability, post.author_handle) == (
        post_id,
        "active",
        "lottevandijk",
    )
    assert post.caption
    assert post.counts


def test_blocked_video_page_is_a_blocked_observation_never_deleted(spider: TiktokSpider) -> None:
    url = f"https://www.tiktok.com/@milaverhoeven10/video/{BLOCKED_ID}"
    out = collect(
        spider.parse_video_page(
            fake_response("tiktok/video_page_blocked.html", f"{BASE}/@_/video/{BLOCKED_ID}"),
            post_id=BLOCKED_ID,
            url=url,
        )
    )
    [post] = out
    assert (post.platform, post.platform_post_id, post.url) == ("tiktok", BLOCKED_ID, url)
    assert post.availability == "blocked"
    assert post.caption is None


def test_unavailable_video_page_marks_the_asked_post_deleted(spider: TiktokSpider) -> None:
    out = collect(
        spider.parse_video_page(
            fake_response("tiktok/video_page_unavailable.html", f"{BASE}/@_/video/{GONE_ID}"),
            post_id=GONE_ID,
            url=f"https://www.tiktok.com/@_/video/{GONE_ID}",
        )
    )
    [post] = out
    assert (post.platform_post_id, post.availability) == (GONE_ID, "deleted")


def test_failed_listing_request_ends_the_listing(spider: TiktokSpider) -> None:
    from twisted.python.failure import Failure

    listing = _listing(full=True)
    [request] = spider.start_account(listing)
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = request  # type: ignore[attr-defined]
    out = collect(request.errback(failure))
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert out[1].complete is False
