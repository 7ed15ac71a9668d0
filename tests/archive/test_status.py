"""archive.status and `podium status`: last run, next run, health, totals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from sqlalchemy.engine import Engine

import scheduler as scheduler_mod
from archive import config as config_mod
from archive import db, status, store
from archive.cli import cli
from tests.test_scheduler import GRACE, SINDRE, Account, load_settings, write_config

LOTTE = Account("lotte-van-dijk", "lottevandijk.bsky.example")


def crawl(
    engine: Engine,
    target: str,
    status_: str,
    *,
    pages: int = 1,
    new: int = 0,
    problem: str | None = None,
    errors: str | None = None,
) -> int:
    """A closed crawl_run row for ``target`` (and a problem row when given)."""
    run_id = store.start_crawl_run(
        engine, spider="bluesky", target=target, athlete_slug=None, full_sweep=False
    )
    if problem:
        store.record_problem(engine, reason=problem, platform="bluesky", crawl_run_id=run_id)
    result = store.BatchResult()
    result.new = new
    store.finish_crawl_run(
        engine,
        run_id,
        status=status_,
        pages=pages,
        result=result,
        errors=errors,
        reason=None if status_ == "finished" else "timeout",
    )
    return run_id


def row(
    runs: list[dict[str, Any]],
    blocked: frozenset[int] = frozenset(),
    unreachable: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    return status.health(runs, set(blocked), set(unreachable))


def test_health_from_the_latest_runs() -> None:
    ok = {"id": 1, "status": "finished", "pages": 3, "started_at": 1}
    failed = {"id": 2, "status": "failed", "pages": 0, "started_at": 2}
    killed = {"id": 3, "status": "killed", "pages": 1, "started_at": 3}
    empty = {"id": 4, "status": "finished", "pages": 0, "started_at": 4}
    running = {"id": 5, "status": "running", "pages": 0, "started_at": 5}
    assert row([])["state"] == "never run"
    assert row([running])["state"] == "running"
    assert row([running, ok, failed])["state"] == "ok"
    assert row([killed, failed, ok]) == {"state": "failing", "since": 2, "runs": 2}
    assert row([empty, ok]) == {"state": "blocked", "since": 4, "runs": 1}
    assert row([ok], frozenset({1})) == {"state": "blocked", "since": 1, "runs": 1}
    short = {"id": 6, "status": "incomplete", "pages": 4, "started_at": 6}
    gone = {"id": 7, "status": "interrupted", "pages": 2, "started_at": 7}
    assert row([short, ok]) == {"state": "incomplete", "since": 6, "runs": 1}
    assert row([short, ok], unreachable=frozenset({6}))["state"] == "unreachable"
    assert row([short, ok], frozenset({6}), frozenset())["state"] == "blocked"
    assert row([gone, short, ok])["state"] == "failing"


def test_status_reports_last_run_next_run_health_and_totals(
    tmp_path: Path, archive_url: str
) -> None:
    folder = write_config(tmp_path / "cfg", accounts=[SINDRE, GRACE, LOTTE], news=["demo-sport"])
    settings = load_settings(folder, archive_url)
    roster = config_mod.load_roster(settings.roster_path)
    engine = db.make_engine(archive_url)
    sindre, grace, lotte = (f"bluesky:{a.handle}" for a in (SINDRE, GRACE, LOTTE))
    crawl(engine, sindre, "finished", new=17)
    crawl(engine, sindre, "failed", pages=0, errors="child exited with 1")
    crawl(engine, sindre, "killed", errors="killed at its timeout")
    crawl(engine, grace, "finished", new=3)
    crawl(engine, lotte, "finished", problem="HTTP 403")

    report = status.refresh_status(engine, settings, roster)
    by_id = {e["target"]: e for e in report["targets"]}
    assert list(by_id) == [sindre, grace, lotte, "news:demo-sport"]
    assert by_id[sindre]["health"]["state"] == "failing"
    first_failure = by_id[sindre]["health"]["since"]
    assert by_id[sindre]["last_run"]["status"] == "killed"
    assert "killed at its timeout" in by_id[sindre]["last_run"]["errors"]
    assert by_id[grace]["health"]["state"] == "ok"
    assert by_id[grace]["last_run"]["posts_new"] == 3
    assert by_id[lotte]["health"]["state"] == "blocked"
    assert by_id["news:demo-sport"]["health"]["state"] == "never run"
    assert not any(e["scheduled"] for e in report["targets"])
    assert report["totals"]["crawl_runs"] == 5
    assert report["totals"]["problems"] == 1

    sched = scheduler_mod.build_scheduler(settings, scheduler_class=BackgroundScheduler)
    sched.start(paused=True)
    expected = {job.id: job.next_run_time for job in sched.get_jobs()}
    sched.shutdown()
    report = status.refresh_status(engine, settings, roster)
    assert {e["target"]: e["next_run"] for e in report["targets"]} == expected
    rows = {r["target"]: r for r in status.table_rows(report)}
    assert rows[sindre]["health"].startswith("failing since ")
    assert rows[sindre]["health"].endswith(first_failure.strftime("%Y-%m-%d %H:%M"))
    assert rows[sindre]["result"] == "killed"
    assert rows["news:demo-sport"]["next run"] != "not scheduled"
    engine.dispose()


def test_podium_status_table_and_json(tmp_path: Path, sqlite_url: str) -> None:
    db.upgrade(sqlite_url)
    folder = write_config(tmp_path / "cfg", accounts=[SINDRE, GRACE])
    engine = db.make_engine(sqlite_url)
    crawl(engine, "bluesky:sindre.bsky.example", "finished", new=17)
    crawl(engine, "bluesky:gracewhitfield.bsky.example", "failed", pages=0)
    engine.dispose()
    invoke: Callable[..., Any] = CliRunner().invoke
    base = ["--config", str(folder), "status", "--db", sqlite_url]

    table = invoke(cli, base)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "target",
        "athlete",
        "last",
        "run",
        "result",
        "new",
        "updated",
        "errors",
        "next",
        "run",
        "health",
    ]
    sindre = next(line for line in lines if line.startswith("bluesky:sindre"))
    assert " 17 " in sindre and sindre.endswith(" ok") and "not scheduled" in sindre
    assert "failing since" in next(line for line in lines if line.startswith("bluesky:grace"))
    assert "archive: 0 posts" in table.stdout

    out = invoke(cli, [*base, "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert [e["target"] for e in report["targets"]] == [
        "bluesky:sindre.bsky.example",
        "bluesky:gracewhitfield.bsky.example",
    ]
    assert report["targets"][0]["last_run"]["posts_new"] == 17
    assert report["targets"][1]["health"]["state"] == "failing"
    assert report["totals"]["crawl_runs"] == 2


def test_podium_status_without_an_archive_says_what_to_do(tmp_path: Path) -> None:
    folder = write_config(tmp_path / "cfg")
    result = CliRunner().invoke(
        cli, ["--config", str(folder), "status", "--db", f"sqlite:///{tmp_path / 'none.db'}"]
    )
    assert result.exit_code == 1
    assert "podium init" in result.output


def test_schedule_and_status_have_help() -> None:
    for command in ("schedule", "status"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0
        assert "--db" in result.output


def _listing(outcome: str, seen: int, reason: str | None = None, at: int = 0) -> dict[str, Any]:
    return {"id": at, "ended_at": at, "outcome": outcome, "posts_seen": seen, "reason": reason}


def test_listing_health_tells_what_went_wrong() -> None:
    read, caught = _listing("read", 12, at=1), _listing("caught_up", 3, at=2)
    health = status.listing_health
    assert health([])["state"] == "never listed"
    assert health([caught, read]) == {"state": "ok", "since": None}
    refused = _listing("broke_off", 0, "unreachable: connection refused (…)", at=3)
    assert health([refused, read])["state"] == "unreachable"
    walled = _listing("broke_off", 0, "TikTok: blocked (a challenge page)", at=4)
    assert health([walled, refused, read]) == {
        "state": "blocked",
        "since": 3,
        "why": "TikTok: blocked (a challenge page)",
    }
    changed = _listing("broke_off", 0, "Bluesky getAuthorFeed: malformed JSON", at=5)
    assert health([changed, read])["state"] == "changed"  # it was read before: the page changed
    assert health([changed])["state"] == "failing"  # never read: nothing says it changed
    empty = _listing("read", 0, at=6)
    silent = health([empty, read])
    assert silent["state"] == "changed" and "showed 12 before" in silent["why"]
    assert health([_listing("suspect", 2, "the listing shrank", at=7), read])["state"] == "suspect"


def test_status_shows_every_account_and_who_listed_it(tmp_path: Path, archive_url: str) -> None:
    folder = write_config(tmp_path / "cfg", accounts=[SINDRE, GRACE])
    settings = load_settings(folder, archive_url)
    roster = config_mod.load_roster(settings.roster_path)
    engine = db.make_engine(archive_url)
    store.sync_roster(engine, roster)
    manual = crawl(engine, "bluesky:roster", "finished")
    store.record_listing(
        engine,
        crawl_run_id=manual,
        platform="bluesky",
        handle=SINDRE.handle,
        outcome="read",
        full_sweep=False,
        posts_seen=17,
        pages=1,
    )
    store.record_listing(
        engine,
        crawl_run_id=manual,
        platform="bluesky",
        handle=GRACE.handle,
        outcome="broke_off",
        full_sweep=False,
        posts_seen=0,
        pages=0,
        reason="unreachable: DNS lookup failed (…)",
    )
    report = status.refresh_status(engine, settings, roster)
    engine.dispose()
    by_account = {a["account"]: a for a in report["accounts"]}
    sindre, grace = by_account[f"bluesky:{SINDRE.handle}"], by_account[f"bluesky:{GRACE.handle}"]
    assert sindre["health"]["state"] == "ok" and sindre["last_listing"]["started_by"] == "manual"
    assert grace["health"]["state"] == "unreachable"
    rows = {r["account"]: r for r in status.account_rows(report)}
    assert rows[f"bluesky:{GRACE.handle}"]["why"].startswith("unreachable: DNS")
    assert [(r["id"], r["target"], r["started_by"]) for r in report["runs"]] == [
        (manual, "bluesky:roster", "manual")
    ]
