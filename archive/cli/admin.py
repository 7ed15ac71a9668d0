"""Commands that look after the archive itself: ``init``, ``athletes``, ``forget``, ``backup``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive import config as config_mod
from archive import db
from archive.cli.options import (
    db_option,
    format_option,
    open_archive,
    parse_database_url,
    settings,
    sync_search_index,
)
from archive.cli.output import render_rows
from archive.errors import ArchiveError
from archive.report import plural


@click.command()
@db_option
@click.pass_context
def init(ctx: click.Context, db_url: str | None) -> None:
    """Create the archive, or upgrade it to the newest schema (Alembic `upgrade head`).

    Running it again is harmless. PostgreSQL: --db postgresql+psycopg://user@host/dbname.
    On SQLite it also builds (or catches up) the search index beside the file, podium.db.search/.
    """
    s = settings(ctx, db_url)
    parse_database_url(s.database_url)
    db.upgrade(s.database_url)
    engine = db.make_engine(s.database_url)
    rev = db.current_revision(engine)
    # SQLite: the search side index beside the file is built, or caught up (a no-op when current).
    sync_search_index(engine)
    click.echo(
        f"archive ready: {db.safe_url(s.database_url)} (schema {rev})",
        err=True,
    )


@click.group()
def athletes() -> None:
    """The roster: who Podium archives (config/athletes.toml)."""


@athletes.command("sync")
@db_option
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Roster file (default: athletes.toml in the config folder, or PODIUM_ROSTER).",
)
@click.pass_context
def athletes_sync(ctx: click.Context, db_url: str | None, roster: Path | None) -> None:
    """Load the roster into the archive: adds and updates athletes and accounts, never deletes."""
    from archive import store

    s = settings(ctx, db_url)
    parsed = config_mod.load_roster(roster or s.roster_path)
    engine = open_archive(s.database_url)
    r = store.sync_roster(engine, parsed)
    click.echo(
        f"roster {roster or s.roster_path}: {plural(len(parsed.athletes), 'athlete')} "
        f"({r.athletes_added} added, {r.athletes_updated} updated), "
        f"{plural(r.accounts_added, 'account')} added",
        err=True,
    )


@athletes.command("list")
@db_option
@format_option(("table", "json", "ndjson", "csv"))
@click.pass_context
def athletes_list(ctx: click.Context, db_url: str | None, fmt: str) -> None:
    """List the athletes in the archive with their accounts and number of posts."""
    from archive import store

    engine = open_archive(settings(ctx, db_url).database_url)
    rows = [
        {
            "slug": a.slug,
            "name": a.name,
            "sport": a.sport,
            "country": a.country,
            "accounts": [f"{p}:{h}" for p, h in a.accounts],
            "posts": a.posts,
        }
        for a in store.list_athletes(engine)
    ]
    if fmt == "table" and not rows:
        click.echo("no athletes yet: run `podium athletes sync`", err=True)
        return
    render_rows(rows, fmt, columns=["slug", "name", "sport", "country", "accounts", "posts"])


@click.command()
@click.argument("target_type", type=click.Choice(["athlete", "account", "post"]))
@click.argument("target", metavar="SLUG|PLATFORM:HANDLE|URL")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be removed, per table, and change nothing.",
)
@db_option
@click.pass_context
def forget(
    ctx: click.Context, target_type: str, target: str, dry_run: bool, db_url: str | None
) -> None:
    """Erase an athlete, an account or one post from the archive, with everything about it.

    Removes the posts with their caption versions, count snapshots, hashtag links, mentions,
    search-index entries, the articles' embeds of them, problems about them, their raw
    payloads (a payload another row still uses stays), hashtags and sounds nothing else uses;
    for an account also its crawl runs and scheduler job; for an athlete all its accounts and
    the athlete. One transaction; prints the rows removed per table. Articles themselves stay.
    A post is named by its URL (share links with a query or another handle in the path work)
    or by its platform id.

    An athlete or account still in config/athletes.toml comes back on `podium athletes sync`
    and the next scheduler start: take it out of the roster too.

    \b
    Examples:
      podium forget athlete lotte-van-dijk --dry-run
      podium forget account tiktok:lotte.dijk
      podium forget account mastodon:femke@mastodon.social
      podium forget post https://www.tiktok.com/@lotte.dijk/video/7300000000000000000
    """
    from archive import store

    s = settings(ctx, db_url)
    if target_type == "account":
        try:
            platform, handle = store.parse_account_ref(target)
        except store.UnknownTargetError as exc:
            raise click.BadParameter(str(exc), param_hint="TARGET") from None
    engine = open_archive(s.database_url)
    try:
        if target_type == "athlete":
            result = store.forget_athlete(engine, target, dry_run=dry_run)
        elif target_type == "account":
            result = store.forget_account(engine, platform, handle, dry_run=dry_run)
        else:
            result = store.forget_post(engine, target, dry_run=dry_run)
    finally:
        engine.dispose()
    click.echo(
        f"{'would remove (dry run, nothing changed)' if dry_run else 'removed'} "
        f"for {result.target}:"
    )
    for line in result.lines():
        click.echo(f"  {line}")
    note = _forget_note(s, target_type, target)
    if note:
        click.echo(note, err=True)


def _forget_note(s: config_mod.Settings, target_type: str, target: str) -> str | None:
    """A one-line reminder when what was forgotten is still on the roster."""
    if target_type == "post":
        return "note: a later crawl archives the post again while it is online and listed"
    try:
        roster = config_mod.load_roster(s.roster_path)
    except (ArchiveError, OSError):
        return None  # no roster (or a broken one): nothing will bring it back by itself
    if target_type == "athlete":
        on_roster = roster.athlete(target) is not None
    else:
        platform, _, handle = target.partition(":")
        key = handle.strip().removeprefix("@").casefold()
        on_roster = any(
            acc.platform == platform.strip().casefold() and acc.handle.casefold() == key
            for a in roster.athletes
            for acc in a.accounts
        )
    if not on_roster:
        return None
    return (
        f"note: {target} is still in {s.roster_path}; `podium athletes sync` and the "
        "scheduler will bring it back unless you remove it there"
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@db_option
@click.pass_context
def backup(ctx: click.Context, file: Path, force: bool, db_url: str | None) -> None:
    """Copy a live SQLite archive to FILE, consistently, while crawls and the scheduler write.

    The copy is one snapshot (SQLite's VACUUM INTO in a single read transaction: writers go
    on, the copy holds every transaction that had committed when it began and nothing after).
    It is written beside FILE and moved into place only after `PRAGMA integrity_check` passed
    and its schema revision matched the archive's. FILE is never overwritten without --force.
    A PostgreSQL archive is backed up with pg_dump instead (this command then exits with 1).

    \b
    Examples:
      podium backup backups/podium-2026-12-03.db
      podium backup /mnt/nas/podium.db --force --db sqlite:////srv/podium/podium.db
    """
    from archive.backup import backup_archive, check_backend

    s = settings(ctx, db_url)
    check_backend(s.database_url)  # PostgreSQL: the pg_dump line, before connecting
    open_archive(s.database_url).dispose()
    progress = _BackupProgress()
    result = backup_archive(s.database_url, file, force=force, on_progress=progress)
    progress.done()
    click.echo(
        f"wrote {result.path}: {result.size / 1e6:.1f} MB, {plural(result.posts, 'post')}, "
        f"schema {result.revision}, integrity ok ({result.seconds:.1f} s)",
        err=True,
    )


class _BackupProgress:
    """`podium backup`'s progress on stderr: in place on a terminal, silent in a log."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, written: int, total: int) -> None:
        if self.tty:
            pct = min(100.0, 100.0 * written / total) if total else 100.0
            sys.stderr.write(f"\r\033[Kcopying: {written / 1e6:.1f} of ~{total / 1e6:.1f} MB")
            sys.stderr.write(f" ({pct:.0f} %)")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
