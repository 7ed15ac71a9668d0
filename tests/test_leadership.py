"""One active scheduler per archive: the locks on their own, then two real scheduler processes.

The process tests run ``scheduler.py`` twice against one archive (SQLite and PostgreSQL) with
the Bluesky spider crawling the offline demo site; waits poll with a deadline, and nothing
asserts how long anything took.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive import db, leadership
from archive.errors import DatabaseError
from archive.leadership import FileLock, Identity
from archive.store.leadership import AdvisoryLock, parse_application_name
from demo.server import DemoServer
from tests.test_scheduler import SINDRE, runs_of, wait_for, write_config

REPO = Path(__file__).resolve().parent.parent
TARGET = f"bluesky:{SINDRE.handle}"


# --- the locks -------------------------------------------------------------------------------


def test_the_sqlite_lock_has_one_holder_who_is_named_and_it_frees_on_release(
    tmp_path: Path,
) -> None:
    path = tmp_path / "archive.db.scheduler-lock"
    first = FileLock(path, me=Identity(pid=101, host="box-a"))
    second = FileLock(path, me=Identity(pid=202, host="box-b"))
    assert second.holder() is None
    assert first.try_acquire()
    assert not second.try_acquire()
    holder = second.holder()
    assert holder is not None and (holder.pid, holder.host) == (101, "box-a")
    assert holder.since is not None
    assert leadership.describe(holder).startswith("pid 101, host box-a, since ")
    first.release()
    assert second.try_acquire()
    holder = first.holder()
    assert holder is not None and (holder.pid, holder.host) == (202, "box-b")
    second.release()


@pytest.mark.postgres
def test_the_postgresql_lock_has_one_holder_per_archive_and_dies_with_its_connection(
    pg_url: str, pg_server: str
) -> None:
    first = AdvisoryLock(pg_url, pid=101, host="box-a")
    second = AdvisoryLock(pg_url, pid=202, host="box-b")
    elsewhere = AdvisoryLock(pg_server, pid=303, host="box-c")  # another database
    try:
        assert second.holder() is None
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire()
        holder = second.holder()
        assert holder is not None and (holder.pid, holder.host) == (101, "box-a")
        assert elsewhere.try_acquire()  # advisory locks are per database
        # The holder's session ends as a killed process's would: the server drops the lock.
        engine = db.make_engine(pg_url)
        with engine.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'podium-scheduler 101@box-a'"
                )
            )
            conn.commit()
        engine.dispose()
        wait_for("the lock to be free", lambda: second.holder() is None, timeout=30)
        assert not first.still_held()
        assert second.try_acquire()
    finally:
        for lock in (first, second, elsewhere):
            lock.release()


def test_the_holder_name_round_trips_and_other_names_are_nobody() -> None:
    assert parse_application_name("podium-scheduler 42@host.example") == (42, "host.example")
    assert parse_application_name("psql") == (None, None)
    assert parse_application_name(None) == (None, None)


def test_an_archive_in_memory_has_no_scheduler_lock() -> None:
    with pytest.raises(DatabaseError, match="in a file, not in memory"):
        leadership.lock_for("sqlite://")


def test_waiting_says_who_is_active_and_takes_over_when_the_holder_lets_go(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "archive.db.scheduler-lock"
    active = FileLock(path, me=Identity(pid=101, host="box-a"))
    waiting = FileLock(path, me=Identity(pid=202, host="box-b"))
    assert active.try_acquire()
    stop = threading.Event()
    result: list[bool] = []
    thread = threading.Thread(
        target=lambda: result.append(
            leadership.wait_until_leader(waiting, stop=stop, poll_seconds=0.05)
        )
    )
    with caplog.at_level("WARNING", logger="archive.leadership"):
        thread.start()
        wait_for("the waiting message", lambda: "waiting: another" in caplog.text)
        active.release()
        thread.join(timeout=30)
    assert result == [True]
    assert "waiting: another scheduler is active (pid 101, host box-a, since " in caplog.text
    assert "taking over" in caplog.text
    waiting.release()
    stop.set()


# --- two scheduler processes -----------------------------------------------------------------


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


class Scheduler:
    """One ``python scheduler.py`` process, its stderr in a file."""

    def __init__(self, name: str, folder: Path, url: str, env: dict[str, str]) -> None:
        self.log = folder.parent / f"{name}.log"
        with self.log.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(REPO / "scheduler.py"), "--db", url, "--config", str(folder)],
                cwd=folder.parent,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


def _env(demo: DemoServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_BLUESKY_BASE_URL"] = demo.base_urls["bluesky"]
    return env


def finished_runs(url: str) -> list[dict[str, object]]:
    return [r for r in runs_of(url, TARGET) if r["status"] == "finished"]


def job_ids(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(sa.text(f"SELECT id FROM {db.SCHEDULER_JOB_TABLE} ORDER BY id"))
                .scalars()
                .all()
            )
    finally:
        engine.dispose()


def test_a_second_scheduler_waits_then_takes_over_from_a_killed_one_without_doubling_jobs(
    tmp_path: Path, archive_url: str, demo: DemoServer
) -> None:
    # Every 30 s: the first run falls due at once, the next one after the takeover.
    folder = write_config(tmp_path / "cfg", cadence_minutes=0.5)
    env = _env(demo)
    first = Scheduler("first", folder, archive_url, env)
    started = [first]
    try:
        wait_for("the first scheduler's crawl", lambda: finished_runs(archive_url), timeout=120)
        second = Scheduler("second", folder, archive_url, env)
        started.append(second)
        waiting = (
            f"waiting: another scheduler is active (pid {first.proc.pid}, "
            f"host {socket.gethostname()}"
        )
        wait_for("the second scheduler to wait", lambda: waiting in second.text(), timeout=60)
        assert first.proc.poll() is None and second.proc.poll() is None
        killed_at = datetime.now(UTC)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()
        wait_for("the takeover", lambda: "taking over" in second.text(), timeout=60)
        wait_for(
            "a crawl by the second scheduler",
            lambda: any(r["started_at"] > killed_at for r in finished_runs(archive_url)),
            timeout=120,
        )
        assert second.stop() == 0, second.text()
    finally:
        for proc in started:
            if proc.proc.poll() is None:
                proc.proc.kill()
                proc.proc.wait()
    assert job_ids(archive_url) == [TARGET]  # the takeover reconciled; it added nothing
    runs = runs_of(archive_url, TARGET)
    # A kill that lands mid-crawl cuts that run short: it is closed as interrupted, never left
    # running. Every run after the takeover finished.
    before = [r["status"] for r in runs if r["started_at"] < killed_at]
    after = [r["status"] for r in runs if r["started_at"] > killed_at]
    assert before[0] == "finished" and set(before) <= {"finished", "interrupted"}
    assert after and set(after) == {"finished"}
    for earlier, later in itertools.pairwise(runs):
        assert later["started_at"] >= earlier["finished_at"]  # one at a time: never doubled
    assert "waiting" not in first.text()
    assert "jobs: 0 added, 0 changed, 0 removed, 1 kept" in second.text()


def test_a_waiting_scheduler_leaves_quietly_on_sigterm(
    tmp_path: Path, sqlite_url: str, demo: DemoServer
) -> None:
    db.upgrade(sqlite_url)
    folder = write_config(tmp_path / "cfg", cadence_minutes=60.0)
    env = _env(demo)
    first = Scheduler("first", folder, sqlite_url, env)
    second = Scheduler("second", folder, sqlite_url, env)
    try:
        wait_for(
            "one scheduler to wait",
            lambda: "waiting: another" in first.text() + second.text(),
            timeout=60,
        )
        waiter, active = (second, first) if "waiting" in second.text() else (first, second)
        assert waiter.stop() == 0
        assert "nothing ran here" in waiter.text()
        assert active.proc.poll() is None  # the active one goes on
    finally:
        first.stop()
        second.stop()
