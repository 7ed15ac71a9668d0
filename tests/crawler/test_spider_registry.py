"""Every spider Scrapy's loader finds follows the house rules (STYLE.md §4, §6)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from archive import config as config_mod
from tests.conftest import fixture_path
from tests.crawler.conftest import spider_for, start_requests

TESTS = Path(__file__).resolve().parent


@contextmanager
def _project_env() -> Iterator[None]:
    old = os.environ.get("SCRAPY_SETTINGS_MODULE")
    os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    try:
        yield
    finally:
        if old is None:
            del os.environ["SCRAPY_SETTINGS_MODULE"]
        else:
            os.environ["SCRAPY_SETTINGS_MODULE"] = old


def _loader() -> SpiderLoader:
    with _project_env():
        return SpiderLoader.from_settings(get_project_settings())


SPIDERS = sorted(_loader().list())


def test_every_platform_has_its_spider() -> None:
    assert SPIDERS == ["bluesky", "instagram", "mastodon", "news", "tiktok", "youtube"]


def test_the_configured_spider_names_are_the_spiders() -> None:
    assert sorted(config_mod.SPIDER_NAMES) == SPIDERS


@pytest.mark.parametrize("name", SPIDERS)
def test_module_name_is_the_spider_name(name: str) -> None:
    cls = _loader().load(name)
    assert cls.__module__ == f"crawler.spiders.{name}"
    assert cls.platform == name


@pytest.mark.parametrize("name", SPIDERS)
def test_fixture_folder_and_test_module_exist(name: str) -> None:
    folder = fixture_path("responses", name)
    assert any(folder.iterdir()), f"no saved responses in {folder}"
    assert (TESTS / f"test_{name}.py").is_file()


@pytest.mark.parametrize("name", SPIDERS)
def test_no_start_urls(name: str) -> None:
    assert not getattr(_loader().load(name), "start_urls", None)


@pytest.mark.parametrize("name", SPIDERS)
def test_start_yields_requests_for_the_two_athlete_roster(name: str) -> None:
    spider = spider_for(_loader().load(name))
    requests = start_requests(spider)
    assert requests
    assert all(isinstance(r, Request) and r.callback is not None for r in requests)
    assert all(r.url.startswith("http://127.0.0.1:8765/") for r in requests)
    if name != "news":  # news has sources, not accounts
        assert len(requests) == 2


@pytest.mark.parametrize("name", SPIDERS)
def test_class_docstring_has_the_fixed_headings(name: str) -> None:
    doc = _loader().load(name).__doc__ or ""
    for heading in ("Source:", "Access:", "Pagination:", "Fields not available:", "Caveats:"):
        assert heading in doc, f"{name}: no '{heading}' in the class docstring"
