"""Refresh jobs: what the scheduler runs (one crawl per account or news source) and its policy.

``scheduler.py`` keeps the APScheduler side (job store, triggers, signals); this module holds
what a job does and what the schedule should be, derived from the configuration and from the
``crawl_run`` table (read through ``archive.store.recent_runs``). The job function is referenced
by name (``archive.refresh:run_crawl``) and finds everything it needs in its keyword arguments,
so it runs the same in any process.

State lives in two places only: the job store (the interval trigger and the next run time,
which survive a restart) and ``crawl_run`` (how many runs, which were full sweeps, how many
failed in a row, how many new posts recent runs found). No table of our own.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import db, store
from archive.store import CrawlRunRow

log = logging.getLogger(__name__)

#: The job function, by its textual reference: never a function of ``__main__``.
JOB_FUNC = "archive.refresh:run_crawl"
#: Runs looked at for backoff, adaptive cadence and health.
HISTORY = 20
#: Runs (newest first) the adaptive cadence estimates a posting rate from; fewer than
#: ``ADAPTIVE_MIN_RUNS`` finished runs leave the configured cadence as it is.
ADAPTIVE_WINDOW = 6
ADAPTIVE_MIN_RUNS = 3
#: An adaptive interval replaces the current one only when it differs by more than this share.
MATERIAL_CHANGE = 0.2


@dataclass(frozen=True, slots=True)
class Target:
    """One thing the scheduler refreshes: an account (``<platform>:<handle>``) or a news source
    (``news:<slug>``), with the cadence the configuration asks for."""

    id: str
    spider: str
    cadence_minutes: float
    handle: str | None = None
    athlete: str | None = None
    source: str | None = None

    def crawl_args(self, *, full: bool = False) -> dict[str, str]:
        """The spider's ``-a`` arguments for one crawl of this target."""
        args: dict[str, str] = {}
        if self.handle is not None:
            args["handle"] = self.handle
        if self.athlete is not None:
            args["athlete"] = self.athlete
        if self.source is not None:
            args["source"] = self.source
        if full:
            args["full"] = "1"
        return args


def targets(settings: config_mod.Settings, roster: config_mod.Roster) -> list[Target]:
    """Every account and news source of the roster, with its cadence: the athlete's or source's
    override, else the platform's default. An account listed twice is refreshed once."""
    out: dict[str, Target] = {}
    for athlete in roster.athletes:
        for acc in athlete.accounts:
            tid = f"{acc.platform}:{acc.handle}"
            if tid in out:
                log.warning(
                    "%s is on the roster twice (again under %s): refreshed once, for %s",
                    tid,
                    athlete.slug,
                    out[tid].athlete,
                )
                continue
            cadence = athlete.cadence_minutes or settings.platform(acc.platform).cadence_minutes
            out[tid] = Target(tid, acc.platform, cadence, handle=acc.handle, athlete=athlete.slug)
    for source in roster.news:
        tid = f"news:{source.slug}"
        cadence = source.cadence_minutes or settings.platform("news").cadence_minutes
        out.setdefault(tid, Target(tid, "news", cadence, source=source.slug))
    return list(out.values())


#: The scheduler process' database URLs by their public form: the job store keeps no password.
_DATABASES: dict[str, str] = {}


def public_url(url: str) -> str:
    """A database URL with its password hidden (what the job store may keep)."""
    return db.safe_url(url)


def _full_database_url(stored: str, config_dir: str) -> str:
    """The URL a job connects with: the scheduler's own, or the configured one that matches."""
    if stored in _DATABASES:
        return _DATABASES[stored]
    configured = config_mod.load(config_dir).database_url
    return configured if public_url(configured) == stored else stored


class JobKwargs(TypedDict):
    """The keyword arguments of a refresh job (``run_crawl``'s), as the job store keeps them."""

    target: str
    spider: str
    handle: str | None
    athlete: str | None
    source: str | None
    cadence_minutes: float
    database_url: str
    config_dir: str


def job_kwargs(target: Target, settings: config_mod.Settings) -> JobKwargs:
    """What the job function is called with: the target and where the archive and config are,
    so a fresh process needs nothing else. The scheduler compares these on restart. The
    database URL is kept without its password (a fresh process finds it in its config)."""
    _DATABASES[public_url(settings.database_url)] = settings.database_url
    return JobKwargs(
        target=target.id,
        spider=target.spider,
        handle=target.handle,
        athlete=target.athlete,
        source=target.source,
        cadence_minutes=target.cadence_minutes,
        database_url=public_url(settings.database_url),
        config_dir=str(settings.config_dir),
    )


def target_from_kwargs(kwargs: Mapping[str, Any]) -> Target:
    """The Target a job's keyword arguments describe."""
    return Target(
        kwargs["target"],
        kwargs["spider"],
        float(kwargs["cadence_minutes"]),
        handle=kwargs.get("handle"),
        athlete=kwargs.get("athlete"),
        source=kwargs.get("source"),
    )


# --- crawl_run history --------------------------------------------------------------------------


def run_ok(run: CrawlRunRow) -> bool:
    """A run that did its job: finished, and fetched at least one page."""
    return run.get("status") == "finished" and (run.get("pages") or 0) > 0


def consecutive_failures(runs: Sequence[CrawlRunRow]) -> int:
    """How many of the latest closed runs (newest first) went wrong in a row."""
    n = 0
    for run in runs:
        if run.get("status") == "running":
            continue
        if run_ok(run):
            break
        n += 1
    return n


def full_sweep_due(runs: Sequence[CrawlRunRow], every: int) -> bool:
    """True when the next run is the every-th since the last finished full sweep."""
    if every <= 1:
        return every == 1
    since = 0
    for run in runs:
        if run.get("status") != "finished":
            continue
        if run.get("full_sweep"):
            break
        since += 1
    return since + 1 >= every


def backoff_minutes(failures: int, interval_minutes: float, cap_minutes: float) -> float:
    """How long after a failed run the next one should wait: the interval doubled per failure in
    a row, capped; never less than the interval itself."""
    if failures <= 0:
        return interval_minutes
    grown = interval_minutes * 2.0 ** min(failures, 30)
    return max(interval_minutes, min(grown, cap_minutes))


def adaptive_interval(
    base_minutes: float, runs: Sequence[CrawlRunRow], cfg: config_mod.SchedulerConfig
) -> float:
    """The interval for an account from how often it posts: about one new post per run.

    The rate is new posts over the time the recent finished runs cover (the oldest of them is
    only the starting point, so a first backfill does not count), which does not depend on the
    interval they ran at, so the cadence does not oscillate. Clamped to
    [min_cadence_minutes, max_cadence_minutes], widened to include the configured cadence.
    """
    if not cfg.adaptive:
        return base_minutes
    done = [r for r in runs if run_ok(r) and r.get("started_at") is not None][:ADAPTIVE_WINDOW]
    if len(done) < ADAPTIVE_MIN_RUNS:
        return base_minutes
    span = (done[0]["started_at"] - done[-1]["started_at"]).total_seconds() / 60.0
    if span <= 0:
        return base_minutes
    new = sum(int(r.get("posts_new") or 0) for r in done[:-1])
    wanted = span / new if new else math.inf
    low = min(base_minutes, cfg.min_cadence_minutes)
    high = max(base_minutes, cfg.max_cadence_minutes)
    return min(max(wanted, low), high)


def material_change(current_minutes: float, wanted_minutes: float) -> bool:
    """Whether an adaptive interval differs enough from the current one to reschedule."""
    if current_minutes <= 0:
        return True
    return abs(wanted_minutes - current_minutes) / current_minutes > MATERIAL_CHANGE


def desired_interval(
    target: Target,
    runs: Sequence[CrawlRunRow],
    cfg: config_mod.SchedulerConfig,
    current_minutes: float | None = None,
) -> float:
    """The interval a target should run at: the configured cadence, or for an account with the
    adaptive cadence on, its adaptive interval (kept at ``current_minutes`` unless the change
    is material)."""
    if target.spider == "news" or not cfg.adaptive:
        return target.cadence_minutes
    wanted = adaptive_interval(target.cadence_minutes, runs, cfg)
    if current_minutes is not None and not material_change(current_minutes, wanted):
        return current_minutes
    return wanted


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the schedule of a target should be after its latest run."""

    interval_minutes: float
    failures: int
    not_before: datetime | None  # a backoff: no run before this time


def plan_next(
    engine: Engine, target: Target, settings: config_mod.Settings, current_interval_minutes: float
) -> NextStep:
    """The interval and any backoff for a target, from its crawl_run history."""
    runs = store.recent_runs(engine, target.id, limit=HISTORY)
    cfg = settings.scheduler
    interval = desired_interval(target, runs, cfg, current_interval_minutes)
    failures = consecutive_failures(runs)
    not_before = None
    if failures:
        last = next((r for r in runs if r.get("status") != "running"), None)
        ended = None if last is None else last.get("finished_at") or last.get("started_at")
        if ended is not None:
            wait = backoff_minutes(failures, interval, cfg.backoff_max_minutes)
            not_before = ended + timedelta(minutes=wait)
    return NextStep(interval, failures, not_before)


# --- the job ------------------------------------------------------------------------------------

_stop = threading.Event()
_active_lock = threading.Condition()
_active: dict[str, float] = {}


def request_stop() -> None:
    """From now on, jobs that start return at once without crawling (scheduler shutdown)."""
    _stop.set()


def stopping() -> bool:
    """True after ``request_stop``."""
    return _stop.is_set()


def reset_stop() -> None:
    """Allow jobs to run again (a new scheduler in the same process, e.g. in tests)."""
    _stop.clear()


def active_crawls() -> list[str]:
    """Targets whose crawl is running in this process now."""
    with _active_lock:
        return sorted(_active)


def wait_idle(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until no crawl runs in this process; True if none does."""
    deadline = time.monotonic() + timeout
    with _active_lock:
        while _active:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _active_lock.wait(left)
    return True


@contextmanager
def _running(target: str) -> Iterator[None]:
    with _active_lock:
        _active[target] = time.monotonic()
    try:
        yield
    finally:
        with _active_lock:
            _active.pop(target, None)
            _active_lock.notify_all()


def run_crawl(
    target: str,
    *,
    spider: str,
    database_url: str,
    config_dir: str,
    handle: str | None = None,
    athlete: str | None = None,
    source: str | None = None,
    cadence_minutes: float | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One scheduled crawl of one account or news source, in a child process with a timeout;
    with ``PODIUM_REDIS_URL``, pushed to the workers instead (``archive.queued_runs``).

    Every ``full_sweep_every``-th run is a full sweep (reconciles deletions). The result lands
    in ``crawl_run`` (``archive.crawl.run_crawl_job`` opens and closes the row, and records a
    crawl killed at its timeout as ``killed``); the returned summary is for logs and listeners.
    """
    from archive.crawl import CrawlJob, run_crawl_job

    if stopping():
        log.info("%s: not started, the scheduler is shutting down", target)
        return {"target": target, "status": "skipped"}
    settings = config_mod.load(
        config_dir, database_url=_full_database_url(database_url, config_dir)
    )
    t = Target(
        target, spider, float(cadence_minutes or 0), handle=handle, athlete=athlete, source=source
    )
    engine = db.make_engine(settings.database_url)
    try:
        full = full_sweep_due(
            store.recent_runs(engine, target, limit=HISTORY), settings.scheduler.full_sweep_every
        )
    finally:
        engine.dispose()
    if settings.redis_url:  # workers crawl: push the job to Redis instead of a child crawl
        from archive.queued_runs import enqueue_crawl

        return enqueue_crawl(settings, spider=spider, target=target, args=t.crawl_args(full=full))
    job = CrawlJob(spider, t.crawl_args(full=full), target)
    with _running(target):
        outcome = run_crawl_job(
            job,
            settings,
            timeout=settings.crawl.timeout_seconds,
            extra_env=extra_env,
            started_by="scheduler",
        )
    run = outcome.run
    summary = {
        "target": target,
        "run_id": outcome.run_id,
        "status": outcome.status,
        "exit_code": outcome.exit_code,
        "full_sweep": full,
        "pages": run.get("pages"),
        "posts_new": run.get("posts_new"),
        "posts_updated": run.get("posts_updated"),
        "posts_deleted": run.get("posts_deleted"),
        "problems": run.get("problems"),
        "seconds": round(outcome.seconds, 1),
    }
    level = logging.INFO if outcome.status == "finished" else logging.WARNING
    log.log(
        level,
        "%s: %s (exit %s)%s, %s pages, %s new, %s updated, %s deleted, %s problems, %.1f s%s",
        target,
        outcome.status,
        outcome.exit_code,
        " full sweep" if full else "",
        summary["pages"],
        summary["posts_new"],
        summary["posts_updated"],
        summary["posts_deleted"],
        summary["problems"],
        outcome.seconds,
        f": {run.get('errors')}" if run.get("errors") else "",
    )
    return summary
