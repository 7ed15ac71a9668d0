"""News spider against saved demo-site responses.

Fixtures in tests/fixtures/responses/news/ were captured from the offline demo site
(``demo.site.build_site(snapshot, "http://127.0.0.1:8765").get(path)``):

- feed.xml, sitemap-news.xml: early, ``/news/feed.xml`` and ``/news/sitemap-news.xml``;
- article_full_embeds.html: ``/news/articles/lotte-van-dijk-in-tranen-na-gouden-race.html``
  (a full TikTok blockquote and a captioned Instagram v12 embed);
- article_url_only_embeds.html: ``/news/articles/sociale-media-overzicht-week-6.html`` (a TikTok
  blockquote with only ``cite``/``data-video-id``, an Instagram v14 embed without caption);
- article_x_embed.html, article_youtube_embed.html, article_bluesky_embed.html: the other
  early articles (an X blockquote, a YouTube iframe, a Bluesky blockquote);
- tiktok_video_page.html (early) and tiktok_video_page_blocked.html (later, the challenge shell)
  of the URL-only TikTok video; tiktok_oembed.json: later, its ``/tiktok/oembed?url=…``;
- instagram_post.json: ``/instagram/p/DUXukdv_a-I/?__a=1&__d=dis``;
- x_tweet_result.json: ``/x/tweet-result?id=2018048082313690698&token=0``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from twisted.python.failure import Failure

from crawler.items import ArticleItem, CrawlProblem, RawPost
from crawler.spiders.news import NewsSpider
from tests.conftest import fixture_path
from tests.crawler.conftest import (
    DEMO_ROOT,
    collect,
    fake_response,
    of_type,
    spider_for,
    start_requests,
)

NEWS = f"{DEMO_ROOT}/news"
ARTICLES = f"{NEWS}/articles"
SLUGS = [
    "lotte-van-dijk-in-tranen-na-gouden-race",
    "sociale-media-overzicht-week-6",
    "mila-verhoeven-leidt-comeback-in-de-kuip",
    "jonas-bruckner-trainingskamp-mallorca",
    "sindre-haugland-springt-238-meter",
]
TRAINING_ID = "7602692730669977785"
TRAINING_URL = f"https://www.tiktok.com/@milaverhoeven10/video/{TRAINING_ID}"
TWEET_ID = "2018048082313690698"


def _article(spider: NewsSpider, name: str, slug: str) -> list:
    return collect(spider.parse_article(fake_response(f"news/{name}", f"{ARTICLES}/{slug}.html")))


def _answer(request: Request, name: str, status: int = 200) -> list:
    """Call a follow-up request's callback with a saved response."""
    response = fake_response(f"news/{name}", request.url, status=status)
    return collect(request.callback(response, **request.cb_kwargs))


@pytest.fixture
def spider() -> NewsSpider:
    return spider_for(NewsSpider)


def test_roster_news_sources_start_at_their_feeds_and_sitemaps(spider: NewsSpider) -> None:
    requests = start_requests(spider)
    assert [(r.url, r.callback) for r in requests] == [
        (f"{NEWS}/feed.xml", spider.parse_feed),
        (f"{NEWS}/sitemap-news.xml", spider.parse_sitemap),
    ]
    assert spider.settings.getbool("ROBOTSTXT_OBEY") is False  # the test config says so
    with pytest.raises(ValueError, match="no news source"):
        start_requests(spider_for(NewsSpider, source="elsewhere"))


def test_robots_txt_is_obeyed_as_the_news_config_says(crawl_env) -> None:
    (crawl_env / "podium.toml").write_text("[platform.news]\nobey_robots = true\n")
    assert spider_for(NewsSpider).settings.getbool("ROBOTSTXT_OBEY") is True


def test_article_urls_are_fetched_as_articles(spider: NewsSpider) -> None:
    spider = spider_for(NewsSpider, urls=f"{ARTICLES}/{SLUGS[0]}.html")
    [request] = start_requests(spider)
    assert (request.url, request.callback) == (f"{ARTICLES}/{SLUGS[0]}.html", spider.parse_article)


def test_feed_names_every_article(spider: NewsSpider) -> None:
    out = collect(spider.parse_feed(fake_response("news/feed.xml", f"{NEWS}/feed.xml")))
    assert [r.url for r in out] == [f"{ARTICLES}/{slug}.html" for slug in SLUGS]
    assert all(r.callback == spider.parse_article for r in out)


@pytest.mark.parametrize(
    "body",
    [
        # Atom, relative links resolved against the feed
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>S</title>'
        b'<entry><title>A</title><link rel="alternate" href="articles/a.html"/></entry>'
        b'<entry><title>B</title><link href="/news/articles/b.html"/></entry></feed>',
        # RSS 1.0 (RDF)
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>S</title></channel>'
        b'<item rdf:about="a"><title>A</title><link>articles/a.html</link></item>'
        b'<item rdf:about="b"><title>B</title><link>/news/articles/b.html</link></item></rdf:RDF>',
        # RSS 2.0 with a bare "&" (not XML, common on news sites), links only in guid
        b'<rss version="2.0"><channel><title>Sport & Spel</title>'
        b"<item><title>A & B</title><guid>articles/a.html</guid></item>"
        b'<item><title>B</title><guid isPermaLink="true">/news/articles/b.html</guid></item>'
        b"</channel></rss>",
    ],
    ids=["atom", "rss1-rdf", "broken-rss2"],
)
def test_feeds_of_every_dialect_name_their_articles(spider: NewsSpider, body: bytes) -> None:
    out = collect(spider.parse_feed(fake_response(body, f"{NEWS}/feed.xml")))
    assert [r.url for r in out] == [f"{ARTICLES}/a.html", f"{ARTICLES}/b.html"]


def test_news_sitemap_names_every_article(spider: NewsSpider) -> None:
    out = collect(
        spider.parse_sitemap(fake_response("news/sitemap-news.xml", f"{NEWS}/sitemap-news.xml"))
    )
    assert sorted(r.url for r in out) == sorted(f"{ARTICLES}/{slug}.html" for slug in SLUGS)


def test_sitemap_index_is_followed(spider: NewsSpider) -> None:
    body = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>/news/sitemap-news.xml</loc></sitemap></sitemapindex>"
    )
    [request] = collect(spider.parse_sitemap(fake_response(body, f"{NEWS}/sitemap.xml")))
    assert (request.url, request.callback) == (f"{NEWS}/sitemap-news.xml", spider.parse_sitemap)


def test_a_feed_that_is_not_a_feed_is_a_problem(spider: NewsSpider) -> None:
    [problem] = collect(
        spider.parse_feed(fake_response("news/article_x_embed.html", f"{NEWS}/feed.xml"))
    )
    assert isinstance(problem, CrawlProblem)
    [gone] = collect(
        spider.parse_sitemap(fake_response(b"Not Found", f"{NEWS}/sitemap-news.xml", status=404))
    )
    assert gone.reason == "news sitemap: HTTP 404"


def test_embeds_with_their_own_text_come_before_the_article(spider: NewsSpider) -> None:
    out = _article(spider, "article_full_embeds.html", SLUGS[0])
    assert [type(i) for i in out] == [RawPost, RawPost, ArticleItem]
    tiktok, instagram, article = out
    assert (tiktok.platform, tiktok.platform_post_id, tiktok.source_kind, tiktok.athlete_slug) == (
        "tiktok",
        "7604234655129082857",
        "embed",
        "lotte-van-dijk",
    )
    assert (instagram.platform, instagram.platform_post_id, instagram.athlete_slug) == (
        "instagram",
        "DUfixpf_Zdn",
        "lotte-van-dijk",
    )
    assert tiktok.source_url == f"{ARTICLES}/{SLUGS[0]}.html"
    assert article.url == f"{ARTICLES}/{SLUGS[0]}.html"
    assert (
        article.body == fixture_path("responses", "news", "article_full_embeds.html").read_bytes()
    )
    assert article.article.title
    assert [(e.platform, e.platform_post_id) for e in article.article.embeds] == [
        ("tiktok", "7604234655129082857"),
        ("instagram", "DUfixpf_Zdn"),
    ]


def test_url_only_embeds_are_fetched_and_the_article_comes_last(spider: NewsSpider) -> None:
    out = _article(spider, "article_url_only_embeds.html", SLUGS[1])
    tiktok, instagram = out  # no embed text to keep, no article yet
    assert tiktok.url == f"{DEMO_ROOT}/tiktok/@_/video/{TRAINING_ID}"
    assert instagram.url == f"{DEMO_ROOT}/instagram/p/DUXukdv_a-I/?__a=1&__d=dis"
    assert tiktok.callback == instagram.callback == spider.parse_embedded_post
    assert tiktok.dont_filter

    [post] = _answer(tiktok, "tiktok_video_page.html")
    assert (post.platform_post_id, post.source_kind, post.availability, post.athlete_slug) == (
        TRAINING_ID,
        "platform",
        "active",
        "mila-verhoeven",
    )
    [post, article] = _answer(instagram, "instagram_post.json")
    assert (post.platform_post_id, post.source_kind) == ("DUXukdv_a-I", "platform")
    assert post.athlete_slug is None  # Haruka is not in the test roster
    assert isinstance(article, ArticleItem)
    assert [e.platform_post_id for e in article.article.embeds] == [TRAINING_ID, "DUXukdv_a-I"]


def test_blocked_tiktok_embed_is_blocked_then_read_through_oembed(spider: NewsSpider) -> None:
    tiktok, instagram = _article(spider, "article_url_only_embeds.html", SLUGS[1])
    oembed, blocked = _answer(tiktok, "tiktok_video_page_blocked.html")
    assert (blocked.platform_post_id, blocked.availability, blocked.url) == (
        TRAINING_ID,
        "blocked",
        TRAINING_URL,
    )
    assert oembed.url.startswith(f"{DEMO_ROOT}/tiktok/oembed?")
    assert parse_qs(urlsplit(oembed.url).query)["url"] == [TRAINING_URL]
    assert [type(i) for i in _answer(instagram, "instagram_post.json")] == [RawPost]  # no article
    post, article = _answer(oembed, "tiktok_oembed.json")
    assert (post.platform_post_id, post.availability, post.athlete_slug) == (
        TRAINING_ID,
        "active",
        "mila-verhoeven",
    )
    assert isinstance(article, ArticleItem)


def test_x_embeds_are_also_read_through_syndication(spider: NewsSpider) -> None:
    embed, request = _article(spider, "article_x_embed.html", SLUGS[2])
    assert (embed.platform, embed.platform_post_id, embed.source_kind) == ("x", TWEET_ID, "embed")
    assert request.url.startswith(f"{DEMO_ROOT}/x/tweet-result?")
    assert parse_qs(urlsplit(request.url).query)["id"] == [TWEET_ID]
    post, article = _answer(request, "x_tweet_result.json")
    assert (post.platform_post_id, post.source_kind, post.author_handle) == (
        TWEET_ID,
        "platform",
        "MilaVerhoeven10",
    )
    assert isinstance(article, ArticleItem)


def test_youtube_embeds_are_not_fetched(spider: NewsSpider) -> None:
    [article] = _article(spider, "article_youtube_embed.html", SLUGS[3])
    assert [(e.platform, e.post) for e in article.article.embeds] == [("youtube", None)]


def test_bluesky_embed_text_is_kept_without_a_roster_athlete(spider: NewsSpider) -> None:
    post, article = _article(spider, "article_bluesky_embed.html", SLUGS[4])
    assert (post.platform, post.source_kind, post.author_handle, post.athlete_slug) == (
        "bluesky",
        "embed",
        "sindre.bsky.example",
        None,
    )
    assert isinstance(article, ArticleItem)


def test_a_malformed_or_failed_embed_fetch_is_a_problem_and_the_article_still_comes(
    spider: NewsSpider,
) -> None:
    tiktok, instagram = _article(spider, "article_url_only_embeds.html", SLUGS[1])
    broken = fixture_path("responses", "news", "instagram_post.json").read_bytes()[:300]
    out = collect(instagram.callback(fake_response(broken, instagram.url), **instagram.cb_kwargs))
    [problem] = out
    assert problem.detail["platform_post_id"] == "DUXukdv_a-I"
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = tiktok  # type: ignore[attr-defined]
    problem, article = collect(tiktok.errback(failure))
    assert isinstance(problem, CrawlProblem)
    assert isinstance(article, ArticleItem)


def test_start_reads_no_roster_for_article_urls(crawl_env, monkeypatch) -> None:
    monkeypatch.setenv("PODIUM_ROSTER", str(crawl_env / "missing.toml"))
    spider = spider_for(NewsSpider, urls=f"{ARTICLES}/{SLUGS[0]}.html")
    assert len(asyncio.run(_first(spider))) == 1
    out = _article(spider, "article_full_embeds.html", SLUGS[0])
    assert [p.athlete_slug for p in of_type(out, RawPost)] == [None, None]


async def _first(spider: NewsSpider) -> list:
    return [r async for r in spider.start()]
