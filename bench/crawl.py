"""The demo site crawled at full speed with the whole pipeline, beside the same crawl with no
item pipeline, in one run: pages/s, items/s and the ratio. Goal: the pipeline (validate,
normalize, store) costs at most 25% of crawl throughput.

    python bench/crawl.py [--rounds 3] [--code ../wt-main]

``--code`` names another checkout (a ``git worktree`` of main) whose pipeline is measured too,
in the same rounds, so a change is compared with the code before it under the same load.

Each mode runs in child processes of its own (Twisted's reactor starts once per process); each
child crawls all six spiders at once against the local demo server into a fresh SQLite archive
and reports Scrapy's own figures (pages, items, time from start to close).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPIDERS = ("tiktok", "instagram", "bluesky", "mastodon", "youtube", "news")


def child(mode: str) -> None:
    """Crawl every spider in this process and print pages, items and seconds as JSON."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("LOG_LEVEL", "ERROR")
    settings.set("EXTENSIONS", {"crawler.extensions.ArchiveKnowledge": 100})
    if mode == "bare":
        settings.set("ITEM_PIPELINES", {})
    process = CrawlerProcess(settings)
    crawlers = []
    for name in SPIDERS:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler)
    started = time.perf_counter()
    process.start()
    seconds = time.perf_counter() - started
    pages = sum(c.stats.get_value("response_received_count", 0) for c in crawlers)
    items = sum(
        c.stats.get_value("item_scraped_count", 0) + c.stats.get_value("item_dropped_count", 0)
        for c in crawlers
    )
    print(json.dumps({"pages": pages, "items": items, "seconds": seconds}))


def run_mode(mode: str, env: dict[str, str], database: Path, code: Path = ROOT) -> dict[str, float]:
    from archive import db

    database.unlink(missing_ok=True)
    db.upgrade(f"sqlite:///{database}")
    out = subprocess.run(
        [sys.executable, str(code / "bench" / "crawl.py"), "--child", mode],
        env={**env, "PYTHONPATH": str(code)},
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"the {mode} crawl failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs per mode (the median counts)")
    parser.add_argument(
        "--code", type=Path, help="another checkout whose pipeline is measured too (main's)"
    )
    parser.add_argument("--child", choices=["pipeline", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from demo.job import demo_settings
    from demo.server import DemoServer

    with tempfile.TemporaryDirectory() as tmp, DemoServer() as server:
        database = Path(tmp) / "bench.db"
        settings, base_env = demo_settings(server, Path(tmp), f"sqlite:///{database}")
        env = {
            **os.environ,
            **base_env,
            "SCRAPY_SETTINGS_MODULE": "crawler.settings",
            "PODIUM_CONFIG_DIR": tmp,
            "PODIUM_DATABASE_URL": settings.database_url,
            "PYTHONPATH": str(ROOT),
        }
        modes = {"bare": ("bare", ROOT), "pipeline": ("pipeline", ROOT)}
        if args.code:
            modes["before"] = ("pipeline", args.code.resolve())
        results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
        for _ in range(args.rounds):
            for mode, (child_mode, code) in modes.items():
                results[mode].append(run_mode(child_mode, env, database, code))
    rows = {}
    for mode, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        pages, items = runs[0]["pages"], runs[0]["items"]
        rows[mode] = (pages / seconds, items / seconds, pages, items, seconds)
    print(f"demo site, all six spiders at once, median of {args.rounds} runs per mode")
    print(f"{'mode':<26}{'pages/s':>10}{'items/s':>10}{'pages':>8}{'items':>8}{'seconds':>9}")
    labels = {
        "bare": "no item pipeline",
        "pipeline": "validate+normalize+store",
        "before": f"the same, {args.code}",
    }
    for mode in rows:
        pps, ips, pages, items, seconds = rows[mode]
        print(f"{labels[mode]:<26}{pps:>10.1f}{ips:>10.1f}{pages:>8}{items:>8}{seconds:>9.2f}")
    ratio = rows["pipeline"][1] / rows["bare"][1]
    print(f"ratio pipeline/bare (items/s): {ratio:.2f}  (goal >= 0.75: the pipeline costs <= 25%)")
    if "before" in rows:
        print(f"ratio of {args.code}'s pipeline/bare: {rows['before'][1] / rows['bare'][1]:.2f}")


if __name__ == "__main__":
    main()
