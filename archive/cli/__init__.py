"""The ``podium`` command: thin click wrappers over the archive's modules (DESIGN §1).

The group is here; its commands live in a module per command group (``admin``, ``parsing``,
``reading``, ``crawling``, ``importing``, ``monitoring``, ``reprocessing``, ``serving``) and are
registered below, in one place.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from archive.cli.admin import athletes, backup, forget, init
from archive.cli.crawling import crawl, demo, schedule
from archive.cli.group import PodiumGroup
from archive.cli.importing import import_cmd
from archive.cli.monitoring import problems, runs, status
from archive.cli.parsing import normalize_text_cmd, parse
from archive.cli.reading import search, timeline
from archive.cli.reprocessing import reprocess
from archive.cli.serving import serve
from archive.cli.worker import worker

__all__ = ["cli", "main"]


@click.group(
    name="podium",
    cls=PodiumGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
@click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PODIUM_CONFIG_DIR",
    help="Folder with podium.toml and athletes.toml (default: the project's config/).",
)
@click.version_option(package_name="podium")
@click.pass_context
def cli(ctx: click.Context, debug: bool, config_dir: Path | None) -> None:
    """Podium archives what athletes post on social media.

    \b
    Typical first steps:
      podium init                 create the archive (SQLite ./podium.db by default)
      podium athletes sync        load the roster from config/athletes.toml
      podium demo                 crawl the bundled offline demo site end to end
      podium normalize-text "Goud! #schaatsen @femke.kok ♬ Song - Artist"

    The database is chosen with --db on each command or PODIUM_DATABASE_URL
    (e.g. postgresql+psycopg://user@host/db). Errors are one line; add --debug for tracebacks.
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = {"debug": debug, "config_dir": config_dir}


cli.add_command(init)
cli.add_command(athletes)
cli.add_command(normalize_text_cmd)
cli.add_command(parse)
cli.add_command(search)
cli.add_command(timeline)
cli.add_command(crawl)
cli.add_command(demo)
cli.add_command(import_cmd)
cli.add_command(schedule)
cli.add_command(status)
cli.add_command(forget)
cli.add_command(backup)
cli.add_command(runs)
cli.add_command(problems)
cli.add_command(reprocess)
cli.add_command(serve)
cli.add_command(worker)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``podium`` script."""
    try:
        cli.main(args=argv, prog_name="podium")
    except KeyboardInterrupt:
        click.echo("podium: interrupted", err=True)
        sys.exit(130)
