"""``podium serve`` in a real browser: Debian's headless Chromium driven by Playwright.

Clicks through search → athlete → post → status on the demo archive, saving a screenshot of
each page under the test's temporary folder, and proves that hostile captions and names do not
run: the page's title and DOM stay as served, no dialog opens. Skipped when no browser is
installed, a failure under CI=true (``.ci/run`` installs ``chromium``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.web.conftest import HOSTILE_SLUG, DemoArchive, LiveServer

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("PODIUM_TEST_CHROMIUM", "/usr/bin/chromium")
#: Headless Chromium on a closed network: no background requests, no first-run work.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(why: str) -> None:
    if IN_CI:
        pytest.fail(f"{why}; under CI=true a missing browser is a failure")
    pytest.skip(why)


@pytest.fixture(scope="module")
def playwright_api() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright_api: Any, tmp_path: Path) -> Iterator[Any]:
    """A Chromium of this test's own (a fresh profile folder), desktop-sized."""
    context = playwright_api.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1200, "height": 900},
    )
    yield context
    context.close()


class Watch:
    """What a page did that it should not: dialogs opened, console errors, CSP reports."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def shot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{name}: an empty screenshot"
    return path


def test_search_athlete_post_status_by_clicking(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page = browser.new_page()
    watch = Watch(page)
    page.goto(live_server.base + "/")
    assert page.title() == "Athletes · Podium"
    shot(page, tmp_path, "home")

    page.fill("header.site input[name=q]", "schaatsen")
    page.click("header.site button[type=submit]")
    page.wait_for_url("**/search?q=schaatsen")
    summary = page.inner_text("p.summary")
    assert "posts match" in summary and "schaatsen" in summary
    hits = page.locator("article.hit")
    assert hits.count() == 20
    assert page.locator("article.hit mark").count() >= 20
    shot(page, tmp_path, "search")

    athlete = hits.first.locator("header a").first
    name = athlete.inner_text()
    athlete.click()
    page.wait_for_url(f"**/athletes/{name}")
    assert page.locator("h1").inner_text()
    assert page.locator("section.chart svg rect").count() > 5
    assert page.locator("table.accounts tbody tr").count() >= 3
    assert page.locator(".health").first.inner_text() in ("ok", "changed", "never listed")
    assert page.locator("article.post").count() == 30
    shot(page, tmp_path, "athlete")

    first_post = page.locator("article.post footer a").first
    first_post.click()
    page.wait_for_url("**/posts/*")
    assert page.locator("h2", has_text="Caption history").count() == 1
    assert page.locator("ol.versions li").count() >= 1
    assert page.locator("svg.avail rect").count() >= 1
    shot(page, tmp_path, "post")

    page.click("header.site nav >> text=Status")
    page.wait_for_url("**/status")
    assert page.locator("h1").inner_text() == "Status"
    assert page.locator("table.runs tbody tr").count() >= 6
    assert page.locator("table.runs .run").first.inner_text() in (
        "finished",
        "incomplete",
    )
    shot(page, tmp_path, "status")
    assert watch.dialogs == [] and watch.errors == []


def _pwned(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({
            title: document.title,
            pwned: document.body.hasAttribute('data-pwned'),
            scripts: document.scripts.length,
            handlers: Array.from(document.querySelectorAll('*')).filter(
                el => Array.from(el.attributes).some(a => a.name.startsWith('on'))).length,
            jsLinks: Array.from(document.querySelectorAll('a[href]')).filter(
                a => !/^(https?:|\\/)/i.test(a.getAttribute('href'))).length,
        })"""
    )


def test_hostile_captions_and_names_do_not_run(
    browser: Any, live_server: LiveServer, demo_archive: DemoArchive, tmp_path: Path
) -> None:
    page = browser.new_page()
    watch = Watch(page)
    hostile = demo_archive.hostile
    visits = {
        "athlete": (f"/athletes/{HOSTILE_SLUG}", "Eve Hostile"),
        "search": ("/search?q=%23xsstest&sort=date", "#xsstest — search"),
        "script": (f"/posts/{hostile['script']}", "TikTok post by"),
        "onerror": (f"/posts/{hostile['onerror']}", "TikTok post by"),
        "link": (f"/posts/{hostile['link']}", "TikTok post by"),
    }
    for name, (path, title_part) in visits.items():
        page.goto(live_server.base + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # time for an image's onerror, were there one
        state = _pwned(page)
        assert state["title"] != "pwned" and title_part in state["title"], (name, state)
        assert state == {**state, "pwned": False, "scripts": 0, "handlers": 0, "jsLinks": 0}, name
        shot(page, tmp_path, f"hostile-{name}")
    # the captions are on the pages, as text
    page.goto(live_server.base + f"/posts/{hostile['script']}")
    assert "<script>" in page.inner_text("p.caption.big")
    assert page.locator("del").count() >= 1 and page.locator("ins").count() >= 1
    page.goto(live_server.base + f"/posts/{hostile['link']}")
    assert page.locator("a", has_text="klik").count() == 0
    page.goto(live_server.base + f"/posts/{hostile['onerror']}")
    assert page.locator("a", has_text="original post").count() == 0  # javascript: is no link
    assert "javascript:alert('url')" in page.inner_text("section.intro")
    assert watch.dialogs == []


def test_pages_fit_a_phone(playwright_api: Any, live_server: LiveServer, tmp_path: Path) -> None:
    context = playwright_api.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        device_scale_factor=2,
    )
    try:
        page = context.new_page()
        for name, path in (
            ("home", "/"),
            ("search", "/search?q=goud"),
            ("athlete", "/athletes/lotte-van-dijk"),
            ("status", "/status"),
        ):
            page.goto(live_server.base + path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390 + 1, (name, width)  # no sideways scrolling of the page
            shot(page, tmp_path, f"phone-{name}")
    finally:
        context.close()
