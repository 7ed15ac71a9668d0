"""Helpers for spider tests: saved responses as Scrapy responses, spiders built through a crawler.

Every test here runs against a fixed environment: a two-athlete roster with one news source and
every platform's base URL on the demo root the fixtures were captured from
(``http://127.0.0.1:8765``, ``demo.site.build_site``). No test fetches anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from tests.conftest import fixture_path

DEMO_ROOT = "http://127.0.0.1:8765"
PLATFORMS = ("tiktok", "instagram", "bluesky", "mastodon", "youtube", "x", "news")

TEST_ROSTER = f"""
[[athlete]]
slug = "lotte-van-dijk"
name = "Lotte van Dijk"
languages = ["nl", "en"]
  [[athlete.account]]
  platform = "tiktok"
  handle = "lottevandijk"
  [[athlete.account]]
  platform = "instagram"
  handle = "lotte.vandijk"
  [[athlete.account]]
  platform = "bluesky"
  handle = "lottevandijk.bsky.example"
  [[athlete.account]]
  platform = "mastodon"
  handle = "lotte@schaats.example"
  [[athlete.account]]
  platform = "youtube"
  handle = "UCuz9_EOqmAqt06ppoVI--Lg"

[[athlete]]
slug = "mila-verhoeven"
name = "Mila Verhoeven"
languages = ["nl", "en"]
  [[athlete.account]]
  platform = "tiktok"
  handle = "milaverhoeven10"
  [[athlete.account]]
  platform = "instagram"
  handle = "mila.verhoeven"
  [[athlete.account]]
  platform = "bluesky"
  handle = "mila.bsky.example"
  [[athlete.account]]
  platform = "mastodon"
  handle = "mila@voetbal.example"
  [[athlete.account]]
  platform = "youtube"
  handle = "UCmilaverhoeven0000000000"

[[news]]
slug = "demo-sportnieuws"
name = "Demo Sportnieuws"
feeds = ["{DEMO_ROOT}/news/feed.xml"]
sitemaps = ["{DEMO_ROOT}/news/sitemap-news.xml"]
"""

TEST_CONFIG = """
[crawl]
stop_after_known = 3
""" + "".join(
    f"""
[platform.{p}]
download_delay = 0.0
retry_times = 2
"""
    for p in PLATFORMS
)


@pytest.fixture(autouse=True)
def crawl_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder of our own; archive.config.load() reads these variables at call time."""
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "podium.toml").write_text(TEST_CONFIG, encoding="utf-8")
    (cfg / "athletes.toml").write_text(TEST_ROSTER, encoding="utf-8")
    monkeypatch.setenv("PODIUM_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("PODIUM_ROSTER", str(cfg / "athletes.toml"))
    monkeypatch.setenv("PODIUM_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    for platform in PLATFORMS:
        monkeypatch.setenv(f"PODIUM_{platform.upper()}_BASE_URL", f"{DEMO_ROOT}/{platform}")
    return cfg


def fake_response(
    path_or_bytes: Path | str | bytes,
    url: str,
    meta: dict[str, Any] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A response as the downloader would hand it over, with a real Request attached.

    ``path_or_bytes`` is a fixture file (a Path, or "spider/name" under tests/fixtures/responses/)
    or the body itself. HTML gives an HtmlResponse, XML an XmlResponse, else a TextResponse.
    """
    if isinstance(path_or_bytes, bytes):
        body, name = path_or_bytes, ""
    else:
        path = Path(path_or_bytes)
        if not path.is_absolute():
            path = fixture_path("responses", *path.parts)
        body, name = path.read_bytes(), path.name
    request = Request(url, meta=meta or {})
    head = body.lstrip()[:200].lower()
    if name.endswith(".html") or head.startswith((b"<!doctype", b"<html")):
        cls: type[TextResponse] = HtmlResponse
    elif name.endswith(".xml") or head.startswith(b"<?xml"):
        cls = XmlResponse
    else:
        cls = TextResponse
    return cls(
        url=url, status=status, headers=headers or {}, body=body, request=request, encoding="utf-8"
    )


def spider_for(cls: type[Spider], settings: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """The spider built through ``from_crawler`` (stats, settings, update_settings)."""
    crawler = get_crawler(cls, settings or {})
    spider = cls.from_crawler(crawler, **kwargs)
    crawler.spider = spider
    return spider


def collect(output: Iterable[Any] | None) -> list[Any]:
    """Everything a callback yields."""
    return list(output or [])


def of_type(items: Iterable[Any], cls: type) -> list[Any]:
    """The items of one class."""
    return [i for i in items if isinstance(i, cls)]


async def _drain(agen: Any) -> list[Any]:
    return [r async for r in agen]


def start_requests(spider: Spider) -> list[Any]:
    """What ``spider.start()`` yields."""
    import asyncio

    return asyncio.run(_drain(spider.start()))


def requests_in(items: Iterable[Any]) -> Iterator[Request]:
    """The Requests among a callback's output."""
    return (i for i in items if isinstance(i, Request))
