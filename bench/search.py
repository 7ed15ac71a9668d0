"""Search latency on a 1,000,000-post SQLite archive: podium's search_posts beside raw FTS5 SQL.

The archive (bench/corpus.py: multilingual, Zipf-like word frequencies, search_text by the real
fold()) is built once by bulk SQL and cached under /tmp, keyed by a version. Then a fixed mix of
queries (frequent and rare words, two-word AND, phrases, prefixes, hashtags, CJK) runs through
``search_posts(engine, q, limit=20)`` (top 20 by rank, snippets included) and through plain
``sqlite3``: ``SELECT ... FROM post_fts JOIN post ... WHERE post_fts MATCH ? ORDER BY rank
LIMIT 20`` with the same MATCH expression. Goal: podium p95 <= 1.5x raw and <= 50 ms.

    python bench/search.py [--posts 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db
from archive.search import parse_query, search_posts
from bench import corpus

VERSION = 2  # bump when the generator or the schema changes


def build(n: int) -> str:
    path = f"/tmp/podium-bench-search-v{VERSION}-{n}.db"
    if os.path.exists(path):
        return path
    tmp = path + ".building"
    for suffix in ("", "-wal", "-shm"):
        Path(tmp + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    db.upgrade(f"sqlite:///{tmp}")
    corpus.bulk_load(tmp, n)
    os.replace(tmp, path)
    print(f"built {n:,} posts in {time.perf_counter() - t0:.0f} s -> {path}", file=sys.stderr)
    return path


def queries() -> list[tuple[str, str]]:
    """(kind, query): a fixed mix of at least 100 queries."""
    rng = random.Random(3)
    langs = {x.code: x for x in corpus.languages()}
    out: list[tuple[str, str]] = []
    for code in ("nl", "en", "de"):
        out += [("frequent", w) for w in langs[code].words[5:10]]
        out += [("mid", w) for w in langs[code].words[100:105]]
        out += [("rare", w) for w in rng.sample(langs[code].words[3000:], 5)]
    for code in ("nl", "en", "fr"):
        w = langs[code].words
        out += [("and", f"{rng.choice(w[:40])} {rng.choice(w[20:400])}") for _ in range(5)]
    # Phrases: adjacent word pairs as they occur in generated captions.
    gen = corpus.posts(400, seed=7)
    for _, text, lang, _, _ in gen:
        words = text.split()
        if lang in ("nl", "en", "de", "es") and len(words) > 4 and len(out) < 90:
            i = rng.randrange(len(words) - 3)
            if not words[i].startswith("#") and not words[i + 1].startswith("#"):
                out.append(("phrase", f'"{words[i]} {words[i + 1]}"'))
    out = out[:90]
    out += [
        ("prefix", p)
        for p in (
            "traini*",
            "schaat*",
            "wereld*",
            "medai*",
            "recor*",
            "kaven*",
            "dorli*",
            "glück*",
            "entra*",
            "fina*",
        )
    ]
    out += [("hashtag", f"#tag{i}") for i in (0, 1, 3, 7, 20, 50, 120, 400, 900, 1500)]
    out += [
        ("cjk", q)
        for q in (
            "金メダル",
            "五輪",
            "練習",
            "スケート",
            "金牌",
            "奥运",
            "训练",
            "올림픽",
            "금메달",
            "世界 記録",
        )
    ]
    return out


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    path = build(args.posts)
    engine = db.make_engine(f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    raw_sql = (
        "SELECT p.id, p.platform, p.url, p.posted_at, p.caption, -f.rank "
        "FROM (SELECT rowid, rank FROM post_fts WHERE post_fts MATCH ? "
        "ORDER BY rank LIMIT 20) f JOIN post p ON p.id = f.rowid ORDER BY f.rank, p.id"
    )
    qs = queries()
    for _, q in qs:  # warm the page cache for both
        search_posts(engine, q)
        raw.execute(raw_sql, (parse_query(q).fts5(),)).fetchall()
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for kind, q in qs:
            t = time.perf_counter()
            hits = search_posts(engine, q, limit=20)
            ours.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            rows = raw.execute(raw_sql, (parse_query(q).fts5(),)).fetchall()
            theirs.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            if kind != "hashtag":
                assert [h.post_id for h in hits] == [r[0] for r in rows], q
    print(
        f"search over {args.posts:,} posts, {len(qs)} queries x {args.rounds} rounds, top 20 "
        f"by rank (SQLite {sqlite3.sqlite_version})"
    )
    print(f"{'kind':10} {'n':>4}  {'podium p50':>10} {'p95':>7}   {'raw FTS5 p50':>12} {'p95':>7}")
    all_ours = [v for vs in ours.values() for v in vs]
    all_raw = [v for vs in theirs.values() for v in vs]
    for kind in [*ours, "all"]:
        a = all_ours if kind == "all" else ours[kind]
        b = all_raw if kind == "all" else theirs[kind]
        print(
            f"{kind:10} {len(a) // args.rounds:>4}  {statistics.median(a):>8.1f}ms "
            f"{pct(a, 95):>5.1f}ms   {statistics.median(b):>10.1f}ms {pct(b, 95):>5.1f}ms"
        )
    ratio = pct(all_ours, 95) / pct(all_raw, 95)
    print(
        f"p95 podium / raw = {ratio:.2f}x (goal <= 1.5x); podium p95 = "
        f"{pct(all_ours, 95):.1f} ms (goal <= 50 ms)"
    )


if __name__ == "__main__":
    main()
