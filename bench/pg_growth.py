"""How a PostgreSQL archive grows: sizes, search latency and insert rate at 1M and 10M posts.

For each archive given (built by bench/pg_corpus.py), side by side in one run:

- rows and on-disk sizes per table: heap (``pg_relation_size``), TOAST and indexes, total
  (``pg_total_relation_size``); the GIN index on ``post.search_tsv`` on its own; bytes per post;
- search latency with PostgreSQL's own ranking: ``archive.search.search_posts`` (top 20 by
  ``ts_rank``, snippets included) beside the bare SQL it stands on (``WHERE search_tsv @@ q
  ORDER BY ts_rank(search_tsv, q) DESC LIMIT 20``), over a fixed mix of bench/search.py's
  queries, page cache warm; and how many posts each kind of query matches;
- insert rate through the store: 2,000 new posts (bench/scale.py's, with ~2 KB payloads) in
  batches of 500 into the full archive, removed again afterwards.

The last column extrapolates linearly to 100,000,000 posts from the largest archive (sizes
grow with the rows; see README "Running at scale" for what does not).

    python bench/pg_growth.py --db postgresql://postgres@127.0.0.1/podium_bench_1m \\
        --db postgresql://postgres@127.0.0.1/podium_bench_10m
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db, store
from archive.search import parse_query, search_posts
from bench.pg_corpus import libpq_url, sqlalchemy_url
from bench.scale import caption_pool, post_number
from bench.search import pct, queries

TABLES = ("post", "post_version", "metric_snapshot", "raw_payload", "post_hashtag")
GIN = "ix_post__search_tsv"
PER_KIND = 3
INSERTS = 2_000
TARGET = 100_000_000
RAW_SQL = (
    "SELECT id FROM post, to_tsquery('simple', %(q)s) q WHERE search_tsv @@ q "
    "ORDER BY ts_rank(search_tsv, q) DESC LIMIT 20"
)


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB" if n < 10 * 2**30 else f"{n / 2**30:,.1f} GiB"


def sizes(conn: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in TABLES:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM " + table + "), pg_relation_size(%(t)s), "
            "pg_total_relation_size(%(t)s) - pg_relation_size(%(t)s) - pg_indexes_size(%(t)s), "
            "pg_indexes_size(%(t)s), pg_total_relation_size(%(t)s)",
            {"t": table},
        ).fetchone()
        out[table] = dict(zip(("rows", "heap", "toast", "indexes", "total"), row, strict=True))
    out["gin"] = conn.execute("SELECT pg_relation_size(%(i)s)", {"i": GIN}).fetchone()[0]
    out["database"] = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return out


def mix(per_kind: int = PER_KIND) -> list[tuple[str, str]]:
    """The first ``per_kind`` queries of each kind in bench/search.py's mix."""
    picked: dict[str, int] = {}
    out = []
    for kind, q in queries():
        if picked.get(kind, 0) < per_kind:
            picked[kind] = picked.get(kind, 0) + 1
            out.append((kind, q))
    return out


def search(url: str, per_kind: int) -> dict[str, Any]:
    engine = db.make_engine(url)
    qs = mix(per_kind)
    ours: dict[str, list[float]] = {}
    raw: dict[str, list[float]] = {}
    matches: dict[str, list[int]] = {}
    with psycopg.connect(libpq_url(url)) as conn:
        for _, q in qs:  # warm
            conn.execute(RAW_SQL, {"q": parse_query(q).tsquery()}).fetchall()
        for kind, q in qs:
            tsq = parse_query(q).tsquery()
            t = time.perf_counter()
            search_posts(engine, q, limit=20)
            ours.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            conn.execute(RAW_SQL, {"q": tsq}).fetchall()
            raw.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            n = conn.execute(
                "SELECT count(*) FROM post WHERE search_tsv @@ to_tsquery('simple', %(q)s)",
                {"q": tsq},
            ).fetchone()[0]
            matches.setdefault(kind, []).append(n)
    engine.dispose()
    return {"ours": ours, "raw": raw, "matches": matches}


def insert_rate(url: str) -> float:
    pool = caption_pool()
    posts = [post_number(pool, n) for n in range(INSERTS)]
    engine = db.make_engine(url)
    try:
        t = time.perf_counter()
        for i in range(0, len(posts), 500):
            store.upsert_posts(engine, posts[i : i + 500])
        rate = len(posts) / (time.perf_counter() - t)
    finally:
        engine.dispose()
        ids = "SELECT id FROM post WHERE platform_post_id LIKE '73000%%'"
        with psycopg.connect(libpq_url(url)) as conn:
            conn.execute(
                "DELETE FROM raw_payload WHERE id IN "
                f"(SELECT raw_payload_id FROM post WHERE id IN ({ids}))"
            )
            conn.execute(f"DELETE FROM post WHERE id IN ({ids})")
    return rate


def _values(by_kind: dict[str, list[Any]], kind: str) -> list[Any]:
    """One kind's values, or every kind's for ``all``."""
    return [v for vs in by_kind.values() for v in vs] if kind == "all" else by_kind[kind]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", action="append", required=True, help="an archive (repeat)")
    ap.add_argument("--no-insert", action="store_true", help="leave the archives untouched")
    ap.add_argument(
        "--per-kind",
        type=int,
        default=PER_KIND,
        help=f"queries of each kind (default {PER_KIND}; a frequent word takes seconds at 10M)",
    )
    args = ap.parse_args()
    urls = [sqlalchemy_url(u) for u in args.db]
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} "
        f"{load[2]:.1f} at start (shared with other work: figures vary from run to run)"
    )
    results = []
    for url in urls:
        with psycopg.connect(libpq_url(url)) as conn:
            s = sizes(conn)
            version = conn.execute("SHOW server_version").fetchone()[0]
        found = search(url, args.per_kind)
        rate = None if args.no_insert else insert_rate(url)
        results.append((url, s, found, rate))
    print(f"PostgreSQL {version}")
    n_posts = [r[1]["post"]["rows"] for r in results]
    head = f"{'':34}" + "".join(f"{n:>16,}" for n in n_posts) + f"{TARGET:>16,} (linear)"
    print("\nsizes" + head[5:])
    scale = TARGET / n_posts[-1]
    for table in TABLES:
        for part in ("rows", "heap", "toast", "indexes", "total"):
            values = [r[1][table][part] for r in results]
            fmt = (lambda v: f"{round(v):,}") if part == "rows" else mib
            label = f"{table} {part}"
            print(
                f"{label:34}"
                + "".join(f"{fmt(v):>16}" for v in values)
                + f"{fmt(values[-1] * scale):>16}"
            )
    for label, key in (("GIN index on search_tsv", "gin"), ("whole database", "database")):
        values = [r[1][key] for r in results]
        print(
            f"{label:34}"
            + "".join(f"{mib(v):>16}" for v in values)
            + f"{mib(values[-1] * scale):>16}"
        )
    per_post = [r[1]["database"] / n for r, n in zip(results, n_posts, strict=True)]
    print(f"{'database bytes per post':34}" + "".join(f"{v:>16,.0f}" for v in per_post))
    print(
        "\nsearch, top 20 by ts_rank (ms): podium p50 / p95 | bare SQL p50 / p95 | posts matched (median)"
    )
    kinds = list(results[0][2]["ours"])
    for kind in [*kinds, "all"]:
        cells = []
        for _, _, found, _ in results:
            ours, raw, m = (_values(found[side], kind) for side in ("ours", "raw", "matches"))
            cells.append(
                f"{statistics.median(ours):7.1f} /{pct(ours, 95):7.1f} |"
                f"{statistics.median(raw):7.1f} /{pct(raw, 95):7.1f} | {statistics.median(m):>9,.0f}"
            )
        print(f"{kind:10}" + "   ".join(cells))
    if not args.no_insert:
        print(
            f"\ninsert rate through the store, {INSERTS:,} new posts in batches of 500 (posts/s): "
            + "   ".join(f"{n:,} posts: {r[3]:,.0f}" for r, n in zip(results, n_posts, strict=True))
        )


if __name__ == "__main__":
    main()
