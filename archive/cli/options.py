"""What commands share on the way in: the ``--db``/``--format``/``--since``/``--until`` options,
parameter types and callbacks that check a value before a command starts, and what ``--config``
and ``--db`` resolve to (the settings, the opened archive)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from archive import config as config_mod
from archive import db
from archive.cli.output import CSV_RULE, FORMATS
from archive.errors import DatabaseError, UnknownAthleteError

F = TypeVar("F", bound=Callable[..., Any])


def settings(ctx: click.Context, db_url: str | None = None) -> config_mod.Settings:
    """The configuration, with the command's --db applied."""
    obj = ctx.find_root().obj or {}
    return config_mod.load(obj.get("config_dir"), database_url=db_url)


def roster_for(s: config_mod.Settings, athlete: str | None) -> config_mod.Roster:
    """The roster; with ``--athlete``, checked to name one of its athletes (a usage error
    naming the closest slugs otherwise)."""
    roster = config_mod.load_roster(s.roster_path)
    if athlete:
        try:
            roster.require_athlete(athlete, str(s.roster_path))
        except UnknownAthleteError as exc:
            raise click.BadParameter(str(exc), param_hint="--athlete") from None
    return roster


def db_option(f: F) -> F:
    """The shared ``--db`` option."""
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        envvar="PODIUM_DATABASE_URL",
        show_envvar=True,
        help="Database URL (default: sqlite:///podium.db in the working folder).",
    )(f)


def format_option(choices: tuple[str, ...] = FORMATS, default: str = "table") -> Callable[[F], F]:
    """The shared ``--format`` option."""

    def deco(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help="Output format." + (f" csv: {CSV_RULE}." if "csv" in choices else ""),
        )(f)

    return deco


def open_archive(url: str) -> Engine:
    """An engine for an initialised archive, or a one-line error saying what to do."""
    parse_database_url(url)  # a malformed URL is named in one line before anything connects
    default = url == config_mod.absolute_sqlite_url(config_mod.DEFAULT_DATABASE_URL)
    engine = db.make_engine(url)
    init = "podium init" if default else f"podium init --db {db.safe_url(url)}"
    db.require_archive(engine, init=init)
    return engine


def sync_search_index(engine: Engine, *, rebuild: bool = False) -> None:
    """Bring a SQLite archive's search side index up to the database, saying so when that was
    work (a rebuild, or many changes); search would otherwise answer from FTS5 meanwhile."""
    from archive import store

    result = store.sync_search_index(engine, rebuild=rebuild, wait=30.0)
    if result.outcome == "busy":
        click.echo("search index: another process is updating it", err=True)
    elif result.outcome in ("rebuilt", "caught-up") and result.applied and result.seconds >= 1:
        click.echo(
            f"search index: {result.outcome} ({result.applied:,} posts) in {result.seconds:.1f} s",
            err=True,
        )


def parse_database_url(url: str) -> Any:
    """``url`` parsed, or a one-line error that names it (without its password)."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(
            f"bad database URL {db.safe_url(url)!r}: {db.safe_message(exc, url)}"
        ) from None


class DateParam(click.DateTime):
    """A calendar date ``YYYY-MM-DD`` (as a datetime at midnight, like click.DateTime); a
    value that is not one, such as 2025-02-30, is refused with the form to use."""

    name = "date"

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``YYYY-MM-DD`` in --help."""
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """A datetime, or a usage error saying the value is not a date."""
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            return datetime.strptime(text, "%Y-%m-%d")  # noqa: DTZ007 - a calendar date, UTC
        except ValueError:
            self.fail(f"'{value}' is not a date; use the form YYYY-MM-DD", param, ctx)


DATE = DateParam()


def check_date_range(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Callback for a ``--since``/``--until`` pair: a range whose start is after its end is a
    usage error. Put it on both options (whichever click reads second sees the other)."""
    if value is None or param.name not in ("since", "until"):
        return value
    other = ctx.params.get("until" if param.name == "since" else "since")
    if other is not None:
        since, until = (value, other) if param.name == "since" else (other, value)
        if since > until:
            raise click.UsageError(
                f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}: no day is in "
                "that range",
                ctx,
            )
    return value


def period_options(f: F) -> F:
    """The shared ``--since``/``--until`` pair (UTC days, inclusive; start not after end)."""
    f = click.option(
        "--until",
        type=DATE,
        callback=check_date_range,
        help="Up to and including this date (YYYY-MM-DD, UTC).",
    )(f)
    return click.option(
        "--since",
        type=DATE,
        callback=check_date_range,
        help="From this date on (YYYY-MM-DD, UTC, inclusive).",
    )(f)


class LanguageParam(click.ParamType[str]):
    """An ISO 639-1 language code (two letters, e.g. ``nl``), or ``und`` (undetermined);
    returned in lower case."""

    name = "language"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``CODE`` in --help."""
        return "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The code in lower case, or a usage error."""
        code = str(value).strip().casefold()
        if code != "und" and code not in config_mod.LANGUAGE_CODES:
            self.fail(
                f"'{value}' is not a language code; use ISO 639-1 (two letters: nl, en, ja…) "
                "or und",
                param,
                ctx,
            )
        return code


class HashtagParam(click.ParamType[str]):
    """A hashtag, with or without its ``#``; an empty one (``""``, ``#``) is a usage error."""

    name = "hashtag"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``TAG`` in --help."""
        return "TAG"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The tag as given (surrounding spaces removed), or a usage error."""
        tag = str(value).strip()
        if not tag.lstrip("#").strip():
            self.fail(
                "the hashtag is empty; give it with or without # (e.g. schaatsen)", param, ctx
            )
        if any(c.isspace() for c in tag):
            self.fail(f"'{tag}' is not one hashtag (it contains a space)", param, ctx)
        return tag


LANG = LanguageParam()
HASHTAG = HashtagParam()


def output_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Callback for ``-o FILE``: its folder must exist (named in the error, not a temp file)."""
    if value is None:
        return value
    folder = value.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise click.BadParameter(f"the folder {str(folder)!r} {what}", ctx, param)
    return value


def output_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """Callback for the demo's ``-o FOLDER``: checked before the demo starts, so a typo costs
    one line and not a minute of crawling."""
    if value.exists() and not value.is_dir():
        raise click.BadParameter(f"{str(value)!r} is a file, not a folder", ctx, param)
    if not value.exists() and not value.parent.is_dir():
        raise click.BadParameter(f"the folder {str(value.parent)!r} does not exist", ctx, param)
    return value
