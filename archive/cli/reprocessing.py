"""The command that re-derives stored posts after a parser or normalizer change: ``reprocess``."""

from __future__ import annotations

import click

from archive.cli.options import (
    db_option,
    format_option,
    open_archive,
    settings,
    sync_search_index,
)
from archive.cli.output import echo_json
from archive.records import PLATFORMS


@click.command()
@click.option("--platform", type=click.Choice(PLATFORMS), help="Only this platform's posts.")
@click.option(
    "--since-version",
    metavar="V",
    help="Re-derive the posts derived by normalizer version V or later, the current version "
    "included (1: every post, e.g. after a parser change). Default: every post not derived "
    "by the current version.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--workers",
    type=click.IntRange(1),
    metavar="N",
    help="At most N processes parse and normalize (default: one per CPU core); each must "
    "get 3,000 posts or more to be worth starting, so a smaller selection uses fewer, or "
    "runs in this process.",
)
@format_option(("table", "json"))
@db_option
@click.pass_context
def reprocess(
    ctx: click.Context,
    platform: str | None,
    since_version: str | None,
    dry_run: bool,
    workers: int | None,
    fmt: str,
    db_url: str | None,
) -> None:
    """Re-derive posts from their stored raw payloads after a parser or normalizer change.

    Each selected post's payload (the one its row points at: its latest observation) is
    parsed and normalized again, as a crawl would (on every core when there are enough
    posts to pay for starting processes); only posts whose derived values differ are
    rewritten (caption, body, language, hashtags, mentions, sound, search text; a missing
    posting time is filled in). A re-derivation is not an edit: no caption version and no
    count snapshot is added. A post re-derived, changed or not, then carries the current
    normalizer version. A payload that no longer reads becomes a problem (`podium
    problems`) and its post is kept as it is; so is a post whose payload shows no caption
    (a block, a private page) or that has no payload at all.

    \b
    Examples:
      podium reprocess --dry-run                  what the current rules would change
      podium reprocess --platform tiktok
      podium reprocess --since-version 1          every post (after a parser change)
    """
    from archive.crawl_progress import ProgressLine
    from archive.reprocess import ReprocessReport
    from archive.reprocess import reprocess as run

    engine = open_archive(settings(ctx, db_url).database_url)
    line = ProgressLine()

    def progress(r: ReprocessReport) -> None:
        line.show(
            f"reprocess: {r.rederived:,} of {r.selected - r.without_payload:,} posts · "
            f"{r.changed:,} {'would change' if r.dry_run else 'changed'} · "
            f"{r.problems:,} problems"
        )

    try:
        report = run(
            engine,
            platform=platform,
            since_version=since_version,
            dry_run=dry_run,
            workers=workers,
            on_progress=progress,
        )
        if not dry_run:
            line.clear()
            sync_search_index(engine)  # the re-derived posts, in the search side index
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since-version") from None
    finally:
        line.clear()
        engine.dispose()
    if fmt == "json":
        echo_json(report.as_dict())
        return
    click.echo(f"selection: {report.selection} ({report.selected:,} posts)")
    for post in report.samples:
        click.echo(f"  {post['platform']} {post['platform_post_id']}: {', '.join(post['fields'])}")
    if report.changed > len(report.samples):
        click.echo(f"  … and {report.changed - len(report.samples):,} more")
    click.echo(report.summary())
