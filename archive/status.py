"""`podium status`: per account and news source, the last run, the next run and health; totals.

Everything comes from the archive database: ``crawl_run`` for what happened, the scheduler's
job table (``apscheduler_jobs``, read as plain rows: its next run time is a column) for what
comes next, and ``archive.report.archive_summary`` for the totals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import refresh, store
from archive.models import Problem
from archive.report import archive_summary

JOB_TABLE = "apscheduler_jobs"
#: Problem reasons that mean the platform refused us, rather than a page we could not read.
_BLOCKED = re.compile(
    r"blocked|captcha|challenge|login|HTTP (?:401|403|429)|10204|10216|10222", re.IGNORECASE
)
#: Problem reasons that mean we could not reach the platform at all (crawler/failures.py).
_UNREACHABLE = re.compile(r"^unreachable: ")
_problem_t = Problem.__table__


def next_runs(engine: Engine) -> dict[str, datetime | None]:
    """Job id -> next run time from the scheduler's job store ({} when it never ran here)."""
    if not sa.inspect(engine).has_table(JOB_TABLE):
        return {}
    jobs = sa.table(JOB_TABLE, sa.column("id"), sa.column("next_run_time"))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.id, jobs.c.next_run_time)).all()
    return {
        str(r[0]): None if r[1] is None else datetime.fromtimestamp(float(r[1]), UTC) for r in rows
    }


def refused_runs(engine: Engine, run_ids: Sequence[int]) -> tuple[set[int], set[int]]:
    """Of these runs, (those a platform blocked, those that could not reach it), from their
    problems, in one query."""
    if not run_ids:
        return set(), set()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(_problem_t.c.crawl_run_id, _problem_t.c.reason).where(
                _problem_t.c.crawl_run_id.in_(list(run_ids))
            )
        ).all()
    blocked = {int(r[0]) for r in rows if r[1] and _BLOCKED.search(r[1])}
    unreachable = {int(r[0]) for r in rows if r[1] and _UNREACHABLE.search(r[1])}
    return blocked, unreachable


def health(
    runs: Sequence[Mapping[str, Any]], blocked: set[int], unreachable: set[int] | None = None
) -> dict[str, Any]:
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


def _last_run(run: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    errors = run.get("errors")
    if run.get("status") != "finished" and run.get("finish_reason"):
        errors = "; ".join(filter(None, [run.get("finish_reason"), errors]))
    return {
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at"),
        "status": run.get("status"),
        "full_sweep": bool(run.get("full_sweep")),
        "pages": run.get("pages"),
        "posts_new": run.get("posts_new"),
        "posts_updated": run.get("posts_updated"),
        "posts_deleted": run.get("posts_deleted"),
        "problems": run.get("problems"),
        "errors": errors,
    }


#: Reasons that say a page came back but Podium no longer recognised it (the platform changed it).
_UNRECOGNISED = re.compile(r"malformed|not a payload|unrecognised|neither|no longer|missing", re.I)
_GOOD = ("read", "caught_up")


def listing_health(listings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
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


def account_report(engine: Engine, roster: config_mod.Roster) -> list[dict[str, Any]]:
    """Every account the archive holds, and every roster account, with its last listing and
    health (from ``listing_run``: manual, scheduled and imported runs alike)."""
    acc, ath, post = store.account_t, store.athlete_t, store.post_t
    posts = (
        sa.select(sa.func.count())
        .select_from(post)
        .where(post.c.account_id == acc.c.id)
        .scalar_subquery()
    )
    stmt = (
        sa.select(acc.c.platform, acc.c.handle, acc.c.platform_account_id, ath.c.slug, posts)
        .select_from(acc.outerjoin(ath, ath.c.id == acc.c.athlete_id))
        .order_by(ath.c.slug.is_(None), ath.c.slug, acc.c.platform, acc.c.handle)
    )
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    seen = {(r[0], (r[2] or r[1] or "").casefold()) for r in rows}
    seen |= {(r[0], (r[1] or "").casefold()) for r in rows}
    for athlete in roster.athletes:
        for a in athlete.accounts:
            if (a.platform, a.handle.casefold()) not in seen:
                rows.append((a.platform, a.handle, None, athlete.slug, 0))
    out = []
    for platform, handle, account_id, slug, n_posts in rows:
        listings: list[dict[str, Any]] = []
        for key in dict.fromkeys(k for k in (handle, account_id) if k):
            listings += store.recent_listings(engine, platform, key)
        listings.sort(key=lambda x: (x["ended_at"], x["id"]), reverse=True)
        last = listings[0] if listings else None
        out.append(
            {
                "account": f"{platform}:{handle or account_id}",
                "athlete": slug,
                "posts": n_posts,
                "last_listing": None
                if last is None
                else {
                    "ended_at": last["ended_at"],
                    "outcome": last["outcome"],
                    "posts_seen": last["posts_seen"],
                    "pages": last["pages"],
                    "crawl_run_id": last["crawl_run_id"],
                    "started_by": last["started_by"],
                    "reason": last["reason"],
                },
                "health": listing_health(listings[:10]),
            }
        )
    return out


def account_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The accounts section flattened for a table."""
    rows = []
    for a in report["accounts"]:
        last = a["last_listing"] or {}
        h = a["health"]
        state = h["state"] + (f" since {_when(h['since'])}" if h.get("since") else "")
        rows.append(
            {
                "account": a["account"],
                "athlete": a["athlete"],
                "posts": a["posts"],
                "last listing": _when(last.get("ended_at")),
                "by": last.get("started_by"),
                "outcome": last.get("outcome"),
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
) -> dict[str, Any]:
    """The status report: one entry per configured account and news source (plus scheduled
    jobs the configuration no longer has), and the archive's totals."""
    scheduled = next_runs(engine)
    entries = []
    wanted = refresh.targets(settings, roster)
    for target in wanted:
        runs = refresh.recent_runs(engine, target.id, limit=refresh.HISTORY)
        entries.append(_entry(engine, target.id, target, runs, scheduled))
    known = {t.id for t in wanted}
    for job_id in sorted(set(scheduled) - known):
        runs = refresh.recent_runs(engine, job_id, limit=refresh.HISTORY)
        entries.append(_entry(engine, job_id, None, runs, scheduled))
    return {
        "targets": entries,
        "accounts": account_report(engine, roster),
        "runs": store.list_runs(engine, limit=RECENT_RUNS),
        "scheduler_jobs": len(scheduled),
        "totals": archive_summary(engine, top=1)["totals"],
    }


def _entry(
    engine: Engine,
    target_id: str,
    target: refresh.Target | None,
    runs: list[dict[str, Any]],
    scheduled: Mapping[str, datetime | None],
) -> dict[str, Any]:
    ids = [r["id"] for r in runs]
    blocked, unreachable = refused_runs(engine, ids)
    return {
        "target": target_id,
        "athlete": target.athlete if target else None,
        "in_config": target is not None,
        "cadence_minutes": target.cadence_minutes if target else None,
        "last_run": _last_run(runs[0] if runs else None),
        "next_run": scheduled.get(target_id),
        "scheduled": target_id in scheduled,
        "health": health(runs, blocked, unreachable),
    }


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def table_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's entries flattened for a table."""
    rows = []
    for e in report["targets"]:
        last = e["last_run"] or {}
        h = e["health"]
        state = h["state"] + (f" since {_when(h['since'])}" if h.get("since") else "")
        result = last.get("status") or ""
        if result and last.get("full_sweep"):
            result += " (full)"
        if not e["in_config"]:
            state += " (not in config)"
        rows.append(
            {
                "target": e["target"],
                "athlete": e["athlete"],
                "last run": _when(last.get("started_at")),
                "result": result,
                "new": last.get("posts_new"),
                "updated": last.get("posts_updated"),
                "errors": last.get("errors"),
                "next run": _when(e["next_run"]) if e["scheduled"] else "not scheduled",
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
