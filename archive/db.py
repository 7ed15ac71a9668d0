"""Engines; SQLite pragmas on connect; retrying writes on transient errors; Alembic's upgrade."""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from archive.errors import DatabaseError

log = logging.getLogger(__name__)

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"

#: How long a write keeps retrying a transient failure (seconds), unless
#: ``make_engine(retry_seconds=...)`` says otherwise for its engine.
RETRY_SECONDS = 120.0
#: How long a SQLite connection waits for another writer's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 30.0
_RETRY_OPTION = "podium_retry_seconds"
#: APScheduler's job table, kept in the archive database (scheduler.py makes it; the store reads
#: it for ``podium status`` and erases from it for ``podium forget``).
SCHEDULER_JOB_TABLE = "apscheduler_jobs"

#: libpq-style ``password=`` in a URL's query string (``postgresql://u@h/db?password=…``).
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def _password_span(url: str) -> tuple[int, int] | None:
    """Where the password of ``scheme://user:password@host…`` is, from the text alone.

    Works on URLs SQLAlchemy cannot parse (a bad port, a missing ``:`` after the scheme, an
    unescaped ``@`` or ``/`` in the password): the user info runs from after the first ``//``
    (or the start) to the *last* ``@``, and the password from its first ``:``. When an ``@``
    sits later in the URL (a query value), more is hidden than needed, never less.
    """
    at = url.rfind("@")
    if at < 0:
        return None
    slashes = url.find("//", 0, at)
    start = slashes + 2 if slashes >= 0 else 0
    colon = url.find(":", start, at)
    if colon < 0:
        return None
    return colon + 1, at


def safe_url(url: str | URL) -> str:
    """A database URL fit for messages and logs: any password shown as ``***``.

    Every message that shows a database URL goes through this, including the ones about URLs
    SQLAlchemy could not parse (it falls back to the ``scheme://user:password@`` shape).
    """
    text = url.render_as_string(hide_password=True) if isinstance(url, URL) else str(url)
    span = _password_span(text)
    if span is not None:
        text = text[: span[0]] + "***" + text[span[1] :]
    return _QUERY_PASSWORD.sub(r"\1***", text)


def safe_message(message: object, url: str) -> str:
    """An error's text with the URL's password taken out (drivers may quote the URL)."""
    text = str(message)
    span = _password_span(url)
    passwords = [url[span[0] : span[1]]] if span else []
    passwords += [m.group(0)[len(m.group(1)) :] for m in _QUERY_PASSWORD.finditer(url)]
    for password in passwords:
        for form in (password, unquote(password)):
            if form and form != "***":
                text = text.replace(form, "***")
    return text


def _sqlite_on_connect(busy_timeout: float) -> Callable[[Any, Any], None]:
    busy_ms = max(0, round(busy_timeout * 1000))

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit mode in the driver: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE
        # itself, so a writer takes the write lock at the start of its batch instead of failing
        # mid-way.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")
        # Batches of a few hundred posts touch many index pages: a 64 MB page cache and fewer,
        # larger WAL checkpoints keep them from being read and synced again and again.
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.close()

    return on_connect


class _WriteTurn:
    """This process's writers of one SQLite file, one at a time, handed over without a pause.

    SQLite's own wait for the write lock (``busy_timeout``) sleeps between tries, longer and
    longer (up to 100 ms a time), and does not wake when the lock is free: several writers in
    one process (a worker's crawlers, each with its store thread) spent most of their time
    asleep beside a free lock. So a writer first takes its turn here, where a released turn
    wakes the next writer at once, and then ``BEGIN IMMEDIATE`` as before; other processes are
    still kept apart by SQLite's lock alone. The turn is held exactly as long as SQLite's lock
    (from before ``BEGIN IMMEDIATE`` to after ``COMMIT`` or ``ROLLBACK``), so it makes no writer
    wait that SQLite would not make wait; a writer that waits longer than its ``busy_timeout``
    for it goes on to ``BEGIN IMMEDIATE`` without it and SQLite decides, as it always did.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: object = None

    def take(self, dbapi_conn: object, timeout: float) -> None:
        if self._lock.acquire(timeout=timeout) if timeout > 0 else self._lock.acquire(False):
            self._holder = dbapi_conn

    def give_back(self, dbapi_conn: object) -> None:
        # SQLAlchemy hands the dialect the pool's proxy of the connection, or the connection.
        dbapi_conn = getattr(dbapi_conn, "dbapi_connection", None) or dbapi_conn
        if self._holder is not None and self._holder is dbapi_conn:
            self._holder = None
            self._lock.release()


_write_turns: dict[str, _WriteTurn] = {}
_write_turns_lock = threading.Lock()
# A forked child has none of its parent's writers: a turn a parent thread held when it forked
# must not stay taken in the child.
os.register_at_fork(after_in_child=_write_turns.clear)


def _write_turn(database: str | None) -> _WriteTurn | None:
    """The turn of a SQLite database file (None for an in-memory or URI-named one)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = str(Path(database).resolve())
    with _write_turns_lock:
        return _write_turns.setdefault(key, _WriteTurn())


def _sqlite_begin(conn: Connection) -> None:
    # Writers (``writer(engine)``) take the write lock when they begin, so a batch never fails
    # half-way on a lock; readers begin deferred and, in WAL mode, block nobody.
    immediate = conn.get_execution_options().get("podium_writer", False)
    if not immediate:
        conn.exec_driver_sql("BEGIN")
        return
    turn: _WriteTurn | None = conn.engine.dialect.podium_write_turn  # type: ignore[attr-defined]
    if turn is None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    dbapi_conn = conn.connection.dbapi_connection
    assert dbapi_conn is not None
    # This connection's busy_timeout now (a caller may have shortened it for a best-effort write).
    busy_ms = dbapi_conn.execute("PRAGMA busy_timeout").fetchone()[0]
    turn.take(dbapi_conn, busy_ms / 1000)
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        turn.give_back(dbapi_conn)
        raise


def _give_back_turn_after(dialect: Any, method: str) -> None:
    """Wrap ``dialect.<method>(dbapi_conn)`` (commit, rollback, close) to end the connection's
    write turn after it: the pool's rollback of a connection given back uncommitted included."""
    inner = getattr(dialect, method)
    turn: _WriteTurn = dialect.podium_write_turn

    def wrapped(dbapi_conn: Any) -> None:
        try:
            inner(dbapi_conn)
        finally:
            turn.give_back(dbapi_conn)

    setattr(dialect, method, wrapped)


def make_engine(
    url: str,
    *,
    retry_seconds: float | None = None,
    busy_timeout: float | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for a database URL; raises DatabaseError with one line when the URL is bad.

    ``retry_seconds`` bounds how long the store's writes retry transient failures on this
    engine (default ``RETRY_SECONDS``); ``busy_timeout`` is how long a SQLite connection waits
    for another writer's lock per attempt (default ``SQLITE_BUSY_TIMEOUT``). Other keywords go
    to ``sqlalchemy.create_engine``.
    """
    # A pooled connection the server dropped (a restart, an idle timeout) is replaced at
    # checkout instead of failing the next batch.
    kwargs.setdefault("pool_pre_ping", True)
    try:
        engine = sa.create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseError(
            f"bad database URL {safe_url(url)!r}: {safe_message(exc, str(url))}"
        ) from None
    except ImportError as exc:
        raise DatabaseError(
            f"database driver for {safe_url(url)!r} is not installed: {safe_message(exc, str(url))}"
        ) from None
    if engine.dialect.name == "sqlite":
        on_connect = _sqlite_on_connect(
            SQLITE_BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        )
        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        # Each engine has a dialect of its own: the turn goes with it.
        dialect = engine.dialect
        dialect.podium_write_turn = _write_turn(engine.url.database)  # type: ignore[attr-defined]
        if dialect.podium_write_turn is not None:  # type: ignore[attr-defined]
            for method in ("do_commit", "do_rollback", "do_close"):
                _give_back_turn_after(dialect, method)
    if retry_seconds is not None:
        engine.update_execution_options(**{_RETRY_OPTION: float(retry_seconds)})
    return engine


def writer(engine: Engine) -> Engine:
    """The engine for write transactions: ``BEGIN IMMEDIATE`` on SQLite (one lock per batch)."""
    return engine.execution_options(podium_writer=True)


# --- transient failures ------------------------------------------------------------------------

#: SQLSTATEs after which the whole transaction may simply run again: the server going down or
#: coming up (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), too many
#: connections (53300), a serialization failure or deadlock (40001, 40P01), a lock timeout
#: (55P03). Class 08 (connection exceptions) is transient as a whole.
_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "40001", "40P01", "55P03"})

#: libpq's words for a server that is down, going down, starting up or gone mid-transaction.
#: Failures to connect reach psycopg without a SQLSTATE, so their text is all there is; a wrong
#: database, user or password ("does not exist", "authentication failed") is not among them.
_TRANSIENT_TEXT = re.compile(
    r"connection refused"
    r"|could not connect to server"
    r"|server closed the connection"
    r"|terminating connection due to"
    r"|the database system is (?:starting up|shutting down|in recovery mode|not yet accepting)"
    r"|sorry, too many clients"
    r"|connection timeout expired"
    r"|could not (?:receive|send) data (?:from|to) server"
    r"|(?:consuming input|sending query|flushing) failed"
    r"|the connection is (?:lost|closed)"
    r"|no connection to the server"
    r"|connection reset by peer|broken pipe|ssl syscall error"
    r'|on socket "[^"]*" failed: no such file or directory',
    re.IGNORECASE,
)

#: SQLite primary result codes: SQLITE_BUSY (another connection holds the lock) and
#: SQLITE_LOCKED (a conflict inside one shared cache).
_SQLITE_BUSY_CODES = (5, 6)


def is_transient(exc: BaseException) -> bool:
    """Whether running the failed transaction again may succeed.

    True for SQLite's "database is locked"/busy, a PostgreSQL connection lost, refused or shut
    down by the server, a server starting up or shutting down, deadlocks and serialization
    failures; False for everything about the data or the SQL (integrity, data, programming
    errors), a wrong database name or credentials, and anything that is not a database error.
    Takes SQLAlchemy's wrapped errors and bare driver errors alike.
    """
    if isinstance(exc, sa_exc.DisconnectionError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:  # SQLAlchemy's is_disconnect said so
            return True
        orig: BaseException | None = exc.orig
        operational = isinstance(exc, sa_exc.OperationalError)
    else:
        orig = exc
        operational = any(c.__name__ == "OperationalError" for c in type(exc).__mro__)
    if isinstance(orig, sqlite3.Error):
        if not isinstance(orig, sqlite3.OperationalError):
            return False
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY_CODES
        return "database is locked" in str(orig) or "database table is locked" in str(orig)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return str(sqlstate).startswith("08") or sqlstate in _TRANSIENT_SQLSTATES
    return operational and _TRANSIENT_TEXT.search(str(orig)) is not None


_P = ParamSpec("_P")
_R = TypeVar("_R")

#: Set while a retrying call runs, so a retrying function called inside another one does not
#: retry on its own (the outer call runs the whole again; budgets must not multiply).
_retrying: ContextVar[bool] = ContextVar("podium_retrying", default=False)

_BACKOFF_FIRST = 0.1  # seconds before the first retry
_BACKOFF_MAX = 5.0  # the longest pause between two attempts


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: ~0.1, 0.2, 0.4 ... 5 s, each between half and all of it.

    The jitter keeps writers that failed together (a server restart) from retrying together.
    """
    ceiling = min(_BACKOFF_MAX, _BACKOFF_FIRST * 2.0 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not a secret


def retry_budget(engine: Engine) -> float:
    """Seconds a write on this engine keeps retrying transient failures."""
    return float(engine.get_execution_options().get(_RETRY_OPTION, RETRY_SECONDS))


def retry_transient(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a write again when it fails on a transient database error (see ``is_transient``).

    For the store's entry points that take an Engine first and open their own transaction
    (``writer(engine).begin()``): a failed transaction was rolled back, and every write is an
    upsert, so running the whole function again is safe. Exponential backoff with jitter, one
    warning per retry, for at most the engine's ``retry_budget``; then the last error is raised.
    Other errors are raised at once. Inside another retrying call it does not retry itself.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if _retrying.get():
            return fn(*args, **kwargs)
        engine = args[0] if args and isinstance(args[0], Engine) else None
        budget = RETRY_SECONDS if engine is None else retry_budget(engine)
        url = "" if engine is None else engine.url.render_as_string(hide_password=False)
        token = _retrying.set(True)
        try:
            deadline = time.monotonic() + budget
            attempt = 0
            while True:
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    attempt += 1
                    left = deadline - time.monotonic()
                    reason = _first_line(exc, url)
                    if left <= 0:
                        log.warning(
                            "%s: giving up after %d attempts in %.0f s: %s",
                            fn.__qualname__,
                            attempt,
                            budget,
                            reason,
                        )
                        raise
                    pause = min(left, _backoff(attempt))
                    log.warning(
                        "%s: transient database error, retry %d in %.2f s (%.0f s left): %s",
                        fn.__qualname__,
                        attempt,
                        pause,
                        left,
                        reason,
                    )
                    time.sleep(pause)
        finally:
            _retrying.reset(token)

    return wrapper


def _first_line(exc: BaseException, url: str) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    text = f"{type(orig).__name__}: {lines[0] if lines else ''}"
    return safe_message(text, url) if url else text


def check_connection(engine: Engine) -> None:
    """Open one connection, turning any failure into a one-line DatabaseError."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot reach the database {safe_url(engine.url)}: {reason}") from None


#: Objects Alembic must not compare: the FTS5 table and its shadow tables, the PostgreSQL
#: tsvector column, its index and function (made by hand in the migrations), APScheduler's jobs,
#: the search side index's change log and state (SQLite only; ``archive.store.search_index``).
_HIDDEN_TABLES = (
    "post_fts",
    SCHEDULER_JOB_TABLE,
    "search_change",
    "search_index_state",
    "sqlite_sequence",
)


def alembic_include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """alembic/env.py's ``include_object`` hook (here, so tests can use it too)."""
    if type_ == "table" and name and name.startswith(_HIDDEN_TABLES):
        return False
    if type_ == "column" and name == "search_tsv":
        return False
    return not (type_ == "index" and name == "ix_post__search_tsv")


def alembic_config(url: str) -> Any:
    """An Alembic Config for this project, found relative to the installed package."""
    from alembic.config import Config

    cfg = Config(toml_file=str(ALEMBIC_DIR.parent / "pyproject.toml"))
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the archive schema (Alembic ``upgrade``)."""
    from alembic import command

    engine = make_engine(url)
    check_connection(engine)
    engine.dispose()
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the schema (tests use it for the round trip)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def require_archive(engine: Engine, init: str = "podium init") -> None:
    """Raise a one-line DatabaseError unless ``engine`` reaches an initialised archive.

    A missing SQLite file is reported as such (connecting would create an empty one); ``init``
    is the command the message tells people to run.
    """
    url = engine.url
    if (
        url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
        and not Path(url.database).exists()
    ):
        raise DatabaseError(f"no archive at {url.database}; create it with `{init}`")
    check_connection(engine)
    if current_revision(engine) is None:
        raise DatabaseError(
            f"the archive at {safe_url(url)} is not initialised; run `{init}` first"
        )


def current_revision(engine: Engine) -> str | None:
    """The schema revision of a database, or None when it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
