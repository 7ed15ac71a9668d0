"""Fixtures of the scale-out tests: a Redis key prefix of the test's own, a demo world."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from demo.server import DemoServer
from tests.conftest import REDIS_URL, _unavailable
from tests.scale.world import World


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The test Redis URL (skip locally, fail under CI, when it does not answer)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_server: str) -> str:
    """A key prefix of this test's own."""
    return f"podium-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def world(
    tmp_path: Path,
    pg_url: str,
    redis_server: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """A demo server, an empty PostgreSQL archive with the demo roster, a Redis prefix; the
    environment of this process says so too (the scheduler's job reads it)."""
    with DemoServer() as server:
        w = World(tmp_path, server, pg_url, redis_server, redis_prefix)
        for name, value in w.env.items():
            monkeypatch.setenv(name, value)
        try:
            yield w
        finally:
            w.stop_workers()
            w.forget_keys()
