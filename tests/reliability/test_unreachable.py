"""Requests that fail for good are problems, in words a person understands, never silence."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive import db
from archive.crawl import CrawlJob, run_crawl_job
from demo.job import demo_settings
from demo.server import DemoServer

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_news_feed_and_post_url_are_problems(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    db.upgrade(url)
    dead = f"http://127.0.0.1:{_closed_port()}"
    with DemoServer() as server:
        settings, env = demo_settings(server, tmp_path, url)
        roster = settings.roster_path.read_text(encoding="utf-8")
        settings.roster_path.write_text(roster.replace(server.root, dead), encoding="utf-8")
        news = run_crawl_job(CrawlJob("news", {}, "news:test"), settings, extra_env=env)
        post = run_crawl_job(
            CrawlJob("mastodon", {"urls": f"{dead}/@someone/1234"}, "mastodon:urls"),
            settings,
            extra_env={**env, "PODIUM_MASTODON_BASE_URL": dead},
        )
    assert news.status == "incomplete" and post.status == "incomplete"
    engine = db.make_engine(url)
    with engine.connect() as conn:
        reasons = conn.execute(sa.text("SELECT reason, source_url FROM problem")).all()
    engine.dispose()
    assert reasons and all(r.reason.startswith("unreachable: connection refused") for r in reasons)
    assert {r.source_url.split("/")[2] for r in reasons} == {dead.split("/")[2]}
    assert "unreachable: connection refused" in (news.run["errors"] or "")


def test_a_url_the_spider_cannot_fetch_is_a_problem_not_a_finished_run(tmp_path: Path) -> None:
    """A YouTube video URL (videos have no feed) once ended a run as "finished" with 0 pages and a
    log line; now the run falls short and the problem row says why."""
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    db.upgrade(url)
    video = "https://www.youtube.com/watch?v=oZyT4BppZSs"
    with DemoServer() as server:
        settings, env = demo_settings(server, tmp_path, url)
        outcome = run_crawl_job(
            CrawlJob("youtube", {"urls": video}, "youtube:urls"), settings, extra_env=env
        )
    assert outcome.status == "incomplete"
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT reason, source_url, platform FROM problem")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (
            "cannot fetch: not a YouTube channel or feed URL (videos have no feed)",
            video,
            "youtube",
        )
    ]
