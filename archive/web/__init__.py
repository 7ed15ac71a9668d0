"""``podium serve``: read-only web pages over the archive, and the JSON API behind them.

``app`` builds the FastAPI application (routes, security headers, error pages), ``views``
shapes what each page shows from the archive's own functions (search, timeline, status, the
store's reads), ``params`` checks query parameters, ``text`` and ``charts`` make caption diffs,
snippets and SVG charts, ``database`` opens the archive read-only. Templates and the stylesheet
ship in the package (``templates/``, ``static/``): the pages need nothing from the network.
"""

from __future__ import annotations

from archive.web.app import create_app
from archive.web.database import read_only_engine

__all__ = ["create_app", "read_only_engine"]
