"""The scheduler's lock on PostgreSQL: a session-level advisory lock on a connection of its own.

The lock lives exactly as long as the connection that took it: a scheduler that stops, crashes or
is killed closes its connection (the kernel closes the socket of a killed process) and the server
releases the lock at once; a host that vanishes is noticed through TCP keepalives. Who holds it
is read from ``pg_locks`` joined to ``pg_stat_activity``: the holder's connection carries its pid
and host in ``application_name``, so nothing has to be written or cleaned up.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from archive import db

#: The advisory lock's two keys: Podium's namespace ("pod" in ASCII) and the scheduler's role.
#: Advisory locks are per database, so every archive on a server has its own.
LOCK_KEYS = (0x706F64, 1)
#: How a holder names itself in ``application_name`` (at most 63 bytes reach the server).
APPLICATION_PREFIX = "podium-scheduler"
#: Server-side keepalives on the lock's connection: a holder whose host disappeared (no FIN ever
#: arrives) loses the lock after about idle + interval * count seconds.
KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds the scheduler lock: the process as it named itself, and since when."""

    pid: int | None
    host: str | None
    since: datetime | None


def application_name(pid: int, host: str) -> str:
    """What the lock's connection calls itself: ``podium-scheduler <pid>@<host>``."""
    return f"{APPLICATION_PREFIX} {pid}@{host}"[:63]


def parse_application_name(name: str | None) -> tuple[int | None, str | None]:
    """(pid, host) back from ``application_name``; (None, None) for any other name."""
    if not name or not name.startswith(APPLICATION_PREFIX + " "):
        return None, None
    pid, _, host = name[len(APPLICATION_PREFIX) + 1 :].partition("@")
    return (int(pid) if pid.isdigit() else None), (host or None)


class AdvisoryLock:
    """The scheduler lock of one PostgreSQL archive, held on a dedicated connection."""

    def __init__(self, url: str, *, pid: int, host: str) -> None:
        keepalive = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5}
        self.engine: Engine = db.make_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"application_name": application_name(pid, host), **keepalive},
        )
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it now."""
        if self.conn is None:
            self.conn = self.engine.connect()
            for name, value in KEEPALIVE.items():
                self.conn.execute(sa.text(f"SET {name} = {int(value)}"))
        got = self.conn.execute(
            sa.text("SELECT pg_try_advisory_lock(:k1, :k2)"), _keys()
        ).scalar_one()
        return bool(got)

    def still_held(self) -> bool:
        """True while the lock's connection is alive and still holds the lock."""
        if self.conn is None:
            return False
        try:
            held = self.conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND granted "
                    "AND locktype = 'advisory' AND classid = :k1 AND objid = :k2 "
                    "AND objsubid = 2"
                ),
                _keys(),
            ).scalar_one()
        except DBAPIError:
            return False
        return bool(held)

    def holder(self) -> LockHolder | None:
        """Who holds the lock now (None when nobody does)."""
        with self.engine.connect() as conn:
            return holder_of(conn)

    def release(self) -> None:
        """Let the lock go by closing its connection."""
        if self.conn is not None:
            # A connection that is gone already took the lock with it.
            with contextlib.suppress(DBAPIError):
                self.conn.close()
            self.conn = None
        self.engine.dispose()


def holder_of(conn: Connection) -> LockHolder | None:
    """Who holds the scheduler lock of ``conn``'s database (None when nobody does).

    Sessions of other roles show ``application_name`` only to superusers and members of
    ``pg_read_all_stats``; for anyone else the holder's pid and host are unknown (None).
    """
    row = conn.execute(
        sa.text(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :k1 AND l.objid = :k2 "
            "AND l.objsubid = 2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        _keys(),
    ).first()
    if row is None:
        return None
    pid, host = parse_application_name(row[0])
    return LockHolder(pid=pid, host=host, since=row[1])


def _keys() -> dict[str, int]:
    return {"k1": LOCK_KEYS[0], "k2": LOCK_KEYS[1]}
