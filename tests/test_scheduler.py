"""scheduler.py with the real APScheduler, real child crawls and the offline demo site.

The crawls are the Bluesky spider's against ``demo.DemoServer``; waits poll with a
deadline, and nothing asserts how long anything took.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler

import scheduler as scheduler_mod
from archive import config as config_mod
from archive import db, refresh, store
from demo.server import DemoServer

REPO = Path(__file__).resolve().parent.parent

# --- helpers (tests/archive/test_refresh.py and test_status.py use them too) ---------------------


@dataclass
class Account:
    """One roster account for a test config."""

    athlete: str
    handle: str
    platform: str = "bluesky"
    cadence_minutes: float | None = None  # the athlete's override


SINDRE = Account("sindre-haugland", "sindre.bsky.example")  # 17 posts early, 1 more later
GRACE = Account("grace-whitfield", "gracewhitfield.bsky.example")  # later: 1 new, 1 deleted


def write_config(
    folder: Path,
    *,
    accounts: Sequence[Account] = (SINDRE,),
    news: Sequence[str] = (),
    cadence_minutes: float = 60.0,
    timeout_seconds: float = 120.0,
    full_sweep_every: int = 10,
    adaptive: bool = False,
    shutdown_wait_seconds: float = 60.0,
) -> Path:
    """A config folder (podium.toml + athletes.toml) for Bluesky accounts.

    The spiders find Bluesky at ``PODIUM_BLUESKY_BASE_URL`` (the ``bluesky_at`` fixture sets
    it): the scheduler's jobs and their child crawls read it from the environment.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "podium.toml").write_text(
        f"""
[crawl]
stop_after_known = 3
timeout_seconds = {timeout_seconds}

[platform.bluesky]
cadence_minutes = {cadence_minutes}
download_delay = 0.0
concurrency = 8
autothrottle = false
retry_times = 0

[scheduler]
jitter_seconds = 0.0
misfire_grace_seconds = 60.0
full_sweep_every = {full_sweep_every}
backoff_max_minutes = 600.0
adaptive = {str(adaptive).lower()}
min_cadence_minutes = 30.0
max_cadence_minutes = 1440.0
shutdown_wait_seconds = {shutdown_wait_seconds}
""",
        encoding="utf-8",
    )
    lines = []
    by_athlete: dict[str, list[Account]] = {}
    for acc in accounts:
        by_athlete.setdefault(acc.athlete, []).append(acc)
    for slug, accs in by_athlete.items():
        lines += ["[[athlete]]", f'slug = "{slug}"', f'name = "{slug}"']
        override = next((a.cadence_minutes for a in accs if a.cadence_minutes), None)
        if override:
            lines.append(f"cadence_minutes = {override}")
        for acc in accs:
            lines += [
                "  [[athlete.account]]",
                f'  platform = "{acc.platform}"',
                f'  handle = "{acc.handle}"',
            ]
        lines.append("")
    for slug in news:
        lines += ["[[news]]", f'slug = "{slug}"', f'feeds = ["http://127.0.0.1:9/{slug}.xml"]', ""]
    (folder / "athletes.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder


def load_settings(folder: Path, url: str) -> config_mod.Settings:
    """Settings from a test config folder (and PODIUM_BLUESKY_BASE_URL)."""
    return config_mod.load(folder, database_url=url)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def runs_of(url: str, target: str) -> list[dict[str, Any]]:
    """The target's crawl_run rows, oldest first."""
    engine = db.make_engine(url)
    try:
        return list(reversed(store.recent_runs(engine, target, limit=100)))
    finally:
        engine.dispose()


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    """The demo site (early snapshot) on a free local port."""
    with DemoServer() as server:
        yield server


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A local port that accepts connections (the kernel does, from the backlog) and never
    answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/bluesky"
    finally:
        sock.close()


@pytest.fixture
def bluesky_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Point the Bluesky spider (in this process's jobs and their child crawls) at a URL."""
    return lambda url: monkeypatch.setenv("PODIUM_BLUESKY_BASE_URL", url)


@pytest.fixture(autouse=True)
def _jobs_may_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's PODIUM_* settings stay out; the job function accepts work (a stop is
    process-wide)."""
    for name in [n for n in os.environ if n.startswith("PODIUM_")]:
        monkeypatch.delenv(name)
    refresh.reset_stop()
    yield
    refresh.reset_stop()


@pytest.fixture
def started() -> Iterator[Callable[..., Any]]:
    """Build and start BackgroundSchedulers; each is stopped (and its crawls waited for) after."""
    made: list[Any] = []

    def start(settings: config_mod.Settings, *, paused: bool = True, **kw: Any) -> Any:
        sched = scheduler_mod.build_scheduler(settings, scheduler_class=BackgroundScheduler, **kw)
        made.append(sched)
        sched.start(paused=paused)
        assert sched.podium.error is None
        return sched

    yield start
    refresh.request_stop()
    for sched in made:
        if sched.state != STATE_STOPPED:
            sched.shutdown(wait=True)


def jobs_of(sched: Any) -> dict[str, Any]:
    return {job.id: job for job in sched.get_jobs()}


# --- building and reconciling, nothing crawled ---------------------------------------------------


def test_build_scheduler_gives_a_blocking_scheduler_nothing_started(
    tmp_path: Path, sqlite_url: str
) -> None:
    db.upgrade(sqlite_url)
    folder = write_config(tmp_path / "cfg", accounts=[SINDRE, GRACE], news=["demo-sport"])
    sched = scheduler_mod.build_scheduler(load_settings(folder, sqlite_url))
    assert isinstance(sched, BlockingScheduler)
    assert sched.state == STATE_STOPPED
    engine = db.make_engine(sqlite_url)
    assert not sa.inspect(engine).has_table("apscheduler_jobs")  # nothing touched yet
    engine.dispose()
    settings = load_settings(folder, sqlite_url)
    ids = [t.id for t in refresh.targets(settings, config_mod.load_roster(settings.roster_path))]
    assert ids == [
        "bluesky:sindre.bsky.example",
        "bluesky:gracewhitfield.bsky.example",
        "news:demo-sport",
    ]


def test_restart_keeps_the_schedule_and_a_config_change_touches_only_that_job(
    tmp_path: Path, archive_url: str, started: Callable[..., Any]
) -> None:
    a, b = Account("ana", "ana.bsky.example"), Account("bo", "bo.bsky.example")
    c, d = Account("cy", "cy.bsky.example"), Account("di", "di.bsky.example")
    folder = tmp_path / "cfg"
    write_config(folder, accounts=[a, b, c], news=["demo-sport"])
    first = started(load_settings(folder, archive_url))
    assert sorted(first.podium.reconciled.added) == sorted(
        [
            "bluesky:ana.bsky.example",
            "bluesky:bo.bsky.example",
            "bluesky:cy.bsky.example",
            "news:demo-sport",
        ]
    )
    before = {jid: (job.next_run_time, job.trigger.interval) for jid, job in jobs_of(first).items()}
    job = jobs_of(first)["bluesky:ana.bsky.example"]
    assert job.func_ref == refresh.JOB_FUNC
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 60)
    assert job.kwargs["database_url"] == archive_url
    assert job.kwargs["handle"] == "ana.bsky.example"
    assert job.kwargs["athlete"] == "ana"
    first.shutdown()

    again = started(load_settings(folder, archive_url))
    r = again.podium.reconciled
    assert (r.added, r.changed, r.removed) == ([], [], [])
    assert {
        jid: (job.next_run_time, job.trigger.interval) for jid, job in jobs_of(again).items()
    } == before
    again.shutdown()

    # b leaves the roster, d joins, c gets a cadence of its own
    write_config(
        folder,
        accounts=[a, Account("cy", "cy.bsky.example", cadence_minutes=10.0), d],
        news=["demo-sport"],
    )
    third = started(load_settings(folder, archive_url))
    r = third.podium.reconciled
    assert r.added == ["bluesky:di.bsky.example"]
    assert r.removed == ["bluesky:bo.bsky.example"]
    assert r.changed == ["bluesky:cy.bsky.example"]
    assert sorted(r.kept) == ["bluesky:ana.bsky.example", "news:demo-sport"]
    after = jobs_of(third)
    assert "bluesky:bo.bsky.example" not in after
    for jid in r.kept:
        assert (after[jid].next_run_time, after[jid].trigger.interval) == before[jid]
    assert after["bluesky:cy.bsky.example"].trigger.interval == timedelta(minutes=10)
    assert after["bluesky:cy.bsky.example"].next_run_time < before["bluesky:cy.bsky.example"][0]
    assert after["bluesky:cy.bsky.example"].kwargs["cadence_minutes"] == 10.0


def test_a_job_without_its_account_in_the_config_is_removed_even_when_all_are(
    tmp_path: Path, sqlite_url: str, started: Callable[..., Any]
) -> None:
    db.upgrade(sqlite_url)
    folder = write_config(tmp_path / "cfg")
    started(load_settings(folder, sqlite_url)).shutdown()
    write_config(folder, accounts=[])
    sched = started(load_settings(folder, sqlite_url))
    assert sched.podium.reconciled.removed == ["bluesky:sindre.bsky.example"]
    assert sched.get_jobs() == []


# --- real crawls -----------------------------------------------------------------------------------


def test_a_short_cadence_runs_twice_the_second_adds_only_what_is_new_and_never_overlaps(
    tmp_path: Path,
    sqlite_url: str,
    demo: DemoServer,
    started: Callable[..., Any],
    bluesky_at: Callable[[str], None],
) -> None:
    db.upgrade(sqlite_url)
    bluesky_at(demo.base_urls["bluesky"])
    # one second: shorter than any crawl
    folder = write_config(tmp_path / "cfg", cadence_minutes=1 / 60)
    target = "bluesky:sindre.bsky.example"
    done: list[str] = []

    def after_run(event: Any) -> None:
        done.append(event.job_id)
        if len(done) == 1:
            demo.set_snapshot("later")  # before the next run can start: max_instances=1
        elif len(done) == 2:
            sched.pause()

    sched = started(load_settings(folder, sqlite_url), paused=True)
    sched.add_listener(after_run, EVENT_JOB_EXECUTED)
    sched.resume()
    wait_for("the first crawl to start", lambda: runs_of(sqlite_url, target))
    wait_for("two runs", lambda: len(done) >= 2, timeout=90)
    runs = [r for r in runs_of(sqlite_url, target) if r["status"] != "running"]
    first, second = runs[0], runs[1]
    assert (first["status"], first["posts_new"]) == ("finished", 17)
    # later: one new post; the others are known (their counts grew: "updated", not new)
    assert (second["status"], second["posts_new"]) == ("finished", 1)
    assert second["started_at"] >= first["finished_at"]  # one at a time
    assert sched.podium.skipped.get(target, 0) >= 1  # the second-by-second runs were skipped
    engine = db.make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one() == 18
    engine.dispose()


def test_a_hanging_crawl_is_killed_recorded_and_the_target_backs_off_then_recovers(
    tmp_path: Path,
    sqlite_url: str,
    hanging_url: str,
    started: Callable[..., Any],
    bluesky_at: Callable[[str], None],
) -> None:
    db.upgrade(sqlite_url)
    bluesky_at(hanging_url)
    folder = write_config(tmp_path / "cfg", timeout_seconds=2.0, cadence_minutes=10.0)
    target = "bluesky:sindre.bsky.example"
    settings = load_settings(folder, sqlite_url)
    sched = started(settings, paused=False)
    run = wait_for(
        "the crawl to be killed",
        lambda: next((r for r in runs_of(sqlite_url, target) if r["status"] == "killed"), None),
    )
    assert run["finish_reason"] == "timeout after 2 s"
    assert run["errors"] == "killed at its timeout"
    # backoff: one failure doubles the 10-minute interval, counted from the failed run's end
    job = wait_for(
        "the backoff",
        lambda: (
            (j := sched.get_job(target))
            and j.next_run_time
            and j.next_run_time >= run["finished_at"] + (1.9 * j.trigger.interval)
            and j
        ),
    )
    assert job.trigger.interval == timedelta(minutes=10)
    # a success ends the backoff: the next adjustment leaves the normal schedule alone
    engine = db.make_engine(sqlite_url)
    ok = store.start_crawl_run(
        engine, spider="bluesky", target=target, athlete_slug=None, full_sweep=False
    )
    store.finish_crawl_run(engine, ok, status="finished", pages=1)
    engine.dispose()
    assert sched.podium.adjust(sched.get_job(target)) == {}


def test_sigterm_waits_for_the_running_crawl_and_exits_zero(
    tmp_path: Path, sqlite_url: str, demo: DemoServer
) -> None:
    db.upgrade(sqlite_url)
    folder = write_config(tmp_path / "cfg", shutdown_wait_seconds=60.0)
    env = {**os.environ, "PODIUM_BLUESKY_BASE_URL": demo.base_urls["bluesky"]}
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scheduler.py"), "--db", sqlite_url, "--config", str(folder)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    target = "bluesky:sindre.bsky.example"
    try:
        wait_for("the crawl to start", lambda: runs_of(sqlite_url, target) or proc.poll())
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    runs = runs_of(sqlite_url, target)
    assert [(r["status"], r["posts_new"]) for r in runs] == [("finished", 17)]
    assert "SIGTERM" in err


# --- command lines -----------------------------------------------------------------------------


def test_scheduler_help_and_list(tmp_path: Path, sqlite_url: str) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "scheduler.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "--db" in out and "--config" in out
    folder = write_config(tmp_path / "cfg", accounts=[SINDRE, GRACE])
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "archive.cli",
            "--config",
            str(folder),
            "schedule",
            "--db",
            sqlite_url,
            "--list",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert [line.split("\t")[0] for line in listed.splitlines()] == [
        "bluesky:sindre.bsky.example",
        "bluesky:gracewhitfield.bsky.example",
    ]


def test_the_scheduler_starts_only_on_an_initialised_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_config(tmp_path / "cfg")
    missing = tmp_path / "missing.db"
    assert scheduler_mod.main(["--db", f"sqlite:///{missing}", "--config", str(folder)]) == 1
    assert f"no archive at {missing}; create it with `podium init`" in capsys.readouterr().err
    assert not missing.exists()  # looking did not create it
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert scheduler_mod.main(["--db", f"sqlite:///{empty}", "--config", str(folder)]) == 1
    assert "is not initialised; run `podium init` first" in capsys.readouterr().err


def test_the_job_function_is_found_by_name() -> None:
    from apscheduler.util import ref_to_obj

    assert ref_to_obj(refresh.JOB_FUNC) is refresh.run_crawl
