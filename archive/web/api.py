"""The JSON API behind the pages (``/api/…``; its OpenAPI schema is ``/api/openapi.json``).

Each route returns what its page shows, without the page's SVG.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from archive import store
from archive.config import SPIDER_NAMES
from archive.web import params, views
from archive.web.pages import PageNo, download
from archive.web.params import BadParameterError
from archive.web.rendering import Reader, error

router = APIRouter(prefix="/api")
SearchParams = Annotated[views.SearchRequest, Depends(views.search_params)]
TimelineParams = Annotated[views.TimelineRequest, Depends(views.timeline_params)]


@router.get("/athletes", summary="Every athlete, with accounts and number of posts")
def api_athletes(archive: Reader) -> list[dict[str, Any]]:
    """Every athlete, by slug."""
    return views.athletes_view(archive.engine)


@router.get("/search", summary="Search captions (as podium search does)")
def api_search(archive: Reader, req: SearchParams, page_no: PageNo = 1) -> dict[str, Any]:
    """A page of hits, best (or newest) first, with the total."""
    if req.query() is None:
        raise BadParameterError("nothing to search for: give q (words, #hashtag, @name)")
    return {"request": req.form(), **views.search_view(archive.engine, req, page_no)}


@router.get("/search.csv", summary="Search results as CSV (UTF-8 with a byte-order mark)")
def api_search_csv(archive: Reader, req: SearchParams, limit: params.Limit = 1000) -> Response:
    """The first ``limit`` hits as CSV."""
    return download(archive, req, limit, "csv")


@router.get("/search.ndjson", summary="Search results as NDJSON")
def api_search_ndjson(archive: Reader, req: SearchParams, limit: params.Limit = 1000) -> Response:
    """The first ``limit`` hits, a JSON object a line."""
    return download(archive, req, limit, "ndjson")


@router.get(
    "/athletes/{slug}",
    summary="An athlete: accounts and health, posts per week, top terms, a page of posts",
)
def api_athlete(
    archive: Reader, slug: str, req: TimelineParams, after: params.After = None
) -> dict[str, Any]:
    """What the athlete's page shows; ``next_after`` continues the timeline."""
    data = views.athlete_view(archive.engine, slug, req, after)
    data.pop("chart_svg")
    return {"request": req.form(), **data}


@router.get("/posts/{post_id}", summary="A post with its versions, counts and articles")
def api_post(request: Request, archive: Reader, post_id: params.PostId) -> Any:
    """What the post's page shows."""
    data = views.post_view(archive.engine, post_id)
    if data is None:
        return error(request, 404, f"no post {post_id} in the archive")
    data.pop("sparklines")
    data["availability"].pop("svg")
    return data


@router.get("/sounds/{sound_id}", summary="A sound and a page of the posts that use it")
def api_sound(
    request: Request, archive: Reader, sound_id: params.SoundId, after: params.After = None
) -> Any:
    """The sound, and its posts newest first."""
    data = views.sound_view(archive.engine, sound_id, after)
    if data is None:
        return error(request, 404, f"no sound {sound_id} in the archive")
    return data


@router.get("/status", summary="Every source's health and last runs (podium status)")
def api_status(archive: Reader, runs: params.Runs = 50) -> dict[str, Any]:
    """``podium status --format json`` and the latest runs."""
    return views.status_view(archive.engine, archive.settings, archive.roster, runs=runs)


Spider = Annotated[str | None, Query(description=f"One of {', '.join(SPIDER_NAMES)}")]


@router.get("/runs", summary="The crawl history, newest first (podium runs)")
def api_runs(
    archive: Reader,
    platform: Spider = None,
    athlete: params.Athlete = None,
    limit: params.Runs = 50,
) -> list[dict[str, Any]]:
    """Crawl runs, optionally of one spider or athlete."""
    spider = params.text_param(platform, "platform")
    if spider is not None and spider not in SPIDER_NAMES:
        raise BadParameterError(f"unknown spider {spider!r}; use one of {', '.join(SPIDER_NAMES)}")
    return store.list_runs(
        archive.engine,
        platform=spider,
        athlete_slug=params.text_param(athlete, "athlete"),
        limit=limit,
    )
