"""Engines and sessions; SQLite pragmas on connect; Alembic's upgrade as a function."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from archive.errors import DatabaseError

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"

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


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit mode in the driver: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE itself,
    # so a writer takes the write lock at the start of its batch instead of failing mid-way.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # Batches of a few hundred posts touch many index pages: a 64 MB page cache and fewer,
    # larger WAL checkpoints keep them from being read and synced again and again.
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers (``writer(engine)``) take the write lock when they begin, so a batch never fails
    # half-way on a lock; readers begin deferred and, in WAL mode, block nobody.
    immediate = conn.get_execution_options().get("podium_writer", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a database URL; raises DatabaseError with one line when the URL is bad."""
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
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """The engine for write transactions: ``BEGIN IMMEDIATE`` on SQLite (one lock per batch)."""
    return engine.execution_options(podium_writer=True)


def check_connection(engine: Engine) -> None:
    """Open one connection, turning any failure into a one-line DatabaseError."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"cannot reach the database {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from None


#: Objects Alembic must not compare: the FTS5 table and its shadow tables, the PostgreSQL
#: tsvector column, its index and function (made by hand in the migrations), APScheduler's jobs.
_HIDDEN_TABLES = ("post_fts", "apscheduler_jobs")


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


def current_revision(engine: Engine) -> str | None:
    """The schema revision of a database, or None when it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
