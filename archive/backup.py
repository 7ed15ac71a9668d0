"""``podium backup``: a consistent copy of a live SQLite archive, checked before it is kept.

Why ``VACUUM INTO`` and not the online backup API paged with progress: a paged
``sqlite3_backup_step`` releases its read lock between steps, and a write through any other
connection restarts the copy from the first page; with crawls committing a batch every few
seconds a large archive may never finish. ``VACUUM INTO`` is one statement in one read
transaction: in WAL mode it reads one snapshot (every transaction committed when it began, none
after) while writers go on, and it never takes the write lock. The one-step backup
(``pages=-1``) would be as consistent; ``VACUUM INTO`` also leaves a compact file. Progress is
the growing size of the copy against the archive's, sampled from SQLite's progress handler.

The copy is written to ``FILE.part`` beside FILE, opened again, and moved into place only when
``PRAGMA integrity_check`` says ok and its Alembic revision is the archive's.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from archive.errors import ArchiveError

log = logging.getLogger(__name__)

#: SQLite VM instructions between two progress samples.
PROGRESS_EVERY = 200_000
#: How long the copy waits for a lock (the write lock is never needed; a checkpoint may be).
BUSY_TIMEOUT_MS = 30_000


class BackupError(ArchiveError):
    """Raised by ``archive.backup`` when a copy cannot be made or fails its checks, FILE exists
    without ``force``, or the archive is not a SQLite file (PostgreSQL: use pg_dump)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """A finished, checked copy."""

    path: Path
    size: int
    revision: str | None
    posts: int
    seconds: float


def check_backend(url: str) -> Path:
    """The SQLite file of an archive URL; BackupError with the pg_dump line for PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        safe = parsed.set(drivername="postgresql").render_as_string(hide_password=True)
        raise BackupError(
            f"podium backup copies SQLite archives; back up PostgreSQL with pg_dump, e.g. "
            f"pg_dump --format=custom --file=podium.dump '{safe}'"
        )
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        raise BackupError(
            f"podium backup copies SQLite archive files, not "
            f"{parsed.render_as_string(hide_password=True)}"
        )
    return Path(str(parsed.database))


def backup_archive(
    url: str,
    target: Path,
    *,
    force: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> BackupResult:
    """Copy the SQLite archive at ``url`` to ``target`` as one consistent snapshot.

    ``on_progress(written_bytes, archive_bytes)`` is called now and then while the copy grows.
    Raises BackupError when ``target`` exists (unless ``force``), or the copy fails its checks.
    """
    source = check_backend(url)
    if not source.exists():
        raise BackupError(f"no archive at {source}")
    target = Path(target)
    if target.exists() and not force:
        raise BackupError(f"{target} exists; give --force to replace it, or another FILE")
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a folder; give a file name")
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the archive itself; give another FILE")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)  # a copy an earlier, interrupted backup left behind
    started = time.monotonic()
    try:
        revision = _copy(source, part, on_progress)
        posts = _check(part, revision)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    seconds = time.monotonic() - started
    size = target.stat().st_size
    log.info("backup %s -> %s: %d bytes, %d posts in %.1f s", source, target, size, posts, seconds)
    return BackupResult(target, size, revision, posts, seconds)


def _copy(source: Path, part: Path, on_progress: Callable[[int, int], None] | None) -> str | None:
    """VACUUM INTO ``part``; returns the archive's schema revision, read just before."""
    con = sqlite3.connect(source, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        total = con.execute("PRAGMA page_count").fetchone()[0] * page_size
        revision = _revision(con)
        if on_progress is not None:

            def sample() -> int:
                try:
                    on_progress(part.stat().st_size, total)
                except FileNotFoundError:
                    on_progress(0, total)
                return 0  # go on

            con.set_progress_handler(sample, PROGRESS_EVERY)
        try:
            con.execute("VACUUM INTO ?", (str(part),))
        except sqlite3.Error as exc:
            raise BackupError(f"cannot copy {source} to {part}: {exc}") from None
        finally:
            con.set_progress_handler(None, 0)
        if on_progress is not None:
            on_progress(part.stat().st_size, total)
        return revision
    finally:
        con.close()


def _revision(con: sqlite3.Connection) -> str | None:
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        raise BackupError("the database is not a Podium archive (no alembic_version)") from None
    return None if row is None else str(row[0])


def _check(part: Path, revision: str | None) -> int:
    """Open the copy again: integrity, schema revision; returns its number of posts."""
    con = sqlite3.connect(part, isolation_level=None)
    try:
        problems = [r[0] for r in con.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"the copy fails integrity_check: {'; '.join(problems[:3])}")
        copied = _revision(con)
        if copied != revision:
            raise BackupError(f"the copy has schema {copied}, the archive {revision}")
        return int(con.execute("SELECT count(*) FROM post").fetchone()[0])
    finally:
        con.close()
