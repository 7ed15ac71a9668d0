"""The job runner the CLI and the demo share: crawls one after another, a progress line on stderr.

Plain stderr writes (no click), so :mod:`demo.job` can run crawls without importing the CLI.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from archive import config as config_mod
from archive.crawl import run_crawl_job
from archive.report import plural


def _echo(text: str) -> None:
    """One line on stderr, flushed (what ``click.echo(text, err=True)`` did)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class ProgressLine:
    """One progress line on stderr: rewritten in place on a terminal, every few seconds in a log."""

    def __init__(self, stream: Any = None, every: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        # A log gets its first line after ``every`` seconds: a short run prints none.
        self.every, self.last, self.job = every, time.monotonic(), None

    def __call__(self, job: Any, progress: Any) -> None:
        if job is not self.job:  # a log gets its first line after `every` seconds, not at once
            self.job, self.last = job, time.monotonic()
        self.show(
            f"[{job.describe()}] pages {progress.pages} · posts {progress.posts} · "
            f"errors {progress.errors}"
        )

    def show(self, text: str) -> None:
        """Show ``text`` as the progress line (on a terminal now, in a log every few seconds)."""
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
        elif time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.stream.write(text + "\n")

    def clear(self) -> None:
        """Take the progress line away (on a terminal) before a result is printed."""
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def done(self, outcome: Any) -> None:
        r = outcome.run
        text = (
            f"[{outcome.job.describe()}] {outcome.status}: {plural(r.get('pages', 0), 'page')}, "
            f"{r.get('posts_new', 0)} new, {r.get('posts_updated', 0)} updated, "
            f"{r.get('posts_unchanged', 0)} unchanged, {r.get('posts_deleted', 0)} deleted, "
            f"{plural(r.get('problems', 0), 'problem')} ({outcome.seconds:.1f} s)"
        )
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()


def run_jobs(
    jobs: list[Any],
    s: config_mod.Settings,
    *,
    debug: bool = False,
    extra_env: dict[str, str] | None = None,
) -> list[Any]:
    """Run crawl jobs one after another, showing progress; returns their outcomes."""
    line = ProgressLine()
    outcomes = []
    for job in jobs:
        outcome = run_crawl_job(
            job,
            s,
            on_progress=line,
            log_level="DEBUG" if debug else "WARNING",
            on_line=_echo if debug else None,
            extra_env=extra_env,
        )
        line.done(outcome)
        if outcome.status != "finished":
            why = str(outcome.run.get("errors") or "").splitlines() or outcome.log_tail
            for text in why[:5]:
                _echo(f"    {text}")
            if len(why) > 5:
                _echo(f"    … and {len(why) - 5} more (podium status)")
        outcomes.append(outcome)
    return outcomes
