"""The HTML pages: home, search (and its CSV/NDJSON downloads), athlete, post, sound, status."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from archive import store
from archive.export import neutralize_cell
from archive.search import SearchHit
from archive.web import params, views
from archive.web.params import BadParameterError
from archive.web.rendering import Reader, error, page

router = APIRouter(include_in_schema=False)
SearchParams = Annotated[views.SearchRequest, Depends(views.search_params)]
PageNo = Annotated[int, Query(alias="page", ge=1, le=params.MAX_PAGE, description="Page")]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, archive: Reader) -> HTMLResponse:
    """Every athlete, and the archive's totals (at most ``recent.SECONDS`` old)."""
    return page(
        request,
        "home.html",
        athletes=archive.recent.get("athletes", lambda: views.athletes_view(archive.engine)),
        totals=archive.recent.get("totals", lambda: store.archive_totals(archive.engine)),
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, archive: Reader, req: SearchParams, page_no: PageNo = 1
) -> HTMLResponse:
    """The search form, and a page of results when there is something to search for."""
    if req.query() is None and req.form():
        raise BadParameterError(
            "nothing to search for: give words, a #hashtag or an @name with the filters"
        )
    return page(
        request,
        "search.html",
        form=req.form(),
        result=views.search_view(archive.engine, req, page_no),
        athletes=archive.recent.get("athletes", lambda: views.athletes_view(archive.engine))
        if req.query() is None
        else [],
    )


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


def csv_lines(hits: list[SearchHit]) -> Iterator[str]:
    """Search hits as CSV: a byte-order mark (as every CSV of podium), a header, a row a hit,
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


def download(archive: Reader, req: views.SearchRequest, limit: int, fmt: str) -> Response:
    """The search's first ``limit`` hits as a CSV or NDJSON file."""
    hits = views.find_posts(archive.engine, req, limit)
    headers = {"Content-Disposition": f'attachment; filename="podium-search.{fmt}"'}
    if fmt == "ndjson":
        option = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
        body = b"".join(orjson.dumps(h.to_dict(), option=option) + b"\n" for h in hits)
        return Response(body, media_type="application/x-ndjson", headers=headers)
    return StreamingResponse(csv_lines(hits), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/search.csv")
def search_csv(archive: Reader, req: SearchParams, limit: params.Limit = 1000) -> Response:
    """The search's results as CSV (UTF-8 with a byte-order mark)."""
    return download(archive, req, limit, "csv")


@router.get("/search.ndjson")
def search_ndjson(archive: Reader, req: SearchParams, limit: params.Limit = 1000) -> Response:
    """The search's results as NDJSON."""
    return download(archive, req, limit, "ndjson")


TimelineParams = Annotated[views.TimelineRequest, Depends(views.timeline_params)]


@router.get("/athletes/{slug}", response_class=HTMLResponse)
def athlete_page(
    request: Request,
    archive: Reader,
    slug: str,
    req: TimelineParams,
    after: params.After = None,
) -> HTMLResponse:
    """The athlete's page: accounts and health, the rhythm chart, top terms, the timeline."""
    data = views.athlete_view(archive.engine, slug, req, after)
    return page(request, "athlete.html", form=req.form(), after=after, **data)


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(request: Request, archive: Reader, post_id: params.PostId) -> Response:
    """One post with its history."""
    data = views.post_view(archive.engine, post_id)
    if data is None:
        return error(request, 404, f"no post {post_id} in the archive")
    return page(request, "post.html", **data)


@router.get("/sounds/{sound_id}", response_class=HTMLResponse)
def sound_page(
    request: Request, archive: Reader, sound_id: params.SoundId, after: params.After = None
) -> Response:
    """A sound and the posts that use it."""
    data = views.sound_view(archive.engine, sound_id, after)
    if data is None:
        return error(request, 404, f"no sound {sound_id} in the archive")
    return page(request, "sound.html", after=after, **data)


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, archive: Reader, runs: params.Runs = 50) -> HTMLResponse:
    """``podium status`` and ``podium runs`` as a page."""
    data: dict[str, Any] = views.status_view(
        archive.engine, archive.settings, archive.roster, runs=runs
    )
    return page(request, "status.html", **data)
