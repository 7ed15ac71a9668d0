"""A `podium crawl` of one demo spider, in a process of its own, for tests that kill it.

    python -m tests.reliability.drive CONFIG_DIR DATABASE_URL SPIDER [full]

Runs the job as the CLI does (``archive.crawl_progress.run_jobs``: a Scrapy child, its crawl_run row),
with the child's settings module ``tests.reliability.killswitch`` and the demo server's base
URLs taken from this process' environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from archive import config as config_mod
from archive.crawl import CrawlJob
from archive.crawl_progress import run_jobs


def main(argv: list[str]) -> int:
    config_dir, url, spider, *rest = argv
    settings = config_mod.load(Path(config_dir), database_url=url)
    env = {k: v for k, v in os.environ.items() if k.startswith("PODIUM_")}
    env["SCRAPY_SETTINGS_MODULE"] = "tests.reliability.killswitch"
    job = CrawlJob(spider, {"full": "1"} if "full" in rest else {}, f"{spider}:test")
    [outcome] = run_jobs([job], settings, extra_env=env)
    print(outcome.status)
    return 0 if outcome.status in ("finished", "incomplete") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
