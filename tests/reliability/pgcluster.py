"""A throwaway PostgreSQL cluster of a test's own: initdb in a temporary folder, its own port.

    with PgCluster.create() as pg:      # initdb + start on 127.0.0.1:<free port>, trust auth
        url = pg.url("postgres")
        pg.restart()                    # pg_ctl restart -m fast
    # stopped and removed

initdb and postgres refuse to run as root: under root (CI) every server command runs as the
``postgres`` OS user through ``runuser``, in a folder handed over to that user.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa

#: Settings for a disposable server: loopback only, its socket in its own folder, no fsync.
_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 16MB
log_min_messages = warning
"""


class ClusterUnavailableError(RuntimeError):
    """The server binaries or the user to run them as are missing (raised by ``PgCluster``)."""


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb and pg_ctl, else PATH's."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def free_port() -> int:
    """A port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One initdb'd cluster in a temporary folder, started and stopped with pg_ctl."""

    def __init__(self, bin_dir: Path, root: Path, port: int, run_as: str | None) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = port
        self.run_as = run_as

    @classmethod
    def create(cls, bin_dir: Path | None = None) -> PgCluster:
        """initdb a new cluster and start it (ClusterUnavailableError when that cannot be)."""
        bin_dir = bin_dir or find_bin_dir()
        if bin_dir is None:
            raise ClusterUnavailableError("no initdb/pg_ctl under /usr/lib/postgresql/*/bin")
        run_as = None
        if os.geteuid() == 0:
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailableError("running as root and no 'postgres' user") from None
            run_as = "postgres"
        # Not pytest's tmp_path: its parents are private to root, and the server runs as postgres.
        root = Path(tempfile.mkdtemp(prefix="podium-pg-"))
        if run_as is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        cluster = cls(bin_dir, root, free_port(), run_as)
        try:
            cluster._run(
                "initdb",
                "-D",
                str(cluster.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            )
            cluster._write_conf()
            cluster.start()
        except BaseException:
            cluster.remove()
            raise
        return cluster

    # --- commands ------------------------------------------------------------------------------

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        argv = [str(self.bin_dir / tool), *args]
        if self.run_as is not None:
            argv = ["runuser", "-u", self.run_as, "--", *argv]
        done = subprocess.run(
            argv,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({done.returncode}): "
                f"{done.stdout[-1000:]}{done.stderr[-1000:]}{self.log_tail()}"
            )
        return done.stdout

    def _write_conf(self) -> None:
        conf = self.data / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as f:
            f.write(_CONF.format(port=self.port, sockets=self.root))

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *extra
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        for _attempt in range(3):
            try:
                self._pg_ctl("start")
                return
            except RuntimeError:
                if "could not bind" not in self.log_tail():
                    raise
            # Another process took the port between free_port() and the bind: pick another.
            self.port = free_port()
            self._write_conf()
        self._pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect everyone, roll back, shut down cleanly)."""
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast", pause: float = 0.0) -> None:
        """Stop, wait ``pause`` seconds with the server down, start again."""
        if pause <= 0:
            self._pg_ctl("restart", "-m", mode)
            return
        self.stop(mode)
        time.sleep(pause)
        self.start()

    def request_stop(self, mode: str = "smart") -> None:
        """Ask the server to stop and return at once (``smart``: it waits for open sessions)."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-W")

    def wait_stopped(self, timeout: float = 30.0) -> None:
        """Wait until a stop asked for with ``request_stop`` is complete."""
        deadline = time.monotonic() + timeout
        while (self.data / "postmaster.pid").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not stop in {timeout} s: {self.log_tail()}")
            time.sleep(0.05)

    def is_running(self) -> bool:
        """Whether pg_ctl sees a running server."""
        try:
            self._pg_ctl("status")
        except RuntimeError:
            return False
        return True

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster's folder."""
        if (self.data / "postmaster.pid").exists():
            # Already gone, or not: the folder goes either way.
            with contextlib.suppress(RuntimeError):
                self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server log (for failure messages)."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    # --- databases -----------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for a database of this cluster (user postgres, trust auth)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name``; returns its URL."""
        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            admin.dispose()
        return self.url(name)

    def terminate_backends(self, database: str) -> int:
        """pg_terminate_backend on every other connection to ``database``; how many went."""
        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                return len(
                    conn.execute(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :d AND pid <> pg_backend_pid()"
                        ),
                        {"d": database},
                    ).all()
                )
        finally:
            admin.dispose()

    def __enter__(self) -> PgCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"PgCluster({self.root}, port={self.port}, user={self.run_as or getpass.getuser()})"
