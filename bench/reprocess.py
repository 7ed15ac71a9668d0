"""Reprocess throughput: posts/s re-derived with one worker beside one worker per core, one run.

Builds a SQLite archive of N TikTok posts as a crawl stores them (each with a ~2 KB web item,
bench/store.py's, as its raw payload: hashtags, a mention, a sound, counts), derived by the
previous normalizer version, whose "older rule" left the language of one post in five
undetermined, so that a real share of rows is rewritten. Then ``archive.reprocess.reprocess``
runs on two identical copies: with 1 worker (in-process) and with ``os.cpu_count()`` workers (a
process pool), each timed from the first read to the last write, worker start-up included.
Goal: >= 1.7x on 2 cores. A pool starts only workers that get
``archive.reprocess.POOL_MIN_POSTS_PER_WORKER`` posts each (below that the second run is in
process too, 1x by design); the default size is well above it. The CPU time of all processes
and the load average are printed too: on a machine other work keeps busy, the wall-clock
speedup says more about the neighbours than about the pool.

    python bench/reprocess.py [--posts 30000] [--workers N]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import random
import resource
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db, normalize, store
from archive.platforms import parse_payload
from archive.records import NormalizedPost, Payload, RawPost
from archive.reprocess import ReprocessReport, reprocess
from bench.store import WORDS, item_json


def make_posts(n: int, distinct: int = 500) -> list[NormalizedPost]:
    """n posts as a crawl stores them, under the previous normalizer version: a ~2 KB web item
    each, parsed and normalized, the item kept as the raw payload. Captions come from a pool
    of ``distinct``; their languages are detected once each here (cached while building, and
    one caption in five, those naming Thialf, left undetermined: the "older rule")."""
    rng = random.Random(7)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    captions = [
        " ".join(rng.choice(WORDS) for _ in range(14))
        + (" in Thialf" if i % 5 == 0 else "")
        + f" #schaatsen #tag{i % 500} #seizoen{i % 7} @ploeg{i % 40}.nl"
        for i in range(distinct)
    ]
    real = (normalize.detect_clean, normalize.NORMALIZER_VERSION)
    cached = functools.lru_cache(maxsize=None)(real[0])

    def older_rule(
        text: str, prior: tuple[str, ...] = (), declared: str | None = None
    ) -> tuple[str, float]:
        return ("und", 0.0) if "Thialf" in text else cached(text, prior, declared)

    normalize.detect_clean = older_rule  # type: ignore[assignment]
    normalize.NORMALIZER_VERSION = str(int(real[1]) - 1)
    try:
        posts = []
        for i in range(n):
            raw = RawPost(
                platform="tiktok",
                platform_post_id=str(7_300_000_000_000_000_000 + i),
                author_handle=f"athlete{i % 50}",
                author_id=str(1000 + i % 50),
                posted_at=1_700_000_000 + i * 600,
                counts={"views": 1000 + i, "likes": i % 300, "comments": 3, "shares": 1},
            )
            body = item_json(raw, captions[i % distinct], rng)
            parsed = parse_payload(body, platform="tiktok").posts[0]
            post = normalize.normalize_post(parsed, fetched_at=at)
            posts.append(dataclasses.replace(post, payload=Payload(body, None, at, "tiktok")))
    finally:
        normalize.detect_clean, normalize.NORMALIZER_VERSION = real  # type: ignore[assignment]
    return posts


def build(posts: int, folder: str) -> str:
    """An archive of ``posts`` posts at the previous normalizer version; returns its path."""
    path = f"{folder}/archive.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url)
    batch = make_posts(posts)
    for i in range(0, len(batch), 500):
        store.upsert_posts(engine, batch[i : i + 500])
    engine.dispose()  # the last connection checkpoints the WAL: the file alone is the archive
    return path


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(path: str, copy: str, workers: int) -> tuple[ReprocessReport, float]:
    """Reprocess a fresh copy of the archive with ``workers`` workers; the report and the CPU
    seconds it took (all processes)."""
    shutil.copyfile(path, copy)
    engine = db.make_engine(f"sqlite:///{copy}")
    try:
        before = cpu_seconds()
        report = reprocess(engine, workers=workers)
        return report, cpu_seconds() - before
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=30000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = build(args.posts, folder)
        load = os.getloadavg()[0]
        one, cpu_one = run(path, f"{folder}/one.db", 1)
        many, cpu_many = run(path, f"{folder}/many.db", args.workers)
        load = max(load, os.getloadavg()[0])
    assert (one.changed, one.unchanged) == (many.changed, many.unchanged)
    print(
        f"posts: {args.posts} ({one.changed} changed, {one.unchanged} unchanged); "
        f"cores: {os.cpu_count()}; load average (1 min) up to {load:.1f}"
    )
    for label, r, cpu in (
        ("1 worker (in process)", one, cpu_one),
        (
            f"{many.workers} workers (process pool)"
            if many.workers > 1
            else f"{args.workers} asked, in process",
            many,
            cpu_many,
        ),
    ):
        print(
            f"reprocess, {label:26} {r.rederived / r.seconds:7,.0f} posts/s  "
            f"({r.seconds:5.1f} s wall, {cpu:5.1f} s CPU in all processes)"
        )
    print(
        f"speedup: {one.seconds / many.seconds:.2f}x   goal >= 1.7x on 2 cores "
        f"(CPU the pool spent beyond one process: {cpu_many / cpu_one - 1:+.0%})"
    )


if __name__ == "__main__":
    main()
