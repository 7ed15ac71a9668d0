"""Keep the archive fresh: one APScheduler job per account and news source (DESIGN §6).

    python scheduler.py [--db URL] [--config DIR] [--workers N]     (or: podium schedule)

Jobs live in the archive database (APScheduler's SQLAlchemy job store, table
``apscheduler_jobs``) and point to ``archive.refresh:run_crawl`` by name, so this script and
``podium schedule`` share one store. On start the jobs are reconciled with the configuration:
only accounts and sources that were added, changed or removed are touched, so next-run times
survive a restart. Each job runs one crawl in a child process (never Scrapy in this process).
After a run, a failing target backs off and an account's adaptive cadence is updated.
SIGINT/SIGTERM: no new crawls start; the running ones get ``shutdown_wait_seconds`` to end.

Exactly one scheduler is active per archive (``archive.leadership``): a second one started
against the same archive waits, saying which process is active, and takes over within a few
seconds of it stopping or dying; the jobs live in the shared store, so none is added twice.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from archive import config as config_mod
from archive import db, leadership, refresh, store
from archive.errors import ArchiveError, SettingsConflictError

log = logging.getLogger("podium.scheduler")

#: Crawls that may run at once (each is one child process).
DEFAULT_WORKERS = 4
#: New jobs' first runs are spread over at most this long, so a fresh roster does not start
#: every crawl at the same moment.
STAGGER_SECONDS = 1800.0


@dataclass
class Reconciled:
    """What reconciling the job store with the configuration did, by job id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def interval_minutes(trigger: Any) -> float | None:
    """The interval of an IntervalTrigger in minutes (None for any other trigger)."""
    if not isinstance(trigger, IntervalTrigger):
        return None
    minutes: float = trigger.interval.total_seconds() / 60.0
    return minutes


def jitter_for(minutes: float, cfg: config_mod.SchedulerConfig) -> float | None:
    """The configured jitter, never more than a quarter of the interval (None: no jitter)."""
    jitter = min(cfg.jitter_seconds, minutes * 60.0 / 4)
    return jitter if jitter > 0 else None


def make_trigger(
    minutes: float, cfg: config_mod.SchedulerConfig, start: datetime
) -> IntervalTrigger:
    """An interval trigger whose grid starts at ``start``."""
    return IntervalTrigger(
        seconds=minutes * 60.0, start_date=start, timezone=UTC, jitter=jitter_for(minutes, cfg)
    )


def job_options(settings: config_mod.Settings) -> dict[str, Any]:
    """The options every refresh job has."""
    return {
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": max(1, round(settings.scheduler.misfire_grace_seconds)),
    }


class Refresher:
    """The scheduler's Podium side: reconciles on start, adjusts a job after each run."""

    def __init__(
        self,
        scheduler: BaseScheduler,
        settings: config_mod.Settings,
        roster: config_mod.Roster,
        engine: Engine,
    ) -> None:
        self.scheduler, self.settings = scheduler, settings
        self.roster, self.engine = roster, engine
        self.reconciled: Reconciled | None = None
        self.error: BaseException | None = None
        self.skipped: dict[str, int] = {}

    # --- start: reconcile ----------------------------------------------------------------------

    def on_started(self, _event: SchedulerEvent) -> None:
        """Reconcile the job store with the configuration before the first job runs."""
        try:
            self.reconciled = reconcile(self.scheduler, self.settings, self.roster, self.engine)
        except Exception as exc:  # APScheduler only logs a listener's errors: keep this one
            log.exception("cannot reconcile the jobs with the configuration")
            self.error = exc
            threading.Thread(
                target=self.scheduler.shutdown, kwargs={"wait": False}, daemon=True
            ).start()
            return
        r = self.reconciled
        log.info(
            "jobs: %d added, %d changed, %d removed, %d kept",
            len(r.added),
            len(r.changed),
            len(r.removed),
            len(r.kept),
        )

    # --- after each run: backoff and adaptive cadence -----------------------------------------

    def on_job_done(self, event: JobExecutionEvent) -> None:
        """After a run: back off a failing target; follow an account's adaptive cadence."""
        if event.exception is not None:
            log.error("%s: the job raised %r", event.job_id, event.exception)
        if refresh.stopping():
            return
        try:
            job = self.scheduler.get_job(event.job_id)
            if job is None or not job.kwargs.get("target"):
                return
            self.adjust(job)
        except (ArchiveError, OSError) as exc:
            log.warning("%s: schedule not adjusted after the run: %s", event.job_id, exc)

    def adjust(self, job: Job) -> dict[str, Any]:
        """Apply the interval and backoff ``archive.refresh.plan_next`` asks for to one job."""
        current = interval_minutes(job.trigger)
        if current is None:
            return {}
        target = refresh.target_from_kwargs(job.kwargs)
        step = refresh.plan_next(self.engine, target, self.settings, current)
        now = datetime.now(UTC)
        changes: dict[str, Any] = {}
        next_run = job.next_run_time
        if abs(step.interval_minutes - current) > 1e-9:
            next_run = now + timedelta(minutes=step.interval_minutes)
            changes["trigger"] = make_trigger(
                step.interval_minutes, self.settings.scheduler, next_run
            )
            changes["next_run_time"] = next_run
            log.info("%s: cadence %.1f -> %.1f min", job.id, current, step.interval_minutes)
        if step.not_before is not None and (next_run is None or next_run < step.not_before):
            changes["next_run_time"] = step.not_before
            log.warning(
                "%s: %d failed runs in a row, next try not before %s",
                job.id,
                step.failures,
                step.not_before.isoformat(timespec="seconds"),
            )
        if changes:
            try:
                self.scheduler.modify_job(job.id, **changes)
            except JobLookupError:
                return {}
        return changes

    def on_skipped(self, event: JobSubmissionEvent) -> None:
        """A run not started: the previous one still runs (max_instances=1), or it was too late."""
        self.skipped[event.job_id] = self.skipped.get(event.job_id, 0) + 1
        log.info(
            "%s: run skipped (%s)",
            event.job_id,
            "still running" if event.code == EVENT_JOB_MAX_INSTANCES else "misfired",
        )


def reconcile(
    scheduler: BaseScheduler,
    settings: config_mod.Settings,
    roster: config_mod.Roster,
    engine: Engine,
) -> Reconciled:
    """Make the job store match the configuration, touching only what differs.

    A job is changed when its function, keyword arguments (handle, athlete, cadence, database,
    config folder), options or interval differ from what the configuration wants; a changed
    interval takes effect at once (the next run comes no later than one new interval from now),
    everything else keeps the job's next run time. The scheduler must be started (paused is
    enough): before that, the store is not open.
    """
    cfg = settings.scheduler
    wanted = {t.id: t for t in refresh.targets(settings, roster)}
    existing = {job.id: job for job in scheduler.get_jobs()}
    result = Reconciled()
    for job_id in sorted(set(existing) - set(wanted)):
        scheduler.remove_job(job_id)
        result.removed.append(job_id)
    now = datetime.now(UTC)
    new = [tid for tid in wanted if tid not in existing]
    options = job_options(settings)
    for tid, target in wanted.items():
        kwargs = refresh.job_kwargs(target, settings)
        name = _job_name(target)
        job = existing.get(tid)
        if job is None:
            interval = target.cadence_minutes
            spread = min(interval * 60.0, STAGGER_SECONDS) * new.index(tid) / max(1, len(new))
            jitter = random.uniform(0, jitter_for(interval, cfg) or 0)  # noqa: S311 - not crypto
            first = now + timedelta(seconds=spread + jitter)
            scheduler.add_job(
                refresh.JOB_FUNC,
                trigger=make_trigger(interval, cfg, first),
                id=tid,
                name=name,
                kwargs=kwargs,
                next_run_time=first,
                **options,
            )
            result.added.append(tid)
            continue
        current = interval_minutes(job.trigger)
        same_base = job.kwargs.get("cadence_minutes") == target.cadence_minutes
        interval = refresh.desired_interval(
            target,
            store.recent_runs(engine, tid, limit=refresh.HISTORY),
            cfg,
            current if same_base else None,
        )
        changes: dict[str, Any] = {}
        if current is None or abs(current - interval) > 1e-9:
            nxt = now + timedelta(minutes=interval)
            if job.next_run_time is not None and job.next_run_time < nxt:
                nxt = job.next_run_time
            changes.update(trigger=make_trigger(interval, cfg, nxt), next_run_time=nxt)
        elif job.trigger.jitter != jitter_for(interval, cfg):
            changes["trigger"] = make_trigger(interval, cfg, job.trigger.start_date)
        if job.func_ref != refresh.JOB_FUNC or job.args:
            changes.update(func=refresh.JOB_FUNC, args=())
        if job.kwargs != kwargs:
            changes["kwargs"] = kwargs
        if job.name != name:
            changes["name"] = name
        changes.update({k: v for k, v in options.items() if getattr(job, k) != v})
        if changes:
            scheduler.modify_job(tid, **changes)
            result.changed.append(tid)
        else:
            result.kept.append(tid)
    return result


def _job_name(target: refresh.Target) -> str:
    if target.source:
        return f"news source {target.source}"
    return f"{target.spider} {target.handle}" + (f" ({target.athlete})" if target.athlete else "")


class _OnlyWhileRunning:
    """Process due jobs only while the scheduler runs. APScheduler 3's loop checks for "paused"
    but not for "stopped", so a job falling due as ``shutdown()`` begins would be submitted to a
    closed executor (an error, and the run lost); and a paused scheduler must run nothing."""

    state: int

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        wait: float | None = super()._process_jobs()  # type: ignore[misc]
        return wait


_GUARDED: dict[type[BaseScheduler], type[BaseScheduler]] = {}


def _guarded(scheduler_class: type[BaseScheduler]) -> type[BaseScheduler]:
    if scheduler_class not in _GUARDED:
        _GUARDED[scheduler_class] = type(
            f"Podium{scheduler_class.__name__}", (_OnlyWhileRunning, scheduler_class), {}
        )
    return _GUARDED[scheduler_class]


def build_scheduler(
    settings: config_mod.Settings,
    *,
    roster: config_mod.Roster | None = None,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    workers: int = DEFAULT_WORKERS,
) -> BlockingScheduler:
    """A scheduler with the job store in the archive database, not started.

    Starting it (``start()``; ``start(paused=True)`` in tests, with a BackgroundScheduler)
    reconciles the stored jobs with the configuration first. ``scheduler.podium`` is the
    Refresher, with what reconciling did.
    """
    roster = roster if roster is not None else config_mod.load_roster(settings.roster_path)
    engine = db.make_engine(settings.database_url)
    scheduler = _guarded(scheduler_class)(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=db.SCHEDULER_JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=workers)},
        job_defaults=job_options(settings),
        timezone=UTC,
    )
    refresher = Refresher(scheduler, settings, roster, engine)
    scheduler.add_listener(refresher.on_started, EVENT_SCHEDULER_STARTED)
    scheduler.add_listener(refresher.on_job_done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.add_listener(refresher.on_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
    scheduler.podium = refresher
    return scheduler


# --- shutdown -------------------------------------------------------------------------------------


def _child_pids() -> list[int]:
    """This process's children (the running crawls), from /proc."""
    me = os.getpid()
    pids = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(me):
            pids.append(int(entry.parent.name))
    return pids


def stop_crawls(grace: float = 10.0) -> None:
    """Ask running child crawls to stop (SIGTERM to each one's process group), then kill them.

    Scrapy stops gracefully on SIGTERM and closes its crawl_run; archive.crawl records any run
    still open as failed.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _child_pids()
        if not pids:
            return
        for pid in pids:
            try:
                os.killpg(pid, sig)
            except (ProcessLookupError, PermissionError):
                continue
        if refresh.wait_idle(grace):
            return


class Shutdown:
    """SIGINT/SIGTERM handling: the first signal stops the scheduler taking new jobs; a second
    one stops the running crawls at once."""

    def __init__(self, scheduler: BaseScheduler) -> None:
        self.scheduler = scheduler
        self.requested = threading.Event()
        self.forced = threading.Event()

    def install(self) -> None:
        """Handle SIGINT and SIGTERM in this (main) thread."""
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, signum: int, _frame: Any) -> None:
        """A signal handler: do the work in a thread (the scheduler's locks are not reentrant-safe
        from inside a handler)."""
        if self.requested.is_set():
            self.forced.set()
            threading.Thread(target=stop_crawls, kwargs={"grace": 5.0}, daemon=True).start()
            return
        self.requested.set()
        refresh.request_stop()
        log.warning(
            "%s: no new crawls; waiting for the running ones (%s)",
            signal.Signals(signum).name,
            ", ".join(refresh.active_crawls()) or "none",
        )
        threading.Thread(target=self._stop, daemon=True).start()

    def _stop(self) -> None:
        try:
            self.scheduler.pause()
            self.scheduler.shutdown(wait=False)
        except SchedulerNotRunningError:
            log.debug("the scheduler had stopped already")


def wait_for_crawls(settings: config_mod.Settings) -> bool:
    """After the scheduler stopped: give running crawls ``shutdown_wait_seconds``, then stop
    them. True when they all ended within the wait."""
    wait = settings.scheduler.shutdown_wait_seconds
    if refresh.wait_idle(wait):
        return True
    log.warning(
        "crawls still running after %.0f s, stopping them: %s",
        wait,
        ", ".join(refresh.active_crawls()),
    )
    stop_crawls()
    return False


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of ``python scheduler.py`` (and ``podium schedule``)."""
    p = argparse.ArgumentParser(
        prog="scheduler.py",
        description="Keep the archive fresh: one scheduled crawl per account and news source, "
        "cadence from config/podium.toml. Stop with Ctrl-C or SIGTERM (the running "
        "crawl is waited for).",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="Archive database URL (default: PODIUM_DATABASE_URL, config, sqlite:///podium.db).",
    )
    p.add_argument(
        "--config",
        metavar="DIR",
        help="Folder with podium.toml and athletes.toml (default: PODIUM_CONFIG_DIR "
        "or the project's config/).",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"Crawls that may run at once (default {DEFAULT_WORKERS}).",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="Print the jobs the configuration asks for and exit; nothing starts.",
    )
    p.add_argument("--debug", action="store_true", help="Debug logging.")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the scheduler until SIGINT/SIGTERM; 0 after a clean stop.

    Another scheduler active on the same archive: wait for it to stop or die, then take over.
    """
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.debug else logging.WARNING)
    settings: config_mod.Settings | None = None
    try:
        settings = config_mod.load(args.config, database_url=args.db)
        roster = config_mod.load_roster(settings.roster_path)
        if args.list:
            for t in refresh.targets(settings, roster):
                print(f"{t.id}\tevery {t.cadence_minutes:g} min\t{t.athlete or ''}")
            return 0
        # make_engine first: a URL SQLAlchemy cannot parse is one line, its password masked.
        engine = db.make_engine(settings.database_url)
        db.require_archive(engine)
        engine.dispose()
        lock = leadership.lock_for(settings.database_url)
    except (ArchiveError, SQLAlchemyError) as exc:
        return _failed(
            exc, settings_url=settings.database_url if settings else "", debug=args.debug
        )
    stop = threading.Event()
    _stop_on_signals(stop)  # while waiting; the running scheduler installs its own handlers
    try:
        if not leadership.wait_until_leader(lock, stop=stop):
            log.info("stopped while waiting for the active scheduler; nothing ran here")
            return 0
        return _lead(settings, roster, lock, workers=args.workers, debug=args.debug)
    finally:
        lock.release()


def _lead(
    settings: config_mod.Settings,
    roster: config_mod.Roster,
    lock: leadership.LeaderLock,
    *,
    workers: int,
    debug: bool,
) -> int:
    """Run the scheduler while this process holds the scheduler lock."""
    try:
        engine = db.make_engine(settings.database_url)
        for run_id in store.close_interrupted_runs(engine):
            log.warning("crawl run %d had no process left: closed as interrupted", run_id)
        engine.dispose()
        scheduler = build_scheduler(settings, roster=roster, workers=workers)
    except (ArchiveError, SQLAlchemyError) as exc:
        return _failed(exc, settings_url=settings.database_url, debug=debug)
    shutdown = Shutdown(scheduler)
    shutdown.install()
    lost = threading.Event()

    def on_lost() -> None:
        log.error(
            "lost the scheduler lock (the database connection broke): stopping, so that two "
            "schedulers never run at once; start this one again to wait for the lock"
        )
        lost.set()
        shutdown.handle(signal.SIGTERM, None)

    watching = threading.Event()
    leadership.watch(lock, on_lost, stop=watching)
    started = time.monotonic()
    try:
        scheduler.start()  # blocks until a signal stops it
    finally:
        watching.set()
    refresher: Refresher = scheduler.podium
    if refresher.error is not None:
        print(f"scheduler: cannot reconcile the jobs: {refresher.error}", file=sys.stderr)
        return 1
    clean = wait_for_crawls(settings)
    log.info(
        "scheduler stopped after %.0f s%s",
        time.monotonic() - started,
        "" if clean else " (running crawls were stopped)",
    )
    return 1 if lost.is_set() else 0


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGINT/SIGTERM set ``stop`` (a scheduler waiting for the lock just leaves)."""

    def handle(signum: int, _frame: Any) -> None:
        log.warning("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _failed(exc: ArchiveError | SQLAlchemyError, *, settings_url: str, debug: bool) -> int:
    """Print a one-line error for a start that cannot go on; 1 (2 for contradictory settings,
    a usage error)."""
    if isinstance(exc, ArchiveError):
        print(f"scheduler: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsConflictError) else 1
    if debug:
        raise exc
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    print(
        f"scheduler: database error at {db.safe_url(settings_url)}: "
        f"{db.safe_message(reason, settings_url)} (run with --debug for details)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
