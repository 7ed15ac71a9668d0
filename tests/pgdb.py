"""Scratch PostgreSQL databases on a test server, for tests and benches alike (no pytest here)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def make_pg_database(admin_url: str, prefix: str = "podium_test") -> tuple[str, Callable[[], None]]:
    """A fresh database of its own on the server of ``admin_url``, and a function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


@contextmanager
def scratch_database(admin_url: str, prefix: str = "podium_test") -> Iterator[str]:
    """``make_pg_database``'s URL for the ``with`` block; the database is dropped after."""
    url, drop = make_pg_database(admin_url, prefix)
    try:
        yield url
    finally:
        drop()
