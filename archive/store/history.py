"""Reading the crawl history: crawl runs, listings, problems, and the scheduler's next runs.

``refresh`` derives its policy from ``recent_runs``, ``status`` its health from the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db
from archive.store._common import listing_t, problem_t, run_t, scheduler_job_t
from archive.store.payloads import read_payload


class CrawlRunRow(TypedDict):
    """A ``crawl_run`` row."""

    id: int
    spider: str
    target: str | None
    athlete_slug: str | None
    full_sweep: bool
    started_at: datetime
    finished_at: datetime | None
    status: str
    finish_reason: str | None
    exit_code: int | None
    pages: int
    posts_new: int
    posts_updated: int
    posts_unchanged: int
    posts_deleted: int
    problems: int
    errors: str | None
    pid: int | None
    host: str | None
    started_by: str | None


class ListingRow(TypedDict):
    """A ``listing_run`` row, with who started its crawl run and how that run is doing."""

    id: int
    crawl_run_id: int | None
    platform: str
    handle: str
    handle_key: str
    ended_at: datetime
    outcome: str
    full_sweep: bool
    posts_seen: int
    pages: int
    reason: str | None
    started_by: str | None
    run_status: str | None


def get_crawl_run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    """A crawl_run row as a dict, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(run_t).where(run_t.c.id == run_id)).mappings().first()
    return None if row is None else dict(row)


def recent_runs(engine: Engine, target: str, *, limit: int) -> list[CrawlRunRow]:
    """The target's latest crawl_run rows, newest first (running ones included)."""
    stmt = (
        sa.select(run_t)
        .where(run_t.c.target == target)
        .order_by(run_t.c.started_at.desc(), run_t.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [cast(CrawlRunRow, dict(r)) for r in conn.execute(stmt).mappings()]


def list_runs(
    engine: Engine,
    *,
    platform: str | None = None,
    athlete_slug: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The newest crawl runs first, optionally of one platform (spider) or athlete."""
    where = []
    if platform:
        where.append(run_t.c.spider == platform)
    if athlete_slug:
        where.append(run_t.c.athlete_slug == athlete_slug)
    stmt = sa.select(run_t).where(*where).order_by(run_t.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def recent_listings(
    engine: Engine, platform: str, handle: str, *, limit: int = 10
) -> list[ListingRow]:
    """An account's latest listings, newest first, with who started their runs."""
    stmt = (
        sa.select(listing_t, run_t.c.started_by, run_t.c.status.label("run_status"))
        .select_from(listing_t.outerjoin(run_t, run_t.c.id == listing_t.c.crawl_run_id))
        .where(listing_t.c.platform == platform, listing_t.c.handle_key == handle.casefold())
        .order_by(listing_t.c.ended_at.desc(), listing_t.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [cast(ListingRow, dict(r)) for r in conn.execute(stmt).mappings()]


def list_problems(
    engine: Engine,
    *,
    platform: str | None = None,
    since: datetime | None = None,
    run_id: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Problems, the newest first, without their payloads (``get_problem`` has those)."""
    where = []
    if platform:
        where.append(problem_t.c.platform == platform)
    if since:
        where.append(problem_t.c.created_at >= since)
    if run_id is not None:
        where.append(problem_t.c.crawl_run_id == run_id)
    cols = [c for c in problem_t.c if c.name != "detail"]
    stmt = sa.select(*cols).where(*where).order_by(problem_t.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def get_problem(engine: Engine, problem_id: int) -> dict[str, Any] | None:
    """One problem with its detail and the raw payload kept with it (bytes, or None)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(problem_t).where(problem_t.c.id == problem_id)).mappings()
        found = row.first()
        if found is None:
            return None
        out = dict(found)
        pay_id = out.get("raw_payload_id")
        out["payload"] = read_payload(conn, pay_id) if pay_id else None
    return out


def problem_reasons(engine: Engine, run_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(crawl run id, reason) of every problem of these runs, in one query."""
    if not run_ids:
        return []
    stmt = sa.select(problem_t.c.crawl_run_id, problem_t.c.reason).where(
        problem_t.c.crawl_run_id.in_(list(run_ids))
    )
    with engine.connect() as conn:
        return [(int(run_id), reason) for run_id, reason in conn.execute(stmt)]


def next_scheduled_runs(engine: Engine) -> dict[str, datetime | None]:
    """Job id -> next run time from the scheduler's job store ({} when it never ran here).

    The job table is APScheduler's, read as plain rows: its next run time is a column (unix
    seconds, None for a paused job).
    """
    if not sa.inspect(engine).has_table(db.SCHEDULER_JOB_TABLE):
        return {}
    jobs = scheduler_job_t
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.id, jobs.c.next_run_time)).all()
    return {
        str(r[0]): None if r[1] is None else datetime.fromtimestamp(float(r[1]), UTC) for r in rows
    }
