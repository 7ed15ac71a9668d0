"""Scale-out figures in one run, beside their baseline, with the machine's core count.

Sections (``--only NAME`` runs one):

- ``archive``: PostgreSQL write throughput through the store (``archive.store.upsert_posts``,
  batches of 500, one transaction each) with 1 writer process (the baseline) and 3 at once,
  on disjoint posts and on overlapping ones (every post sent by two of the three writers, in
  different batches and orders, as workers that fetched the same listing would). Each case
  gets a fresh database on the server; afterwards the archive is checked: every post, caption
  version and count snapshot exactly once. Posts carry multilingual captions from
  bench/corpus.py (normalized by the real ``normalize_post``), hashtags, a mention, counts and a
  ~2 KB raw payload; they are made before the clock starts.

Add a section: a function ``(args) -> list[str]`` (its printed lines) in ``SECTIONS``.

    python bench/scale.py [--pg URL] [--posts 12000] [--only archive]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db, store
from archive.normalize import normalize_post
from archive.records import Counts, NormalizedPost, Payload, RawPost
from bench import corpus
from bench.pg_corpus import libpq_url
from tests.pgdb import make_pg_database

BATCH = 500
POOL = 300  # distinct captions normalized per process (langdetect is slow)
AT = datetime(2026, 3, 1, tzinfo=UTC)

# --- posts ---------------------------------------------------------------------------------------


def caption_pool(size: int = POOL) -> list[NormalizedPost]:
    """``size`` normalized posts with corpus captions, plus a mention; the same in every process."""
    out = []
    for i, text, _lang, _posted, _tags in corpus.posts(size, seed=11):
        raw = RawPost(
            platform="tiktok",
            platform_post_id="0",
            author_handle=f"athlete{i % 50}",
            author_id=str(1000 + i % 50),
            posted_at=1_700_000_000,
            caption=f"{text} @ploeg{i % 40}",
        )
        out.append(normalize_post(raw, fetched_at=AT))
    return out


def post_number(pool: list[NormalizedPost], n: int) -> NormalizedPost:
    """Post number n: a pool caption under its own id, time, counts and raw payload."""
    base = pool[n % len(pool)]
    rng = random.Random(n)
    sig = f"{rng.getrandbits(256):064x}"
    ppid = str(7_300_000_000_000_000_000 + n)
    item = {
        "id": ppid,
        "desc": base.caption,
        "author": {"uniqueId": base.author_handle, "secUid": "MS4wLjABAAAA" + sig},
        "stats": {"playCount": 1000 + n, "diggCount": n % 300},
        "video": {"cover": f"https://p16.example/obj/{sig}?x-signature={sig}"},
    }
    body = json.dumps(item, ensure_ascii=False)
    body = body[:-1] + ', "pad": "' + "x" * max(0, 2000 - len(body)) + '"}'
    return dataclasses.replace(
        base,
        platform_post_id=ppid,
        url=f"https://www.tiktok.com/@{base.author_handle}/video/{ppid}",
        posted_at=datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=10 * n),
        counts=Counts(views=1000 + n, likes=n % 300, comments=3, shares=1, saves=2),
        payload=Payload(body.encode(), None, AT, "bench"),
    )


# --- archive section -----------------------------------------------------------------------------


class _Retries(logging.Handler):
    """Counts the store's retries of a transaction after a deadlock or another transient error."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "transient database error" in record.getMessage()


def _writer(url: str, numbers: list[int], barrier: Any, results: Any) -> None:
    """One writer process: make its posts, wait for the others, store them in batches."""
    retries = _Retries()
    logging.getLogger("archive.db").addHandler(retries)
    logging.getLogger("archive.db").propagate = False
    pool = caption_pool()
    posts = [post_number(pool, n) for n in numbers]
    engine = db.make_engine(url)
    barrier.wait()
    start = time.time()
    for i in range(0, len(posts), BATCH):
        store.upsert_posts(engine, posts[i : i + BATCH])
    results.put((start, time.time(), retries.count))
    engine.dispose()


def _plans(total: int) -> dict[str, list[list[int]]]:
    """Which post numbers each writer sends, per case."""
    third = total // 3
    rng = random.Random(3)
    overlapping = []
    for w in range(3):
        # Writer w sends thirds w and w+1: every post goes to two writers, in its own order.
        numbers = [(w * third + i) % total for i in range(2 * third)]
        rng.shuffle(numbers)
        overlapping.append(numbers)
    return {
        "1 writer": [list(range(total))],
        "3 writers, disjoint posts": [list(range(w * third, (w + 1) * third)) for w in range(3)],
        "3 writers, overlapping posts": overlapping,
    }


def _counts(url: str) -> dict[str, int]:
    """Rows per table, by plain psycopg (the bench's own look, not the store's)."""
    with psycopg.connect(libpq_url(url)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("post", "post_version", "metric_snapshot", "raw_payload", "hashtag")
        }


def run_writers(admin_url: str, plan: list[list[int]]) -> tuple[float, int, dict[str, int]]:
    """Run one case in a fresh database: (seconds from first start to last end, transactions
    retried, row counts)."""
    url, drop = make_pg_database(admin_url, "podium_scale")
    try:
        db.upgrade(url)
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(len(plan)), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(url, nums, barrier, results)) for nums in plan]
        for p in procs:
            p.start()
        spans = [results.get(timeout=3600) for _ in procs]
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"a writer failed (exit {p.exitcode})")
        seconds = max(s[1] for s in spans) - min(s[0] for s in spans)
        return seconds, sum(s[2] for s in spans), _counts(url)
    finally:
        drop()


def archive_section(args: argparse.Namespace) -> list[str]:
    """PostgreSQL write throughput through the store: 1 writer beside 3 concurrent ones."""
    total = args.posts - args.posts % 3
    pool = caption_pool()
    distinct_tags = {t.key for n in range(POOL) for t in pool[n].text.hashtags}
    with psycopg.connect(libpq_url(args.pg)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    lines = [
        f"archive writes on PostgreSQL {version} ({db.safe_url(args.pg)}), {total:,} distinct "
        f"posts, batches of {BATCH}, every table + the GIN index",
        f"{'case':30} {'sent':>7} {'seconds':>8} {'sent/s':>7} {'stored/s':>8} {'vs 1':>6} "
        f"{'retried':>7}  check",
    ]
    baseline = None
    for case, plan in _plans(total).items():
        sent = sum(len(p) for p in plan)
        seconds, retried, counts = run_writers(args.pg, plan)
        expected = {"post": total, "post_version": total, "metric_snapshot": total}
        expected |= {"raw_payload": total, "hashtag": len(distinct_tags)}
        check = "ok" if counts == expected else f"WRONG {counts} != {expected}"
        stored = total / seconds
        baseline = baseline or stored
        lines.append(
            f"{case:30} {sent:>7,} {seconds:>8.1f} {sent / seconds:>7,.0f} {stored:>8,.0f} "
            f"{stored / baseline:>5.2f}x {retried:>7}  {check}"
        )
    lines.append(
        "stored/s: distinct posts in the archive per second of wall time, first writer's start "
        "to last writer's end; retried: batches run again after a deadlock (store.upsert_posts "
        "retries them); check: each post, version, snapshot and payload exactly once"
    )
    return lines


def crawl_section(args: argparse.Namespace) -> list[str]:
    """The demo site crawled by 1, 2 and 3 workers beside one process (bench/scale_crawl.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scale_crawl import crawl_lines

    return crawl_lines()


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "crawl": crawl_section,
    "archive": archive_section,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "PODIUM_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL URL whose user may create databases (one per case, dropped after)",
    )
    ap.add_argument("--posts", type=int, default=12_000, help="distinct posts per case")
    ap.add_argument("--only", choices=sorted(SECTIONS), help="run this section only")
    args = ap.parse_args()
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} "
        f"{load[2]:.1f} at start (shared with other work: figures vary from run to run)"
    )
    for name, section in SECTIONS.items():
        if args.only and name != args.only:
            continue
        print(f"\n[{name}]")
        for line in section(args):
            print(line)


if __name__ == "__main__":
    main()
