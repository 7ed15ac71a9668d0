"""Workers as hosts of their own: each in a network namespace of this test's, on a veth link.

Redis and PostgreSQL listen on this machine's loopback, which a namespace cannot see; the workers
reach them through forwarders on the links' near addresses, and the demo server listens on the
first link's near address (the others route to it through their link), so every byte a worker
sends or receives crosses a veth link, as it would cross a network between machines. Each worker
runs with the namespace's name as its hostname.

Needs root and ``ip``; skipped elsewhere. Under ``CI=true`` a root with ``ip`` that cannot make
the namespaces fails instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from archive.crawl import SPIDERS
from tests.conftest import IN_CI, PG_URL, REDIS_URL
from tests.reliability.test_crash_recovery import content
from tests.scale.conftest import RecordingDemoServer
from tests.scale.netns import Forwarder, Host, HostsUnavailable, make_hosts
from tests.scale.test_workers import crawl_everything
from tests.scale.world import World, differences

#: Two machines' worth of workers.
HOSTS = 2


class ClientRecordingDemoServer(RecordingDemoServer):
    """The recording demo server, also noting the address each request came from."""

    def __init__(self, host: str) -> None:
        super().__init__(host=host)
        self.clients: list[str] = []

    def start(self) -> ClientRecordingDemoServer:
        super().start()
        assert self._httpd is not None
        handler, clients = self._httpd.RequestHandlerClass, self.clients

        class Recording(handler):  # type: ignore[misc, valid-type]
            def _serve(self, method: str) -> None:
                clients.append(self.client_address[0])
                super()._serve(method)

        self._httpd.RequestHandlerClass = Recording
        return self


@pytest.fixture(scope="module")
def hosts() -> Iterator[list[Host]]:
    """The namespaces on their links (skipped where the machine cannot make them)."""
    try:
        made = make_hosts(HOSTS)
    except HostsUnavailable as exc:
        if IN_CI and exc.allowed:
            pytest.fail(f"network namespaces: {exc}; under CI=true, as root with `ip`, a failure")
        pytest.skip(f"network namespaces unavailable: {exc}")
    try:
        yield made
    finally:
        for host in made:
            host.remove()


@pytest.fixture(scope="module")
def forwarder(hosts: list[Host]) -> Iterator[Forwarder]:
    """Forwarders to nothing yet (the test adds Redis's and PostgreSQL's)."""
    forwarding = Forwarder()
    try:
        yield forwarding
    finally:
        forwarding.close()


@pytest.fixture(scope="module")
def demo_server(hosts: list[Host]) -> Iterator[ClientRecordingDemoServer]:
    """The demo server on the first link's near address (this module's, overriding the
    conftest's: the reference crawls it too, so both archives hold the same URLs)."""
    with ClientRecordingDemoServer(hosts[0].gateway) as server:
        yield server


def over_the_link(host: Host, forwarder: Forwarder, world: World) -> dict[str, str]:
    """The environment that points a worker on ``host`` at Redis and PostgreSQL through the
    forwarders on its link."""
    redis_url, pg_url = make_url(REDIS_URL), make_url(world.settings.database_url)
    redis_port = forwarder.listen(host.gateway, (redis_url.host or "", redis_url.port or 6379))
    pg_port = forwarder.listen(host.gateway, (pg_url.host or "", pg_url.port or 5432))
    database = pg_url.set(host=host.gateway, port=pg_port)
    return {
        "PODIUM_REDIS_URL": str(redis_url.set(host=host.gateway, port=redis_port)),
        "PODIUM_DATABASE_URL": database.render_as_string(hide_password=False),
    }


def test_workers_on_hosts_of_their_own_archive_what_one_process_does(
    world: World,
    hosts: list[Host],
    forwarder: Forwarder,
    demo_server: ClientRecordingDemoServer,
    reference: Callable[[], Any],
) -> None:
    assert make_url(PG_URL).host in ("127.0.0.1", "localhost")  # what the forwarders reach
    reference()  # made first, from this side: the requests after it are the workers'
    demo_server.clients.clear()
    for host in hosts:
        world.start_worker(launcher=host.launcher(), env=over_the_link(host, forwarder, world))
    world.wait_ready(HOSTS)
    queued = crawl_everything(world)

    runs = world.runs()
    assert len(runs) == len(queued)
    assert [r["status"] for r in runs] == ["finished"] * len(runs)
    pages = sum(r["pages"] for r in runs)
    world.wait_until(lambda: sum(int(w["requests"]) for w in world.live_workers()) >= pages)
    live = world.live_workers()
    assert sorted(w["host"] for w in live) == sorted(h.name for h in hosts)
    assert {w["platforms"] for w in live} == {",".join(SPIDERS)}
    # Every request the demo site saw came over a link, and every host sent some.
    assert set(demo_server.clients) == {h.address for h in hosts}
    # Redis and PostgreSQL were reached over the links only, by every host.
    assert set(forwarder.peers) == {h.address for h in hosts}
    assert world.stop_workers() == [0] * HOSTS
    assert differences(content(world.settings.database_url), reference()) == {}
