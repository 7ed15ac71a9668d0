"""Crawls as child processes (`python -m scrapy crawl …`): the CLI and the scheduler share this.

The archive never imports Scrapy (Twisted's reactor cannot restart in one process): each crawl
is a child with ``SCRAPY_SETTINGS_MODULE=crawler.settings``, so it works from any folder. The
parent opens the ``crawl_run`` row and passes its id down; a child that dies before closing it
gets it closed here, as failed or killed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive import config as config_mod
from archive import db, store
from archive.errors import ArchiveError
from archive.platforms import platform_from_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPIDERS = config_mod.SPIDER_NAMES
_PROGRESS = re.compile(r"PODIUM-PROGRESS pages=(\d+) posts=(\d+) errors=(\d+)")
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


def platform_of_url(url: str, base_urls: Mapping[str, str]) -> str:
    """Which spider fetches a URL: a configured base URL, a known host, else a news article."""
    for platform, base in base_urls.items():
        if base and platform != "news" and url.startswith(base.rstrip("/") + "/"):
            return platform
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
        check_urls(urls)  # before anything starts: one line per bad URL
        bases = {p: settings.platform(p).base_url for p in SPIDERS}
        grouped: dict[str, list[str]] = {}
        unsupported = [u for u in urls if platform is None and platform_from_url(u) == "x"]
        if unsupported:
            raise ArchiveError(
                f"X posts are archived through the articles that embed them; give "
                f"the article's URL instead of {unsupported[0]}"
            )
        for url in urls:
            grouped.setdefault(platform or platform_of_url(url, bases), []).append(url)
        return [
            CrawlJob(p, {"urls": " ".join(us), **flag}, f"{p}:urls") for p, us in grouped.items()
        ]
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
    started = time.monotonic()
    tail: list[str] = []
    progress = Progress()
    proc = subprocess.Popen(
        argv,
        env=child_env(settings, extra_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip("\n")
            m = _PROGRESS.search(line)
            if m:
                progress.pages, progress.posts, progress.errors = map(int, m.groups())
                if on_progress:
                    on_progress(job, progress)
                continue
            tail.append(line)
            del tail[:-40]
            if on_line:
                on_line(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    killed = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed = True
        _kill(proc)
    except BaseException:
        _kill(proc)  # Ctrl-C or a scheduler shutdown: never leave a crawl running alone
        raise
    finally:
        reader.join(5)
    seconds = time.monotonic() - started
    run = store.get_crawl_run(engine, run_id) or {}
    if killed:
        store.finish_crawl_run(
            engine,
            run_id,
            status="killed",
            exit_code=proc.returncode,
            reason=f"timeout after {timeout:.0f} s",
            errors="killed at its timeout",
            pages=progress.pages,
        )
    elif run.get("status") == "running" or (
        proc.returncode and run.get("status") in ("finished", "incomplete")
    ):
        last = next((t for t in reversed(tail) if t.strip()), "no output")
        store.finish_crawl_run(
            engine,
            run_id,
            status="failed",
            exit_code=proc.returncode,
            reason=f"child exited with {proc.returncode}",
            errors=last[-500:],
            pages=progress.pages,
        )
    else:
        store.set_crawl_run_exit_code(engine, run_id, proc.returncode)
    run = store.get_crawl_run(engine, run_id) or {}
    engine.dispose()
    return CrawlOutcome(job, run_id, proc.returncode, str(run.get("status")), run, tail, seconds)


def _kill(proc: subprocess.Popen[str]) -> None:
    """Stop a child crawl and everything it started: TERM, then KILL."""
    import signal

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
