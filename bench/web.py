"""How long `podium serve`'s pages take on a 1,000,000-post archive, beside what they build on.

The archive is bench/search.py's (synthetic multilingual captions, 50 athletes × 5 platforms,
20,000 posts per athlete; built once and cached, see its ``--cache``). Each page is asked for in process
(Starlette's TestClient: routing, the archive's reads, the template, no network), ROUNDS times;
the baseline is the archive call the page is built on, or what a person had before: the
search function alone, the athlete's whole timeline as the export's HTML page, one post row.

Run: .venv/bin/python bench/web.py [N]   (N posts, default 1,000,000)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from archive import config as config_mod
from archive import store
from archive.export import export_timeline
from archive.search import search_posts
from archive.status import refresh_status
from archive.store import browse
from archive.web import create_app, read_only_engine
from bench.search import add_cache_option, build

ROUNDS = 15


def timed(fn: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """(median, max) milliseconds of ``fn`` over ``rounds`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("posts", nargs="?", type=int, default=1_000_000, help="default 1,000,000")
    add_cache_option(parser)
    args = parser.parse_args()
    n = args.posts
    path = build(n, args.cache)
    url = f"sqlite:///{path}"
    engine = read_only_engine(url)
    settings = config_mod.load(None, database_url=url)
    roster = config_mod.Roster()
    client = TestClient(create_app(engine, settings, roster))

    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:200])
            return r

        return call

    hits = search_posts(engine, "training", limit=1)
    post_id = hits[0].post_id
    cases: list[tuple[str, Callable[[], object], str, Callable[[], object]]] = [
        ("home (/)", get("/"), "store.list_athletes", lambda: store.list_athletes(engine)),
        (
            "search, frequent word, total counted",
            get("/search?q=training"),
            "search_posts(limit=20, count=True)",
            lambda: search_posts(engine, "training", limit=20, count=True),
        ),
        (
            "search page 10 (200 hits asked)",
            get("/search?q=training&page=10"),
            "search_posts(limit=200, count=True)",
            lambda: search_posts(engine, "training", limit=200, count=True),
        ),
        (
            "search, rare word",
            get("/search?q=schaatsen%20thialf%20goud"),
            "search_posts(limit=20, count=True)",
            lambda: search_posts(engine, "schaatsen thialf goud", limit=20, count=True),
        ),
        (
            "athlete (20,000 posts)",
            get("/athletes/athlete-7"),
            "timeline export, html (whole)",
            lambda: sum(len(c) for c in export_timeline(engine, "athlete-7", fmt="html")),
        ),
        (
            "athlete, older page",
            get(f"/athletes/athlete-7?after={post_id}"),
            "timeline export, html (whole)",
            lambda: sum(len(c) for c in export_timeline(engine, "athlete-7", fmt="html")),
        ),
        (
            "athlete, tiktok + nl + a year",
            get("/athletes/athlete-7?platform=tiktok&lang=nl&since=2024-01-01&until=2024-12-31"),
            "timeline export, html, same filter",
            lambda: sum(
                len(c)
                for c in export_timeline(
                    engine,
                    "athlete-7",
                    fmt="html",
                    platform="tiktok",
                    since=date(2024, 1, 1),
                    until=date(2024, 12, 31),
                )
            ),
        ),
        (
            "post",
            get(f"/posts/{post_id}"),
            "store.browse.get_post_record",
            lambda: browse.get_post_record(engine, post_id),
        ),
        (
            "status",
            get("/status"),
            "status.refresh_status",
            lambda: refresh_status(engine, settings, roster),
        ),
    ]
    print(f"podium serve on {n:,} posts ({path}); median and max of {ROUNDS} requests, ms")
    print(f"{'page':38} {'podium':>16}   {'baseline':36} {'baseline ms':>16}")
    for name, page, base_name, base in cases:
        pm, px = timed(page)
        bm, bx = timed(base, rounds=3 if "export" in base_name else ROUNDS)
        print(f"{name:38} {pm:8.1f} ({px:5.0f})   {base_name:36} {bm:8.1f} ({bx:5.0f})")
    engine.dispose()


if __name__ == "__main__":
    main()
