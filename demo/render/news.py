"""The demo news site "Demo Sportnieuws": articles with embeds, RSS 2.0, a Google news sitemap.

Articles carry JSON-LD (``NewsArticle``; as a plain object, an ``@graph`` and a list, and one with
the colon-less ``+0100`` offset real sites send) and og:/article: meta tags (FORMATS.md §5.7).
Embeds follow §5: TikTok and Instagram blockquotes (full and URL-only), an X blockquote, a YouTube
iframe and a Bluesky blockquote. All links are absolute under ``{root}/news``.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from demo.articles import Article, Embed
from demo.content import World, render
from demo.render import instagram, tiktok, x
from demo.render.web import (
    Request,
    Response,
    html_response,
    not_found,
    rfc822,
    text_response,
    xml_response,
)

SITE_NAME = "Demo Sportnieuws"
CET = timedelta(hours=1)  # the articles are all from the winter: Europe/Amsterdam is UTC+1


def article_url(root: str, article: Article) -> str:
    """The absolute URL of an article."""
    return f"{root}/news/articles/{article.slug}.html"


def visible_articles(world: World, snapshot: str) -> list[Article]:
    """Articles published in the snapshot, newest first."""
    found = [a for a in world.articles if a.visible(snapshot)]
    return sorted(found, key=lambda a: a.published_at, reverse=True)


def _local(dt: datetime, colon: bool = True) -> str:
    text = (dt + CET).replace(tzinfo=None, microsecond=0).isoformat()
    return text + ("+01:00" if colon else "+0100")


def embed_html(world: World, embed: Embed) -> str:
    """The markup a publisher pasted for one embed (the text as it was when embedded)."""
    if embed.platform == "x":
        tweet = next(t for t in world.tweets if t.tweet_id == embed.post_id)
        return x.blockquote(world, tweet)
    post = world.post(embed.platform, embed.post_id)
    assert post is not None, embed
    if embed.platform == "tiktok":
        if embed.form == "url-only":
            return tiktok.url_only_blockquote(post)
        return tiktok.blockquote(world, post, "early", oembed=False)
    if embed.platform == "instagram":
        if embed.form == "url-only":
            return instagram.url_only_blockquote(post)
        return instagram.captioned_blockquote(world, post, "early")
    if embed.platform == "youtube":
        return (
            '<div class="video-embed"><iframe width="560" height="315" '
            f'src="https://www.youtube.com/embed/{post.post_id}?si=demo{post.post_id[:4]}" '
            'title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; '
            'clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" '
            'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe></div>'
        )
    if embed.platform == "bluesky":
        acc = post.account
        text = html.escape(render(world, post.caption, "bluesky").text, quote=False)
        text = text.replace("\n", "<br>")
        rkey = post.extra["rkey"]
        post_link = f"https://bsky.app/profile/{acc.account_id}/post/{rkey}?ref_src=embed"
        when = post.created_at
        hour = when.hour % 12 or 12
        shown = (
            f"{when:%B} {when.day}, {when.year} at {hour}:{when:%M} "
            f"{'AM' if when.hour < 12 else 'PM'}"
        )
        media = f' <a href="{post_link}">[image or embed]</a>' if post.extra.get("images") else ""
        return (
            f'<blockquote class="bluesky-embed" data-bluesky-uri="{post.post_id}" '
            f'data-bluesky-cid="{post.extra["cid"]}" data-bluesky-embed-color-mode="system">'
            f'<p lang="{post.language}">{text}{media}</p>&mdash; {html.escape(acc.name)} '
            f'(<a href="https://bsky.app/profile/{acc.account_id}?ref_src=embed">@{acc.handle}'
            f'</a>) <a href="{post_link}">{shown}</a></blockquote>'
            '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>'
        )
    raise ValueError(f"no embed markup for {embed.platform}")


def _json_ld(root: str, article: Article, index: int) -> str:
    url = article_url(root, article)
    body = {
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.description,
        "datePublished": _local(article.published_at, colon=index != 0),
        "dateModified": _local(article.published_at + timedelta(minutes=25), colon=index != 0),
        "author": {"@type": "Person", "name": article.author},
        "publisher": {
            "@type": "Organization",
            "name": SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{root}/news/logo.png"},
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "image": [f"{root}/news/images/{article.slug}.jpg"],
        "inLanguage": "nl",
        "articleSection": article.section,
        "keywords": list(article.keywords),
    }
    data: object
    if index == 1:
        data = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "@id": url, "name": article.headline},
                body,
            ],
        }
    elif index == 2:
        data = [
            {
                "@context": "https://schema.org",
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{root}/news/"},
                    {"@type": "ListItem", "position": 2, "name": article.section},
                ],
            },
            {"@context": "https://schema.org", **body},
        ]
    else:
        data = {"@context": "https://schema.org", **body}
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def article_page(world: World, root: str, article: Article) -> str:
    """The article HTML."""
    esc = html.escape
    index = world.articles.index(article)
    url = article_url(root, article)
    published = _local(article.published_at)
    body = []
    for paragraph in article.paragraphs:
        if paragraph.startswith("[[embed:"):
            n = int(paragraph.removeprefix("[[embed:").removesuffix("]]"))
            body.append(
                f'<figure class="social-embed">{embed_html(world, article.embeds[n])}</figure>'
            )
        elif paragraph.startswith("## "):
            body.append(f"<h2>{esc(paragraph[3:])}</h2>")
        else:
            body.append(f"<p>{esc(paragraph)}</p>")
    when = article.published_at + CET
    shown = f"{when.day}-{when.month}-{when.year} {when:%H:%M}"
    modified = _local(article.published_at + timedelta(minutes=25))
    tags = "".join(f'<meta property="article:tag" content="{esc(k)}">' for k in article.keywords)
    return f"""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>{esc(article.headline)} | {SITE_NAME}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{esc(article.description)}">
<meta name="author" content="{esc(article.author)}">
<link rel="canonical" href="{url}">
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="{root}/news/feed.xml">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:locale" content="nl_NL">
<meta property="og:title" content="{esc(article.headline)}">
<meta property="og:description" content="{esc(article.description)}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{root}/news/images/{article.slug}.jpg">
<meta property="article:published_time" content="{published}">
<meta property="article:modified_time" content="{modified}">
<meta property="article:section" content="{esc(article.section)}">
<meta property="article:author" content="{esc(article.author)}">
{tags}
<script type="application/ld+json">
{_json_ld(root, article, index)}
</script>
</head>
<body>
<header><a href="{root}/news/">{SITE_NAME}</a> <nav><a href="{root}/news/">Home</a></nav></header>
<main>
<article>
<p class="section">{esc(article.section)}</p>
<h1>{esc(article.headline)}</h1>
<p class="meta"><time datetime="{published}">{shown}</time> door {esc(article.author)}</p>
<p class="lead"><strong>{esc(article.description)}</strong></p>
{chr(10).join(body)}
</article>
</main>
<footer>&copy; {SITE_NAME} (demo)</footer>
</body>
</html>
"""


def rss(world: World, root: str, snapshot: str) -> str:
    """The RSS 2.0 feed of the news site."""
    articles = visible_articles(world, snapshot)
    items = "".join(
        f"""
  <item>
   <title>{escape(a.headline)}</title>
   <link>{article_url(root, a)}</link>
   <guid isPermaLink="true">{article_url(root, a)}</guid>
   <pubDate>{rfc822(a.published_at)}</pubDate>
   <dc:creator>{escape(a.author)}</dc:creator>
   <category>{escape(a.section)}</category>
   <description>{escape(a.description)}</description>
  </item>"""
        for a in articles
    )
    last = articles[0].published_at if articles else datetime(2026, 1, 1, tzinfo=UTC)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel>
  <title>{SITE_NAME}</title>
  <link>{root}/news/</link>
  <description>Sportnieuws van de demo-site van Podium</description>
  <language>nl</language>
  <lastBuildDate>{rfc822(last)}</lastBuildDate>
  <atom:link href="{root}/news/feed.xml" rel="self" type="application/rss+xml"/>{items}
 </channel>
</rss>
"""


def sitemap(world: World, root: str, snapshot: str) -> str:
    """The Google news sitemap."""
    urls = "".join(
        f"""
 <url>
  <loc>{article_url(root, a)}</loc>
  <news:news>
   <news:publication>
    <news:name>{SITE_NAME}</news:name>
    <news:language>nl</news:language>
   </news:publication>
   <news:publication_date>{_local(a.published_at)}</news:publication_date>
   <news:title>{escape(a.headline)}</news:title>
   <news:keywords>{escape(", ".join(a.keywords))}</news:keywords>
  </news:news>
 </url>"""
        for a in visible_articles(world, snapshot)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}
</urlset>
"""


def home(world: World, root: str, snapshot: str) -> str:
    """The news home page (links to the articles, the feed advertised in <head>)."""
    links = "".join(
        f'<li><a href="{article_url(root, a)}">{html.escape(a.headline)}</a></li>'
        for a in visible_articles(world, snapshot)
    )
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        f"<title>{SITE_NAME}</title>"
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" '
        f'href="{root}/news/feed.xml"></head><body><h1>{SITE_NAME}</h1>'
        f"<ul>{links}</ul></body></html>"
    )


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/news``."""
    path = req.path
    if path in ("/", ""):
        return html_response(home(world, req.root, req.snapshot))
    if path == "/feed.xml":
        return xml_response(rss(world, req.root, req.snapshot), "application/rss+xml")
    if path == "/sitemap-news.xml":
        return xml_response(sitemap(world, req.root, req.snapshot))
    if path == "/robots.txt":
        return text_response(
            f"User-agent: *\nDisallow: /news/drafts/\n\nSitemap: {req.root}/news/sitemap-news.xml\n"
        )
    if path.startswith("/articles/") and path.endswith(".html"):
        slug = path.removeprefix("/articles/").removesuffix(".html")
        article = next((a for a in visible_articles(world, req.snapshot) if a.slug == slug), None)
        if article is not None:
            return html_response(article_page(world, req.root, article))
    return not_found()
