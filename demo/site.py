"""The demo site as a pure function: ``(method, path, query) -> Response`` for one snapshot.

``build_site(snapshot, root)`` gives a :class:`Site`; every platform is mounted under its prefix
(``{root}/tiktok`` stands for ``https://www.tiktok.com`` and so on, see ROUTES.md). Nothing here
does I/O; :mod:`demo.server` puts a Site behind a real HTTP server.
"""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.content import SNAPSHOTS, World, build_world
from demo.facts import DEFAULT_ROOT
from demo.facts import expected_facts as _expected_facts
from demo.render.web import Request, Response, html_response, not_found, text_response

#: Prefix -> renderer module (each has ``handle(world, request) -> Response``).
MOUNTS = {
    "tiktok": "demo.render.tiktok",
    "instagram": "demo.render.instagram",
    "bluesky": "demo.render.bluesky",
    "mastodon": "demo.render.mastodon",
    "youtube": "demo.render.youtube",
    "x": "demo.render.x",
    "news": "demo.render.news",
}

ROBOTS = "User-agent: *\nDisallow: /news/drafts/\n\nSitemap: {root}/news/sitemap-news.xml\n"


def base_urls(root: str) -> dict[str, str]:
    """Platform -> demo base URL (``{root}/{platform}``)."""
    root = root.rstrip("/")
    return {name: f"{root}/{name}" for name in MOUNTS}


class Site:
    """One snapshot of the demo site, answering requests; pure and deterministic."""

    def __init__(self, snapshot: str, root: str) -> None:
        if snapshot not in SNAPSHOTS:
            raise ValueError(f"unknown snapshot {snapshot!r} (one of {', '.join(SNAPSHOTS)})")
        self.snapshot = snapshot
        self.root = root.rstrip("/")
        self.world: World = build_world()
        self._handlers: dict[str, Callable[[World, Request], Response]] = {}

    def _handler(self, mount: str) -> Callable[[World, Request], Response]:
        if mount not in self._handlers:
            self._handlers[mount] = importlib.import_module(MOUNTS[mount]).handle
        return self._handlers[mount]

    def handle(self, method: str, path: str, query: str | dict[str, list[str]] = "") -> Response:
        """Answer one request. ``path`` may carry the query string; ``query`` may be parsed."""
        parts = urlsplit(path)
        if isinstance(query, dict):
            parsed = query
        else:
            parsed = parse_qs(query or parts.query, keep_blank_values=True)
        method = method.upper()
        if method not in ("GET", "HEAD"):
            return Response(
                405, {"Allow": "GET, HEAD", "Content-Type": "text/plain"}, b"Method Not Allowed\n"
            )
        sub = parts.path or "/"
        if sub == "/robots.txt":
            return text_response(ROBOTS.format(root=self.root))
        if sub == "/":
            return html_response(self._index())
        mount, _, rest = sub.lstrip("/").partition("/")
        if mount not in MOUNTS:
            return not_found()
        request = Request(self.snapshot, self.root, "/" + rest, parsed)
        return self._handler(mount)(self.world, request)

    __call__ = handle

    def get(self, url_or_path: str) -> Response:
        """GET an absolute URL under the root, or a path."""
        if url_or_path.startswith(self.root):
            url_or_path = url_or_path[len(self.root) :]
        return self.handle("GET", url_or_path)

    def _index(self) -> str:
        links = "".join(
            f'<li><a href="{html.escape(url)}">{name}</a></li>'
            for name, url in base_urls(self.root).items()
        )
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>Podium demo site</title></head><body><h1>Podium demo site</h1>"
            f"<p>Snapshot: {self.snapshot}. Routes: see demo/ROUTES.md.</p>"
            f"<ul>{links}</ul></body></html>"
        )


def build_site(snapshot: str, root: str) -> Site:
    """The demo site for a snapshot ("early" or "later"), with absolute links under ``root``."""
    return Site(snapshot, root)


def roster_toml(root: str) -> str:
    """The demo roster (roster.toml) with news feed and sitemap paths made absolute."""
    root = root.rstrip("/")

    def absolute(match: re.Match[str]) -> str:
        return re.sub(r'"(/[^"]*)"', lambda m: f'"{root}{m.group(1)}"', match.group(0))

    return re.sub(r"(?m)^\s*(feeds|sitemaps)\s*=.*$", absolute, build_world().roster_text)


def expected_facts(snapshot: str, root: str = DEFAULT_ROOT) -> dict[str, Any]:
    """What an archive filled from ``snapshot`` should hold (see :mod:`demo.facts`)."""
    return _expected_facts(snapshot, root)
