"""Instagram spider against saved demo-site responses.

Fixtures in tests/fixtures/responses/instagram/ were captured from the offline demo site
(``demo.site.build_site(snapshot, "http://127.0.0.1:8765").get(path)``):

- web_profile_info.json: early, ``/instagram/api/v1/users/web_profile_info/?username=lotte.vandijk``
  (12 posts in the edge format, ``has_next_page`` with an ``end_cursor``);
- user_feed.json: early, ``/instagram/api/v1/feed/user/18041232174/?count=12&max_id=<end_cursor>``
  (the last page: ``more_available: false``);
- user_not_found.json: web_profile_info of an unknown username (HTTP 404);
- post.json: early, ``/instagram/p/DUfixpf_Zdn/?__a=1&__d=dis``;
- post_not_found.json: later, the deleted post's ``?__a=1`` (HTTP 404, ``status: fail``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request

from crawler.items import CrawlProblem, ListingDone, RawPost
from crawler.spiders.base import Listing, UnfetchableURL
from crawler.spiders.instagram import InstagramSpider
from tests.conftest import fixture_path
from tests.crawler.conftest import (
    DEMO_ROOT,
    collect,
    fake_response,
    of_type,
    spider_for,
    start_requests,
)

BASE = f"{DEMO_ROOT}/instagram"
USER_ID = "18041232174"
CURSOR = "3481372910141390963_18041232174"


def _listing(known: set[str] | None = None, full: bool = False) -> Listing:
    return Listing("lotte-van-dijk", "lotte.vandijk", known or set(), 3, full)


def _profile_codes() -> list[str]:
    data = json.loads(fixture_path("responses", "instagram", "web_profile_info.json").read_bytes())
    edges = data["data"]["user"]["edge_owner_to_timeline_media"]["edges"]
    return [e["node"]["shortcode"] for e in edges]


def _profile(spider: InstagramSpider, listing: Listing) -> list:
    return collect(
        spider.parse_web_profile_info(
            fake_response("instagram/web_profile_info.json", spider.profile_url("lotte.vandijk")),
            listing=listing,
        )
    )


@pytest.fixture
def spider() -> InstagramSpider:
    return spider_for(InstagramSpider)


def test_roster_accounts_start_at_web_profile_info(spider: InstagramSpider) -> None:
    requests = start_requests(spider)
    assert [r.url for r in requests] == [
        f"{BASE}/api/v1/users/web_profile_info/?username=lotte.vandijk",
        f"{BASE}/api/v1/users/web_profile_info/?username=mila.verhoeven",
    ]
    assert requests[0].callback == spider.parse_web_profile_info
    assert requests[0].headers.get("X-IG-App-ID") == b"936619743392459"


def test_profile_yields_its_posts_and_the_feed_page_after_them(spider: InstagramSpider) -> None:
    listing = _listing()
    out = _profile(spider, listing)
    posts = of_type(out, RawPost)
    assert [p.platform_post_id for p in posts] == _profile_codes()
    first = posts[0]
    assert (first.platform, first.athlete_slug, first.author_handle, first.url) == (
        "instagram",
        "lotte-van-dijk",
        "lotte.vandijk",
        "https://www.instagram.com/p/DUfixpf_Zdn/",
    )
    assert first.caption
    [request] = of_type(out, Request)
    assert request.callback == spider.parse_user_feed
    assert request.url.startswith(f"{BASE}/api/v1/feed/user/{USER_ID}/?")
    assert parse_qs(urlsplit(request.url).query) == {"count": ["12"], "max_id": [CURSOR]}
    assert request.cb_kwargs == {"listing": listing, "user_id": USER_ID}


def test_last_feed_page_closes_a_complete_listing(spider: InstagramSpider) -> None:
    listing = _listing(full=True)
    out = collect(
        spider.parse_user_feed(
            fake_response("instagram/user_feed.json", spider.feed_url(USER_ID, CURSOR)),
            listing=listing,
            user_id=USER_ID,
        )
    )
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is True
    assert len(done.seen_ids) == len(of_type(out, RawPost)) == 6


def test_known_posts_in_a_row_stop_paging(spider: InstagramSpider) -> None:
    out = _profile(spider, _listing(known=set(_profile_codes()[-3:])))
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is False


def test_full_sweep_pages_on_past_known_posts(spider: InstagramSpider) -> None:
    out = _profile(spider, _listing(known=set(_profile_codes()), full=True))
    assert len(of_type(out, Request)) == 1


def test_unknown_user_is_a_problem_and_an_incomplete_listing(spider: InstagramSpider) -> None:
    out = collect(
        spider.parse_web_profile_info(
            fake_response(
                "instagram/user_not_found.json", spider.profile_url("nobody.here"), status=404
            ),
            listing=_listing(full=True),
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert out[0].reason == "HTTP 404"
    assert out[1].complete is False


def test_malformed_feed_page_is_a_problem(spider: InstagramSpider) -> None:
    body = fixture_path("responses", "instagram", "user_feed.json").read_bytes()[:500]
    out = collect(
        spider.parse_user_feed(
            fake_response(body, spider.feed_url(USER_ID, CURSOR)),
            listing=_listing(),
            user_id=USER_ID,
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert out[1].complete is False


def test_url_asks_for_the_post_json(spider: InstagramSpider) -> None:
    [request] = spider.requests_for_url("https://www.instagram.com/reel/DUfixpf_Zdn/?igsh=x")
    assert request.url == f"{BASE}/p/DUfixpf_Zdn/?__a=1&__d=dis"
    assert request.callback == spider.parse_post
    with pytest.raises(UnfetchableURL, match="not an Instagram post URL"):
        list(spider.requests_for_url("https://www.instagram.com/lotte.vandijk/"))


def test_post_json_gives_the_post(spider: InstagramSpider) -> None:
    [post] = collect(
        spider.parse_post(
            fake_response("instagram/post.json", f"{BASE}/p/DUfixpf_Zdn/?__a=1&__d=dis"),
            shortcode="DUfixpf_Zdn",
        )
    )
    assert (post.platform_post_id, post.author_handle, post.availability) == (
        "DUfixpf_Zdn",
        "lotte.vandijk",
        "active",
    )


def test_post_not_found_is_a_problem_not_a_deletion(spider: InstagramSpider) -> None:
    [problem] = collect(
        spider.parse_post(
            fake_response(
                "instagram/post_not_found.json", f"{BASE}/p/DMAr8wTpyiA/?__a=1&__d=dis", status=404
            ),
            shortcode="DMAr8wTpyiA",
        )
    )
    assert isinstance(problem, CrawlProblem)
    assert problem.detail == {"platform_post_id": "DMAr8wTpyiA"}
