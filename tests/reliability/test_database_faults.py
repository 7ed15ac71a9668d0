"""The database misbehaving: SQLite locked by another writer, PostgreSQL restarted or its
connections killed mid-crawl. Writes retry transient errors (``db.retry_transient``) and no
batch is lost; everything else fails at once.

The PostgreSQL here is a cluster of this module's own (``pgcluster.PgCluster``: initdb in a
temporary folder, its own port), so a test may stop and restart it without disturbing the
shared test server.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import logging
import os
import pkgutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import db, store
from archive.crawl import CrawlJob, run_crawl_job
from demo.job import demo_settings
from demo.server import DemoServer
from tests.archive.test_store import observe
from tests.conftest import _unavailable
from tests.reliability.pgcluster import ClusterUnavailableError, PgCluster, free_port

RETRY_LINE = "transient database error"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    """A PostgreSQL cluster of this module's own (skipped locally, failed under CI, if none)."""
    try:
        pg = PgCluster.create()
    except ClusterUnavailableError as exc:
        _unavailable("a PostgreSQL cluster of the tests' own", exc)
    with pg:
        yield pg


@pytest.fixture
def pg(cluster: PgCluster) -> PgCluster:
    """The module's cluster, running (a test that failed half-way may have left it stopped)."""
    if not cluster.is_running():
        cluster.start()
    return cluster


def fresh_database(pg: PgCluster) -> tuple[str, str]:
    """A new database on the cluster, migrated to head: (url, name)."""
    name = f"podium_{uuid.uuid4().hex[:10]}"
    url = pg.create_database(name)
    db.upgrade(url)
    return url, name


def locked_sqlite(path: Path) -> sqlite3.Connection:
    """Another writer holding the write lock of a SQLite archive (until it commits)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def contents(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    """What the archive says about each post, without the times of the observation."""
    q = {
        "post": "SELECT p.id, p.platform, p.platform_post_id, p.caption, p.body, p.language, "
        "p.declared_language, p.availability, p.url, p.kind, p.posted_at, p.likes, p.views, "
        "p.comments, p.shares, p.is_pinned, p.is_repost, a.handle, s.title AS sound "
        "FROM post p LEFT JOIN account a ON a.id = p.account_id "
        "LEFT JOIN sound s ON s.id = p.sound_id",
        "hashtags": "SELECT ph.post_id, h.key FROM post_hashtag ph "
        "JOIN hashtag h ON h.id = ph.hashtag_id ORDER BY ph.post_id, ph.position",
        "mentions": "SELECT post_id, key FROM mention ORDER BY post_id, position",
        "versions": "SELECT post_id, body FROM post_version ORDER BY post_id, body_hash",
        "snapshots": "SELECT post_id, likes FROM metric_snapshot ORDER BY post_id, captured_at",
    }
    with engine.connect() as conn:
        rows = {k: conn.execute(sa.text(v)).all() for k, v in q.items()}
    by_id: dict[int, dict[str, Any]] = {}
    for r in rows["post"]:
        d = r._asdict()
        post_id = d.pop("id")
        by_id[post_id] = {**d, "hashtags": [], "mentions": [], "versions": [], "snapshots": []}
    for key in ("hashtags", "mentions", "versions", "snapshots"):
        for post_id, value in rows[key]:
            by_id[post_id][key].append(value)
    return {(d["platform"], d["platform_post_id"]): d for d in by_id.values()}


def problems(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text("SELECT reason FROM problem")).scalars())


def retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if RETRY_LINE in r.getMessage()]


# --- which errors are transient: real errors from real servers -----------------------------------


def _error(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except Exception as exc:
        return exc
    raise AssertionError("expected an error")


def sqlite_locked(tmp: Path) -> BaseException:
    url = f"sqlite:///{tmp / 'a.db'}"
    db.upgrade(url)
    engine = db.make_engine(url, busy_timeout=0)
    holder = locked_sqlite(tmp / "a.db")
    try:
        with db.writer(engine).begin():  # BEGIN IMMEDIATE is refused at once
            pass
    except sa.exc.OperationalError as exc:
        return exc
    finally:
        holder.rollback()
        engine.dispose()
    raise AssertionError("the write lock was free")


def sqlite_error(sql: str, *, readonly: bool = False) -> Callable[[Path], BaseException]:
    def make(tmp: Path) -> BaseException:
        path = tmp / "b.db"
        with sqlite3.connect(path) as setup:
            setup.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
            setup.execute("INSERT OR IGNORE INTO t VALUES (1)")
        setup.close()
        url = f"sqlite:///file:{path}?mode=ro&uri=true" if readonly else f"sqlite:///{path}"
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                return _error(lambda: conn.exec_driver_sql(sql))
        finally:
            engine.dispose()

    return make


SQLITE_CASES = {
    "database is locked": (sqlite_locked, True),
    "unique violation": (sqlite_error("INSERT INTO t VALUES (1)"), False),
    "syntax error (an OperationalError)": (sqlite_error("SELEC 1"), False),
    "no such table": (sqlite_error("SELECT * FROM nope"), False),
    "read-only database": (sqlite_error("INSERT INTO t VALUES (2)", readonly=True), False),
}


@pytest.mark.parametrize("case", SQLITE_CASES)
def test_sqlite_errors_are_sorted_transient_or_not(case: str, tmp_path: Path) -> None:
    make, transient = SQLITE_CASES[case]
    exc = make(tmp_path)
    assert isinstance(exc, sa.exc.DBAPIError), repr(exc)
    assert db.is_transient(exc) is transient, repr(exc)
    assert db.is_transient(exc.orig) is transient, repr(exc.orig)  # the bare driver error too


def pg_terminated(pg: PgCluster, url: str) -> BaseException:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            pg.terminate_backends(sa.make_url(url).database or "")
            return _error(lambda: conn.exec_driver_sql("SELECT 1"))
    finally:
        engine.dispose()


def pg_refused(pg: PgCluster, url: str) -> BaseException:
    nobody = sa.make_url(url).set(port=free_port())
    return _error(lambda: sa.create_engine(nobody, poolclass=sa.pool.NullPool).connect())


def pg_shutting_down(pg: PgCluster, url: str) -> BaseException:
    """A smart shutdown waits for open sessions; meanwhile new ones are refused (57P03)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    held = engine.connect()
    held.exec_driver_sql("SELECT 1")
    try:
        pg.request_stop("smart")
        deadline = time.monotonic() + 10
        while True:
            exc = _error(lambda: engine.connect().close())
            if "shutting down" in str(exc) or time.monotonic() > deadline:
                return exc
            time.sleep(0.05)
    finally:
        held.close()
        pg.wait_stopped()
        pg.start()


def pg_sql(
    *statements: str, other: str | None = None, commit_other: bool = False
) -> Callable[[PgCluster, str], BaseException]:
    """Run statements on one connection; before the last, ``other`` runs on a second one (its
    transaction left open, holding its locks, unless ``commit_other``)."""

    def make(pg: PgCluster, url: str) -> BaseException:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        setup = engine.connect()
        setup.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v int CHECK (v > 0))"
        )
        setup.exec_driver_sql("INSERT INTO t VALUES (1, 1) ON CONFLICT DO NOTHING")
        setup.commit()
        try:
            with engine.connect() as conn:
                for sql in statements[:-1]:
                    conn.exec_driver_sql(sql)
                if other:
                    setup.exec_driver_sql(other)
                    if commit_other:
                        setup.commit()
                return _error(lambda: conn.exec_driver_sql(statements[-1]))
        finally:
            setup.rollback()
            setup.close()
            engine.dispose()

    return make


PG_CASES = {
    "connection terminated (57P01)": (pg_terminated, True),
    "connection refused": (pg_refused, True),
    "server shutting down (57P03)": (pg_shutting_down, True),
    "serialization failure (40001)": (
        pg_sql(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "SELECT * FROM t",
            "UPDATE t SET v = v + 1 WHERE id = 1",
            other="UPDATE t SET v = v + 1 WHERE id = 1",
            commit_other=True,
        ),
        True,
    ),
    "lock timeout (55P03)": (
        pg_sql(
            "SET lock_timeout = '50ms'",
            "UPDATE t SET v = 3 WHERE id = 1",
            other="SELECT * FROM t WHERE id = 1 FOR UPDATE",
        ),
        True,
    ),
    "unique violation": (pg_sql("INSERT INTO t VALUES (1, 1)"), False),
    "check violation": (pg_sql("INSERT INTO t VALUES (2, -1)"), False),
    "data error": (pg_sql("SELECT 'x'::int"), False),
    "syntax error": (pg_sql("SELEC 1"), False),
    "statement timeout": (pg_sql("SET statement_timeout = 10", "SELECT pg_sleep(1)"), False),
    "no such database": (
        lambda pg, url: _error(lambda: sa.create_engine(pg.url("nope")).connect()),
        False,
    ),
    "no such role": (
        lambda pg, url: _error(
            lambda: sa.create_engine(sa.make_url(url).set(username="nobody")).connect()
        ),
        False,
    ),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", PG_CASES)
def test_postgresql_errors_are_sorted_transient_or_not(case: str, pg: PgCluster) -> None:
    make, transient = PG_CASES[case]
    url = pg.url("postgres")
    exc = make(pg, url)
    assert isinstance(exc, sa.exc.DBAPIError), repr(exc)
    assert db.is_transient(exc) is transient, repr(exc)
    assert db.is_transient(exc.orig) is transient, repr(exc.orig)  # the bare driver error too


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (sa.exc.DisconnectionError("pool: connection was invalidated"), True),
        (ValueError("database is locked"), False),  # not a database error, whatever it says
        (RuntimeError("connection refused"), False),
    ],
)
def test_errors_that_are_no_database_error_are_not_transient(
    exc: BaseException, transient: bool
) -> None:
    assert db.is_transient(exc) is transient


# --- the decorator -------------------------------------------------------------------------------


@pytest.fixture
def locked_error(tmp_path: Path) -> BaseException:
    """A real "database is locked" error."""
    return sqlite_locked(tmp_path)


@pytest.fixture
def unique_error(tmp_path: Path) -> BaseException:
    """A real unique violation."""
    return sqlite_error("INSERT INTO t VALUES (1)")(tmp_path)


def failing(errors: list[BaseException]) -> tuple[Callable[[Engine], str], list[float]]:
    """A decorated write that raises ``errors`` one by one, then succeeds."""
    calls: list[float] = []

    @db.retry_transient
    def write(engine: Engine) -> str:
        calls.append(time.monotonic())
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "stored"

    return write, calls


def test_a_transient_error_is_retried_with_one_warning_each(
    locked_error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.make_engine("sqlite://")
    write, calls = failing([locked_error] * 3)
    with caplog.at_level(logging.WARNING, logger="archive.db"):
        assert write(engine) == "stored"
    assert len(calls) == 4
    assert len(retries(caplog)) == 3
    assert all("database is locked" in line for line in retries(caplog))
    pauses = [b - a for a, b in itertools.pairwise(calls)]
    assert 0.04 < pauses[0] < 0.5 and pauses[2] > pauses[0]  # backoff grows


def test_other_errors_are_raised_at_once(
    unique_error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.make_engine("sqlite://")
    write, calls = failing([unique_error])
    with pytest.raises(sa.exc.IntegrityError):
        write(engine)
    assert len(calls) == 1 and not retries(caplog)


def test_after_the_budget_the_last_error_is_raised(
    locked_error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.make_engine("sqlite://", retry_seconds=0.6)
    assert db.retry_budget(engine) == 0.6
    write, calls = failing([locked_error] * 1000)
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="archive.db"),
        pytest.raises(sa.exc.OperationalError) as info,
    ):
        write(engine)
    assert info.value is locked_error
    assert time.monotonic() - started >= 0.6  # the whole budget was used, then no more tries
    assert 3 <= len(calls) < 20
    assert "giving up" in caplog.records[-1].getMessage()


def test_a_retrying_write_inside_another_leaves_the_retrying_to_the_outer_one(
    locked_error: BaseException,
) -> None:
    engine = db.make_engine("sqlite://")
    inner, inner_calls = failing([locked_error])
    outer_calls: list[int] = []

    @db.retry_transient
    def outer(engine: Engine) -> str:
        outer_calls.append(1)
        return inner(engine)

    assert outer(engine) == "stored"
    assert (len(outer_calls), len(inner_calls)) == (2, 2)  # not 1 outer call with 2 inner ones


def test_engines_ping_pooled_connections_and_take_the_knobs(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'k.db'}", busy_timeout=1.5)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1500
    assert engine.pool._pre_ping
    assert db.retry_budget(engine) == db.RETRY_SECONDS
    engine.dispose()


def store_writes() -> dict[str, Callable[..., Any]]:
    """Every public function of archive.store's modules that opens a write transaction itself
    (``db.writer(...)``, directly or through a private helper of its module)."""
    found = {}
    for info in pkgutil.iter_modules(store.__path__):
        module = importlib.import_module(f"archive.store.{info.name}")
        functions = {
            name: fn
            for name, fn in vars(module).items()
            if inspect.isfunction(fn) and inspect.unwrap(fn).__module__ == module.__name__
        }
        sources = {name: inspect.getsource(inspect.unwrap(fn)) for name, fn in functions.items()}
        helpers = [n for n, src in sources.items() if n.startswith("_") and "db.writer(" in src]
        for name, src in sources.items():
            if not name.startswith("_") and (
                "db.writer(" in src or any(f"{h}(" in src for h in helpers)
            ):
                found[f"{module.__name__}.{name}"] = functions[name]
    return found


#: Writes that must not wait and retry, each with the reason.
BEST_EFFORT_WRITES = {
    # A search catches the side index up before answering: pruning the applied change log is
    # tried once with a short busy timeout and otherwise left to the next sync.
    "archive.store.search_index.sync",
}


def test_every_store_write_retries() -> None:
    writes = store_writes()
    assert {"archive.store.posts.upsert_posts", "archive.store.problems.record_problem"} <= set(
        writes
    )
    assert set(writes) >= BEST_EFFORT_WRITES  # still writes: the exemption means something
    assert [
        name
        for name, fn in writes.items()
        if not hasattr(fn, "__wrapped__") and name not in BEST_EFFORT_WRITES
    ] == []
    assert not hasattr(store.upsert_posts_in, "__wrapped__")  # runs in its caller's transaction


# --- SQLite: another writer holds the lock ------------------------------------------------------


def test_a_batch_waits_out_another_writers_lock_on_sqlite(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "archive.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url, busy_timeout=0.25)
    posts = [observe(n) for n in range(40)]
    holder = locked_sqlite(path)
    # The lock outlasts one busy_timeout many times: a single attempt fails ...
    with pytest.raises(sa.exc.OperationalError, match="database is locked") as info:
        store.upsert_posts.__wrapped__(engine, posts)  # type: ignore[attr-defined]
    assert db.is_transient(info.value)
    # ... and the retrying write lands the whole batch once the other writer lets go.
    release = threading.Timer(2.0, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="archive.db"):
        result = store.upsert_posts(engine, posts)
    waited = time.monotonic() - started
    release.join()
    holder.close()
    assert waited >= 1.5
    assert retries(caplog)
    assert result.new == 40
    with engine.connect() as conn:
        for table in ("post", "post_version", "metric_snapshot"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 40
    engine.dispose()


def write(engine: Engine) -> None:
    """An empty write transaction."""
    with db.writer(engine).begin():
        pass


def turn_taken(path: Path) -> bool:
    """Whether a writer of this process holds the write turn of ``path`` (``archive.db``)."""
    turn = db._write_turn(str(path))
    assert turn is not None
    return turn._lock.locked()


def test_the_write_turn_follows_the_write_lock_out_of_every_transaction(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url, busy_timeout=0.2)
    with db.writer(engine).begin() as conn:  # committed
        assert turn_taken(path)
        conn.exec_driver_sql("UPDATE post SET likes = 0")
    assert not turn_taken(path)

    def fail_inside() -> None:
        with db.writer(engine).begin():
            assert turn_taken(path)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):  # rolled back
        fail_inside()
    assert not turn_taken(path)
    with db.writer(engine).connect() as conn:  # given back to the pool uncommitted
        conn.begin()
        assert turn_taken(path)
    assert not turn_taken(path)
    with engine.connect() as conn, conn.begin():  # readers never take it
        assert not turn_taken(path)
    holder = locked_sqlite(path)  # another process's writer: BEGIN IMMEDIATE fails
    with pytest.raises(sa.exc.OperationalError, match="database is locked"):
        write(engine)
    assert not turn_taken(path)
    holder.execute("COMMIT")
    holder.close()
    engine.dispose()


def test_a_forked_child_does_not_inherit_a_taken_turn(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url, busy_timeout=0.2)
    with db.writer(engine).begin():
        assert turn_taken(path)
        child = os.fork()
        if child == 0:  # the child: its own turns, none taken
            os._exit(0 if not turn_taken(path) else 1)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    engine.dispose()


def test_writers_of_one_process_take_turns_and_none_waits_longer_than_sqlite_would(
    tmp_path: Path,
) -> None:
    path = tmp_path / "archive.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    first, second = (db.make_engine(url, busy_timeout=0.2) for _ in range(2))
    order: list[str] = []
    with db.writer(first).begin():
        # The same thread asking again would wait for itself: after its busy_timeout SQLite
        # refuses, as it did before there were turns, instead of waiting for ever.
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            write(second)
        later = db.make_engine(url, busy_timeout=30.0)

        def write_second() -> None:
            with db.writer(later).begin():
                order.append("second")

        waiting = threading.Thread(target=write_second)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # waits for its turn (and SQLite's lock) ...
        order.append("first")
    waiting.join(10)
    assert order == ["first", "second"]  # ... and gets it when the first one commits
    assert not turn_taken(path)
    for engine in (first, second, later):
        engine.dispose()


# --- PostgreSQL: connections killed, the server restarted ---------------------------------------


def kill_during_next_batch(engine: Engine, at_statement: int, kill: Callable[[], object]) -> None:
    """Call ``kill`` once, just before the ``at_statement``-th statement on the engine."""
    seen = 0

    def before(*_args: object) -> None:
        nonlocal seen
        seen += 1
        if seen == at_statement:
            event.remove(engine, "before_cursor_execute", before)
            kill()

    event.listen(engine, "before_cursor_execute", before)


@pytest.mark.postgres
def test_killed_connections_and_a_server_down_mid_batch_lose_no_post(
    pg: PgCluster, caplog: pytest.LogCaptureFixture
) -> None:
    url, name = fresh_database(pg)
    ref_url, _ = fresh_database(pg)
    batches = [[observe(n, likes=10 + b) for n in range(b * 15, b * 15 + 25)] for b in range(5)]
    engine = db.make_engine(url)
    caplog.set_level(logging.WARNING, logger="archive.db")

    store.upsert_posts(engine, batches[0])
    # Between two batches: the pooled connection is dead; the ping at checkout replaces it.
    assert pg.terminate_backends(name) >= 1
    store.upsert_posts(engine, batches[1])
    assert not retries(caplog)

    # During a batch: the server ends the connection half-way through the transaction.
    kill_during_next_batch(engine, 6, lambda: pg.terminate_backends(name))
    store.upsert_posts(engine, batches[2])
    assert len(retries(caplog)) == 1 and "AdminShutdown" in retries(caplog)[0]

    # Without the ping, the batch's first statement meets the dead connection: retried too.
    unpinged = db.make_engine(url, pool_pre_ping=False)
    store.upsert_posts(unpinged, batches[3][:1])
    pg.terminate_backends(name)
    store.upsert_posts(unpinged, batches[3])
    assert len(retries(caplog)) == 2
    unpinged.dispose()

    # During a batch, the server goes down for a second: connections are refused, then it is back.
    restart = threading.Timer(1.0, pg.start)
    kill_during_next_batch(engine, 4, lambda: (pg.stop(), restart.start()))
    store.upsert_posts(engine, batches[4])
    restart.join()
    assert any("Connection refused" in line for line in retries(caplog)[2:])

    reference = db.make_engine(ref_url)
    for batch in batches:
        store.upsert_posts(reference, batch)
    got, want = contents(engine), contents(reference)
    assert len(got) == 15 * 4 + 25
    assert got == want
    engine.dispose()
    reference.dispose()


#: Small batches, one request at a time; ``delay`` between requests makes the crawl last seconds.
CRAWL_CONFIG = """[crawl]
stop_after_known = 3
batch_size = 5

[platform.mastodon]
download_delay = {delay}
concurrency = 1
autothrottle = false
retry_times = 2
"""


def crawl_into(
    url: str, server: DemoServer, folder: Path, *, delay: float, lines: list[str] | None = None
) -> dict[str, Any]:
    """One real child crawl of the demo's Mastodon accounts into the archive at ``url``."""
    folder.mkdir()
    settings, env = demo_settings(server, folder, url)
    (folder / "podium.toml").write_text(CRAWL_CONFIG.format(delay=delay), encoding="utf-8")
    settings = config_mod.load(
        folder, database_url=url, environ={**env, "PODIUM_CONFIG_DIR": str(folder)}
    )
    engine = db.make_engine(url)
    store.sync_roster(engine, config_mod.load_roster(settings.roster_path))
    engine.dispose()
    job = CrawlJob("mastodon", {}, "mastodon:faults")
    outcome = run_crawl_job(
        job, settings, extra_env=env, timeout=120, on_line=None if lines is None else lines.append
    )
    assert outcome.status == "finished", outcome.log_tail
    return outcome.run


@pytest.mark.postgres
@pytest.mark.slow
def test_a_server_restart_mid_crawl_gives_the_archive_an_uninterrupted_crawl_gives(
    pg: PgCluster, tmp_path: Path
) -> None:
    ref_url, _ = fresh_database(pg)
    url, _ = fresh_database(pg)
    with DemoServer() as server:
        crawl_into(ref_url, server, tmp_path / "reference", delay=0.0)

        # Once the first batches are in, the server goes down for two seconds and comes back.
        watcher = sa.create_engine(url, poolclass=sa.pool.NullPool)
        restarted: list[float] = []

        def restart_mid_crawl() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with watcher.connect() as conn:
                    if conn.exec_driver_sql("SELECT count(*) FROM post").scalar_one() >= 5:
                        break
                time.sleep(0.05)
            restarted.append(time.monotonic())
            pg.restart(pause=2.0)
            restarted.append(time.monotonic())

        restarter = threading.Thread(target=restart_mid_crawl)
        lines: list[str] = []
        restarter.start()
        run = crawl_into(url, server, tmp_path / "restarted", delay=0.3, lines=lines)
        ended = time.monotonic()
        restarter.join()
        watcher.dispose()

    assert len(restarted) == 2 and restarted[1] < ended, "the restart came after the crawl"
    assert any(RETRY_LINE in line for line in lines), lines[-20:]
    assert run["status"] == "finished"
    reference, restarted_engine = db.make_engine(ref_url), db.make_engine(url)
    got, want = contents(restarted_engine), contents(reference)
    assert len(want) > 50
    assert got == want
    assert problems(restarted_engine) == problems(reference)
    assert not [p for p in problems(restarted_engine) if p.startswith("cannot store")]
    reference.dispose()
    restarted_engine.dispose()
