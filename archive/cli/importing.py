"""``podium import``: bring in what other tools captured (Zeeschuimer, yt-dlp, instaloader,
saved items) and lists of post URLs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from archive import config as config_mod
from archive.cli.group import debug_requested
from archive.cli.options import (
    db_option,
    open_archive,
    roster_for,
    settings,
    sync_search_index,
)
from archive.importing.files import FORMATS
from archive.report import plural

#: Inputs at least this large get a progress bar (on a terminal).
LARGE_INPUT = 1 << 20
#: Bad records listed one by one before the rest are only counted.
SHOWN_PROBLEMS = 20


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="What the files are; auto tells each file from its content.",
)
@click.option(
    "--athlete",
    metavar="SLUG",
    help="Every imported post is this roster athlete's (default: matched through the roster's "
    "handles).",
)
@click.option(
    "--roster-only",
    is_flag=True,
    help="Skip posts whose author is not on the roster (default: keep them, on an account "
    "without an athlete).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be imported; write nothing.")
@db_option
@click.pass_context
def import_cmd(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    athlete: str | None,
    roster_only: bool,
    dry_run: bool,
    db_url: str | None,
) -> None:
    """Bring captures made with other tools into the archive.

    PATHS are files or folders (walked for .json, .jsonl, .ndjson and .txt files, plain, .gz or
    .xz). Formats: zeeschuimer (NDJSON export), ytdlp (.info.json files, --dump-json lines),
    instaloader (*_UTC.json, *.json.xz), items (a JSON array or NDJSON of posts `podium parse`
    reads), urls (post URLs, one a line: crawled as `podium crawl --url` does).

    A post is observed when it was captured (Zeeschuimer's timestamp_collected, yt-dlp's epoch,
    else the file's modification time), so counts from a series of captures become a history,
    and importing the same file twice changes nothing. A bad record is reported with its file
    and line and skipped; the others land. Exit status 1 when any record was bad or any URL's
    crawl fell short, 2 for a usage error.

    \b
    Examples:
      podium import zeeschuimer-export.ndjson
      podium import ~/yt-dlp/ --format ytdlp --athlete jutta-leerdam
      podium import instaloader/juttaleerdam/ --dry-run
    """
    from archive import store
    from archive.importing import ImportOptions, import_files, walk

    s = settings(ctx, db_url)
    roster = roster_for(s, athlete)
    files = walk(paths)
    if not files:
        raise click.ClickException(
            "nothing to import: no .json, .jsonl, .ndjson or .txt files (plain, .gz or .xz) in "
            + ", ".join(repr(str(p)) for p in paths)
        )
    engine = open_archive(s.database_url)
    try:
        if not dry_run:
            store.sync_roster(engine, roster)
        options = ImportOptions(fmt, athlete, roster_only, dry_run)
        with _progress_bar(sum(f.size for f in files)) as on_progress:
            summary = import_files(engine, files, roster, options, on_progress=on_progress)
        if not dry_run:
            sync_search_index(engine)
    finally:
        engine.dispose()
    for line in summary_lines(summary):
        click.echo(line, err=True)
    crawl_failed = _crawl_urls(ctx, s, roster, summary.urls, dry_run) if summary.urls else 0
    if summary.problems or crawl_failed:
        sys.exit(1)


def summary_lines(summary: object) -> list[str]:
    """The import's summary in words: files and records, posts new/updated/unchanged, authors
    off the roster, skipped by reason, bad records (the first few by file and line)."""
    from archive.importing import ImportSummary

    assert isinstance(summary, ImportSummary)
    tools = ", ".join(f"{tool} {n}" for tool, n in sorted(summary.tools.items()))
    lines = [
        f"{'dry run: ' if summary.dry_run else ''}{plural(summary.files, 'file')}, "
        f"{plural(summary.records, 'record')}" + (f" ({tools})" if tools else ""),
        f"posts: {summary.posts} read, {summary.new} new, {summary.updated} updated, "
        f"{summary.unchanged} unchanged"
        + (" (would be: nothing written)" if summary.dry_run else ""),
    ]
    if summary.outside_roster:
        accounts = plural(len(summary.outside_accounts), "account")
        lines.append(
            f"not on the roster: {plural(summary.outside_roster, 'post')} by {accounts} "
            "(kept, on accounts without an athlete; --roster-only skips them)"
        )
    for reason, n in sorted(summary.skipped.items()):
        lines.append(f"skipped: {n} {reason}")
    if summary.problems:
        lines.append(f"bad: {plural(len(summary.problems), 'record')} skipped")
        lines += [f"  {p}" for p in summary.problems[:SHOWN_PROBLEMS]]
        if len(summary.problems) > SHOWN_PROBLEMS:
            more = len(summary.problems) - SHOWN_PROBLEMS
            lines.append(f"  … and {more} more (podium problems)")
    return lines


def _crawl_urls(
    ctx: click.Context,
    s: config_mod.Settings,
    roster: config_mod.Roster,
    urls: list[str],
    dry_run: bool,
) -> int:
    """Crawl the URLs of URL lists as ``podium crawl --url`` does; the number that fell short."""
    from archive.crawl import plan

    jobs = plan(s, roster, urls=urls)
    if dry_run:
        for job in jobs:
            n = len(job.args.get("urls", "").split())
            click.echo(f"dry run: would crawl {plural(n, 'URL')} ({job.describe()})", err=True)
        return 0
    from archive.crawl_progress import run_jobs

    outcomes = run_jobs(jobs, s, debug=debug_requested(ctx), started_by="import")
    return sum(1 for o in outcomes if o.status != "finished")


@contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """rich's progress bar over the input's bytes, on a terminal and for large inputs only."""
    from archive.crawl_progress import stderr_console

    console = stderr_console()
    if total < LARGE_INPUT or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("importing", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=total)
        yield lambda done, _total: bar.update(task, completed=done)
