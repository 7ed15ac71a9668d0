"""The ``podium`` command: thin click wrappers over the archive's modules (DESIGN §1)."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from archive import config as config_mod
from archive import db
from archive.errors import ArchiveError, DatabaseError
from archive.records import PLATFORMS
from archive.report import plural

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("podium")

FORMATS = ("table", "json", "ndjson", "csv")
#: One rule for every CSV podium writes (athletes list, search, timeline, runs, problems):
#: UTF-8 with a byte-order mark, so a spreadsheet opens accents, CJK and emoji correctly;
#: Python reads it with encoding="utf-8-sig".
CSV_BOM = "\ufeff"
CSV_RULE = "UTF-8 with a byte-order mark (Excel opens it as UTF-8), a header row"


class ShortUsageError(click.UsageError):
    """A usage error shown in two lines, ``podium: error: …`` and ``see 'podium … --help'``,
    instead of click's usage line, hint and error (exit status 2 all the same)."""

    def show(self, file: Any = None) -> None:
        """Print the error, a line per line of its message, then where help is."""
        stream = file if file is not None else sys.stderr
        for line in self.format_message().splitlines() or [""]:
            click.echo(f"podium: error: {line}", file=stream)
        path = self.ctx.command_path if self.ctx is not None else "podium"
        click.echo(f"see '{path} --help'", file=stream)


class PodiumError(click.ClickException):
    """An expected failure, one line: ``podium: error: …`` (exit status 1)."""

    def show(self, file: Any = None) -> None:
        stream = file if file is not None else sys.stderr
        for line in self.format_message().splitlines() or [""]:
            click.echo(f"podium: error: {line}", file=stream)


def _short(exc: click.UsageError) -> click.UsageError:
    """``exc`` as a ShortUsageError (a bare ``podium`` still prints its help)."""
    if isinstance(exc, ShortUsageError | click.exceptions.NoArgsIsHelpError):
        return exc
    return ShortUsageError(exc.format_message(), exc.ctx)


class PodiumGroup(click.Group):
    """A group whose expected failures print one line; tracebacks only with ``--debug``.

    Usage errors (of the group and of every command under it) print two lines at most.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse the group's own options; a usage error in them is short too."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _short(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _short(exc) from None
        except (click.exceptions.Exit, click.exceptions.Abort, PodiumError):
            raise
        except click.ClickException as exc:
            raise PodiumError(exc.format_message()) from None
        except ArchiveError as exc:
            if _debug(ctx):
                raise
            raise PodiumError(str(exc)) from None
        except SQLAlchemyError as exc:
            if _debug(ctx):
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise PodiumError(f"database error: {reason} (run with --debug for details)") from None
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            if _debug(ctx):
                raise
            raise PodiumError(
                f"{type(exc).__name__}: {exc} (run `podium --debug …` for the traceback)"
            ) from None


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or bool(root.obj and root.obj.get("debug"))


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


def settings(ctx: click.Context, db_url: str | None = None) -> config_mod.Settings:
    """The configuration, with the command's --db applied."""
    obj = ctx.find_root().obj or {}
    return config_mod.load(obj.get("config_dir"), database_url=db_url)


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
    parsed = _parse_url(url)
    if (
        parsed.get_backend_name() == "sqlite"
        and parsed.database not in (None, "", ":memory:")
        and not Path(parsed.database).exists()
    ):
        raise DatabaseError(
            f"no archive at {parsed.database}; create it with `podium init`"
            + (
                ""
                if url == config_mod.absolute_sqlite_url(config_mod.DEFAULT_DATABASE_URL)
                else f" --db {url}"
            )
        )
    engine = db.make_engine(url)
    db.check_connection(engine)
    if db.current_revision(engine) is None:
        raise DatabaseError(
            f"the database {db.safe_url(parsed)} is not initialised; run `podium init` first"
        )
    return engine


def _parse_url(url: str) -> Any:
    try:
        return make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError or ValueError here
        raise DatabaseError(
            f"bad database URL {db.safe_url(url)!r}: {db.safe_message(exc, url)}"
        ) from None


def echo_json(value: Any) -> None:
    """Print JSON as UTF-8, not ASCII-escaped."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --- init, athletes -----------------------------------------------------------------------------


@cli.command()
@db_option
@click.pass_context
def init(ctx: click.Context, db_url: str | None) -> None:
    """Create the archive, or upgrade it to the newest schema (Alembic `upgrade head`).

    Running it again is harmless. PostgreSQL: --db postgresql+psycopg://user@host/dbname.
    """
    s = settings(ctx, db_url)
    _parse_url(s.database_url)
    db.upgrade(s.database_url)
    engine = db.make_engine(s.database_url)
    rev = db.current_revision(engine)
    click.echo(
        f"archive ready: {db.safe_url(s.database_url)} (schema {rev})",
        err=True,
    )


@cli.group()
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


def render_rows(rows: list[dict[str, Any]], fmt: str, columns: list[str]) -> None:
    """Print rows as a table, JSON, NDJSON or CSV."""
    if fmt == "json":
        echo_json(rows)
    elif fmt == "ndjson":
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False, default=_json_default))
    elif fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
        # Bytes, so the CSV is UTF-8 (with its BOM) whatever the terminal's encoding.
        sys.stdout.flush()
        sys.stdout.buffer.write((CSV_BOM + buf.getvalue()).encode("utf-8"))
        sys.stdout.buffer.flush()
    else:
        cells = [[_cell(r.get(c)) for c in columns] for r in rows]
        widths = [
            min(60, max([len(c)] + [len(row[i]) for row in cells])) for i, c in enumerate(columns)
        ]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for row in cells:
            click.echo(
                "  ".join(_clip(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ", ".join(_cell(x) for x in v)
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return str(v).replace("\n", " ")


def _clip(v: str, width: int) -> str:
    return v if len(v) <= width else v[: width - 1] + "…"


# --- normalize-text, parse --------------------------------------------------------------------


@cli.command("normalize-text")
@click.argument("text")
@click.option(
    "--platform",
    default="generic",
    show_default=True,
    type=click.Choice(["generic", *PLATFORMS]),
    help="Which text rules to use (generic = the TikTok/Instagram rules).",
)
@click.option(
    "--author",
    metavar="HANDLE",
    help="The embed's author: a leading @HANDLE is then the author, not a mention.",
)
def normalize_text_cmd(text: str, platform: str, author: str | None) -> None:
    """Print, as JSON, what the normalizer makes of a caption.

    TEXT may be - to read standard input; put -- before a text that starts with -.

    \b
    Example:
      podium normalize-text "Goud op de 1000 meter! #schaatsen @femke.kok ♬ Song - Artist"
    """
    from archive.normalize import normalize_text, to_json

    if text == "-":
        text = sys.stdin.read()
    click.echo(
        json.dumps(
            to_json(normalize_text(text, platform=platform, author=author)),
            ensure_ascii=False,
            indent=2,
        )
    )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--platform",
    type=click.Choice([*PLATFORMS, "news"]),
    help="The payload's platform (default: detected).",
)
@format_option(("json", "ndjson"), default="json")
def parse(files: tuple[Path, ...], platform: str | None, fmt: str) -> None:
    """Print the records Podium makes of saved payloads, without touching the archive.

    FILES are saved pages, API responses, feeds or articles; the platform and kind of payload are
    detected when not given. A file that cannot be read gets a one-line reason in "error" and the
    exit status is 1; the others are still printed.

    \b
    Example:
      podium parse saved/video.html saved/feed.json --format ndjson
    """
    from archive.parsing import parse_file

    # Each file gets its own result, printed as soon as it is read: a file that cannot be read,
    # or a result that cannot be printed, costs that file a one-line reason, never the batch.
    failed: list[tuple[str, str]] = []
    if fmt == "json":
        click.echo("[")
    for index, path in enumerate(files):
        try:
            result = parse_file(path, platform=platform)
        except Exception as exc:  # parse_file promises not to raise; if it does, one file pays
            logging.getLogger(__name__).exception("podium parse: %s", path)
            result = _parse_failure(path, platform, f"internal error ({type(exc).__name__}: {exc})")
        if result.get("error"):
            failed.append((str(path), str(result["error"])))
        if fmt == "json":
            text = _printable_json(result, path, platform, failed, indent=2)
            click.echo(
                "\n".join("  " + line for line in text.splitlines())
                + ("," if index < len(files) - 1 else "")
            )
            continue
        head = {"file": result["file"], "platform": result["platform"], "kind": result["kind"]}
        if result.get("error"):
            click.echo(_printable_json({**head, "error": result["error"]}, path, platform, failed))
        for post in result.get("posts") or []:
            click.echo(_printable_json({**head, **post}, path, platform, failed))
    if fmt == "json":
        click.echo("]")
    for name, error in failed:
        click.echo(f"podium: {name}: {error}", err=True)
    if failed:
        sys.exit(1)


def _parse_failure(path: Path, platform: str | None, error: str) -> dict[str, Any]:
    """A ``podium parse`` result that only carries a one-line reason."""
    return {
        "file": str(path),
        "platform": platform,
        "kind": None,
        "posts": [],
        "accounts": [],
        "article": None,
        "problems": [],
        "error": " ".join(error.split())[:300],
    }


def _printable_json(
    value: dict[str, Any],
    path: Path,
    platform: str | None,
    failed: list[tuple[str, str]],
    indent: int | None = None,
) -> str:
    """``value`` as JSON that encodes as UTF-8; else the file's one-line reason, noted in
    ``failed``."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=indent, default=_json_default)
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        error = f"result could not be printed ({type(exc).__name__})"
        failed.append((str(path), error))
        return json.dumps(_parse_failure(path, platform, error), ensure_ascii=True, indent=indent)
    return text


# --- search, timeline -------------------------------------------------------------------------


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


_DATE = DateParam()


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
        type=_DATE,
        callback=check_date_range,
        help="Up to and including this date (YYYY-MM-DD, UTC).",
    )(f)
    return click.option(
        "--since",
        type=_DATE,
        callback=check_date_range,
        help="From this date on (YYYY-MM-DD, UTC, inclusive).",
    )(f)


class LanguageParam(click.ParamType):
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


class HashtagParam(click.ParamType):
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


def _day(value: datetime | None) -> Any:
    return None if value is None else value.date()


def output_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Callback for ``-o FILE``: its folder must exist (named in the error, not a temp file)."""
    if value is None:
        return value
    folder = value.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise click.BadParameter(f"the folder {str(folder)!r} {what}", ctx, param)
    return value


@cli.command()
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
            f"{_cell(h.posted_at) or 'no date':16}  {h.platform:9}  {who:20}  "
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


@cli.command()
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


# --- crawl, demo --------------------------------------------------------------------------------


def crawl_urls(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    """Callback for ``crawl --url``: every URL is checked before anything starts (no
    settings, no archive, no child process); one line per bad URL, exit status 2."""
    from archive.crawl import url_problem

    bad = [(u, why) for u in value if (why := url_problem(u)) is not None]
    if bad:
        raise click.UsageError("\n".join(f"--url {u!r}: {why}" for u, why in bad), ctx)
    return value


@cli.command()
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
    import difflib

    from archive import store
    from archive.crawl import plan

    s = settings(ctx, db_url)
    roster = config_mod.load_roster(s.roster_path)
    if athlete and roster.athlete(athlete) is None:
        close = difflib.get_close_matches(athlete, [a.slug for a in roster.athletes], n=3)
        raise click.BadParameter(
            f"no athlete '{athlete}' in {s.roster_path}"
            + (f"; did you mean {', '.join(close)}?" if close else ""),
            param_hint="--athlete",
        )
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

    outcomes = run_jobs(jobs, s, debug=_debug(ctx))
    failed = [o for o in outcomes if o.status != "finished"]
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {plural(len(outcomes), 'crawl')} read less than asked: "
            + ", ".join(o.job.describe() for o in failed)
        )


def output_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """Callback for the demo's ``-o FOLDER``: checked before the demo starts, so a typo costs
    one line and not a minute of crawling."""
    if value.exists() and not value.is_dir():
        raise click.BadParameter(f"{str(value)!r} is a file, not a folder", ctx, param)
    if not value.exists() and not value.parent.is_dir():
        raise click.BadParameter(f"the folder {str(value.parent)!r} does not exist", ctx, param)
    return value


@cli.command()
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

    run_demo(db_url, out_dir=out_dir, debug=_debug(ctx))


# --- schedule, status ---------------------------------------------------------------------------


@cli.command()
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
    argv += ["--debug"] if _debug(ctx) else []
    # The database URL goes through the environment, not argv, where `ps` would show a password.
    env = {
        **os.environ,
        "PODIUM_DATABASE_URL": s.database_url,
        "PODIUM_CONFIG_DIR": str(s.config_dir),
    }
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - become the scheduler: signals reach it


@cli.command()
@db_option
@format_option(("table", "json"))
@click.pass_context
def status(ctx: click.Context, db_url: str | None, fmt: str) -> None:
    """Per account and news source: last run, next run and health; then the archive's totals.

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
    t = report["totals"]
    click.echo(
        f"\narchive: {plural(t['posts'], 'post')} of {plural(t['athletes'], 'athlete')} "
        f"({plural(t['accounts'], 'account')}), {plural(t['versions'], 'caption version')}, "
        f"{plural(t['snapshots'], 'count snapshot')}, {plural(t['articles'], 'article')}, "
        f"{plural(t['problems'], 'problem')}, {plural(t['crawl_runs'], 'crawl run')}"
    )


# --- forget, backup -------------------------------------------------------------------------------


@cli.command()
@click.argument("kind", type=click.Choice(["athlete", "account", "post"]))
@click.argument("target", metavar="SLUG|PLATFORM:HANDLE|URL")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be removed, per table, and change nothing.",
)
@db_option
@click.pass_context
def forget(ctx: click.Context, kind: str, target: str, dry_run: bool, db_url: str | None) -> None:
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
    if kind == "account":
        try:
            platform, handle = store.parse_account_ref(target)
        except store.UnknownTargetError as exc:
            raise click.BadParameter(str(exc), param_hint="TARGET") from None
    engine = open_archive(s.database_url)
    try:
        if kind == "athlete":
            result = store.forget_athlete(engine, target, dry_run=dry_run)
        elif kind == "account":
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
    note = _forget_note(s, kind, target)
    if note:
        click.echo(note, err=True)


def _forget_note(s: config_mod.Settings, kind: str, target: str) -> str | None:
    """A one-line reminder when what was forgotten is still on the roster."""
    if kind == "post":
        return "note: a later crawl archives the post again while it is online and listed"
    try:
        roster = config_mod.load_roster(s.roster_path)
    except (ArchiveError, OSError):
        return None  # no roster (or a broken one): nothing will bring it back by itself
    if kind == "athlete":
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


@cli.command()
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


@cli.command()
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
    `interrupted` (its process died or was stopped) or `running`.

    \b
    Examples:
      podium runs --platform bluesky --limit 5
      podium runs --format json | jq '.[] | select(.status != "finished")'
    """
    from archive import store

    engine = open_archive(settings(ctx, db_url).database_url)
    store.close_interrupted_runs(engine)
    rows = store.list_runs(engine, platform=platform, athlete_slug=athlete, limit=limit)
    engine.dispose()
    if not rows and fmt == "table":
        click.echo("no crawl runs yet (podium crawl)", err=True)
        return
    render_rows(rows, fmt, columns=RUN_COLUMNS)


PROBLEM_COLUMNS = ["id", "created_at", "crawl_run_id", "platform", "reason", "source_url"]


@cli.group(invoke_without_command=True)
@click.option("--platform", type=click.Choice([*PLATFORMS, "news"]), help="Only this platform.")
@click.option("--since", type=_DATE, help="From this date on (YYYY-MM-DD, UTC).")
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
        click.echo(f"{key}: {_cell(found.get(key))}")
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


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``podium`` script."""
    try:
        cli.main(args=argv, prog_name="podium")
    except KeyboardInterrupt:
        click.echo("podium: interrupted", err=True)
        sys.exit(130)
