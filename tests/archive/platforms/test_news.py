"""News article parser: JSON-LD / microdata / og: metadata and embedded posts in document order."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from archive.platforms import parse_payload
from archive.records import RawSound
from tests.conftest import fixture_path

ARTICLE_URL = "https://sport.example.nl/schaatsen/lena-berg-goud?utm_source=rss"


def parse(name: str, url: str | None = ARTICLE_URL):
    return parse_payload(fixture_path("payloads", "news", name).read_bytes(), url=url)


def test_article_metadata_from_json_ld_graph():
    result = parse("article_with_embeds.html")
    assert (result.platform, result.parser_kind) == ("news", "article")
    article = result.article
    assert (
        article.url,
        article.title,
        article.published_at,
        article.author,
        article.publisher,
        article.language,
        article.description,
    ) == (
        "https://sport.example.nl/schaatsen/lena-berg-goud",  # canonical link
        "Lena Berg pakt goud én Europees record",  # JSON-LD headline beats og:title
        "2025-01-14T19:05:00+0100",
        "Sanne de Vries, Joost Bakker",
        "Sportkrant Fictief",
        "nl-NL",
        "De Friese schaatsster won de 1500 meter.",
    )


def test_embeds_in_document_order():
    embeds = parse("article_with_embeds.html").article.embeds
    assert [(e.position, e.platform, e.platform_post_id, e.post is not None) for e in embeds] == [
        (0, "tiktok", "7401234567890123456", True),
        (1, "instagram", "DAbCdEfGhIj", False),  # v14: permalink only
        (2, "x", "1879000000000000002", True),  # rendered: the inner iframe is not another embed
        (
            3,
            "bluesky",
            "at://did:plc:lenaberg7fict10nal0000aa/app.bsky.feed.post/3lpin0000aa22",
            True,
        ),
        (4, "youtube", "aB3dE5gH7jK", False),  # nocookie iframe, lazy data-src
        (5, "mastodon", None, False),
        (6, "x", "1879000000000000001", False),  # minimal blockquote: the URL only
    ]
    assert embeds[4].url == "https://www.youtube.com/watch?v=aB3dE5gH7jK"
    assert embeds[5].url == "https://social.example.nl/@lenaberg/113800000000000003"


def test_embed_posts_are_in_result_posts_with_the_article_as_source():
    result = parse("article_with_embeds.html")
    embedded = [e.post for e in result.article.embeds if e.post is not None]
    assert result.posts == embedded
    for post in result.posts:
        assert (post.source_kind, post.source_url) == ("embed", ARTICLE_URL)
    tiktok = result.posts[0]
    assert tiktok.caption.splitlines()[0] == "@lenaberg.skates"
    assert tiktok.sound == RawSound("Originalton", "Lena Berg", None, "7401234599990001111")
    bluesky = result.posts[2]
    assert (bluesky.author_handle, bluesky.declared_language) == ("lenaberg.bsky.social", "nl")


def test_lenient_json_ld_and_url_only_embeds():
    result = parse("article_lenient_jsonld.html", url="https://wintersport.example.de/inzell")
    article = result.article
    # entity-escaped JSON with a trailing comma, inside a list: still read
    assert (article.title, article.published_at, article.author) == (
        "Berg siegt in Inzell und feiert",
        "2025-02-01T10:00:00+0100",
        "Redaktion Wintersport",
    )
    assert (article.url, article.language) == ("https://wintersport.example.de/inzell", "de-DE")
    assert [(e.platform, e.platform_post_id, e.url) for e in article.embeds] == [
        ("mastodon", None, "https://social.example.nl/@lenaberg/113800000000000001"),
        ("youtube", "Zz9_-Yy8Xx7", "https://www.youtube.com/watch?v=Zz9_-Yy8Xx7"),
        ("tiktok", "7402222222222222222", "https://www.tiktok.com/@_/video/7402222222222222222"),
        ("instagram", "C9xYzAbCdEf", "https://www.instagram.com/p/C9xYzAbCdEf/"),
    ]
    assert result.posts == []


def test_article_from_open_graph_only_and_plain_links_are_not_embeds():
    result = parse("article_without_embeds.html", url=None)
    article = result.article
    assert (article.url, article.title, article.publisher, article.language) == (
        "https://idrett.example.no/skoyter/rekord",
        "Skøyter: ny norsk rekord på 5000 m",
        "Idrett Fiktiv",
        "no",
    )
    assert article.published_at == "2025-03-01T12:00:00+01:00"
    assert article.embeds == []


def test_article_metadata_from_microdata_when_there_is_no_json_ld():
    url = "https://wintersport.example.nl/schansspringen/haugland-238-meter?utm_source=feed"
    result = parse_payload(
        fixture_path("payloads", "news", "article_microdata.html").read_bytes(), url=url
    )
    article = asdict(result.article)
    embeds = article.pop("embeds")
    # microdata (extruct) before og: and <title>; nested Person items and a bare one give names
    assert article == {
        "url": "https://wintersport.example.nl/schansspringen/haugland-238-meter",
        "title": "Haugland vliegt naar 238 meter",
        "published_at": "2026-02-08T15:20:00+01:00",
        "author": "Ingrid Solberg, Pieter Smit",
        "publisher": "Wintersport Fictief",
        "language": "nl-NL",
        "description": "Sindre Haugland springt in Vikersund een persoonlijk record.",
    }
    assert [(e["platform"], e["platform_post_id"]) for e in embeds] == [
        ("instagram", "DAbCdEfGhIu"),
        ("youtube", "Vk9sUnd238m"),
    ]


def test_json_ld_comes_before_microdata_and_microdata_nested_too_deep_is_skipped():
    deep = '<div itemscope itemtype="https://schema.org/Thing" itemprop="about">' * 300
    page = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Uit JSON-LD"}</script></head><body>'
        '<article itemscope itemtype="https://schema.org/NewsArticle">'
        '<h1 itemprop="headline">Uit microdata</h1>'
        '<meta itemprop="datePublished" content="2026-02-01T10:00:00Z"></article>'
        f"{deep}x{'</div>' * 300}</body></html>"
    )
    article = parse_payload(page, platform="news").article
    assert (article.title, article.published_at) == ("Uit JSON-LD", None)
    shallow = page.replace(deep, "").replace("</div>" * 300, "")
    assert parse_payload(shallow, platform="news").article.published_at == "2026-02-01T10:00:00Z"


@pytest.mark.parametrize(
    ("depth", "items", "read"),
    [(3, 0, True), (20, 0, True), (30, 0, False), (0, 600, False)],
    ids=["nested-3", "nested-20", "nested-30", "600-items"],
)
def test_microdata_is_read_only_within_its_bounds(depth: int, items: int, read: bool):
    """Past MAX_MICRODATA_DEPTH nested items or MAX_MICRODATA_ITEMS items, a page's microdata is
    not handed to extruct at all (its recursive reading must not stall a crawl)."""
    wrap = '<div itemscope itemtype="https://schema.org/WebPage" itemprop="about">'
    page = (
        "<html><body>"
        + wrap * depth
        + '<article itemscope itemtype="https://schema.org/NewsArticle">'
        '<h1 itemprop="headline">Kop</h1></article>'
        + "</div>" * depth
        + '<span itemscope itemtype="https://schema.org/Thing"></span>' * items
        + "</body></html>"
    )
    article = parse_payload(page, platform="news").article
    assert (article.title == "Kop") is read


def test_microdata_with_a_link_extruct_cannot_join_costs_only_the_microdata():
    page = (
        '<html><body><article itemscope itemtype="https://schema.org/NewsArticle">'
        '<h1 itemprop="headline">Kop</h1><a itemprop="url" href="http://[::1/x">x</a>'
        '<iframe src="https://www.youtube.com/embed/Vk9sUnd238m"></iframe></article></body></html>'
    )
    result = parse_payload(page, url="https://wintersport.example.nl/a", platform="news")
    assert result.article.title is None
    assert [e.platform_post_id for e in result.article.embeds] == ["Vk9sUnd238m"]
