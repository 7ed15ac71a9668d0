"""The archive opened for reading only: SQLite in ``mode=ro``, PostgreSQL sessions with
``default_transaction_read_only``. A page that tried to write would fail at the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from archive import db
from archive.errors import DatabaseError


def read_only_url(url: str) -> str:
    """``url`` with the read-only switch of its backend (SQLite: a ``file:`` URI in ro mode)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise DatabaseError(f"{db.safe_url(url)} is not an archive file podium serve can read")
        path = Path(database).resolve()
        if not path.is_file():
            raise DatabaseError(
                f"no archive at {path}: create it with `podium init --db {db.safe_url(url)}`"
            )
        return parsed.set(
            database=f"file:{path.as_posix()}", query={**parsed.query, "mode": "ro", "uri": "true"}
        ).render_as_string(hide_password=False)
    return url


def read_only_engine(url: str) -> Engine:
    """An engine that can only read the archive at ``url`` (checked to be one: DatabaseError
    with what to do otherwise)."""
    ro = read_only_url(url)
    if make_url(ro).get_backend_name() == "postgresql":
        engine = db.make_engine(ro, connect_args={"options": "-c default_transaction_read_only=on"})
    else:
        engine = db.make_engine(ro)
    # Not db.require_archive: it looks for the file under the URL's name, here a ``file:`` URI.
    db.check_connection(engine)
    if db.current_revision(engine) is None:
        engine.dispose()
        raise DatabaseError(
            f"the archive at {db.safe_url(url)} is not initialised; run "
            f"`podium init --db {db.safe_url(url)}` first"
        )
    return engine
