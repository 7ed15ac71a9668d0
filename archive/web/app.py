"""The FastAPI application: server-rendered pages and the JSON API behind them, read-only.

Every route is a GET. Pages are Jinja2 templates with autoescape on (every caption and name is
escaped); links leave the site only to http(s) URLs; charts are SVG drawn on the server; no
page carries a script, and the Content-Security-Policy forbids them (and inline styles, and
anything from another origin). A bad parameter is a 400 (an unknown athlete, post or sound a
404) with a one-line message, as HTML for pages and ``{"error": …}`` for the API.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive import config as config_mod
from archive import store
from archive.errors import ArchiveError, QueryError, UnknownAthleteError
from archive.export import PLATFORM_COLORS, PLATFORM_NAMES, neutralize_cell
from archive.records import COUNT_KEYS, PLATFORMS
from archive.store.browse import UnknownCursorError
from archive.web import params, views
from archive.web.params import BadParameterError
from archive.web.text import is_http

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
#: No script at all, nothing from another origin, no inline style; forms post only here.
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
PostId = Annotated[int, PathParam(ge=1, le=params.MAX_ID, description="A post's archive id")]
SoundId = Annotated[int, PathParam(ge=1, le=params.MAX_ID, description="A sound's archive id")]


def _when(value: Any) -> str:
    """A moment as ``YYYY-MM-DD HH:MM UTC`` (a datetime, or an ISO text of the exports)."""
    if value is None or value == "":
        return "no date"
    if isinstance(value, str):
        return value.replace("T", " ")[:16] + " UTC"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _day(value: Any) -> str:
    return _when(value)[:10] if value else ""


def _num(value: Any) -> str:
    return "" if value is None else f"{int(value):,}"


def _query(base: dict[str, Any], **changes: Any) -> str:
    """``?`` and the parameters of ``base`` with ``changes`` (None removes one)."""
    values = {**base, **changes}
    pairs = {k: v for k, v in values.items() if v not in (None, "")}
    return "?" + urlencode(pairs) if pairs else ""


def make_templates() -> Environment:
    """The Jinja2 environment: the package's templates, autoescape on for everything."""
    env = Environment(
        loader=PackageLoader("archive.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, day=_day, num=_num)
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


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "bad request"


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
    templates = make_templates()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("form", {})
        html = templates.get_template(name).render(path=request.url.path, **context)
        return HTMLResponse(html, status_code=code)

    def error(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "error.html", status, status=status, message=message)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return error(request, 400, _validation_message(exc))

    @app.exception_handler(BadParameterError)
    @app.exception_handler(QueryError)
    @app.exception_handler(UnknownCursorError)
    async def bad_parameter(request: Request, exc: Exception) -> Response:
        return error(request, 400, str(exc))

    @app.exception_handler(UnknownAthleteError)
    async def unknown_athlete(request: Request, exc: UnknownAthleteError) -> Response:
        return error(request, 404, str(exc))

    @app.exception_handler(ArchiveError)
    async def archive_error(request: Request, exc: ArchiveError) -> Response:
        return error(request, 400, str(exc))

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> Response:
        log.warning("reading the archive failed: %s", exc)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return error(request, 503, f"the archive could not be read: {reason}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "no such page", 405: "this archive is read-only: only GET"}.get(
            exc.status_code, str(exc.detail)
        )
        response = error(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    # --- pages ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return page(
            request,
            "home.html",
            athletes=views.athletes_view(engine),
            totals=store.archive_totals(engine),
            form={},
        )

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
        request: Request,
        q: params.Q = None,
        athlete: params.Athlete = None,
        platform: params.Platform = None,
        lang: params.Lang = None,
        hashtag: params.Hashtag = None,
        sound: params.SoundText = None,
        since: params.Since = None,
        until: params.Until = None,
        sort: params.Sort = None,
        page_no: Annotated[int, Query(alias="page", ge=1, le=params.MAX_PAGE)] = 1,
    ) -> HTMLResponse:
        req = views.search_request(q, athlete, platform, lang, hashtag, sound, since, until, sort)
        if req.query() is None and req.form():
            raise BadParameterError(
                "nothing to search for: give words, a #hashtag or an @name with the filters"
            )
        return page(
            request,
            "search.html",
            form=req.form(),
            result=views.search_view(engine, req, page_no),
            athletes=views.athletes_view(engine) if req.query() is None else [],
        )

    def download(req: views.SearchRequest, limit: int, fmt: str) -> Response:
        hits = views.find_posts(engine, req, limit)
        name = f"podium-search.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "ndjson":
            body = b"".join(
                orjson.dumps(h.to_dict(), option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC) + b"\n"
                for h in hits
            )
            return Response(body, media_type="application/x-ndjson", headers=headers)
        return StreamingResponse(
            _csv_lines(hits), media_type="text/csv; charset=utf-8", headers=headers
        )

    @app.get("/search.csv", include_in_schema=False)
    @app.get("/api/search.csv", summary="Search results as CSV (UTF-8 with BOM)")
    def search_csv(
        q: params.Q = None,
        athlete: params.Athlete = None,
        platform: params.Platform = None,
        lang: params.Lang = None,
        hashtag: params.Hashtag = None,
        sound: params.SoundText = None,
        since: params.Since = None,
        until: params.Until = None,
        sort: params.Sort = None,
        limit: params.Limit = 1000,
    ) -> Response:
        req = views.search_request(q, athlete, platform, lang, hashtag, sound, since, until, sort)
        return download(req, limit, "csv")

    @app.get("/search.ndjson", include_in_schema=False)
    @app.get("/api/search.ndjson", summary="Search results as NDJSON")
    def search_ndjson(
        q: params.Q = None,
        athlete: params.Athlete = None,
        platform: params.Platform = None,
        lang: params.Lang = None,
        hashtag: params.Hashtag = None,
        sound: params.SoundText = None,
        since: params.Since = None,
        until: params.Until = None,
        sort: params.Sort = None,
        limit: params.Limit = 1000,
    ) -> Response:
        req = views.search_request(q, athlete, platform, lang, hashtag, sound, since, until, sort)
        return download(req, limit, "ndjson")

    @app.get("/athletes/{slug}", response_class=HTMLResponse, include_in_schema=False)
    def athlete_page(
        request: Request,
        slug: str,
        platform: params.Platform = None,
        lang: params.Lang = None,
        since: params.Since = None,
        until: params.Until = None,
        after: params.After = None,
    ) -> HTMLResponse:
        req = views.timeline_request(platform, lang, since, until)
        data = views.athlete_view(engine, slug, req, after)
        return page(request, "athlete.html", form=req.form(), slug=slug, after=after, **data)

    @app.get("/posts/{post_id}", response_class=HTMLResponse, include_in_schema=False)
    def post_page(request: Request, post_id: PostId) -> Response:
        data = views.post_view(engine, post_id)
        if data is None:
            return error(request, 404, f"no post {post_id} in the archive")
        return page(request, "post.html", **data)

    @app.get("/sounds/{sound_id}", response_class=HTMLResponse, include_in_schema=False)
    def sound_page(request: Request, sound_id: SoundId, after: params.After = None) -> Response:
        data = views.sound_view(engine, sound_id, after)
        if data is None:
            return error(request, 404, f"no sound {sound_id} in the archive")
        return page(request, "sound.html", after=after, **data)

    @app.get("/status", response_class=HTMLResponse, include_in_schema=False)
    def status_page(
        request: Request,
        runs: Annotated[int, Query(ge=1, le=500, description="How many runs")] = 50,
    ) -> HTMLResponse:
        return page(request, "status.html", **views.status_view(engine, settings, roster, runs=runs))

    # --- the JSON API ----------------------------------------------------------------------

    @app.get("/api/athletes", summary="Every athlete, with accounts and number of posts")
    def api_athletes() -> list[dict[str, Any]]:
        return views.athletes_view(engine)

    @app.get("/api/search", summary="Search captions (the same as podium search)")
    def api_search(
        q: params.Q = None,
        athlete: params.Athlete = None,
        platform: params.Platform = None,
        lang: params.Lang = None,
        hashtag: params.Hashtag = None,
        sound: params.SoundText = None,
        since: params.Since = None,
        until: params.Until = None,
        sort: params.Sort = None,
        page_no: Annotated[int, Query(alias="page", ge=1, le=params.MAX_PAGE)] = 1,
    ) -> dict[str, Any]:
        req = views.search_request(q, athlete, platform, lang, hashtag, sound, since, until, sort)
        if req.query() is None:
            raise BadParameterError("nothing to search for: give q (words, #hashtag, @name)")
        return {"request": req.form(), **views.search_view(engine, req, page_no)}

    @app.get(
        "/api/athletes/{slug}",
        summary="An athlete: accounts and health, posts per week, top terms, a page of posts",
    )
    def api_athlete(
        slug: str,
        platform: params.Platform = None,
        lang: params.Lang = None,
        since: params.Since = None,
        until: params.Until = None,
        after: params.After = None,
    ) -> dict[str, Any]:
        req = views.timeline_request(platform, lang, since, until)
        data = views.athlete_view(engine, slug, req, after)
        data.pop("chart_svg")
        return {"request": req.form(), **data}

    @app.get("/api/posts/{post_id}", summary="A post with its versions, counts and articles")
    def api_post(request: Request, post_id: PostId) -> Any:
        data = views.post_view(engine, post_id)
        if data is None:
            return error(request, 404, f"no post {post_id} in the archive")
        data.pop("sparklines")
        data["availability"].pop("svg")
        return data

    @app.get("/api/sounds/{sound_id}", summary="A sound and a page of the posts that use it")
    def api_sound(request: Request, sound_id: SoundId, after: params.After = None) -> Any:
        data = views.sound_view(engine, sound_id, after)
        if data is None:
            return error(request, 404, f"no sound {sound_id} in the archive")
        return data

    @app.get("/api/status", summary="Every source's health and last runs (podium status)")
    def api_status(
        runs: Annotated[int, Query(ge=1, le=500, description="How many runs")] = 50,
    ) -> dict[str, Any]:
        return views.status_view(engine, settings, roster, runs=runs)

    @app.get("/api/runs", summary="The crawl history, newest first (podium runs)")
    def api_runs(
        platform: Annotated[
            str | None, Query(description="Only this spider's runs")
        ] = None,
        athlete: params.Athlete = None,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many runs")] = 50,
    ) -> list[dict[str, Any]]:
        spider = params.text_param(platform, "platform")
        if spider is not None and spider not in config_mod.SPIDER_NAMES:
            raise BadParameterError(
                f"unknown spider {spider!r}; use one of {', '.join(config_mod.SPIDER_NAMES)}"
            )
        return store.list_runs(
            engine,
            platform=spider,
            athlete_slug=params.text_param(athlete, "athlete"),
            limit=limit,
        )

    return app


CSV_COLUMNS = (
    "posted_at",
    "platform",
    "athlete",
    "handle",
    "language",
    "score",
    "url",
    "platform_post_id",
    "availability",
    "caption",
)


def _csv_lines(hits: list[Any]) -> Iterator[str]:
    """Search hits as CSV: a byte-order mark (as every CSV of podium), a header, one row a hit,
    cells a spreadsheet would run as formulas neutralized."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for n, hit in enumerate(hits, 1):
        row = hit.to_dict()
        row["posted_at"] = row["posted_at"].isoformat() if row["posted_at"] else ""
        writer.writerow([neutralize_cell(row[c]) for c in CSV_COLUMNS])
        if n % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()

