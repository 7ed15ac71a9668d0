"""`podium status` and `podium runs` show the workers and queues, read from a real Redis.

Each test writes the hashes and queues a worker and the scheduler would write (the formats of
archive.queue_keys) under a key prefix of its own, and removes them after.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from archive import cluster_status, db, queue_keys
from archive.cli import cli
from tests.conftest import IN_CI, REDIS_URL


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    """The test Redis (skip locally, fail under CI, when it is down)."""
    c = redis.Redis.from_url(REDIS_URL)
    try:
        c.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is not reachable ({exc})"
        if IN_CI:
            pytest.fail(f"{message}; under CI=true a missing server is a failure")
        pytest.skip(message)
    yield c
    c.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted after."""
    p = f"podium-test-{uuid.uuid4().hex[:10]}"
    yield p
    keys = list(client.scan_iter(match=f"{p}:*"))
    if keys:
        client.delete(*keys)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def add_worker(
    client: redis.Redis,
    prefix: str,
    *,
    pid: int,
    platforms: str,
    seen: datetime,
    requests: int,
    errors: int,
    host: str = "crawler-1",
) -> str:
    """A worker's hash as ``podium worker`` refreshes it (30 s expiry)."""
    worker_id = f"{host}:{pid}"
    key = queue_keys.worker_key(prefix, worker_id)
    client.hset(
        key,
        mapping={
            "host": host,
            "pid": pid,
            "platforms": platforms,
            "started": iso(seen - timedelta(hours=1)),
            "seen": iso(seen),
            "requests": requests,
            "errors": errors,
        },
    )
    client.expire(key, queue_keys.WORKER_TTL_SECONDS)
    return worker_id


def fill_queues(client: redis.Redis, prefix: str) -> None:
    """Bluesky: 3 requests queued (scrapy-redis' priority queue) and 1 job waiting; TikTok: 2
    requests."""
    client.zadd(queue_keys.requests_key(prefix, "bluesky"), {b"r1": 0, b"r2": -1, b"r3": 0})
    client.rpush(queue_keys.start_key(prefix, "bluesky"), json.dumps({"url": "x"}))
    client.zadd(queue_keys.requests_key(prefix, "tiktok"), {b"r1": 0, b"r2": 0})


def test_workers_and_queue_depths_are_read_as_written(client: redis.Redis, prefix: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    add_worker(
        client, prefix, pid=11, platforms="bluesky,mastodon", seen=now, requests=40, errors=2
    )
    add_worker(
        client,
        prefix,
        pid=12,
        platforms="tiktok",
        seen=now - timedelta(minutes=5),
        requests=7,
        errors=0,
        host="crawler-2",
    )
    fill_queues(client, prefix)
    # Another archive's worker under another prefix is not ours.
    add_worker(
        client, prefix + "-other", pid=99, platforms="tiktok", seen=now, requests=1, errors=0
    )
    try:
        report = cluster_status.read_cluster(REDIS_URL, prefix, now=now)
    finally:
        client.delete(queue_keys.worker_key(prefix + "-other", "crawler-1:99"))
    assert report["error"] is None
    assert [
        (w["worker"], w["host"], w["pid"], w["platforms"], w["alive"], w["requests"], w["errors"])
        for w in report["workers"]
    ] == [
        ("crawler-1:11", "crawler-1", 11, ["bluesky", "mastodon"], True, 40, 2),
        ("crawler-2:12", "crawler-2", 12, ["tiktok"], False, 7, 0),  # seen 5 min ago: stale
    ]
    assert report["workers"][0]["seen"] == now
    depths = {q["platform"]: (q["requests"], q["jobs"]) for q in report["queues"]}
    assert depths == {
        "tiktok": (2, 0),
        "instagram": (0, 0),
        "bluesky": (3, 1),
        "mastodon": (0, 0),
        "youtube": (0, 0),
        "news": (0, 0),
    }


def test_a_redis_that_cannot_be_reached_is_one_line_in_the_report() -> None:
    report = cluster_status.read_cluster("redis://:secret@127.0.0.1:1/0", "podium")
    assert report["workers"] == [] and report["queues"] == []
    assert report["error"] is not None
    assert report["error"].startswith("cannot read Redis at redis://:***@127.0.0.1:1/0: ")
    assert "secret" not in json.dumps(report, default=str)


@pytest.mark.postgres
def test_status_and_runs_show_workers_and_queues_from_redis(
    client: redis.Redis, prefix: str, pg_url: str, tmp_path: Path
) -> None:
    db.upgrade(pg_url)
    (tmp_path / "athletes.toml").write_text("", encoding="utf-8")
    now = datetime.now(UTC)
    add_worker(client, prefix, pid=11, platforms="bluesky", seen=now, requests=40, errors=2)
    fill_queues(client, prefix)
    env = {"PODIUM_REDIS_URL": REDIS_URL, "PODIUM_REDIS_PREFIX": prefix}
    runner = CliRunner()
    base = ["--config", str(tmp_path)]

    result = runner.invoke(cli, [*base, "status", "--db", pg_url], env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"workers (1 alive; Redis {REDIS_URL}, prefix '{prefix}'):" in out
    worker_line = next(line for line in out.splitlines() if "crawler-1:11" in line)
    assert worker_line.split()[:5] == ["crawler-1:11", "yes", "bluesky", "40", "2"]
    queue_lines = {
        line.split()[0]: line.split()[1:]
        for line in out.split("\nqueues:\n", 1)[1].splitlines()
        if line.split() and line.split()[0] in ("bluesky", "tiktok", "news")
    }
    assert queue_lines == {"bluesky": ["3", "1"], "tiktok": ["2", "0"], "news": ["0", "0"]}
    assert "scheduler: none active (start one with `podium schedule`)" in out

    report = json.loads(
        runner.invoke(cli, [*base, "status", "--db", pg_url, "--format", "json"], env=env).stdout
    )
    assert [w["worker"] for w in report["cluster"]["workers"]] == ["crawler-1:11"]
    assert report["scheduler"]["active"] is False

    runs = runner.invoke(cli, [*base, "runs", "--db", pg_url], env=env)
    assert runs.exit_code == 0, runs.output
    assert "crawler-1:11" in runs.stdout and "\nqueues:\n" in runs.stdout
    as_json = runner.invoke(cli, [*base, "runs", "--db", pg_url, "--format", "json"], env=env)
    assert json.loads(as_json.stdout) == []  # pipes get the runs, nothing else


@pytest.mark.postgres
def test_status_says_when_no_worker_is_alive_and_without_redis_shows_no_workers(
    client: redis.Redis, prefix: str, pg_url: str, tmp_path: Path
) -> None:
    db.upgrade(pg_url)
    (tmp_path / "athletes.toml").write_text("", encoding="utf-8")
    runner = CliRunner()
    base = ["--config", str(tmp_path), "status", "--db", pg_url]
    env = {"PODIUM_REDIS_URL": REDIS_URL, "PODIUM_REDIS_PREFIX": prefix}
    out = runner.invoke(cli, base, env=env).stdout
    assert "workers: none alive" in out and "start one with `podium worker`" in out
    plain = runner.invoke(cli, base, env={"PODIUM_REDIS_URL": ""})
    assert plain.exit_code == 0, plain.output
    assert "workers" not in plain.stdout and "queues" not in plain.stdout
