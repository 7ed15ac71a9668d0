"""The FastAPI application: server-rendered pages and the JSON API behind them, read-only.

Every route is a GET. Pages are Jinja2 templates with autoescape on (every caption and name is
escaped); links leave the site only to http(s) URLs; charts are SVG drawn on the server; no
page carries a script, and the Content-Security-Policy forbids them (and inline styles, and
anything from another origin). A bad parameter is a 400 (an unknown athlete, post or sound a
404) with a one-line message, as HTML for pages and ``{"error": …}`` for the API.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive import config as config_mod
from archive.errors import ArchiveError, QueryError, UnknownAthleteError
from archive.store.browse import UnknownCursorError
from archive.web import api, pages
from archive.web.params import BadParameterError
from archive.web.rendering import Archive, error, make_templates

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
#: No script at all, nothing from another origin, no inline style; forms go only here.
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "font-src 'none'; connect-src 'none'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Every response, errors and static files too, carries the headers above."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def bad_request(request: Request, exc: Exception) -> Response:
    """A parameter FastAPI could not read (a page that is no number, an id out of range)."""
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return error(request, 400, "; ".join(parts) or "bad request")


async def bad_parameter(request: Request, exc: Exception) -> Response:
    """A parameter the archive cannot use: a bad date, query, cursor…"""
    return error(request, 400, str(exc))


async def not_found(request: Request, exc: Exception) -> Response:
    """An athlete the archive does not have (the message names close slugs)."""
    return error(request, 404, str(exc))


async def database_error(request: Request, exc: Exception) -> Response:
    """The archive could not be read (locked for too long, gone): 503, one line."""
    log.warning("reading the archive failed: %s", exc)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return error(request, 503, f"the archive could not be read: {reason}")


async def http_error(request: Request, exc: Exception) -> Response:
    """No such page (404), not a GET (405): said in the site's own words."""
    assert isinstance(exc, StarletteHTTPException)
    message = {404: "no such page", 405: "this archive is read-only: only GET"}.get(
        exc.status_code, str(exc.detail)
    )
    response = error(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_app(
    engine: Engine,
    settings: config_mod.Settings,
    roster: config_mod.Roster,
) -> FastAPI:
    """The application over an engine that reads the archive (``database.read_only_engine``)."""
    app = FastAPI(
        title="Podium",
        summary="Read-only pages and JSON API over an archive of what athletes post.",
        version="1",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: not offline, not ours
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.archive = Archive(engine, settings, roster, make_templates())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.middleware("http")(security_headers)
    app.add_exception_handler(RequestValidationError, bad_request)
    for exc in (BadParameterError, QueryError, UnknownCursorError, ArchiveError):
        app.add_exception_handler(exc, bad_parameter)
    app.add_exception_handler(UnknownAthleteError, not_found)
    app.add_exception_handler(SQLAlchemyError, database_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.include_router(pages.router)
    app.include_router(api.router)
    return app
