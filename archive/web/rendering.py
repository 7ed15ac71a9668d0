"""What every route shares: the archive it reads (on the application's state), the Jinja2
templates (autoescape on), and how a page or an error is answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader
from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive.export import PLATFORM_COLORS, PLATFORM_NAMES
from archive.records import COUNT_KEYS, PLATFORMS
from archive.web import params
from archive.web.recent import Recent
from archive.web.text import is_http


def _when(value: Any) -> str:
    """A moment as ``YYYY-MM-DD HH:MM UTC`` (a datetime, or an ISO text of the exports)."""
    if value is None or value == "":
        return "no date"
    if isinstance(value, str):
        return value.replace("T", " ")[:16] + " UTC"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _num(value: Any) -> str:
    return "" if value is None else f"{int(value):,}"


def _query(base: dict[str, Any], **changes: Any) -> str:
    """``?`` and the parameters of ``base`` with ``changes`` (None removes one)."""
    values = {**base, **changes}
    pairs = {k: v for k, v in values.items() if v not in (None, "")}
    return "?" + urlencode(pairs) if pairs else ""


def make_templates() -> Environment:
    """The Jinja2 environment: the package's templates, autoescape on for every one."""
    env = Environment(
        loader=PackageLoader("archive.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, num=_num)
    env.tests["http"] = is_http
    env.globals.update(
        platforms=PLATFORMS,
        platform_names=PLATFORM_NAMES,
        platform_colors=PLATFORM_COLORS,
        count_keys=COUNT_KEYS,
        query=_query,
        max_page=params.MAX_PAGE,
    )
    return env


@dataclass(frozen=True)
class Archive:
    """What the routes read: the archive (a read-only engine), the configuration and roster
    (``podium status``'s targets come from them), and the templates."""

    engine: Engine
    settings: config_mod.Settings
    roster: config_mod.Roster
    templates: Environment
    #: whole-archive counts, kept a few seconds
    recent: Recent = field(default_factory=Recent)


def archive_of(request: Request) -> Archive:
    """The application's archive (a FastAPI dependency)."""
    found: Archive = request.app.state.archive
    return found


Reader = Annotated[Archive, Depends(archive_of)]


def page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` rendered with ``context``."""
    context.setdefault("form", {})
    html = archive_of(request).templates.get_template(name).render(path=request.url.path, **context)
    return HTMLResponse(html, status_code=code)


def error(request: Request, code: int, message: str) -> Response:
    """An error in one line: ``{"error": …}`` under /api/, else the error page."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=code)
    return page(request, "error.html", code, status=code, message=message)
