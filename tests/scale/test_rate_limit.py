"""Politeness per platform across workers: one budget in Redis, and a 429 slows them all."""

from __future__ import annotations

import pytest
import redis

from crawler.ratelimit import PlatformBudget
from tests.scale.conftest import RecordingDemoServer
from tests.scale.world import World

#: Seconds between two requests to a platform in the test's config (its whole budget).
INTERVAL = 1.5
LIMITED = ("bluesky", "mastodon")


@pytest.fixture
def budgets(redis_server: str, redis_prefix: str) -> list[PlatformBudget]:
    """Two workers' views of the same budgets (a test's own prefix)."""
    client = redis.Redis.from_url(redis_server)
    yield [PlatformBudget(client, redis_prefix), PlatformBudget(client, redis_prefix)]
    for key in client.scan_iter(match=f"{redis_prefix}:*"):
        client.delete(key)
    client.close()


def test_slots_are_shared_between_workers(budgets: list[PlatformBudget]) -> None:
    first, second = budgets
    waits = [first.reserve("tiktok", 10.0), second.reserve("tiktok", 10.0)]
    waits.append(first.reserve("tiktok", 10.0))
    assert waits[0] == pytest.approx(0.0, abs=1.0)
    assert waits[1] == pytest.approx(10.0, abs=1.0)  # the other worker's slot is taken
    assert waits[2] == pytest.approx(20.0, abs=1.0)
    assert second.reserve("bluesky", 10.0) == pytest.approx(0.0, abs=1.0)  # per platform


def test_a_retry_after_from_one_worker_holds_back_the_others(
    budgets: list[PlatformBudget],
) -> None:
    first, second = budgets
    first.push("instagram", 60.0)  # a 429 with Retry-After: 60 on the first worker
    assert second.reserve("instagram", 0.0) == pytest.approx(60.0, abs=2.0)
    first.push("instagram", 5.0)  # a shorter one never brings the time forward
    assert second.reserve("instagram", 0.0) == pytest.approx(60.0, abs=2.0)


def test_three_workers_together_keep_one_platforms_budget(
    world: World, demo_server: RecordingDemoServer
) -> None:
    config = world.settings_text()
    for platform in LIMITED:
        config = config.replace(
            f"[platform.{platform}]\ndownload_delay = 0.0",
            f"[platform.{platform}]\ndownload_delay = {INTERVAL}",
        )
    world.write_config(config)
    for _ in range(3):
        world.start_worker("--platform", "bluesky", "--platform", "mastodon")
    world.wait_ready(3)
    demo_server.arrivals.clear()
    world.schedule_all(news=False, spiders=LIMITED)
    world.wait_until(world.all_runs_closed)

    for platform in LIMITED:
        times = sorted(t for t, path in demo_server.arrivals if path.startswith(f"/{platform}/"))
        assert len(times) >= 6, platform
        # Each request leaves at its slot or later, never earlier, so any k requests in a row
        # span at least k-1 intervals, less how late the first one left: two intervals of
        # lateness are allowed (a worker busy normalizing wakes late on a loaded machine).
        # Without the shared budget three workers send several requests within one interval.
        k = 5
        spans = [times[i + k - 1] - times[i] for i in range(len(times) - k + 1)]
        assert min(spans) >= (k - 3) * INTERVAL, (platform, spans)
        assert times[-1] - times[0] >= (len(times) - 3) * INTERVAL, platform
