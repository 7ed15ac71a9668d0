"""Writing crawl runs and how each account's listing ended (``history`` reads them back)."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime
from typing import Any

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db
from archive.records import RunStatus
from archive.store import search_index
from archive.store._common import listing_t, problem_t, run_t, utcnow
from archive.store.posts import BatchResult

log = logging.getLogger(__name__)
#: ``started_by`` of a run the scheduler pushed to Redis: no process owns it (its pages land on
#: any worker), so ``close_interrupted_runs`` leaves it to ``archive.queued_runs``.
QUEUED = "queue"


@db.retry_transient
def start_crawl_run(
    engine: Engine,
    *,
    spider: str,
    target: str | None,
    athlete_slug: str | None,
    full_sweep: bool,
    started_by: str = "manual",
) -> int:
    """Open a crawl_run row (status ``running``) owned by this process; returns its id."""
    with db.writer(engine).begin() as conn:
        res = conn.execute(
            run_t.insert().values(
                spider=spider,
                target=target,
                athlete_slug=athlete_slug,
                full_sweep=full_sweep,
                started_at=utcnow(),
                status="running",
                pid=os.getpid(),
                host=socket.gethostname(),
                started_by=started_by,
                pages=0,
                posts_new=0,
                posts_updated=0,
                posts_unchanged=0,
                posts_deleted=0,
                problems=0,
            )
        )
        key = res.inserted_primary_key
        assert key is not None
        return int(key[0])


@db.retry_transient
def finish_crawl_run(
    engine: Engine,
    run_id: int,
    *,
    status: RunStatus,
    reason: str | None = None,
    pages: int | None = None,
    result: BatchResult | None = None,
    deleted: int = 0,
    errors: str | None = None,
    exit_code: int | None = None,
    only_if_running: bool = False,
    catch_up_search: bool = True,
) -> None:
    """Close a crawl_run row with its counts and how it ended, then catch the search side index
    up (unless ``catch_up_search`` is False: the caller has a later run that will).

    With ``only_if_running``, a row that was closed meanwhile is left as it is.
    """
    values: dict[str, Any] = {
        "finished_at": utcnow(),
        "status": status,
        "finish_reason": reason,
        "posts_deleted": deleted,
        "errors": errors,
        "exit_code": exit_code,
    }
    if pages is not None:
        values["pages"] = pages
    if result is not None:
        values.update(
            posts_new=result.new, posts_updated=result.updated, posts_unchanged=result.unchanged
        )
    with db.writer(engine).begin() as conn:
        where = [run_t.c.id == run_id]
        if only_if_running:
            where.append(run_t.c.status == "running")
        if not conn.execute(run_t.update().where(*where).values(**values)).rowcount:
            return
        # Problems are rows of their own: count them, so the figure is always true.
        n = conn.execute(
            sa.select(sa.func.count())
            .select_from(problem_t)
            .where(problem_t.c.crawl_run_id == run_id)
        ).scalar_one()
        conn.execute(run_t.update().where(run_t.c.id == run_id).values(problems=n))
    if catch_up_search:
        _catch_up_search_index(engine)


def _catch_up_search_index(engine: Engine) -> None:
    """After a crawl, the search side index follows what it stored (a search would otherwise
    do it); skipped when another process is at it, and never a reason for the run to fail."""
    try:
        search_index.sync(engine)
    except Exception:
        log.warning("search index not caught up after the crawl", exc_info=True)


def _owner_alive(pid: int | None, started_at: datetime | None) -> bool:
    """Whether the process that opened a run on this host still runs (and is the same one).

    A pid is reused once its process is gone: a process that started after the run did is
    another one.
    """
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        created = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True
    if proc.status() == psutil.STATUS_ZOMBIE:
        return False
    return started_at is None or created <= started_at.timestamp() + 1.0


def close_interrupted_runs(engine: Engine) -> list[int]:
    """Close the ``running`` runs of this host whose process is gone, as ``interrupted``.

    Called whenever the archive is opened for crawling or status, so a crawl killed at any
    point never stays ``running``. Runs of other hosts are left to their own host, and runs
    pushed to Redis (``started_by`` ``queue``) to ``archive.queued_runs``.
    """
    host = socket.gethostname()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(run_t.c.id, run_t.c.pid, run_t.c.started_at).where(
                run_t.c.status == "running",
                run_t.c.host == host,
                sa.or_(run_t.c.started_by.is_(None), run_t.c.started_by != QUEUED),
            )
        ).all()
    gone = [r.id for r in rows if not _owner_alive(r.pid, r.started_at)]
    for run_id in gone:
        finish_crawl_run(
            engine,
            run_id,
            status="interrupted",
            reason="its process was gone (killed or crashed)",
            errors="the crawl stopped before it could close its run",
            only_if_running=True,
        )
    return gone


@db.retry_transient
def set_crawl_run_exit_code(engine: Engine, run_id: int, code: int | None) -> None:
    """Record the child process' exit status on a crawl_run row the child closed itself."""
    with db.writer(engine).begin() as conn:
        conn.execute(run_t.update().where(run_t.c.id == run_id).values(exit_code=code))


@db.retry_transient
def record_listing(
    engine: Engine,
    *,
    crawl_run_id: int | None,
    platform: str,
    handle: str,
    outcome: str,
    full_sweep: bool,
    posts_seen: int,
    pages: int,
    reason: str | None = None,
) -> None:
    """Keep how one account's listing ended in a crawl run (``listing_run``)."""
    with db.writer(engine).begin() as conn:
        conn.execute(
            listing_t.insert().values(
                crawl_run_id=crawl_run_id,
                platform=platform,
                handle=handle,
                handle_key=handle.casefold(),
                ended_at=utcnow(),
                outcome=outcome,
                full_sweep=full_sweep,
                posts_seen=posts_seen,
                pages=pages,
                reason=reason,
            )
        )
