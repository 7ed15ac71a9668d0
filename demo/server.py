"""Serve the demo site over HTTP on 127.0.0.1 (stdlib ``http.server``, a daemon thread).

    with DemoServer() as demo:            # a free port, snapshot "early"
        demo.base_urls["tiktok"]          # http://127.0.0.1:<port>/tiktok
        demo.set_snapshot("later")
        demo.fail_once("/tiktok/api/creator/item_list/")   # next matching request: 429

``python -m demo.server [--port N] [--snapshot later]`` serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from demo.content import SNAPSHOTS
from demo.site import Site, base_urls, build_site, roster_toml


@dataclass
class _FailRule:
    prefix: str
    status: int
    retry_after: int | None
    remaining: int


class DemoServer:
    """The demo site on a local port; a context manager that starts and stops it."""

    def __init__(self, snapshot: str = "early", host: str = "127.0.0.1", port: int = 0) -> None:
        if snapshot not in SNAPSHOTS:
            raise ValueError(f"unknown snapshot {snapshot!r} (one of {', '.join(SNAPSHOTS)})")
        self._snapshot = snapshot
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._sites: dict[str, Site] = {}
        self._rules: list[_FailRule] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Paths (with query strings) served so far, in order.
        self.request_log: list[str] = []

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> DemoServer:
        """Bind the port and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer((self._host, self._port), _handler_for(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, name="podium-demo-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("the demo server is not running")
        return int(self._httpd.server_address[1])

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_urls(self) -> dict[str, str]:
        """Platform -> base URL (``tiktok``, ``instagram``, ..., ``x``, ``news``)."""
        return base_urls(self.root)

    def url(self, path: str) -> str:
        """An absolute URL for a path under the root."""
        return self.root + (path if path.startswith("/") else "/" + path)

    def roster_toml(self) -> str:
        """The demo roster with this server's absolute news feed and sitemap URLs."""
        return roster_toml(self.root)

    # --- behaviour -----------------------------------------------------------------------------

    @property
    def snapshot(self) -> str:
        """The snapshot being served."""
        return self._snapshot

    def set_snapshot(self, snapshot: str) -> None:
        """Serve another snapshot from the next request on."""
        if snapshot not in SNAPSHOTS:
            raise ValueError(f"unknown snapshot {snapshot!r} (one of {', '.join(SNAPSHOTS)})")
        with self._lock:
            self._snapshot = snapshot

    def fail_once(
        self, path_prefix: str, status: int = 429, *, retry_after: int | None = 1, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path_prefix`` with
        ``status`` (and ``Retry-After`` when given), then behave normally again.

        The prefix is matched against the path with its query string; an absolute URL under the
        root works too.
        """
        if path_prefix.startswith(("http://", "https://")) and self._httpd is not None:
            path_prefix = path_prefix.removeprefix(self.root)
        with self._lock:
            self._rules.append(_FailRule(path_prefix, status, retry_after, times))

    def clear_log(self) -> None:
        """Forget the requests served so far."""
        with self._lock:
            self.request_log.clear()

    def site(self) -> Site:
        """The Site for the current snapshot."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot not in self._sites:
                self._sites[snapshot] = build_site(snapshot, self.root)
            return self._sites[snapshot]

    def _answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.request_log.append(path)
            rule = next((r for r in self._rules if path.startswith(r.prefix)), None)
            if rule is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
        if rule is not None:
            headers = {"Content-Type": "application/json; charset=utf-8"}
            if rule.retry_after is not None:
                headers["Retry-After"] = str(rule.retry_after)
            return rule.status, headers, b'{"error":"Too Many Requests"}'
        response = self.site().handle(method, path)
        return response.status, response.headers, response.body


def _handler_for(server: DemoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "PodiumDemo/1.0"

        def _serve(self, method: str) -> None:
            try:
                status, headers, body = server._answer(method, self.path)
            except Exception as exc:  # noqa: BLE001 - a bug in the demo must not hang the client
                status, headers = 500, {"Content-Type": "text/plain; charset=utf-8"}
                body = f"demo site error: {exc!r}\n".encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is ``DemoServer.request_log``."""

    return Handler


def main(argv: list[str] | None = None) -> int:
    """Serve the demo site until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--snapshot", choices=SNAPSHOTS, default="early")
    parser.add_argument(
        "--write-roster",
        metavar="PATH",
        help="write the demo roster with this server's absolute news URLs",
    )
    args = parser.parse_args(argv)
    server = DemoServer(args.snapshot, args.host, args.port).start()
    try:
        print(f"Podium demo site ({server.snapshot}) at {server.root}", flush=True)
        for name, url in server.base_urls.items():
            print(f"  {name:<9} {url}", flush=True)
        if args.write_roster:
            with open(args.write_roster, "w", encoding="utf-8") as handle:
                handle.write(server.roster_toml())
            print(f"Roster written to {args.write_roster}", flush=True)
        print("Ctrl-C to stop.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
