"""Mastodon spider against saved demo-site responses.

Fixtures in tests/fixtures/responses/mastodon/ were captured from the offline demo site
(``demo.site.build_site("early", "http://127.0.0.1:8765").get(path)``):

- account_lookup.json: ``/mastodon/api/v1/accounts/lookup?acct=lotte@schaats.example``;
- account_not_found.json: the lookup of an unknown acct (HTTP 404, ``Record not found``);
- statuses_page1.json (+ statuses_page1.link, its ``Link`` header):
  ``/mastodon/api/v1/accounts/104990559436840958/statuses?limit=5&exclude_reblogs=true``;
- statuses_empty.json: a page past the end (``[]``, no Link header);
- status.json: ``/mastodon/api/v1/statuses/<id>`` of Lotte's newest status;
- status_malformed.json: the status the demo always truncates (HTTP 200, broken JSON).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request

from crawler.items import CrawlProblem, ListingDone, RawPost
from crawler.spiders.base import Listing, UnfetchableURL
from crawler.spiders.mastodon import MastodonSpider
from tests.conftest import fixture_path
from tests.crawler.conftest import (
    DEMO_ROOT,
    collect,
    fake_response,
    of_type,
    spider_for,
    start_requests,
)

BASE = f"{DEMO_ROOT}/mastodon"
ACCOUNT_ID = "104990559436840958"
LINK = fixture_path("responses", "mastodon", "statuses_page1.link").read_text().strip()


def _listing(known: set[str] | None = None, full: bool = False) -> Listing:
    return Listing("lotte-van-dijk", "lotte@schaats.example", known or set(), 3, full)


def _statuses(
    spider: MastodonSpider, name: str, listing: Listing, headers: dict[str, str] | None = None
) -> list:
    url = spider.statuses_url(BASE, ACCOUNT_ID)
    return collect(
        spider.parse_statuses(
            fake_response(f"mastodon/{name}", url, headers=headers),
            listing=listing,
            base=BASE,
            account_id=ACCOUNT_ID,
        )
    )


def _uris(name: str) -> list[str]:
    return [s["uri"] for s in json.loads(fixture_path("responses", "mastodon", name).read_bytes())]


@pytest.fixture
def spider() -> MastodonSpider:
    return spider_for(MastodonSpider)


def test_roster_accounts_are_looked_up_by_acct(spider: MastodonSpider) -> None:
    requests = start_requests(spider)
    assert [r.url for r in requests] == [
        f"{BASE}/api/v1/accounts/lookup?acct=lotte%40schaats.example",
        f"{BASE}/api/v1/accounts/lookup?acct=mila%40voetbal.example",
    ]
    assert requests[0].callback == spider.parse_account


def test_without_a_base_url_each_account_is_asked_at_its_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PODIUM_MASTODON_BASE_URL")
    spider = spider_for(MastodonSpider)
    [request] = spider.start_account(_listing())
    assert (
        request.url == "https://schaats.example/api/v1/accounts/lookup?acct=lotte%40schaats.example"
    )
    [status] = spider.requests_for_url("https://schaats.example/@lotte/115374217560081679")
    assert status.url == "https://schaats.example/api/v1/statuses/115374217560081679"
    problem, done = collect(spider.start_account(Listing(None, "lotte", set(), 3, False)))
    assert isinstance(problem, CrawlProblem)
    assert done.complete is False


def test_lookup_leads_to_the_statuses_without_boosts(spider: MastodonSpider) -> None:
    listing = _listing()
    [request] = collect(
        spider.parse_account(
            fake_response(
                "mastodon/account_lookup.json",
                f"{BASE}/api/v1/accounts/lookup?acct=lotte%40schaats.example",
            ),
            listing=listing,
            base=BASE,
        )
    )
    assert request.callback == spider.parse_statuses
    assert request.url.startswith(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses?")
    assert parse_qs(urlsplit(request.url).query) == {"limit": ["30"], "exclude_reblogs": ["true"]}
    assert request.cb_kwargs == {"listing": listing, "base": BASE, "account_id": ACCOUNT_ID}


def test_unknown_account_is_a_problem_and_an_incomplete_listing(spider: MastodonSpider) -> None:
    out = collect(
        spider.parse_account(
            fake_response(
                "mastodon/account_not_found.json",
                f"{BASE}/api/v1/accounts/lookup?acct=x",
                status=404,
            ),
            listing=_listing(full=True),
            base=BASE,
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert out[0].reason == "HTTP 404"
    assert out[1].complete is False


def test_statuses_page_yields_posts_and_follows_the_next_link(spider: MastodonSpider) -> None:
    out = _statuses(spider, "statuses_page1.json", _listing(), headers={"Link": LINK})
    posts = of_type(out, RawPost)
    assert [p.platform_post_id for p in posts] == _uris("statuses_page1.json")
    first = posts[0]
    assert (first.platform, first.athlete_slug, first.author_handle, first.kind) == (
        "mastodon",
        "lotte-van-dijk",
        "lotte@schaats.example",
        "text",
    )
    assert first.url.startswith("https://schaats.example/@lotte/")
    assert first.caption
    [request] = of_type(out, Request)
    assert request.callback == spider.parse_statuses
    assert parse_qs(urlsplit(request.url).query)["max_id"] == ["114897459871787092"]
    assert not of_type(out, ListingDone)


def test_a_page_without_next_link_ends_a_complete_listing(spider: MastodonSpider) -> None:
    out = _statuses(spider, "statuses_page1.json", _listing(full=True))
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is True
    assert done.seen_ids == _uris("statuses_page1.json")


def test_an_empty_page_ends_the_listing(spider: MastodonSpider) -> None:
    out = _statuses(spider, "statuses_empty.json", _listing(full=True), headers={"Link": LINK})
    assert [type(i) for i in out] == [ListingDone]
    assert out[0].complete is True


def test_known_statuses_in_a_row_stop_paging(spider: MastodonSpider) -> None:
    uris = _uris("statuses_page1.json")
    out = _statuses(
        spider, "statuses_page1.json", _listing(known=set(uris[-3:])), headers={"Link": LINK}
    )
    assert not of_type(out, Request)
    [done] = of_type(out, ListingDone)
    assert done.complete is False


def test_a_run_broken_by_a_new_status_pages_on(spider: MastodonSpider) -> None:
    uris = _uris("statuses_page1.json")
    out = _statuses(
        spider, "statuses_page1.json", _listing(known={*uris[:3], uris[4]}), headers={"Link": LINK}
    )
    assert len(of_type(out, Request)) == 1


def test_url_of_a_status_asks_the_api(spider: MastodonSpider) -> None:
    [request] = spider.requests_for_url("https://schaats.example/@lotte/115374217560081679")
    assert request.url == f"{BASE}/api/v1/statuses/115374217560081679"
    assert request.callback == spider.parse_status
    [same] = spider.requests_for_url(f"{BASE}/api/v1/statuses/115374217560081679")
    assert same.url == request.url
    with pytest.raises(UnfetchableURL):
        list(spider.requests_for_url("https://schaats.example/about"))


def test_status_gives_the_post(spider: MastodonSpider) -> None:
    data = json.loads(fixture_path("responses", "mastodon", "status.json").read_bytes())
    [post] = collect(
        spider.parse_status(
            fake_response("mastodon/status.json", f"{BASE}/api/v1/statuses/{data['id']}")
        )
    )
    assert (post.platform_post_id, post.url, post.declared_language) == (
        data["uri"],
        data["url"],
        data["language"],
    )


def test_malformed_status_is_a_problem_and_the_crawl_goes_on(spider: MastodonSpider) -> None:
    url = f"{BASE}/api/v1/statuses/115447651696649759"
    [problem] = collect(spider.parse_status(fake_response("mastodon/status_malformed.json", url)))
    assert isinstance(problem, CrawlProblem)
    assert "malformed JSON" in problem.reason
    assert (
        problem.body == fixture_path("responses", "mastodon", "status_malformed.json").read_bytes()
    )
