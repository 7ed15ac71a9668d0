"""Timeline export speed and memory: podium's streamed export beside plain sqlite3 + json.dumps.

Archives of one athlete with 10,000 and 100,000 posts (bench/corpus.py; a third of the posts
edited, with two count snapshots) are built once and cached under /tmp. Printed side by side:

- rows/s of ``export_timeline(..., fmt="ndjson")`` (hashtags, mentions, sound, counts, edits,
  articles, provenance) and of the same post rows fetched with plain ``sqlite3`` and written with
  ``json.dumps``; goal >= 0.8x.
- peak memory (ru_maxrss of a child process, and tracemalloc's peak) exporting 10k and 100k
  posts in every format; goal: growth <= 20 MB.

    python bench/export.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db
from archive.export import export_timeline
from bench import corpus

VERSION = 1
ATHLETE = "athlete-0"
SIZES = (10_000, 100_000)


def build(n: int) -> str:
    path = f"/tmp/podium-bench-export-v{VERSION}-{n}.db"
    if not os.path.exists(path):
        tmp = path + ".building"
        Path(tmp).unlink(missing_ok=True)
        db.upgrade(f"sqlite:///{tmp}")
        corpus.bulk_load(tmp, n, athletes=1, history=True)
        os.replace(tmp, path)
    return path


def podium_export(path: str, fmt: str) -> int:
    engine = db.make_engine(f"sqlite:///{path}")
    n = 0
    with open(os.devnull, "w", encoding="utf-8") as out:
        for chunk in export_timeline(engine, ATHLETE, fmt=fmt):
            out.write(chunk)
            n += chunk.count("\n") if fmt == "ndjson" else 0
    engine.dispose()
    return n


RAW_SQL = """
SELECT p.id, p.platform, p.platform_post_id, p.url, a.handle, p.posted_at, p.caption,
       p.language, p.declared_language, p.availability, p.views, p.likes, p.comments,
       p.shares, p.saves, s.title, s.artist, p.first_seen_at, p.last_seen_at
FROM post p JOIN account a ON a.id = p.account_id LEFT JOIN sound s ON s.id = p.sound_id
WHERE a.athlete_id = (SELECT id FROM athlete WHERE slug = ?)
ORDER BY p.posted_at, p.id
"""


def raw_export(path: str) -> int:
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    n = 0
    with open(os.devnull, "w", encoding="utf-8") as out:
        for row in con.execute(RAW_SQL, (ATHLETE,)):
            out.write(json.dumps(dict(row), ensure_ascii=False) + "\n")
            n += 1
    con.close()
    return n


def child(path: str, fmt: str) -> None:
    """Run one export in this process; print ru_maxrss (MB) and the tracemalloc peak (MB)."""
    tracemalloc.start()
    podium_export(path, fmt)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rss": rss, "traced": peak / 2**20}))


def measure(path: str, fmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", path, fmt], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--child", nargs=2, metavar=("DB", "FORMAT"), help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    paths = {n: build(n) for n in SIZES}
    big = paths[SIZES[-1]]
    podium_export(big, "ndjson")
    raw_export(big)  # warm the page cache
    ours, theirs = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        rows = podium_export(big, "ndjson")
        ours.append(rows / (time.perf_counter() - t))
        t = time.perf_counter()
        rows_raw = raw_export(big)
        theirs.append(rows_raw / (time.perf_counter() - t))
    assert rows == rows_raw == SIZES[-1], (rows, rows_raw)
    best_ours, best_raw = max(ours), max(theirs)
    print(
        f"timeline export of a {SIZES[-1]:,}-post athlete (SQLite {sqlite3.sqlite_version}), "
        f"best of {args.rounds}"
    )
    print(f"  podium ndjson (with tags, mentions, edits, articles): {best_ours:>9,.0f} rows/s")
    print(f"  plain sqlite3 + json.dumps (post rows only):          {best_raw:>9,.0f} rows/s")
    print(f"  ratio {best_ours / best_raw:.2f}x (goal >= 0.8x)")
    print(f"peak memory, child process per export: {SIZES[0]:,} -> {SIZES[-1]:,} posts")
    print(
        f"  {'format':7} {'ru_maxrss':>19} {'growth':>8}   {'tracemalloc peak':>20} {'growth':>8}"
    )
    for fmt in ("ndjson", "csv", "json", "html"):
        small, large = measure(paths[SIZES[0]], fmt), measure(big, fmt)
        print(
            f"  {fmt:7} {small['rss']:>7.1f} -> {large['rss']:>6.1f} MB "
            f"{large['rss'] - small['rss']:>+6.1f} MB   {small['traced']:>7.1f} -> "
            f"{large['traced']:>6.1f} MB {large['traced'] - small['traced']:>+6.1f} MB"
        )
    print("  goal: growth <= 20 MB")


if __name__ == "__main__":
    main()
