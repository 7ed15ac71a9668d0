"""`podium demo`: serve the demo site, crawl it twice (early, later as a full sweep), report."""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from archive import config as config_mod
from archive import db, store
from archive.crawl import SPIDERS, CrawlJob
from archive.crawl_progress import run_jobs
from archive.report import plural, totals_sentence
from archive.store import NOT_ON_ROSTER, ArchiveSummary, archive_summary
from demo.server import DemoServer

DEMO_DB = "sqlite:///podium-demo.db"

#: The demo crawls a local server: no delays, no throttling, a short stop rule.
DEMO_CONFIG = "[crawl]\nstop_after_known = 3\nbatch_size = 200\n" + "".join(
    f"\n[platform.{p}]\ndownload_delay = 0.0\nconcurrency = 8\nautothrottle = false\n"
    f"retry_times = 2\n"
    for p in SPIDERS
)


def demo_settings(
    server: DemoServer, folder: Path, database_url: str
) -> tuple[config_mod.Settings, dict[str, str]]:
    """Settings and child environment that point every spider at the demo server."""
    (folder / "podium.toml").write_text(DEMO_CONFIG, encoding="utf-8")
    (folder / "athletes.toml").write_text(server.roster_toml(), encoding="utf-8")
    env = {f"PODIUM_{p.upper()}_BASE_URL": base for p, base in server.base_urls.items()}
    settings = config_mod.load(
        folder, database_url=database_url, environ={**env, "PODIUM_CONFIG_DIR": str(folder)}
    )
    return settings, env


def crawl_demo(
    server: DemoServer,
    settings: config_mod.Settings,
    env: dict[str, str],
    *,
    full: bool,
    run: Callable[..., list[Any]],
) -> list[Any]:
    """One crawl of every demo spider (a full sweep when ``full``)."""
    args = {"full": "1"} if full else {}
    jobs = [CrawlJob(s, dict(args), f"{s}:{server.snapshot}") for s in SPIDERS]
    return run(jobs, settings, extra_env=env)


def demo_slugs() -> set[str]:
    """The fictional athletes of the demo roster."""
    data = tomllib.loads((Path(__file__).parent / "roster.toml").read_text(encoding="utf-8"))
    return {a["slug"] for a in data.get("athlete", [])}


def refuse_a_real_archive(url: str) -> None:
    """One line, and nothing changed, when the archive holds athletes outside the demo."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (
        parsed.database and Path(parsed.database).exists()
    ):
        return
    engine = db.make_engine(url)
    try:
        if not sa.inspect(engine).has_table("athlete"):
            return
        with engine.connect() as conn:
            slugs = set(store.athlete_slugs(conn))
    except sa.exc.OperationalError:
        return  # not a database we can read: db.upgrade will say why
    finally:
        engine.dispose()
    real = sorted(slugs - demo_slugs())
    if real:
        raise click.ClickException(
            f"{db.safe_url(url)} holds athletes outside the demo ({', '.join(real[:3])}"
            f"{', …' if len(real) > 3 else ''}): the demo never writes into a real archive; "
            "give it a --db of its own"
        )


def run_demo(db_url: str | None, *, out_dir: Path, debug: bool = False) -> None:
    """The README's main job: everything Podium does, offline, in a minute."""
    url = config_mod.absolute_sqlite_url(db_url or DEMO_DB)
    parsed = make_url(url)
    refuse_a_real_archive(url)
    if db_url is None and parsed.database and Path(parsed.database).exists():
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        click.echo(f"starting afresh: removed the previous {parsed.database}", err=True)
    db.upgrade(url)
    with tempfile.TemporaryDirectory(prefix="podium-demo-") as tmp, DemoServer() as server:
        click.echo(f"demo site serving at {server.root}", err=True)
        settings, env = demo_settings(server, Path(tmp), url)
        engine = db.make_engine(url)
        store.sync_roster(engine, config_mod.load_roster(settings.roster_path))
        click.echo("first crawl (early snapshot):", err=True)
        first = crawl_demo(server, settings, env, full=False, run=run_jobs)
        server.set_snapshot("later")
        click.echo("second crawl (later snapshot, full sweep):", err=True)
        second = crawl_demo(server, settings, env, full=True, run=run_jobs)
        root = server.root
    summary = archive_summary(engine)
    print_summary(summary, url)
    extras = _use_the_archive(engine, out_dir, url, local_root=root)
    engine.dispose()
    for line in extras:
        click.echo(line)
    # The later snapshot serves a truncated Bluesky feed page on purpose: that crawl must say
    # it fell short ("incomplete"); any other run that did not finish is a real failure.
    planned = {"bluesky"}
    failed = [o for o in first if o.status != "finished"] + [
        o
        for o in second
        if o.status != "finished" and not (o.status == "incomplete" and o.job.spider in planned)
    ]
    if failed:
        raise click.ClickException(f"{plural(len(failed), 'demo crawl')} did not finish")


def print_summary(summary: ArchiveSummary, url: str) -> None:
    """The demo's report, for a person."""
    click.echo(f"\nArchive {db.safe_url(url)}: {totals_sentence(summary['totals'])}.")
    click.echo("\nPosts per athlete and platform:")
    by_athlete: dict[str, list[str]] = {}
    for row in summary["posts_per_athlete"]:
        by_athlete.setdefault(row["athlete"], []).append(f"{row['platform']} {row['posts']}")
    for athlete, cells in by_athlete.items():
        click.echo(f"  {athlete:<24} {', '.join(cells)}")
    click.echo(
        "\nLanguages: " + ", ".join(f"{r['language']} {r['posts']}" for r in summary["languages"])
    )
    click.echo(
        "Top hashtags: "
        + ", ".join(f"#{r['hashtag']} ({r['posts']})" for r in summary["top_hashtags"])
    )
    click.echo("Top sounds:")
    for s in summary["top_sounds"]:
        origin = " [original]" if s["original"] else ""
        click.echo(
            f"  ♬ {s['title']} - {s['artist'] or '?'}{origin}: {plural(s['posts'], 'post')} "
            f"on {s['platform']}"
        )
    click.echo(f"\nEdited captions: {len(summary['edits'])}")
    for e in summary["edits"]:
        click.echo(f"  {e['platform']} {e['post']}: {plural(e['versions'], 'version')}")
    click.echo(f"Deleted posts: {len(summary['deletions'])}")
    for d in summary["deletions"]:
        click.echo(f"  {d['platform']} {d['url'] or d['post']}")
    click.echo(
        "Availability: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["availability"].items()))
    )
    click.echo(f"Problems kept for review: {len(summary['problems'])}")
    for r in summary["problems"]:
        click.echo(f"  {r['platform']}: {r['reason']}")


def without_dead_links(chunks: Iterable[str], root: str) -> Iterator[str]:
    """The timeline page without links into the demo server, which is gone once the demo ends.

    Each post links its own platform URL (``post.url``: the canonical https://www.tiktok.com/…
    address the demo pages declare), which stays. What pointed at ``root`` (127.0.0.1 and a
    port that no longer answers) goes: the "fetched from" link of a listing page entirely, and
    an article's link becomes its plain title.
    """
    local = re.escape(root.rstrip("/")) + r'(?:/[^"]*)?"'
    fetched = re.compile(r' · <a href="' + local + r"[^>]*><bdi>fetched from</bdi></a>")
    link = re.compile(r'<a href="' + local + r"[^>]*>(.*?)</a>")
    for chunk in chunks:
        yield link.sub(r"\1", fetched.sub("", chunk))


def _use_the_archive(
    engine: Any, out_dir: Path, url: str, *, local_root: str | None = None
) -> list[str]:
    """A sample search and the busiest athlete's timeline page, to show what the archive is for."""
    from archive.export import export_timeline
    from archive.search import search_posts

    summary = archive_summary(engine)
    query = "#" + summary["top_hashtags"][0]["hashtag"] if summary["top_hashtags"] else "goud"
    lines = ["", f'Sample search: podium search "{query}" --limit 5']
    for hit in search_posts(engine, query, limit=5):
        when = hit.posted_at.strftime("%Y-%m-%d") if hit.posted_at else "????-??-??"
        lines.append(f"  {when} {hit.platform:<9} {hit.athlete or hit.handle}: {hit.snippet}")
    # The athlete on the most platforms (then with the most posts) shows the timeline best.
    per_athlete: dict[str, list[int]] = {}
    for row in summary["posts_per_athlete"]:
        if row["athlete"] != NOT_ON_ROSTER:
            per_athlete.setdefault(row["athlete"], []).append(row["posts"])
    busiest = max(
        per_athlete, key=lambda a: (len(per_athlete[a]), sum(per_athlete[a])), default=None
    )
    if busiest is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        slug = busiest
        path = out_dir / f"{slug}.html"
        with path.open("w", encoding="utf-8") as f:
            chunks = export_timeline(engine, slug, fmt="html")
            for chunk in without_dead_links(chunks, local_root) if local_root else chunks:
                f.write(chunk)
        lines += [
            "",
            f"Timeline of {slug} (all platforms): {path.resolve()}",
            f"  (also: podium timeline {slug} --format ndjson --db {db.safe_url(url)})",
        ]
    return lines
