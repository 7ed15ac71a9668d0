"""News: articles from the roster's news feeds and sitemaps, and the posts they embed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from archive import config as config_mod
from archive.errors import ConfigError, ParseError
from archive.platforms.feeds import entry_links
from archive.platforms.instagram import shortcode_from_url
from archive.platforms.tiktok import page_observations, post_kind_and_id
from archive.records import RawEmbed, RawPost
from crawler.items import ArticleItem, CrawlProblem
from crawler.spiders.base import AthleteSpider, Listing

# How each platform's post is read when an embed shows only its URL: platform -> parser kind.
_POST_PARSER_KINDS = {
    "tiktok": "video_page",
    "instagram": "post",
    "x": "syndication",
    "bluesky": "post_thread",
    "mastodon": "status",
}


@dataclass
class _PendingArticle:
    """An article waiting for the posts it embeds by URL only: stored once they are in."""

    item: ArticleItem
    waiting: int = 0

    def expect(self, n: int) -> None:
        """``n`` more follow-ups to wait for."""
        self.waiting += n

    def finish_one(self) -> Iterator[Any]:
        """One follow-up is done; the article comes when the last one is."""
        self.waiting -= 1
        if self.waiting == 0:
            yield self.item


class NewsSpider(AthleteSpider):
    """News sites of the roster (``[[news]]``: RSS/Atom feeds and Google news sitemaps).

    Source: each feed (RSS ``item/link``, Atom ``entry/link``, any dialect feedparser reads) and
    sitemap (``url/loc``; a sitemap index is followed) names articles; each article is read by
    ``archive.platforms.news`` (JSON-LD, og: metadata, embeds in document order).
    ``-a source=<slug>`` limits the crawl to one news source; ``--url`` takes article URLs.
    Access: public pages; robots.txt is obeyed (config ``platform.news.obey_robots``). Posts
    fetched from a platform follow that platform's own robots setting.
    Pagination: none: feeds and news sitemaps hold the latest articles only.
    Fields not available: an embed's counts and exact time (only what its markup shows);
    YouTube embeds are not fetched (no one-video endpoint without a key): they link to the
    video when the YouTube spider archived it.
    Caveats: each embedded post that shows its own text is yielded as an ``embed`` observation
    (the athlete set when its author is a roster account of that platform). An embed with only
    a URL is fetched from its platform (TikTok video page, with oEmbed when the page is
    blocked; Instagram ``?__a=1``; Bluesky ``getPostThread``; Mastodon ``statuses/:id``), and
    X posts always through the syndication JSON (X has no spider of its own): these are
    ``platform`` observations. The article item comes after all of them, so the store links
    every embed to its post.
    """

    name = "news"
    platform = "news"

    def __init__(self, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        if source:
            self.target = f"news:{source}"

    @cached_property
    def roster(self) -> config_mod.Roster:
        try:
            return config_mod.load_roster(self.settings_obj.roster_path)
        except ConfigError as exc:
            if self.urls:  # article URLs need no roster; only athletes go unnamed
                self.logger.warning("no roster: %s", exc)
                return config_mod.Roster()
            raise

    @cached_property
    def athletes_by_handle(self) -> dict[tuple[str, str], str]:
        """(platform, case-folded handle) -> athlete slug, for every roster account."""
        return {
            (acc.platform, acc.handle.casefold()): a.slug
            for a in self.roster.athletes
            for acc in a.accounts
        }

    def athlete_of(self, post: RawPost) -> str | None:
        """The roster athlete whose account on the post's platform wrote it, or None."""
        handle = (post.author_handle or "").lstrip("@").casefold()
        return self.athletes_by_handle.get((post.platform, handle)) if handle else None

    # --- what to crawl ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Requests for the given article URLs, or for every feed and sitemap of the roster."""
        if self.urls:
            for url in self.urls:
                for request in self.requests_for_url(url):
                    yield request
            return
        for request in self.source_requests(self.source):
            yield request

    def source_requests(self, slug: str | None) -> Iterator[Request]:
        """Requests for every feed and sitemap of one news source (all sources: None)."""
        sources = [s for s in self.roster.news if slug in (None, s.slug)]
        if slug and not sources:
            raise ValueError(f"no news source '{slug}' in {self.settings_obj.roster_path}")
        for source in sources:
            for feed in source.feeds:
                yield Request(feed, callback=self.parse_feed, cb_kwargs={"source": source.slug})
            for sitemap in source.sitemaps:
                yield Request(
                    sitemap, callback=self.parse_sitemap, cb_kwargs={"source": source.slug}
                )

    def start_account(self, listing: Listing) -> Iterable[Request]:
        return ()  # news has sources, not accounts

    def requests_for_url(self, url: str) -> Iterable[Request]:
        yield Request(url, callback=self.parse_article)

    # --- discovery --------------------------------------------------------------------------

    def _xml(self, response: Response, what: str) -> Selector | CrawlProblem:
        problem = self._http_problem(response, what)
        if problem is not None:
            return problem
        selector = Selector(text=response.text, type="xml")
        selector.remove_namespaces()
        return selector

    def _http_problem(self, response: Response, what: str) -> CrawlProblem | None:
        if response.status < 400:
            return None
        return CrawlProblem(
            reason=f"{what}: HTTP {response.status}",
            url=response.url,
            platform=self.platform,
            body=response.body,
        )

    def parse_feed(self, response: Response, source: str | None = None) -> Iterator[Any]:
        """An RSS or Atom feed, any dialect (feedparser, leniently): one request per article."""
        problem = self._http_problem(response, "news feed")
        if problem is not None:
            yield problem
            return
        try:
            links = entry_links(response.body)
        except ParseError as exc:
            links, reason = None, str(exc)
        else:
            reason = "news feed: neither RSS items nor Atom entries"
        if links is None:
            yield CrawlProblem(
                reason=reason,
                url=response.url,
                platform=self.platform,
                body=response.body,
                detail={"source": source},
            )
            return
        yield from self._article_requests(response, links)

    def parse_sitemap(self, response: Response, source: str | None = None) -> Iterator[Any]:
        """A (news) sitemap: one request per article; a sitemap index: its sitemaps."""
        xml = self._xml(response, "news sitemap")
        if isinstance(xml, CrawlProblem):
            yield xml
            return
        for loc in xml.xpath("//sitemapindex/sitemap/loc/text()").getall():
            yield Request(
                response.urljoin(loc.strip()),
                callback=self.parse_sitemap,
                cb_kwargs={"source": source},
            )
        if not xml.xpath("//urlset | //sitemapindex"):
            yield CrawlProblem(
                reason="news sitemap: neither urlset nor sitemapindex",
                url=response.url,
                platform=self.platform,
                body=response.body,
                detail={"source": source},
            )
            return
        yield from self._article_requests(response, xml.xpath("//urlset/url/loc/text()").getall())

    def _article_requests(self, response: Response, links: list[str]) -> Iterator[Request]:
        for link in links:
            url = response.urljoin(link.strip())
            if urlsplit(url).scheme in ("http", "https"):
                yield Request(url, callback=self.parse_article)  # the dupefilter drops repeats

    # --- articles and their embeds ----------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        result = self.read(response, platform="news", parser_kind="article")
        if isinstance(result, CrawlProblem):
            yield result
            return
        article = result.article
        if article is None:
            return
        article.url = article.url or response.url
        pending = self.pending_article(ArticleItem(article, response.url, response.body))
        follow_ups: list[Request] = []
        for embed in article.embeds:
            post = embed.post
            if post is not None and post.caption:
                post.athlete_slug = self.athlete_of(post)
                yield post
                if embed.platform != "x":
                    continue
            follow_ups.extend(self.embed_requests(embed, pending))
        if not follow_ups:
            yield pending.item
            return
        pending.expect(len(follow_ups))
        yield from follow_ups

    def pending_article(self, item: ArticleItem) -> Any:
        """What holds an article back until its follow-ups are done (``expect``,
        ``finish_one``); a worker's holds it in Redis (``crawler.queued``)."""
        return _PendingArticle(item)

    def embed_requests(self, embed: RawEmbed, pending: _PendingArticle) -> Iterator[Request]:
        """The request that fetches an embedded post from its platform (none for YouTube)."""
        platform, post_id = embed.platform, embed.platform_post_id
        base = self.settings_obj.platform(platform).base_url
        url: str | None = None
        if platform == "tiktok" and (found := post_kind_and_id(embed.url or "")) is not None:
            url = f"{base}/@_/{found[0]}/{found[1]}"
            post_id = found[1]
        elif platform == "tiktok" and post_id:
            url = f"{base}/@_/video/{post_id}"
        elif platform == "instagram" and (code := post_id or shortcode_from_url(embed.url)):
            url = f"{base}/p/{code}/?__a=1&__d=dis"
        elif platform == "x" and post_id:
            url = f"{base}/tweet-result?{urlencode({'id': post_id, 'token': 'a'})}"
        elif platform == "bluesky" and post_id:
            query = urlencode({"uri": post_id, "depth": 0})
            url = f"{base}/xrpc/app.bsky.feed.getPostThread?{query}"
        elif platform == "mastodon" and embed.url:
            parts = urlsplit(embed.url)
            status_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
            if status_id.isdigit():
                url = f"{base or f'https://{parts.hostname}'}/api/v1/statuses/{status_id}"
        if url is None:
            return
        yield self.post_request(url, platform, pending, post_id=post_id, embed_url=embed.url)

    def post_request(
        self,
        url: str,
        platform: str,
        pending: _PendingArticle,
        *,
        parser_kind: str | None = None,
        post_id: str | None = None,
        embed_url: str | None = None,
    ) -> Request:
        obey = self.settings_obj.platform(platform).obey_robots
        return Request(
            url,
            callback=self.parse_embedded_post,
            errback=self.embed_failed,
            dont_filter=True,  # two articles may embed one post: each must finish
            meta={"dont_obey_robotstxt": not obey},
            cb_kwargs={
                "pending": pending,
                "platform": platform,
                "parser_kind": parser_kind or _POST_PARSER_KINDS[platform],
                "post_id": post_id,
                "embed_url": embed_url,
            },
        )

    def parse_embedded_post(
        self,
        response: Response,
        pending: _PendingArticle,
        platform: str,
        parser_kind: str,
        post_id: str | None,
        embed_url: str | None,
    ) -> Iterator[Any]:
        """A post fetched from its platform for an article: a ``platform`` observation."""
        result = self.read(response, platform=platform, parser_kind=parser_kind)
        if isinstance(result, CrawlProblem):
            result.detail.update(platform_post_id=post_id, article=pending.item.url)
            yield result
            yield from pending.finish_one()
            return
        posts = result.posts
        if platform == "tiktok" and parser_kind == "video_page" and post_id:
            found = post_kind_and_id(embed_url or "")
            page_url = f"https://www.tiktok.com/@_/video/{post_id}"
            canonical = embed_url if found and found[1] == post_id else page_url
            posts = page_observations(result, post_id, str(canonical), response.url)
            if result.status == "blocked":
                # The page is a challenge shell: oEmbed still tells the caption.
                pending.expect(1)
                oembed = urlencode({"url": canonical})
                yield self.post_request(
                    f"{self.settings_obj.platform('tiktok').base_url}/oembed?{oembed}",
                    "tiktok",
                    pending,
                    parser_kind="oembed",
                    post_id=post_id,
                )
        for post in posts:
            post.athlete_slug = self.athlete_of(post)
            yield post
        yield from pending.finish_one()

    def embed_failed(self, failure: Failure) -> Iterator[Any]:
        """A post request that failed for good: a problem; the article still comes."""
        request = failure.request  # type: ignore[attr-defined]
        pending: _PendingArticle = request.cb_kwargs["pending"]
        yield CrawlProblem(
            reason=f"request failed: {failure.getErrorMessage()}",
            url=request.url,
            platform=request.cb_kwargs["platform"],
            detail={"platform_post_id": request.cb_kwargs["post_id"], "article": pending.item.url},
        )
        yield from pending.finish_one()
