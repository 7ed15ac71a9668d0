"""The job runner the CLI and the demo share: crawls one after another, a progress line on stderr.

The progress line is rich's: on a terminal a live status line (spinner, job, pages, posts, errors,
time) that each finished crawl's summary line scrolls above; in a log, a plain line every few
seconds. No click, so :mod:`demo.job` can run crawls without importing the CLI.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from archive import config as config_mod
from archive.crawl import run_crawl_job
from archive.report import plural


def _echo(text: str) -> None:
    """One line on stderr, flushed (what ``click.echo(text, err=True)`` did)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def stderr_console(stream: Any = None) -> Console:
    """A rich console on ``stream`` (stderr by default) that prints text as given: no markup
    (captions and URLs hold brackets), no highlighting, no wrapping of long lines in logs."""
    return Console(
        file=stream or sys.stderr, markup=False, highlight=False, emoji=False, soft_wrap=True
    )


class ProgressLine:
    """One progress line on stderr: rich's live line on a terminal, every few seconds in a log."""

    def __init__(self, stream: Any = None, every: float = 5.0) -> None:
        self.console = stderr_console(stream)
        self.tty = self.console.is_terminal
        # A log gets its first line after ``every`` seconds: a short run prints none.
        self.every, self.last, self.job = every, time.monotonic(), None
        self.live: Progress | None = None
        self.task: TaskID | None = None
        if self.tty:
            self.live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )

    def __call__(self, job: Any, progress: Any) -> None:
        if job is not self.job:  # a log gets its first line after `every` seconds, not at once
            self.job, self.last = job, time.monotonic()
        text = (
            f"[{job.describe()}] pages {progress.pages} · posts {progress.posts} · "
            f"errors {progress.errors}"
        )
        self.show(text)

    def show(self, text: str) -> None:
        """Show ``text`` as the progress line (live on a terminal, every few seconds in a log)."""
        if self.live is not None:
            if self.task is None:
                self.live.start()
                self.task = self.live.add_task(text, total=None)
            else:
                self.live.update(self.task, description=text)
        elif time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.console.print(text)

    def clear(self) -> None:
        """Take the live line away before a result is printed (it comes back on the next show)."""
        if self.live is not None and self.task is not None:
            self.live.remove_task(self.task)
            self.live.stop()
            self.task = None

    def done(self, outcome: Any) -> None:
        """Replace the live line by the crawl's one-line summary."""
        r = outcome.run
        text = (
            f"[{outcome.job.describe()}] {outcome.status}: {plural(r.get('pages', 0), 'page')}, "
            f"{r.get('posts_new', 0)} new, {r.get('posts_updated', 0)} updated, "
            f"{r.get('posts_unchanged', 0)} unchanged, {r.get('posts_deleted', 0)} deleted, "
            f"{plural(r.get('problems', 0), 'problem')} ({outcome.seconds:.1f} s)"
        )
        self.clear()  # transient: the live line goes, the summary takes its place
        self.console.print(text)

    def close(self) -> None:
        """Stop the live line (the terminal gets its cursor back)."""
        if self.live is not None and self.task is not None:
            self.live.stop()
            self.task = None


def run_jobs(
    jobs: list[Any],
    s: config_mod.Settings,
    *,
    debug: bool = False,
    extra_env: dict[str, str] | None = None,
    started_by: str = "manual",
) -> list[Any]:
    """Run crawl jobs one after another, showing progress; returns their outcomes."""
    line = ProgressLine()
    outcomes = []
    try:
        for job in jobs:
            outcome = run_crawl_job(
                job,
                s,
                on_progress=line,
                log_level="DEBUG" if debug else "WARNING",
                on_line=_echo if debug else None,
                extra_env=extra_env,
                started_by=started_by,
            )
            line.done(outcome)
            if outcome.status != "finished":
                why = str(outcome.run.get("errors") or "").splitlines() or outcome.log_tail
                for text in why[:5]:
                    _echo(f"    {text}")
                if len(why) > 5:
                    _echo(f"    … and {len(why) - 5} more (podium status)")
            outcomes.append(outcome)
    finally:
        line.close()
    return outcomes
