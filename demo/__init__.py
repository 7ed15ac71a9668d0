"""The bundled offline demo site: fictional athletes on every platform, served from one local port.

Used by ``podium demo``, end-to-end tests and benchmarks. ROUTES.md (next to this file) lists the
routes, the snapshots and the facts manifest.
"""

from __future__ import annotations

from demo.server import DemoServer
from demo.site import Site, base_urls, build_site, expected_facts, roster_toml

__all__ = ["DemoServer", "Site", "base_urls", "build_site", "expected_facts", "roster_toml"]
