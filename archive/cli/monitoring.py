"""Commands that show how crawling goes: ``status``, ``runs``, ``problems``."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime

import click

from archive import config as config_mod
from archive.cli.options import DATE, db_option, format_option, open_archive, settings
from archive.cli.output import cell_text, echo_json, render_rows
from archive.cluster_status import ClusterReport
from archive.records import PLATFORMS
from archive.report import totals_sentence


@click.command()
@db_option
@format_option(("table", "json"))
@click.pass_context
def status(ctx: click.Context, db_url: str | None, fmt: str) -> None:
    """Per account and news source: last run, next run and health; the active scheduler; with
    PODIUM_REDIS_URL the workers (alive, platforms, requests, errors) and each platform's queue;
    then the archive's totals.

    Health is `ok`, `never run`, or since the first bad run in a row: `failing` (crawls failed,
    were killed or interrupted), `unreachable` (DNS, refused, timeout: the network or our side),
    `blocked` (the platform refused, or nothing was fetched) or `incomplete` (pages that could
    not be read). A crawl whose process is gone is closed as `interrupted` first. The next run
    comes from the scheduler's job store (`podium schedule`), when it has run on this archive.
    """
    from archive import store
    from archive.status import (
        ACCOUNT_COLUMNS,
        TABLE_COLUMNS,
        account_rows,
        refresh_status,
        scheduler_line,
        table_rows,
    )
    from archive.status import (
        RUN_COLUMNS as STATUS_RUN_COLUMNS,
    )

    s = settings(ctx, db_url)
    roster = config_mod.load_roster(s.roster_path)
    engine = open_archive(s.database_url)
    store.close_interrupted_runs(engine)  # a crawl killed outright shows as interrupted
    report = refresh_status(engine, s, roster)
    engine.dispose()
    if fmt == "json":
        echo_json(report)
        return
    if report["targets"]:
        render_rows(table_rows(report), "table", columns=TABLE_COLUMNS)
    else:
        click.echo("no accounts or news sources in the roster", err=True)
    if report["accounts"]:
        click.echo("\naccounts (every listing, manual or scheduled):")
        render_rows(account_rows(report), "table", columns=ACCOUNT_COLUMNS)
    if report["runs"]:
        click.echo("\nlatest crawl runs (podium runs for all):")
        render_rows(report["runs"], "table", columns=STATUS_RUN_COLUMNS)
    click.echo(f"\nscheduler: {scheduler_line(report['scheduler'])}")
    if "cluster" in report:
        echo_cluster(report["cluster"])
    t = report["totals"]
    click.echo(f"\narchive: {totals_sentence(t)}")


def echo_cluster(report: ClusterReport) -> None:
    """The workers and queue depths as two tables (or why Redis could not be read)."""
    from archive.cluster_status import QUEUE_COLUMNS, WORKER_COLUMNS, queue_rows, worker_rows

    where = f"Redis {report['redis']}, prefix {report['prefix']!r}"
    if report["error"]:
        click.echo(f"\nworkers: unknown: {report['error']}")
        return
    alive = sum(w["alive"] for w in report["workers"])
    if report["workers"]:
        click.echo(f"\nworkers ({alive} alive; {where}):")
        render_rows(worker_rows(report), "table", columns=WORKER_COLUMNS)
    else:
        click.echo(f"\nworkers: none alive ({where}); start one with `podium worker`")
    click.echo("\nqueues:")
    render_rows(queue_rows(report), "table", columns=QUEUE_COLUMNS)


RUN_COLUMNS = [
    "id",
    "started_at",
    "started_by",
    "target",
    "full_sweep",
    "status",
    "pages",
    "posts_new",
    "posts_updated",
    "posts_unchanged",
    "posts_deleted",
    "problems",
    "errors",
]


@click.command()
@click.option("--platform", type=click.Choice(config_mod.SPIDER_NAMES), help="Only this spider.")
@click.option("--athlete", metavar="SLUG", help="Only runs asked for this athlete.")
@click.option(
    "--limit", type=click.IntRange(1), default=50, show_default=True, help="At most this many runs."
)
@format_option(("table", "json", "ndjson", "csv"))
@db_option
@click.pass_context
def runs(
    ctx: click.Context,
    platform: str | None,
    athlete: str | None,
    limit: int,
    fmt: str,
    db_url: str | None,
) -> None:
    """The crawl history, newest first: when, who started it, what was asked, how it ended.

    A status is `finished` (read as asked), `incomplete` (something was not read or stored:
    `errors` says what, `podium problems --run ID` shows each), `failed`, `killed` (timeout),
    `interrupted` (its process died or was stopped) or `running`. With PODIUM_REDIS_URL, the
    table is followed by the workers and each platform's queue depth.

    \b
    Examples:
      podium runs --platform bluesky --limit 5
      podium runs --format json | jq '.[] | select(.status != "finished")'
    """
    from archive import store

    s = settings(ctx, db_url)
    engine = open_archive(s.database_url)
    store.close_interrupted_runs(engine)
    rows = store.list_runs(engine, platform=platform, athlete_slug=athlete, limit=limit)
    engine.dispose()
    if not rows and fmt == "table":
        click.echo("no crawl runs yet (podium crawl)", err=True)
    else:
        render_rows(rows, fmt, columns=RUN_COLUMNS)
    if s.redis_url and fmt == "table":  # the other formats stay one list of runs, for pipes
        from archive.cluster_status import read_cluster

        echo_cluster(read_cluster(s.redis_url, s.redis_prefix))


PROBLEM_COLUMNS = ["id", "created_at", "crawl_run_id", "platform", "reason", "source_url"]


@click.group(invoke_without_command=True)
@click.option("--platform", type=click.Choice([*PLATFORMS, "news"]), help="Only this platform.")
@click.option("--since", type=DATE, help="From this date on (YYYY-MM-DD, UTC).")
@click.option("--run", "run_id", type=int, metavar="ID", help="Only this crawl run's problems.")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=200,
    show_default=True,
    help="At most this many problems.",
)
@format_option(("table", "json", "ndjson", "csv"))
@db_option
@click.pass_context
def problems(
    ctx: click.Context,
    platform: str | None,
    since: datetime | None,
    run_id: int | None,
    limit: int,
    fmt: str,
    db_url: str | None,
) -> None:
    """What could not be read or stored, newest first; `podium problems show ID` for one,
    with the raw payload kept with it.

    \b
    Examples:
      podium problems --run 12
      podium problems --platform tiktok --since 2026-12-01 --format csv
      podium problems show 7
    """
    if ctx.invoked_subcommand is not None:
        return
    from archive import store

    engine = open_archive(settings(ctx, db_url).database_url)
    rows = store.list_problems(
        engine,
        platform=platform,
        since=since.replace(tzinfo=UTC) if since else None,
        run_id=run_id,
        limit=limit,
    )
    engine.dispose()
    if not rows and fmt == "table":
        click.echo("no problems", err=True)
        return
    render_rows(rows, fmt, columns=PROBLEM_COLUMNS)


@problems.command("show")
@click.argument("problem_id", type=int, metavar="ID")
@click.option("--payload-only", is_flag=True, help="Write only the raw payload's bytes to stdout.")
@db_option
@click.pass_context
def problems_show(
    ctx: click.Context, problem_id: int, payload_only: bool, db_url: str | None
) -> None:
    """One problem: its reason, URL, the record it rejected, and the raw payload kept with it."""
    from archive import store

    engine = open_archive(settings(ctx, db_url).database_url)
    found = store.get_problem(engine, problem_id)
    engine.dispose()
    if found is None:
        raise click.ClickException(f"no problem {problem_id} (podium problems lists them)")
    payload = found.pop("payload")
    if payload_only:
        sys.stdout.buffer.write(payload or b"")
        return
    for key in ("id", "created_at", "crawl_run_id", "platform", "platform_post_id", "reason"):
        click.echo(f"{key}: {cell_text(found.get(key))}")
    click.echo(f"url: {found.get('source_url') or ''}")
    if found.get("detail"):
        click.echo(f"detail: {found['detail']}")
    if payload is None:
        click.echo("payload: none kept")
    else:
        # Shown on a terminal: no escape sequences or other controls from a platform's bytes.
        text = re.sub(
            r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "\ufffd", payload.decode("utf-8", "replace")
        )
        shown = text if len(text) <= 4000 else text[:4000] + f"… ({len(payload):,} bytes in all)"
        click.echo(f"payload ({len(payload):,} bytes; --payload-only for the bytes):\n{shown}")
