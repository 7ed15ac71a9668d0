"""Commands that read the archived posts: ``search``, ``timeline``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from archive.cli.options import (
    HASHTAG,
    LANG,
    db_option,
    format_option,
    open_archive,
    output_file,
    period_options,
    settings,
)
from archive.cli.output import cell_text, render_rows
from archive.records import PLATFORMS


def _day(value: datetime | None) -> Any:
    return None if value is None else value.date()


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--athlete", metavar="SLUG", help="Only this athlete's posts.")
@click.option(
    "--platform",
    type=click.Choice(PLATFORMS),
    help="Only this platform.",
)
@click.option(
    "--lang",
    type=LANG,
    help="Language (ISO code): the detected one, or the declared one when undetected.",
)
@click.option("--hashtag", type=HASHTAG, help="Only posts with this hashtag (with or without #).")
@click.option(
    "--sound", metavar="TEXT", help="Only posts whose sound title or artist contains TEXT."
)
@period_options
@click.option(
    "--sort",
    type=click.Choice(["rank", "date"]),
    default="rank",
    show_default=True,
    help="Best match first, or newest first.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="How many posts to show.",
)
@format_option()
@db_option
@click.pass_context
def search(
    ctx: click.Context,
    query: tuple[str, ...],
    athlete: str | None,
    platform: str | None,
    lang: str | None,
    hashtag: str | None,
    sound: str | None,
    since: datetime | None,
    until: datetime | None,
    sort: str,
    limit: int,
    fmt: str,
    db_url: str | None,
) -> None:
    """Search captions: words (all must match), "exact phrase", prefix*, OR, -exclude, #tag, @name.

    Case and accents do not matter (madchen finds Mädchen); Chinese, Japanese and Korean are
    found by words of two or more characters (五輪, 金メダル); emoji work too. @jonas finds
    jonas on any Mastodon instance, @jonas@rad.example only that one. A query that starts with
    - goes after -- (else it reads as an option); a query of exclusions only is refused.
    The table ends with how many posts match in all (on stderr).

    \b
    Examples:
      podium search "world record" --athlete ana-perez --since 2025-01-01
      podium search 'goud OR gold -training #schaatsen' --sort date --format json
      podium search --platform mastodon -- '-wind schaatsen'
    """
    from archive.search import search_posts

    engine = open_archive(settings(ctx, db_url).database_url)
    hits = search_posts(
        engine,
        " ".join(query),
        athlete=athlete,
        platform=platform,
        lang=lang,
        hashtag=hashtag,
        sound=sound,
        since=_day(since),
        until=_day(until),
        sort=sort,
        limit=limit,
        count=fmt == "table",
    )
    if fmt != "table":
        render_rows(
            [h.to_dict() for h in hits],
            fmt,
            columns=[
                "posted_at",
                "platform",
                "athlete",
                "handle",
                "language",
                "score",
                "snippet",
                "url",
                "platform_post_id",
                "caption",
            ],
        )
        return
    if not hits:
        click.echo("no posts match", err=True)
        return
    for h in hits:
        who = h.athlete or (f"@{h.handle}" if h.handle else "")
        click.echo(
            f"{cell_text(h.posted_at) or 'no date':16}  {h.platform:9}  {who:20}  "
            f"{h.language:3}  {h.url or h.platform_post_id}".rstrip()
        )
        click.echo(f"    {h.snippet}")
    total = len(hits) if hits.total is None else hits.total
    if total > len(hits):
        click.echo(
            f"{len(hits):,} of {total:,} matching posts shown; use --limit for more", err=True
        )
    else:
        click.echo(f"{total:,} matching post{'s' if total != 1 else ''}", err=True)


@click.command()
@click.argument("athlete")
@format_option(("ndjson", "csv", "json", "html"), default="ndjson")
@period_options
@click.option(
    "--platform",
    type=click.Choice(PLATFORMS),
    help="Only this platform.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    callback=output_file,
    help="Write to this file (in an existing folder) instead of standard output.",
)
@db_option
@click.pass_context
def timeline(
    ctx: click.Context,
    athlete: str,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    platform: str | None,
    output: Path | None,
    db_url: str | None,
) -> None:
    """Export one athlete's posts on all platforms, oldest first, streamed.

    ndjson: one post per line (4CAT/Zeeschuimer style); csv: UTF-8 with a byte-order mark
    (like every CSV podium writes: Excel opens it as UTF-8; Python reads it with
    encoding="utf-8-sig"), a header, formula-safe; json: the athlete and every post with its
    caption versions and count history;
    html: one offline page with a posting-rhythm chart and post cards by month.

    \b
    Examples:
      podium timeline jutta-leerdam --format html -o leerdam.html
      podium timeline jutta-leerdam --since 2026-01-01 --format csv > posts.csv
    """
    from archive.export import export_timeline

    engine = open_archive(settings(ctx, db_url).database_url)
    chunks = export_timeline(
        engine, athlete, fmt=fmt, platform=platform, since=_day(since), until=_day(until)
    )
    if output is None:
        # Bytes, so the export is UTF-8 whatever the terminal's encoding.
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk.encode("utf-8"))
        out.flush()
        return
    tmp = output.with_name(output.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        for chunk in chunks:
            f.write(chunk)
    tmp.replace(output)
    click.echo(f"wrote {output}", err=True)
