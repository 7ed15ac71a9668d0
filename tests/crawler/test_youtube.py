"""YouTube spider against saved demo-site responses.

Fixtures in tests/fixtures/responses/youtube/ were captured from the offline demo site
(``demo.site.build_site("early", "http://127.0.0.1:8765").get(path)``):

- channel_feed.xml: ``/youtube/feeds/videos.xml?channel_id=UCuz9_EOqmAqt06ppoVI--Lg`` (16 videos;
  the demo feed holds the whole channel);
- channel_not_found.xml: the feed of an unknown channel (HTTP 404).
"""

from __future__ import annotations

import re

import pytest
from scrapy import Request

from crawler.items import CrawlProblem, ListingDone, RawPost
from crawler.spiders.base import Listing, UnfetchableURL
from crawler.spiders.youtube import YoutubeSpider
from tests.conftest import fixture_path
from tests.crawler.conftest import (
    DEMO_ROOT,
    collect,
    fake_response,
    of_type,
    spider_for,
    start_requests,
)

BASE = f"{DEMO_ROOT}/youtube"
CHANNEL = "UCuz9_EOqmAqt06ppoVI--Lg"
VIDEO_IDS = re.findall(
    r"<yt:videoId>([^<]+)<",
    fixture_path("responses", "youtube", "channel_feed.xml").read_text(encoding="utf-8"),
)


def _listing(known: set[str] | None = None, full: bool = False) -> Listing:
    return Listing("lotte-van-dijk", CHANNEL, known or set(), 3, full)


@pytest.fixture
def spider() -> YoutubeSpider:
    return spider_for(YoutubeSpider)


def test_roster_channels_start_at_their_feeds(spider: YoutubeSpider) -> None:
    requests = start_requests(spider)
    assert [r.url for r in requests] == [
        f"{BASE}/feeds/videos.xml?channel_id={CHANNEL}",
        f"{BASE}/feeds/videos.xml?channel_id=UCmilaverhoeven0000000000",
    ]
    assert requests[0].callback == spider.parse_channel_feed


def test_feed_yields_every_video_and_closes_a_complete_listing(spider: YoutubeSpider) -> None:
    out = collect(
        spider.parse_channel_feed(
            fake_response("youtube/channel_feed.xml", spider.feed_url(CHANNEL)),
            listing=_listing(known=set(VIDEO_IDS[:5]), full=True),
        )
    )
    posts = of_type(out, RawPost)
    assert [p.platform_post_id for p in posts] == VIDEO_IDS
    first = posts[0]
    assert (first.platform, first.athlete_slug, first.author_id) == (
        "youtube",
        "lotte-van-dijk",
        CHANNEL,
    )
    assert first.url.startswith("https://www.youtube.com/")
    assert first.caption
    assert not of_type(out, Request)  # one page, however many videos are known
    [done] = of_type(out, ListingDone)
    assert (done.complete, done.handle, done.seen_ids) == (True, CHANNEL, VIDEO_IDS)
    # A feed of 15 or more may have dropped older videos: it only covers its oldest entry on.
    assert done.window_start == (posts[-1].posted_at if len(posts) >= 15 else None)


def test_unknown_channel_is_a_problem_and_an_incomplete_listing(spider: YoutubeSpider) -> None:
    out = collect(
        spider.parse_channel_feed(
            fake_response("youtube/channel_not_found.xml", spider.feed_url("UCnobody"), status=404),
            listing=_listing(full=True),
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert out[1].complete is False


def test_malformed_feed_is_a_problem(spider: YoutubeSpider) -> None:
    body = fixture_path("responses", "youtube", "channel_feed.xml").read_bytes()[:1500]
    out = collect(
        spider.parse_channel_feed(
            fake_response(body, spider.feed_url(CHANNEL)), listing=_listing(full=True)
        )
    )
    assert [type(i) for i in out] == [CrawlProblem, ListingDone]
    assert "malformed XML" in out[0].reason
    assert out[1].complete is False


def test_url_of_a_channel_reads_its_feed(spider: YoutubeSpider) -> None:
    [request] = spider.requests_for_url(f"https://www.youtube.com/channel/{CHANNEL}")
    assert request.url == spider.feed_url(CHANNEL)
    assert request.cb_kwargs["listing"].handle == CHANNEL
    with pytest.raises(UnfetchableURL):
        list(spider.requests_for_url("https://www.youtube.com/watch?v=oZyT4BppZSs"))
