"""Shared fixtures: archives at head on SQLite and PostgreSQL; a socket guard; saved files."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db
from tests.pgdb import make_pg_database

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("PODIUM_SHARED_DIR") or REPO.parent / "shared")
PG_URL = os.environ.get(
    "PODIUM_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PODIUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the network: only loopback addresses may be reached."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not (str(host).startswith("127.") or host in ("::1", "localhost")):
            raise OSError(f"test tried to reach {host}: tests run offline")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def fixture_path(tree: Literal["payloads", "responses"], platform: str, name: str = "") -> Path:
    """``tests/fixtures/<tree>/<platform>/<name>``, or the platform's folder when no name is given.

    ``payloads`` are composed platform payloads for the parsers (archive/platforms);
    ``responses`` are demo-site responses saved for the spider callbacks (crawler/spiders).
    """
    return FIXTURES / tree / platform / name


def _unavailable(what: str, why: object) -> None:
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}; under CI=true a missing server is a failure")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the test PostgreSQL server (skip locally, fail under CI, when down)."""
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        _unavailable(f"PostgreSQL at {PG_URL}", str(exc.orig).splitlines()[0])
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """An empty PostgreSQL database of this test's own (dropped after)."""
    url, drop = make_pg_database(pg_server)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file of this test's own."""
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive_url(request: pytest.FixtureRequest) -> str:
    """A database migrated to head, on SQLite and on the real PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    db.upgrade(url)
    return url


@pytest.fixture
def engine(archive_url: str) -> Iterator[Engine]:
    """An engine on ``archive_url``."""
    e = db.make_engine(archive_url)
    yield e
    e.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on a SQLite archive migrated to head."""
    db.upgrade(sqlite_url)
    e = db.make_engine(sqlite_url)
    yield e
    e.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on a PostgreSQL archive of this test's own, migrated to head."""
    db.upgrade(pg_url)
    e = db.make_engine(pg_url)
    yield e
    e.dispose()
