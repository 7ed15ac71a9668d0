"""Exactly one active scheduler per archive: a lock that dies with the process holding it.

A scheduler takes the archive's scheduler lock before it touches the job store; a second one
started against the same archive waits, says who is active, and takes over within
``POLL_SECONDS`` of the first one stopping or dying. No lease, no heartbeat row, nothing to clean
up after a crash: the operating system or the database server drops the lock with its holder.

- PostgreSQL: a session-level advisory lock on a connection of its own
  (``archive.store.leadership``); the holder is read from ``pg_locks``.
- SQLite: ``flock`` on a file beside the database (``podium.db.scheduler-lock``), which holds
  the holder's pid, host and start time. A SQLite archive lives on one machine; ``flock`` is not
  reliable over NFS, so do not share one over it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from archive.errors import DatabaseError
from archive.store.leadership import AdvisoryLock, LockHolder

log = logging.getLogger(__name__)

#: How often a waiting scheduler tries the lock, and the active one checks it still has it.
POLL_SECONDS = 5.0
#: The SQLite lock file's name: the database file's name plus this.
LOCK_FILE_SUFFIX = ".scheduler-lock"

__all__ = [
    "POLL_SECONDS",
    "FileLock",
    "LeaderLock",
    "LockHolder",
    "active_scheduler",
    "describe",
    "lock_for",
    "wait_until_leader",
    "watch",
]


class LeaderLock(Protocol):
    """The archive's scheduler lock, whatever the database."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it now."""

    def still_held(self) -> bool:
        """True while this process still holds the lock."""

    def holder(self) -> LockHolder | None:
        """Who holds the lock now (None when nobody does)."""

    def release(self) -> None:
        """Let the lock go (idempotent)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """This process as the lock names it."""

    pid: int
    host: str

    @classmethod
    def here(cls) -> Identity:
        """The running process."""
        return cls(pid=os.getpid(), host=socket.gethostname())


class FileLock:
    """The scheduler lock of a SQLite archive: ``flock`` on a file beside the database.

    The file is never truncated by a process that has not got the lock, so it always names the
    last holder; whether that holder is alive is what the lock itself says.
    """

    def __init__(self, path: Path, *, me: Identity) -> None:
        self.path, self.me = path, me
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it now."""
        if self.fd is not None:
            return True
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        record = {
            "pid": self.me.pid,
            "host": self.me.host,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self.fd = fd
        return True

    def still_held(self) -> bool:
        """A flock is held until released or the process ends."""
        return self.fd is not None

    def holder(self) -> LockHolder | None:
        """Who holds the lock (None when nobody does)."""
        if self.fd is not None:
            return self._recorded(self.fd)
        if not self.path.exists():
            return None  # no scheduler ever ran here; asking creates nothing
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._recorded(fd) or LockHolder(pid=None, host=None, since=None)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def release(self) -> None:
        """Let the lock go."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseError(f"cannot open the scheduler lock {self.path}: {exc}") from None

    @staticmethod
    def _recorded(fd: int) -> LockHolder | None:
        try:
            record = json.loads(os.pread(fd, 4096, 0) or b"null")
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict):
            return None
        since = record.get("since")
        return LockHolder(
            pid=record.get("pid"),
            host=record.get("host"),
            since=datetime.fromisoformat(since) if isinstance(since, str) else None,
        )


def lock_for(url: str, *, me: Identity | None = None) -> LeaderLock:
    """The scheduler lock of the archive at ``url``; DatabaseError for an archive that has none."""
    me = me or Identity.here()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"bad database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock(url, pid=me.pid, host=me.host)
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise DatabaseError("a scheduler needs an archive in a file, not in memory")
        path = Path(parsed.database)
        return FileLock(path.with_name(path.name + LOCK_FILE_SUFFIX), me=me)
    raise DatabaseError(f"the scheduler supports SQLite and PostgreSQL archives, not {backend}")


def active_scheduler(url: str) -> LockHolder | None:
    """The scheduler active on the archive at ``url`` now (None when none is)."""
    lock = lock_for(url)
    try:
        return lock.holder()
    finally:
        lock.release()


def describe(holder: LockHolder | None) -> str:
    """``pid 123, host box, since 2026-12-03T15:00:00+00:00`` (what is known of the holder)."""
    if holder is None:
        return "nobody"
    parts = [f"pid {holder.pid if holder.pid is not None else '?'}"]
    parts.append(f"host {holder.host or '?'}")
    if holder.since is not None:
        parts.append(f"since {holder.since.astimezone(UTC).isoformat(timespec='seconds')}")
    return ", ".join(parts)


def wait_until_leader(
    lock: LeaderLock, *, stop: threading.Event, poll_seconds: float = POLL_SECONDS
) -> bool:
    """Block until this process holds ``lock`` (True) or ``stop`` is set (False).

    While another scheduler is active, says so once (and again when the holder changes).
    A database that cannot be reached while waiting is retried: the active scheduler may be
    fine, and this one should be ready when it is not.
    """
    said: LockHolder | None = None
    waited = False
    while not stop.is_set():
        try:
            if lock.try_acquire():
                if waited:
                    log.warning("taking over: this scheduler is now the active one")
                return True
            holder = lock.holder()
        except SQLAlchemyError as exc:
            log.warning("cannot reach the archive to take the scheduler lock: %s", _first(exc))
            lock.release()
            holder = said
        if holder != said or not waited:
            log.warning(
                "waiting: another scheduler is active (%s); this one takes over when it stops",
                describe(holder),
            )
            said = holder
        waited = True
        stop.wait(poll_seconds)
    return False


def watch(
    lock: LeaderLock,
    on_lost: Callable[[], None],
    *,
    stop: threading.Event,
    poll_seconds: float = POLL_SECONDS,
) -> threading.Thread:
    """A daemon thread that calls ``on_lost`` once if ``lock`` is lost before ``stop`` is set
    (the database connection broke, the server restarted): two schedulers must never run."""

    def run() -> None:
        while not stop.wait(poll_seconds):
            if not lock.still_held():
                on_lost()
                return

    thread = threading.Thread(target=run, name="podium-scheduler-lock", daemon=True)
    thread.start()
    return thread


def _first(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
