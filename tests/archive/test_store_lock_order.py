"""Concurrent writers on PostgreSQL take shared rows in one order, so they queue, never deadlock.

Two transactions that insert the same new keys in different orders each end up holding a key
the other wants; PostgreSQL breaks that only after ``deadlock_timeout`` by aborting one, whose
batch is retried (``bench/scale.py`` saw 8 retries in 18 overlapping batches, about a second
each). The store inserts a batch's rows in the order of the table's unique key and locks rows
in id order before a multi-row update. Each test below holds the first row in one transaction,
lets the other ask for both (in the reverse order) and wait, then takes the second row in the
first: in one order this queues; in any other it deadlocks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive.store._common import account_t, bulk_insert, hashtag_t, lock_in_order

pytestmark = pytest.mark.postgres


def _waiting_for_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        kind = conn.execute(
            sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()
    return kind == "Lock"


def _hold_first_then_take_second(
    engine: Engine,
    first: Callable[[Connection], object],
    both_reversed: Callable[[Connection], object],
    second: Callable[[Connection], object],
) -> None:
    """``first`` in one transaction; ``both_reversed`` in another until it waits on ``first``'s
    row; then ``second`` in the first transaction and commit. Raises what either one raised."""
    errors: list[BaseException] = []
    pid: list[int] = []

    def other() -> None:
        try:
            with engine.begin() as conn:
                pid.append(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
                both_reversed(conn)
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    with engine.connect() as holder:
        holder.begin()
        first(holder)
        thread = threading.Thread(target=other)
        thread.start()
        deadline = time.monotonic() + 10
        while not (pid and _waiting_for_a_lock(engine, pid[0])):
            assert thread.is_alive() and time.monotonic() < deadline, errors or "never waited"
            time.sleep(0.01)
        second(holder)
        holder.commit()
    thread.join(10)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def test_batches_insert_shared_new_keys_in_one_order(pg_engine: Engine) -> None:
    def tags(*keys: str) -> Callable[[Connection], None]:
        return lambda conn: bulk_insert(conn, hashtag_t, [{"key": k, "display": k} for k in keys])

    _hold_first_then_take_second(pg_engine, tags("alpha"), tags("beta", "alpha"), tags("beta"))
    with pg_engine.connect() as conn:
        keys = conn.execute(sa.select(hashtag_t.c.key).order_by(hashtag_t.c.key)).scalars().all()
    assert keys == ["alpha", "beta"]


def test_rows_to_update_are_locked_in_id_order(pg_engine: Engine) -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    with pg_engine.begin() as conn:
        ids = [
            conn.execute(
                sa.insert(account_t)
                .values(platform="tiktok", handle=h, first_seen_at=now, last_seen_at=now)
                .returning(account_t.c.id)
            ).scalar_one()
            for h in ("a", "b")
        ]
    low, high = sorted(ids)

    def lock(*which: int) -> Callable[[Connection], None]:
        return lambda conn: lock_in_order(conn, account_t, list(which))

    _hold_first_then_take_second(pg_engine, lock(low), lock(high, low), lock(high))
