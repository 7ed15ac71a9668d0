"""PodiumGroup, the click group class behind ``podium``: expected failures print one line, usage
errors two, tracebacks only with ``--debug``."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from archive.errors import ArchiveError, SettingsConflictError


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


class ConflictingSettings(PodiumError):
    """Settings that contradict each other (Redis with a SQLite archive): one line, and exit
    status 2, a usage error."""

    exit_code = 2


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
        except SettingsConflictError as exc:
            raise ConflictingSettings(str(exc)) from None
        except ArchiveError as exc:
            if debug_requested(ctx):
                raise
            raise PodiumError(str(exc)) from None
        except SQLAlchemyError as exc:
            if debug_requested(ctx):
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise PodiumError(f"database error: {reason} (run with --debug for details)") from None
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            if debug_requested(ctx):
                raise
            raise PodiumError(
                f"{type(exc).__name__}: {exc} (run `podium --debug …` for the traceback)"
            ) from None


def debug_requested(ctx: click.Context) -> bool:
    """Whether ``podium --debug`` was given."""
    root = ctx.find_root()
    return bool(root.params.get("debug")) or bool(root.obj and root.obj.get("debug"))
