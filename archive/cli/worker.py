"""`podium worker`: a long-lived crawler taking its work from Redis (scrapy-redis)."""

from __future__ import annotations

import importlib.util
import os
import sys

import click

from archive import config as config_mod
from archive.cli.options import settings
from archive.crawl import child_env
from archive.errors import ConfigError


@click.command()
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=click.Choice(config_mod.SPIDER_NAMES),
    help="Crawl this platform's queue (repeatable; default: every platform).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Requests in flight at once in this worker (each platform's budget is shared).",
)
@click.pass_context
def worker(ctx: click.Context, platforms: tuple[str, ...], concurrency: int) -> None:
    """Crawl what the scheduler queued in Redis, until stopped (PODIUM_REDIS_URL).

    Start any number of workers on any number of machines against the same Redis and
    PostgreSQL archive; `podium schedule` (one, anywhere) pushes each job's start to Redis and
    the workers share its pages. Each platform's request budget (config/podium.toml
    download_delay) holds across all workers together. SIGTERM or Ctrl-C lets the requests in
    flight finish and store their posts, then exits 0; queued work waits for the others.

    \b
    Examples:
      PODIUM_REDIS_URL=redis://queue:6379/0 podium worker
      podium worker --platform tiktok --platform instagram --concurrency 4
    """
    s = settings(ctx)
    if not s.redis_url:
        raise click.ClickException(
            "PODIUM_REDIS_URL is not set: a worker takes its work from Redis "
            "(e.g. PODIUM_REDIS_URL=redis://127.0.0.1:6379/0)"
        )
    if s.database_url.startswith("sqlite"):
        raise click.ClickException(
            "workers write one archive from many processes and machines: give a PostgreSQL "
            "archive (PODIUM_DATABASE_URL=postgresql+psycopg://…), not SQLite"
        )
    if importlib.util.find_spec("scrapy_redis") is None:
        raise click.ClickException(
            "scrapy-redis is not installed: pip install -e '.[redis]' (or podium[redis])"
        )
    from archive.queued_runs import connect

    try:
        connect(s.redis_url).close()  # one line now, not after Scrapy's start-up
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    argv = [sys.executable, "-m", "crawler.worker", "--concurrency", str(concurrency)]
    for platform in platforms:
        argv += ["--platform", platform]
    if ctx.obj.get("debug"):
        argv += ["--log-level", "DEBUG"]
    env = child_env(s)
    env.pop("PODIUM_PARENT_PID", None)  # nothing to watch: this process becomes the worker
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - our own interpreter, our own module
