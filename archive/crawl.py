"""Crawls as child processes (`python -m scrapy crawl …`): the CLI and the scheduler share this.

The archive never imports Scrapy (Twisted's reactor cannot restart in one process): each crawl
is a child with ``SCRAPY_SETTINGS_MODULE=crawler.settings``, so it works from any folder. The
parent opens the ``crawl_run`` row and passes its id down; a child that dies before closing it
gets it closed here, as failed or killed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive import config as config_mod
from archive import db, store
from archive.errors import ArchiveError
from archive.platforms import platform_from_url
from archive.records import RunStatus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPIDERS = config_mod.SPIDER_NAMES
_PROGRESS = re.compile(r"PODIUM-PROGRESS pages=(\d+) posts=(\d+) errors=(\d+)")
#: How many of a child's last stderr lines are kept, to say why it failed.
TAIL_LINES = 40
_MASTODON_PATH = re.compile(r"^/@[\w.]+(@[\w.-]+)?/\d+")


@dataclass(frozen=True, slots=True)
class CrawlJob:
    """One child crawl: a spider and its ``-a`` arguments."""

    spider: str
    args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None

    def describe(self) -> str:
        """A short label for progress lines."""
        return self.target or self.spider


@dataclass(slots=True)
class Progress:
    """What a running crawl reported last."""

    pages: int = 0
    posts: int = 0
    errors: int = 0


@dataclass(slots=True)
class CrawlOutcome:
    """How one child crawl ended, with its crawl_run row."""

    job: CrawlJob
    run_id: int
    exit_code: int | None
    status: str
    run: dict[str, Any]
    log_tail: list[str]
    seconds: float


def spider_for_url(url: str, base_urls: Mapping[str, str]) -> str:
    """Which spider fetches a URL: a configured base URL, a known host, else a news article."""
    for spider, base in base_urls.items():
        if base and spider != "news" and url.startswith(base.rstrip("/") + "/"):
            return spider
    known = platform_from_url(url)
    if known in SPIDERS:
        return known
    if _MASTODON_PATH.match(urlsplit(url).path):
        return "mastodon"
    return "news"


class BadURLError(ArchiveError):
    """Raised by ``plan`` (and ``check_urls``) for a ``--url`` that is not an http(s) URL with a
    host; the message has one line per bad URL, naming it. Nothing has started by then."""


# Whitespace or control characters anywhere: a pasted URL with a line break, a tab, or NUL.
_URL_JUNK = re.compile(r"[\s\x00-\x1f\x7f]")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be crawled (one short phrase), or None for an http(s) URL with a host."""
    if not url.strip():
        return "an empty URL"
    if _URL_JUNK.search(url):
        return "a URL may not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL" if parts.scheme else "not a URL (give http:// or https://)"
    if not parts.hostname:
        return "an http(s) URL needs a host"
    return None


def check_urls(urls: Sequence[str]) -> None:
    """Raise BadURLError naming every URL that cannot be crawled, one line each."""
    bad = [(u, why) for u in urls if (why := url_problem(u)) is not None]
    if bad:
        raise BadURLError("\n".join(f"{u!r}: {why}" for u, why in bad))


def plan(
    settings: config_mod.Settings,
    roster: config_mod.Roster,
    *,
    athlete: str | None = None,
    platform: str | None = None,
    urls: Sequence[str] = (),
    full: bool = False,
) -> list[CrawlJob]:
    """The child crawls that `podium crawl` options ask for."""
    flag = {"full": "1"} if full else {}
    if urls:
        return _url_jobs(settings, urls, platform, flag)
    return _roster_jobs(roster, athlete, platform, flag)


def _url_jobs(
    settings: config_mod.Settings,
    urls: Sequence[str],
    platform: str | None,
    flag: Mapping[str, str],
) -> list[CrawlJob]:
    """One crawl per spider, of the URLs it fetches (all of them ``platform``'s when given)."""
    check_urls(urls)  # before anything starts: one line per bad URL
    unsupported = [u for u in urls if platform is None and platform_from_url(u) == "x"]
    if unsupported:
        raise ArchiveError(
            f"X posts are archived through the articles that embed them; give "
            f"the article's URL instead of {unsupported[0]}"
        )
    bases = {p: settings.platform(p).base_url for p in SPIDERS}
    grouped: dict[str, list[str]] = {}
    for url in urls:
        grouped.setdefault(platform or spider_for_url(url, bases), []).append(url)
    return [CrawlJob(p, {"urls": " ".join(us), **flag}, f"{p}:urls") for p, us in grouped.items()]


def _roster_jobs(
    roster: config_mod.Roster,
    athlete: str | None,
    platform: str | None,
    flag: Mapping[str, str],
) -> list[CrawlJob]:
    """One crawl per spider with accounts to read (of ``athlete`` alone when given); the news
    spider reads the roster's sources, and only when no athlete is named."""
    jobs = []
    for spider in SPIDERS if platform is None else (platform,):
        if spider == "news":
            if athlete is None and roster.news:
                jobs.append(CrawlJob("news", dict(flag), "news:roster"))
            continue
        has_accounts = any(
            acc.platform == spider
            for a in roster.athletes
            if athlete in (None, a.slug)
            for acc in a.accounts
        )
        if has_accounts:
            args = {**({"athlete": athlete} if athlete else {}), **flag}
            jobs.append(CrawlJob(spider, args, f"{spider}:{athlete or 'roster'}"))
    return jobs


def child_env(
    settings: config_mod.Settings, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a child crawl: ours, plus where the settings and archive are."""
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    env["PODIUM_DATABASE_URL"] = settings.database_url
    env["PODIUM_CONFIG_DIR"] = str(settings.config_dir)
    env["PODIUM_ROSTER"] = str(settings.roster_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PODIUM_PARENT_PID"] = str(os.getpid())  # the child stops when we die (ParentWatch)
    env.update(extra or {})
    return env


def crawl_argv(job: CrawlJob, run_id: int, log_level: str) -> list[str]:
    """A child crawl's command line: Scrapy with the run's id, the log level, the job's args."""
    argv = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        job.spider,
        "-s",
        f"PODIUM_CRAWL_RUN_ID={run_id}",
        "-s",
        f"LOG_LEVEL={log_level}",
    ]
    for key, value in job.args.items():
        argv += ["-a", f"{key}={value}"]
    return argv


def read_progress(line: str) -> Progress | None:
    """What a ``PODIUM-PROGRESS`` line of a child's stderr reports; None for any other line."""
    m = _PROGRESS.search(line)
    if m is None:
        return None
    pages, posts, errors = map(int, m.groups())
    return Progress(pages, posts, errors)


@dataclass(slots=True)
class ChildOutput:
    """What a child crawl's stderr said: its last progress report, and its last other lines."""

    job: CrawlJob
    on_progress: Callable[[CrawlJob, Progress], None] | None = None
    on_line: Callable[[str], None] | None = None
    progress: Progress = field(default_factory=Progress)
    tail: list[str] = field(default_factory=list)

    def take(self, line: str) -> None:
        """One line (without its newline): a progress report, or a log line for the tail."""
        reported = read_progress(line)
        if reported is not None:
            self.progress = reported
            if self.on_progress:
                self.on_progress(self.job, reported)
            return
        self.tail.append(line)
        del self.tail[:-TAIL_LINES]
        if self.on_line:
            self.on_line(line)

    def read(self, stream: Iterable[str]) -> None:
        """Take every line of ``stream`` until it ends."""
        for line in stream:
            self.take(line.rstrip("\n"))


@dataclass(frozen=True, slots=True)
class RunEnding:
    """How the parent closes a child's crawl_run: with a status and why, or (``status`` None)
    by adding only the exit code to the run the child closed itself."""

    status: RunStatus | None = None
    reason: str | None = None
    errors: str | None = None


def judge_ending(
    run_status: str | None,
    exit_code: int | None,
    log_tail: Sequence[str],
    *,
    timed_out_after: float | None = None,
) -> RunEnding:
    """How a child crawl ended, from its run's status as it left it and its exit code.

    Killed at its timeout: ``killed``. A run still ``running`` (the child died before closing
    it), or closed as done by a child that then exited non-zero: ``failed``, with the last line
    it logged. Otherwise the child's own verdict stands.
    """
    if timed_out_after is not None:
        return RunEnding(
            "killed", f"timeout after {timed_out_after:.0f} s", "killed at its timeout"
        )
    if run_status == "running" or (exit_code and run_status in ("finished", "incomplete")):
        last = next((t for t in reversed(log_tail) if t.strip()), "no output")
        return RunEnding("failed", f"child exited with {exit_code}", last[-500:])
    return RunEnding()


def run_crawl_job(
    job: CrawlJob,
    settings: config_mod.Settings,
    *,
    on_progress: Callable[[CrawlJob, Progress], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    timeout: float | None = None,
    log_level: str = "WARNING",
    extra_env: Mapping[str, str] | None = None,
    started_by: str = "manual",
) -> CrawlOutcome:
    """Run one spider in a child process to its end (or its timeout) and close its crawl_run."""
    engine = db.make_engine(settings.database_url)
    store.close_interrupted_runs(engine)
    run_id = store.start_crawl_run(
        engine,
        spider=job.spider,
        target=job.target,
        athlete_slug=job.args.get("athlete"),
        full_sweep=job.args.get("full") == "1",
        started_by=started_by,
    )
    started = time.monotonic()
    output = ChildOutput(job, on_progress, on_line)
    proc = _start_child(crawl_argv(job, run_id, log_level), child_env(settings, extra_env))
    timed_out = _wait(proc, output, timeout)
    seconds = time.monotonic() - started
    run = store.get_crawl_run(engine, run_id) or {}
    ending = judge_ending(
        run.get("status"),
        proc.returncode,
        output.tail,
        timed_out_after=timeout if timed_out else None,
    )
    if ending.status is None:
        store.set_crawl_run_exit_code(engine, run_id, proc.returncode)
    else:
        store.finish_crawl_run(
            engine,
            run_id,
            status=ending.status,
            exit_code=proc.returncode,
            reason=ending.reason,
            errors=ending.errors,
            pages=output.progress.pages,
        )
    run = store.get_crawl_run(engine, run_id) or {}
    engine.dispose()
    return CrawlOutcome(
        job, run_id, proc.returncode, str(run.get("status")), run, output.tail, seconds
    )


def _start_child(argv: list[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """A child in a session of its own (so ``_kill`` reaches what it starts), stderr piped."""
    return subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )


def _wait(proc: subprocess.Popen[str], output: ChildOutput, timeout: float | None) -> bool:
    """Wait for the child while a thread reads its stderr; True when killed at its timeout."""
    assert proc.stderr is not None
    reader = threading.Thread(target=output.read, args=(proc.stderr,), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return True
    except BaseException:
        _kill(proc)  # Ctrl-C or a scheduler shutdown: never leave a crawl running alone
        raise
    finally:
        reader.join(5)
    return False


def _kill(proc: subprocess.Popen[str]) -> None:
    """Stop a child crawl and everything it started: TERM, then KILL."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
