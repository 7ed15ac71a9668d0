"""Commands that fetch posts into the archive: ``crawl``, ``demo``, ``schedule``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive import config as config_mod
from archive.cli.group import debug_requested
from archive.cli.options import db_option, open_archive, output_folder, roster_for, settings
from archive.report import plural


def crawl_urls(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    """Callback for ``crawl --url``: every URL is checked before anything starts (no
    settings, no archive, no child process); one line per bad URL, exit status 2."""
    from archive.crawl import url_problem

    bad = [(u, why) for u in value if (why := url_problem(u)) is not None]
    if bad:
        raise click.UsageError("\n".join(f"--url {u!r}: {why}" for u, why in bad), ctx)
    return value


@click.command()
@click.option("--athlete", metavar="SLUG", help="Only this roster athlete's accounts.")
@click.option(
    "--platform",
    type=click.Choice(config_mod.SPIDER_NAMES),
    help="Only this platform (default: every platform the roster has accounts on).",
)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    callback=crawl_urls,
    help="Fetch this post, page or article instead of the roster (repeatable; http(s) only).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Full sweep: read whole listings and mark posts missing from them deleted.",
)
@db_option
@click.pass_context
def crawl(
    ctx: click.Context,
    athlete: str | None,
    platform: str | None,
    urls: tuple[str, ...],
    full: bool,
    db_url: str | None,
) -> None:
    """Crawl the roster's accounts (or given URLs) into the archive.

    Each platform runs as its own Scrapy crawl in a child process; progress (pages, posts,
    errors) shows on stderr and a summary ends it. Incremental by default: a listing stops after
    a run of posts the archive already has (pinned posts aside); a listing a crash cut short is
    read again past what it stored.

    Exit status: 0 when every listing and URL was read as asked; 1 when any was not (blocked,
    unreachable, a page that could not be read: see `podium status`), what was read is still
    stored; 2 for a usage error.

    \b
    Examples:
      podium crawl                                   every account on the roster
      podium crawl --athlete jutta-leerdam --full    one athlete, reconcile deletions
      podium crawl --url https://www.tiktok.com/@someone/video/7300000000000000000
    """
    from archive import store
    from archive.crawl import plan

    s = settings(ctx, db_url)
    roster = roster_for(s, athlete)
    jobs = plan(s, roster, athlete=athlete, platform=platform, urls=urls, full=full)
    if not jobs:
        raise click.ClickException(
            "nothing to crawl: the roster has no accounts for that "
            "(add handles to config/athletes.toml, or give --url)"
        )
    engine = open_archive(s.database_url)
    store.sync_roster(engine, roster)
    engine.dispose()
    from archive.crawl_progress import run_jobs

    outcomes = run_jobs(jobs, s, debug=debug_requested(ctx))
    failed = [o for o in outcomes if o.status != "finished"]
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {plural(len(outcomes), 'crawl')} read less than asked: "
            + ", ".join(o.job.describe() for o in failed)
        )


@click.command()
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Archive to fill (default: ./podium-demo.db, made afresh each run). "
    "PODIUM_DATABASE_URL is ignored: the demo never touches your archive, and refuses one "
    "that holds athletes outside the demo.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("podium-demo"),
    show_default=True,
    callback=output_folder,
    help="Folder for the demo's exports (the timeline page); made if missing, inside an "
    "existing folder.",
)
@click.pass_context
def demo(ctx: click.Context, db_url: str | None, out_dir: Path) -> None:
    """Run the whole job offline against the bundled demo site, then show what was archived.

    Serves the demo site on 127.0.0.1 (a free port), crawls all of it into ./podium-demo.db (or
    the --db given here, never PODIUM_DATABASE_URL), switches the site to its "later" snapshot,
    crawls again as a full sweep (edits, deletions, new posts, a blocked page, a malformed
    payload), and prints a summary.
    """
    from demo.job import run_demo

    run_demo(db_url, out_dir=out_dir, debug=debug_requested(ctx))


@click.command()
@db_option
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Crawls that may run at once (each is one child process).",
)
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="Print the jobs the configuration asks for and exit; nothing starts.",
)
@click.pass_context
def schedule(ctx: click.Context, db_url: str | None, workers: int, list_only: bool) -> None:
    """Keep the archive fresh: run the scheduler (the same as `python scheduler.py`).

    One job per account and news source, cadence from config/podium.toml; jobs and their next
    run times are kept in the archive database, so a restart continues the schedule. Stop with
    Ctrl-C or SIGTERM: no new crawls start, the running one is waited for.
    """
    import os

    from archive.crawl import PROJECT_ROOT

    s = settings(ctx, db_url)
    config_mod.load_roster(s.roster_path)  # a bad roster fails here, with its line number
    script = PROJECT_ROOT / "scheduler.py"
    argv = [sys.executable, str(script), "--workers", str(workers)]
    argv += ["--list"] if list_only else []
    argv += ["--debug"] if debug_requested(ctx) else []
    # The database URL goes through the environment, not argv, where `ps` would show a password.
    env = {
        **os.environ,
        "PODIUM_DATABASE_URL": s.database_url,
        "PODIUM_CONFIG_DIR": str(s.config_dir),
    }
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - become the scheduler: signals reach it
