"""Hosts of a test's own: Linux network namespaces on a veth link each, and TCP forwarders.

Each :class:`Host` is a network namespace ``podium-<pid>-<n>`` joined to this machine by a veth
pair on a private /30 (this side ``10.231.x.y+1``, the namespace's ``+2``), its loopback up and
its default route through the link. Redis and PostgreSQL listen on this machine's loopback only,
so a :class:`Forwarder` listens on each link's near address and passes every connection on to
them. Creating namespaces needs root and ``ip``; :func:`make_hosts` says why it cannot.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field

#: The private range the links' /30s are cut from.
NETWORK = "10.231"


class HostsUnavailable(Exception):
    """Network namespaces cannot be made here (the message says why); ``allowed`` when the
    machine should allow it (root, with ``ip``) and something else failed."""

    def __init__(self, why: str, *, allowed: bool = True) -> None:
        super().__init__(why)
        self.allowed = allowed


def _ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise HostsUnavailable(f"ip {' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


@dataclass
class Host:
    """A network namespace on a veth link: ``address`` inside, ``gateway`` on this side."""

    name: str
    veth: str
    gateway: str
    address: str

    def launcher(self) -> list[str]:
        """The command prefix that runs a program inside, with ``name`` as its hostname."""
        hostname = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.name]
        return ["ip", "netns", "exec", self.name, *hostname]

    def remove(self) -> None:
        """Delete the link and the namespace (what is already gone is fine)."""
        subprocess.run(["ip", "link", "del", self.veth], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)


def _free_block(n: int, taken: str) -> tuple[str, str]:
    """A /30 no interface here uses yet, picked from the pid (runs at once differ): its two
    addresses."""
    for attempt in range(64):
        block = (os.getpid() * 8 + n + attempt * 8) % (250 * 64)
        third, base = block // 64, (block % 64) * 4
        gateway, address = f"{NETWORK}.{third}.{base + 1}", f"{NETWORK}.{third}.{base + 2}"
        if f" {gateway}/" not in taken and f" {address}/" not in taken:
            return gateway, address
    raise HostsUnavailable(f"no free /30 in {NETWORK}.0.0/16")


def make_host(n: int) -> Host:
    """Namespace number ``n`` of this process, on its link, with its routes."""
    gateway, address = _free_block(n, _ip("-o", "addr"))
    host = Host(f"podium-{os.getpid()}-{n}", f"pdm{os.getpid()}h{n}"[-15:], gateway, address)
    inner = f"pdm{os.getpid()}n{n}"[-15:]
    _ip("netns", "add", host.name)
    try:
        _ip("link", "add", host.veth, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", host.name)
        _ip("addr", "add", f"{gateway}/30", "dev", host.veth)
        _ip("link", "set", host.veth, "up")
        _ip("-n", host.name, "addr", "add", f"{address}/30", "dev", inner)
        _ip("-n", host.name, "link", "set", inner, "up")
        _ip("-n", host.name, "link", "set", "lo", "up")
        _ip("-n", host.name, "route", "add", "default", "via", gateway)
    except BaseException:
        host.remove()
        raise
    return host


def make_hosts(count: int) -> list[Host]:
    """``count`` hosts, or :class:`HostsUnavailable` (nothing left behind)."""
    if os.geteuid() != 0:
        raise HostsUnavailable("network namespaces need root", allowed=False)
    if shutil.which("ip") is None:
        raise HostsUnavailable("no `ip` command", allowed=False)
    if shutil.which("unshare") is None:
        raise HostsUnavailable("no `unshare` command (util-linux) to name the hosts")
    hosts: list[Host] = []
    try:
        for n in range(count):
            hosts.append(make_host(n))
    except BaseException:
        for host in hosts:
            host.remove()
        raise
    return hosts


@dataclass
class Forwarder:
    """TCP listeners that pass each connection on to a target, served by a thread of their own;
    ``peers`` lists the address every accepted connection came from."""

    peers: list[str] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _servers: list[asyncio.Server] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def listen(self, host: str, target: tuple[str, int]) -> int:
        """Listen on ``host`` (a free port, returned) and forward to ``target``."""
        return asyncio.run_coroutine_threadsafe(self._listen(host, target), self._loop).result(30)

    async def _listen(self, host: str, target: tuple[str, int]) -> int:
        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.peers.append(writer.get_extra_info("peername")[0])
            try:
                up_reader, up_writer = await asyncio.open_connection(*target)
            except OSError:
                writer.close()
                return
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                writer.close()
                up_writer.close()

        server = await asyncio.start_server(connection, host, 0)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def close(self) -> None:
        """Stop listening, drop every connection, end the thread."""

        async def shut() -> None:
            for server in self._servers:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until the end, then pass the end on."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()
