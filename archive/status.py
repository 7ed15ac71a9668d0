"""`podium status`: per account and news source, the last run, the next run and health; totals.

Everything comes from the archive database, through the store: ``crawl_run`` and ``listing_run``
for what happened, the scheduler's job table for what comes next
(``store.next_scheduled_runs``), and ``store.archive_totals`` for the totals; which scheduler is
active from its lock (``archive.leadership``); with ``PODIUM_REDIS_URL``, the workers and queue
depths from Redis (``archive.cluster_status``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import leadership, refresh, store
from archive.cluster_status import ClusterReport, read_cluster
from archive.store import CrawlRunRow, ListingRow
from archive.store.figures import Totals
from archive.timestamps import utc_minute

#: Problem reasons that mean the platform refused us, rather than a page we could not read.
_BLOCKED = re.compile(
    r"blocked|captcha|challenge|login|HTTP (?:401|403|429)|10204|10216|10222", re.IGNORECASE
)
#: Problem reasons that mean we could not reach the platform at all (crawler/failures.py).
_UNREACHABLE = re.compile(r"^unreachable: ")


class Health(TypedDict):
    """A target's or account's state, since when, over how many runs, and why."""

    state: str
    since: datetime | None
    runs: NotRequired[int]
    why: NotRequired[str | None]


class LastRun(TypedDict):
    """What a target's latest crawl run did."""

    started_at: datetime | None
    finished_at: datetime | None
    status: str | None
    full_sweep: bool
    pages: int | None
    posts_new: int | None
    posts_updated: int | None
    posts_deleted: int | None
    problems: int | None
    errors: str | None


class TargetEntry(TypedDict):
    """One account or news source the scheduler refreshes (or a job the config dropped)."""

    target: str
    athlete: str | None
    in_config: bool
    cadence_minutes: float | None
    last_run: LastRun | None
    next_run: datetime | None
    scheduled: bool
    health: Health


class LastListing(TypedDict):
    """How an account's latest listing ended."""

    ended_at: datetime
    outcome: str
    posts_seen: int
    pages: int
    crawl_run_id: int | None
    started_by: str | None
    reason: str | None


class AccountEntry(TypedDict):
    """One account: its posts, its latest listing and its health."""

    account: str
    athlete: str | None
    posts: int
    last_listing: LastListing | None
    health: Health


class ActiveScheduler(TypedDict):
    """The scheduler that holds the archive's scheduler lock (``archive.leadership``)."""

    active: bool
    pid: int | None
    host: str | None
    since: datetime | None


class StatusReport(TypedDict):
    """Everything ``podium status`` shows (``--format json`` prints it as it is)."""

    targets: list[TargetEntry]
    accounts: list[AccountEntry]
    runs: list[dict[str, Any]]
    scheduler_jobs: int
    scheduler: ActiveScheduler
    totals: Totals
    #: workers and queues, read from Redis when ``PODIUM_REDIS_URL`` is set
    cluster: NotRequired[ClusterReport]


def refused_runs(engine: Engine, run_ids: Sequence[int]) -> tuple[set[int], set[int]]:
    """Of these runs, (those a platform blocked, those that could not reach it), from their
    problems, in one query."""
    reasons = store.problem_reasons(engine, run_ids)
    blocked = {run_id for run_id, reason in reasons if reason and _BLOCKED.search(reason)}
    unreachable = {run_id for run_id, reason in reasons if reason and _UNREACHABLE.search(reason)}
    return blocked, unreachable


def health(
    runs: Sequence[CrawlRunRow], blocked: set[int], unreachable: set[int] | None = None
) -> Health:
    """``ok``, ``never run``, or since the first of the bad runs in a row: ``failing`` (runs
    failed, were killed or interrupted), ``unreachable`` (the network or our side),
    ``blocked`` (the platform refused, or nothing was fetched), ``incomplete`` (pages that
    could not be read)."""
    closed = [r for r in runs if r.get("status") != "running"]
    if not closed:
        return {"state": "running" if runs else "never run", "since": None}
    streak = []
    for run in closed:
        bad = run.get("status") != "finished" or not run.get("pages") or run["id"] in blocked
        if not bad:
            break
        streak.append(run)
    if not streak:
        return {"state": "ok", "since": None}
    if any(r.get("status") in ("failed", "killed", "interrupted") for r in streak):
        state = "failing"
    elif any(r["id"] in (unreachable or set()) for r in streak):
        state = "unreachable"
    elif any(r["id"] in blocked or not r.get("pages") for r in streak):
        state = "blocked"
    else:
        state = "incomplete"
    return {
        "state": state,
        "since": streak[-1].get("started_at"),
        "runs": len(streak),
    }


#: The last run of a target that never ran, for its table row.
_NEVER_RUN = LastRun(
    started_at=None,
    finished_at=None,
    status=None,
    full_sweep=False,
    pages=None,
    posts_new=None,
    posts_updated=None,
    posts_deleted=None,
    problems=None,
    errors=None,
)


def _last_run(run: CrawlRunRow | None) -> LastRun | None:
    if run is None:
        return None
    errors = run.get("errors")
    if run.get("status") != "finished" and run.get("finish_reason"):
        errors = "; ".join(filter(None, [run.get("finish_reason"), errors]))
    return LastRun(
        started_at=run.get("started_at"),
        finished_at=run.get("finished_at"),
        status=run.get("status"),
        full_sweep=bool(run.get("full_sweep")),
        pages=run.get("pages"),
        posts_new=run.get("posts_new"),
        posts_updated=run.get("posts_updated"),
        posts_deleted=run.get("posts_deleted"),
        problems=run.get("problems"),
        errors=errors,
    )


#: Reasons that say a page came back but Podium no longer recognised it (the platform changed it).
_UNRECOGNISED = re.compile(r"malformed|not a payload|unrecognised|neither|no longer|missing", re.I)
_GOOD = ("read", "caught_up")


def listing_health(listings: Sequence[ListingRow]) -> Health:
    """One account's health from its latest listings (newest first), whoever started them.

    ``ok``; ``never listed``; or since the first bad listing in a row: ``unreachable``,
    ``blocked``, ``changed`` (the platform's page is no longer recognised, or a listing that
    gave posts now gives none: silent changes people otherwise learn of weeks late),
    ``suspect`` (a listing that shrank or ended oddly) or ``failing``.
    """
    if not listings:
        return {"state": "never listed", "since": None}
    latest = listings[0]
    earlier_posts = max((x["posts_seen"] for x in listings[1:] if x["outcome"] in _GOOD), default=0)
    if latest["outcome"] in _GOOD:
        if latest["posts_seen"] == 0 and earlier_posts:
            return {
                "state": "changed",
                "since": latest["ended_at"],
                "why": f"the listing now shows no posts (it showed {earlier_posts} before)",
            }
        return {"state": "ok", "since": None}
    streak = []
    for listing in listings:
        if listing["outcome"] in _GOOD:
            break
        streak.append(listing)
    reason = latest.get("reason") or ""
    if _UNREACHABLE.search(reason):
        state = "unreachable"
    elif _BLOCKED.search(reason):
        state = "blocked"
    elif latest["outcome"] in ("doubted", "suspect"):
        state = "suspect"
    elif _UNRECOGNISED.search(reason) and len(streak) < len(listings):
        state = "changed"  # it was read before: the page, not the network, changed
    else:
        state = "failing"
    return {"state": state, "since": streak[-1]["ended_at"], "why": reason or None}


def account_report(engine: Engine, roster: config_mod.Roster) -> list[AccountEntry]:
    """Every account the archive holds, and every roster account, with its last listing and
    health (from ``listing_run``: manual, scheduled and imported runs alike)."""
    accounts = store.list_accounts(engine)
    seen = {(a.platform, (a.platform_account_id or a.handle or "").casefold()) for a in accounts}
    seen |= {(a.platform, (a.handle or "").casefold()) for a in accounts}
    for athlete in roster.athletes:
        for acc in athlete.accounts:
            if (acc.platform, acc.handle.casefold()) not in seen:
                accounts.append(
                    store.AccountSummary(acc.platform, acc.handle, None, athlete.slug, 0)
                )
    out = []
    for a in accounts:
        listings: list[ListingRow] = []
        for key in dict.fromkeys(k for k in (a.handle, a.platform_account_id) if k):
            listings += store.recent_listings(engine, a.platform, key)
        listings.sort(key=lambda x: (x["ended_at"], x["id"]), reverse=True)
        last = listings[0] if listings else None
        out.append(
            AccountEntry(
                account=f"{a.platform}:{a.handle or a.platform_account_id}",
                athlete=a.athlete,
                posts=a.posts,
                last_listing=None
                if last is None
                else LastListing(
                    ended_at=last["ended_at"],
                    outcome=last["outcome"],
                    posts_seen=last["posts_seen"],
                    pages=last["pages"],
                    crawl_run_id=last["crawl_run_id"],
                    started_by=last["started_by"],
                    reason=last["reason"],
                ),
                health=listing_health(listings[:10]),
            )
        )
    return out


def account_rows(report: StatusReport) -> list[dict[str, Any]]:
    """The accounts section flattened for a table."""
    rows = []
    for a in report["accounts"]:
        last = a["last_listing"]
        h = a["health"]
        state = h["state"] + (f" since {utc_minute(h['since'])}" if h.get("since") else "")
        rows.append(
            {
                "account": a["account"],
                "athlete": a["athlete"],
                "posts": a["posts"],
                "last listing": utc_minute(last["ended_at"] if last else None),
                "by": last["started_by"] if last else None,
                "outcome": last["outcome"] if last else None,
                "health": state,
                "why": h.get("why"),
            }
        )
    return rows


#: How many of the latest crawl runs (manual, scheduled, imports alike) status shows.
RECENT_RUNS = 10
RUN_COLUMNS = ["id", "started_at", "started_by", "target", "status", "pages", "posts_new"]
RUN_COLUMNS += ["posts_updated", "problems"]

ACCOUNT_COLUMNS = ["account", "athlete", "posts", "last listing", "by", "outcome", "health", "why"]


def refresh_status(
    engine: Engine, settings: config_mod.Settings, roster: config_mod.Roster
) -> StatusReport:
    """The status report: one entry per configured account and news source (plus scheduled
    jobs the configuration no longer has), and the archive's totals."""
    scheduled = store.next_scheduled_runs(engine)
    entries = []
    wanted = refresh.targets(settings, roster)
    for target in wanted:
        runs = store.recent_runs(engine, target.id, limit=refresh.HISTORY)
        entries.append(_entry(engine, target.id, target, runs, scheduled))
    known = {t.id for t in wanted}
    for job_id in sorted(set(scheduled) - known):
        runs = store.recent_runs(engine, job_id, limit=refresh.HISTORY)
        entries.append(_entry(engine, job_id, None, runs, scheduled))
    report = StatusReport(
        targets=entries,
        accounts=account_report(engine, roster),
        runs=store.list_runs(engine, limit=RECENT_RUNS),
        scheduler_jobs=len(scheduled),
        scheduler=active_scheduler(settings.database_url),
        totals=store.archive_totals(engine),
    )
    if settings.redis_url:
        report["cluster"] = read_cluster(settings.redis_url, settings.redis_prefix)
    return report


def active_scheduler(database_url: str) -> ActiveScheduler:
    """Which scheduler, if any, is active on the archive now."""
    holder = leadership.active_scheduler(database_url)
    if holder is None:
        return ActiveScheduler(active=False, pid=None, host=None, since=None)
    return ActiveScheduler(active=True, pid=holder.pid, host=holder.host, since=holder.since)


def scheduler_line(entry: ActiveScheduler) -> str:
    """``active (pid 12, host box, since …)`` or how to start one, for the table output."""
    if not entry["active"]:
        return "none active (start one with `podium schedule`)"
    holder = leadership.LockHolder(pid=entry["pid"], host=entry["host"], since=entry["since"])
    return f"active ({leadership.describe(holder)})"


def _entry(
    engine: Engine,
    target_id: str,
    target: refresh.Target | None,
    runs: list[CrawlRunRow],
    scheduled: Mapping[str, datetime | None],
) -> TargetEntry:
    blocked, unreachable = refused_runs(engine, [r["id"] for r in runs])
    return TargetEntry(
        target=target_id,
        athlete=target.athlete if target else None,
        in_config=target is not None,
        cadence_minutes=target.cadence_minutes if target else None,
        last_run=_last_run(runs[0] if runs else None),
        next_run=scheduled.get(target_id),
        scheduled=target_id in scheduled,
        health=health(runs, blocked, unreachable),
    )


def table_rows(report: StatusReport) -> list[dict[str, Any]]:
    """The report's entries flattened for a table."""
    rows = []
    for e in report["targets"]:
        last = e["last_run"] or _NEVER_RUN
        h = e["health"]
        state = h["state"] + (f" since {utc_minute(h['since'])}" if h.get("since") else "")
        result = last["status"] or ""
        if result and last["full_sweep"]:
            result += " (full)"
        if not e["in_config"]:
            state += " (not in config)"
        rows.append(
            {
                "target": e["target"],
                "athlete": e["athlete"],
                "last run": utc_minute(last["started_at"]),
                "result": result,
                "new": last["posts_new"],
                "updated": last["posts_updated"],
                "errors": last["errors"],
                "next run": utc_minute(e["next_run"]) if e["scheduled"] else "not scheduled",
                "health": state,
            }
        )
    return rows


TABLE_COLUMNS = [
    "target",
    "athlete",
    "last run",
    "result",
    "new",
    "updated",
    "errors",
    "next run",
    "health",
]
