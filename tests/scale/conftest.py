"""Fixtures of the scale-out tests: a Redis key prefix of the test's own, a demo world, and
the archive one process makes of the same demo server (the reference, made once)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from demo.server import DemoServer
from tests.conftest import REDIS_URL, _unavailable
from tests.pgdb import make_pg_database
from tests.reliability.test_crash_recovery import content
from tests.scale.world import World, single_process_crawl


class RecordingDemoServer(DemoServer):
    """The demo server, answering each request after ``delay`` seconds and recording when each
    one arrived (``arrivals``: monotonic time, path)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.delay = 0.0
        self.arrivals: list[tuple[float, str]] = []
        self._arrivals_lock = threading.Lock()

    def _answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._arrivals_lock:
            self.arrivals.append((time.monotonic(), path))
        if self.delay:
            time.sleep(self.delay)
        return super()._answer(method, path)


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


@pytest.fixture(scope="module")
def demo_server() -> Iterator[RecordingDemoServer]:
    """One demo server for the module (archives hold its URLs: compared ones share it)."""
    with RecordingDemoServer() as server:
        yield server


@pytest.fixture(scope="module")
def reference(
    demo_server: RecordingDemoServer, pg_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """What `podium crawl` children, one per spider, archive of the demo: a function that
    returns it (made the first time it is asked for, on a quiet demo server)."""
    url, drop = make_pg_database(pg_server)
    made: dict[str, Any] = {}

    def get() -> Any:
        if "content" not in made:
            delay, demo_server.delay = demo_server.delay, 0.0
            folder = tmp_path_factory.mktemp("reference")
            single_process_crawl(World(folder, demo_server, url, REDIS_URL, "unused"))
            demo_server.delay = delay
            made["content"] = content(url)
        return made["content"]

    try:
        yield get
    finally:
        drop()


@pytest.fixture
def world(
    tmp_path: Path,
    pg_url: str,
    redis_server: str,
    redis_prefix: str,
    demo_server: RecordingDemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The demo server, an empty PostgreSQL archive with the demo roster, a Redis prefix; the
    environment of this process says so too (the scheduler's job reads it)."""
    demo_server.delay = 0.0
    demo_server.arrivals.clear()
    w = World(tmp_path, demo_server, pg_url, redis_server, redis_prefix)
    for name, value in w.env.items():
        monkeypatch.setenv(name, value)
    try:
        yield w
    finally:
        w.stop_workers()
        w.forget_keys()
