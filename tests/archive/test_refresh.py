"""archive.refresh: the targets, the policy derived from crawl_run, and the job function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive import config as config_mod
from archive import db, refresh, store
from demo.server import DemoServer
from tests.test_scheduler import (  # noqa: F401 - fixtures
    GRACE,
    SINDRE,
    Account,
    _jobs_may_run,
    bluesky_at,
    demo,
    load_settings,
    runs_of,
    write_config,
)

T0 = datetime(2026, 2, 1, tzinfo=UTC)
CFG = config_mod.SchedulerConfig(
    adaptive=True, min_cadence_minutes=30.0, max_cadence_minutes=1440.0, backoff_max_minutes=600.0
)


def run(
    status: str = "finished", *, at: float = 0.0, new: int = 0, pages: int = 1, full: bool = False
) -> dict[str, Any]:
    """A crawl_run row as refresh reads it; ``at`` in hours after T0."""
    start = T0 + timedelta(hours=at)
    return {
        "status": status,
        "started_at": start,
        "finished_at": start + timedelta(minutes=1),
        "posts_new": new,
        "pages": pages,
        "full_sweep": full,
    }


# --- targets and job arguments ------------------------------------------------------------------


def test_targets_take_the_platform_cadence_unless_the_athlete_or_source_overrides_it(
    tmp_path: Path, sqlite_url: str
) -> None:
    folder = write_config(
        tmp_path,
        cadence_minutes=120.0,
        news=["demo-sport"],
        accounts=[
            SINDRE,
            Account("ana", "ana.bsky.example", cadence_minutes=45),
            Account("ana", "ana", platform="mastodon"),
            Account("bo", "sindre.bsky.example"),
        ],
    )
    settings = load_settings(folder, sqlite_url)
    got = {t.id: t for t in refresh.targets(settings, config_mod.load_roster(settings.roster_path))}
    assert list(got) == [
        "bluesky:sindre.bsky.example",
        "bluesky:ana.bsky.example",
        "mastodon:ana",
        "news:demo-sport",
    ]  # a handle twice: one job
    assert got["bluesky:sindre.bsky.example"].cadence_minutes == 120.0
    assert got["bluesky:sindre.bsky.example"].athlete == "sindre-haugland"
    assert got["bluesky:ana.bsky.example"].cadence_minutes == 45.0
    assert got["mastodon:ana"].cadence_minutes == 45.0
    assert got["news:demo-sport"].cadence_minutes == settings.platform("news").cadence_minutes
    assert got["news:demo-sport"].crawl_args() == {"source": "demo-sport"}
    assert got["bluesky:ana.bsky.example"].crawl_args(full=True) == {
        "handle": "ana.bsky.example",
        "athlete": "ana",
        "full": "1",
    }
    kwargs = refresh.job_kwargs(got["mastodon:ana"], settings)
    assert kwargs["database_url"] == sqlite_url
    assert kwargs["config_dir"] == str(folder)
    assert refresh.target_from_kwargs(kwargs) == got["mastodon:ana"]


# --- policy -------------------------------------------------------------------------------------


def test_every_kth_finished_run_is_a_full_sweep() -> None:
    assert not refresh.full_sweep_due([], 3)
    assert not refresh.full_sweep_due([run()], 3)
    assert refresh.full_sweep_due([run(), run()], 3)
    assert not refresh.full_sweep_due([run(), run(full=True), run()], 3)
    assert not refresh.full_sweep_due([run("failed"), run("killed"), run(full=True)], 3)
    assert refresh.full_sweep_due([run("failed"), run(), run(), run(full=True)], 3)
    assert refresh.full_sweep_due([], 1)


def test_failures_in_a_row_are_counted_from_the_newest_closed_run() -> None:
    assert refresh.consecutive_failures([]) == 0
    assert refresh.consecutive_failures([run(), run("failed")]) == 0
    assert refresh.consecutive_failures([run("running"), run("killed"), run("failed"), run()]) == 2
    assert refresh.consecutive_failures([run(pages=0), run()]) == 1  # fetched nothing


def test_backoff_doubles_per_failure_is_capped_and_never_shorter_than_the_interval() -> None:
    assert refresh.backoff_minutes(0, 60, 600) == 60
    assert [refresh.backoff_minutes(n, 60, 600) for n in (1, 2, 3, 4, 50)] == [
        120,
        240,
        480,
        600,
        600,
    ]
    assert refresh.backoff_minutes(3, 900, 600) == 900


def test_adaptive_cadence_follows_the_posting_rate_within_bounds() -> None:
    hourly = [run(at=h, new=1) for h in (5, 4, 3, 2, 1, 0)]  # one new post an hour
    assert refresh.adaptive_interval(120, hourly, CFG) == pytest.approx(60)
    busy = [run(at=h, new=20) for h in (3, 2, 1, 0)]
    assert refresh.adaptive_interval(120, busy, CFG) == 30  # min_cadence_minutes
    quiet = [run(at=h * 24) for h in (3, 2, 1, 0)]
    assert refresh.adaptive_interval(120, quiet, CFG) == 1440  # max_cadence_minutes
    assert refresh.adaptive_interval(120, hourly[:2], CFG) == 120  # too little evidence
    assert refresh.adaptive_interval(10, busy, CFG) == 10  # a configured cadence is allowed
    off = config_mod.SchedulerConfig(adaptive=False)
    assert refresh.adaptive_interval(120, busy, off) == 120
    # the first run's backfill is only the starting point
    assert refresh.adaptive_interval(120, [*hourly[:-1], run(at=0, new=500)], CFG) == (
        pytest.approx(60)
    )


def test_the_adaptive_interval_changes_only_materially() -> None:
    target = refresh.Target("bluesky:x", "bluesky", 120.0, handle="x")
    hourly = [run(at=h, new=1) for h in (5, 4, 3, 2, 1, 0)]
    assert refresh.desired_interval(target, hourly, CFG, current_minutes=65) == 65
    assert refresh.desired_interval(target, hourly, CFG, current_minutes=120) == pytest.approx(60)
    news = refresh.Target("news:x", "news", 30.0, source="x")
    assert refresh.desired_interval(news, hourly, CFG, current_minutes=120) == 30


def test_plan_next_backs_off_a_failing_target_and_recovers(
    archive_url: str, tmp_path: Path
) -> None:
    settings = load_settings(write_config(tmp_path, cadence_minutes=60.0), archive_url)
    target = refresh.Target("bluesky:x", "bluesky", 60.0, handle="x")
    engine = db.make_engine(archive_url)

    def crawl(status: str) -> None:
        run_id = store.start_crawl_run(
            engine, spider="bluesky", target=target.id, athlete_slug=None, full_sweep=False
        )
        store.finish_crawl_run(engine, run_id, status=status, pages=1)

    assert refresh.plan_next(engine, target, settings, 60.0).not_before is None
    crawl("failed")
    crawl("killed")
    step = refresh.plan_next(engine, target, settings, 60.0)
    last = store.recent_runs(engine, target.id, limit=refresh.HISTORY)[0]
    assert (step.failures, step.interval_minutes) == (2, 60.0)
    assert step.not_before == last["finished_at"] + timedelta(minutes=240)
    crawl("finished")
    step = refresh.plan_next(engine, target, settings, 60.0)
    assert (step.failures, step.not_before) == (0, None)
    engine.dispose()


# --- the job function, with real child crawls ---------------------------------------------------


def test_run_crawl_runs_a_child_crawl_and_every_second_run_is_a_full_sweep(
    tmp_path: Path,
    sqlite_url: str,
    demo: DemoServer,  # noqa: F811
    bluesky_at: Callable[[str], None],  # noqa: F811
) -> None:
    db.upgrade(sqlite_url)
    bluesky_at(demo.base_urls["bluesky"])
    folder = write_config(tmp_path, accounts=[GRACE], full_sweep_every=2)
    settings = load_settings(folder, sqlite_url)
    target = next(iter(refresh.targets(settings, config_mod.load_roster(settings.roster_path))))
    kwargs = refresh.job_kwargs(target, settings)
    first = refresh.run_crawl(**kwargs)
    assert (first["status"], first["full_sweep"], first["posts_new"]) == ("finished", False, 16)
    demo.set_snapshot("later")
    second = refresh.run_crawl(**kwargs)
    assert (second["status"], second["full_sweep"]) == ("finished", True)
    assert (second["posts_new"], second["posts_deleted"]) == (1, 1)
    runs = runs_of(sqlite_url, target.id)
    assert [(r["full_sweep"], r["athlete_slug"], r["exit_code"]) for r in runs] == [
        (False, "grace-whitfield", 0),
        (True, "grace-whitfield", 0),
    ]
    assert refresh.active_crawls() == []


def test_run_crawl_starts_nothing_once_a_stop_is_requested(tmp_path: Path, sqlite_url: str) -> None:
    db.upgrade(sqlite_url)
    settings = load_settings(write_config(tmp_path), sqlite_url)
    target = refresh.targets(settings, config_mod.load_roster(settings.roster_path))[0]
    refresh.request_stop()
    assert refresh.run_crawl(**refresh.job_kwargs(target, settings))["status"] == "skipped"
    assert runs_of(sqlite_url, target.id) == []
    assert refresh.wait_idle(0.1)


def test_the_job_store_keeps_no_database_password(tmp_path: Path) -> None:
    from archive import config as config_mod
    from archive import refresh

    url = "postgresql+psycopg://podium:s3cret@127.0.0.1:5432/archive"
    settings = config_mod.load(tmp_path, database_url=url, environ={})
    target = refresh.Target(
        "bluesky:lotte.bsky.social", "bluesky", 60.0, handle="lotte.bsky.social"
    )
    kwargs = refresh.job_kwargs(target, settings)
    assert "s3cret" not in repr(kwargs) and kwargs["database_url"].endswith(
        "@127.0.0.1:5432/archive"
    )
    # The scheduler process that made the job connects with the full URL again.
    assert refresh._full_database_url(kwargs["database_url"], str(tmp_path)) == url
