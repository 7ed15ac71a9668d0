"""Search latency at scale: podium's search_posts (Tantivy side index) beside raw FTS5 SQL.

The archive (bench/corpus.py: multilingual, Zipf-like word frequencies, search_text by the real
fold()) is built once by bulk SQL in worker processes and cached outside the repository
(``~/.cache/podium-bench`` or ``--cache``), keyed by a version; the side index beside it is built
by ``archive.store.sync_search_index`` (as ``podium init`` does), and reused while in step.

Then a fixed mix of queries (frequent and rare words, two-word AND, phrases, prefixes, hashtags,
CJK, and the same with the usual filters: athlete, platform, language, hashtag, sound, dates)
runs through ``search_posts(engine, q, limit=20)`` (top 20 by rank, snippets included) and
through plain ``sqlite3``: ``SELECT ... FROM post_fts JOIN post ... WHERE post_fts MATCH ?
ORDER BY rank LIMIT 20`` with the same MATCH expression (and the filters as SQL). Printed: p50
and p95 per kind for both, how many of podium's top 20 are FTS5's top 20, and whether the number
of matching posts is the same. Goals: p95 <= 20 ms at 1M posts, <= 50 ms at 10M.

    python bench/search.py [--posts 1000000] [--rounds 3] [--raw-rounds 1] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db, store
from archive.search import parse_query, search_posts
from bench import corpus

VERSION = 3  # bump when the generator or the schema it is built with changes


def add_cache_option(ap: argparse.ArgumentParser) -> None:
    """``--cache DIR``: where built archives are kept (this bench's and bench/web.py's)."""
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path.home() / ".cache" / "podium-bench",
        help="where built archives are kept (default ~/.cache/podium-bench)",
    )


def build(n: int, cache: Path) -> str:
    """The cached archive of n posts (built when missing), migrated to the current schema."""
    cache.mkdir(parents=True, exist_ok=True)
    path = str(cache / f"search-v{VERSION}-{n}.db")
    if not os.path.exists(path):
        tmp = path + ".building"
        for suffix in ("", "-wal", "-shm"):
            Path(tmp + suffix).unlink(missing_ok=True)
        t0 = time.perf_counter()
        db.upgrade(f"sqlite:///{tmp}")
        corpus.bulk_load(tmp, n, history=None)
        os.replace(tmp, path)
        print(f"built {n:,} posts in {time.perf_counter() - t0:.0f} s -> {path}", file=sys.stderr)
    db.upgrade(f"sqlite:///{path}")
    return path


def queries() -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, query, filters): a fixed mix of about 150 queries."""
    rng = random.Random(3)
    langs = {x.code: x for x in corpus.languages()}
    out: list[tuple[str, str, dict[str, Any]]] = []
    for code in ("nl", "en", "de"):
        out += [("frequent", w, {}) for w in langs[code].words[5:10]]
        out += [("mid", w, {}) for w in langs[code].words[100:105]]
        out += [("rare", w, {}) for w in rng.sample(langs[code].words[3000:], 5)]
    for code in ("nl", "en", "fr"):
        w = langs[code].words
        out += [("and", f"{rng.choice(w[:40])} {rng.choice(w[20:400])}", {}) for _ in range(5)]
    # Phrases: adjacent word pairs as they occur in generated captions.
    for _, text, lang, _, _ in corpus.posts(400, seed=7):
        words = text.split()
        if lang in ("nl", "en", "de", "es") and len(words) > 4 and len(out) < 90:
            i = rng.randrange(len(words) - 3)
            if not words[i].startswith("#") and not words[i + 1].startswith("#"):
                out.append(("phrase", f'"{words[i]} {words[i + 1]}"', {}))
    out = out[:90]
    prefixes = ("traini*", "schaat*", "wereld*", "medai*", "recor*", "kaven*", "dorli*")
    out += [("prefix", p, {}) for p in (*prefixes, "glück*", "entra*", "fina*")]
    out += [("hashtag", f"#tag{i}", {}) for i in (0, 1, 3, 7, 20, 50, 120, 400, 900, 1500)]
    cjk = ("金メダル", "五輪", "練習", "スケート", "金牌", "奥运", "训练", "올림픽", "금메달")
    out += [("cjk", q, {}) for q in (*cjk, "世界 記録")]
    # The usual filters, on frequent words (the expensive case for a rank-everything index).
    frequent = [langs[c].words[i] for c in ("nl", "en") for i in (7, 8, 9)]
    for i, word in enumerate(frequent):
        out += [
            ("filtered", word, {"athlete": f"athlete-{i}"}),
            ("filtered", word, {"platform": "instagram"}),
            ("filtered", word, {"lang": "nl" if i < 3 else "en"}),
            ("filtered", word, {"hashtag": f"tag{i}"}),
            ("filtered", word, {"sound": f"Song {10 + i}"}),
            ("filtered", word, {"since": date(2023, 1, 1), "until": date(2023, 6, 30)}),
        ]
    return out


def raw_sql(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """The plain-SQL baseline: FTS5's best 20 by rank among the posts the filters keep."""
    where, params = [], []
    if "athlete" in filters:
        where.append(
            "p.account_id IN (SELECT a.id FROM account a JOIN athlete t ON t.id = a.athlete_id "
            "WHERE t.slug = ?)"
        )
        params.append(filters["athlete"])
    if "platform" in filters:
        where.append("p.platform = ?")
        params.append(filters["platform"])
    if "lang" in filters:
        where.append("p.language = ?")
        params.append(filters["lang"])
    if "hashtag" in filters:
        where.append(
            "EXISTS (SELECT 1 FROM post_hashtag ph JOIN hashtag h ON h.id = ph.hashtag_id "
            "WHERE ph.post_id = p.id AND h.key = ?)"
        )
        params.append(filters["hashtag"])
    if "sound" in filters:
        where.append("p.sound_id IN (SELECT id FROM sound WHERE title LIKE ? OR artist LIKE ?)")
        params += [f"%{filters['sound']}%"] * 2
    if "since" in filters:
        where.append("p.posted_at >= ? AND p.posted_at <= ?")
        params += [f"{filters['since']} 00:00:00.000000", f"{filters['until']} 23:59:59.999999"]
    sql = (
        "SELECT p.id, p.platform, p.url, p.posted_at, p.caption, -f.rank "
        "FROM post_fts f JOIN post p ON p.id = f.rowid WHERE post_fts MATCH ? "
        + "".join(f" AND {w}" for w in where)
        + " ORDER BY f.rank, p.id LIMIT 20"
    )
    return sql, params


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--posts", type=int, default=1_000_000, help="archive size (default 1M)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of podium queries")
    ap.add_argument("--raw-rounds", type=int, default=1, help="rounds of raw FTS5 queries")
    add_cache_option(ap)
    args = ap.parse_args()
    path = build(args.posts, args.cache)
    engine = db.make_engine(f"sqlite:///{path}")
    t0 = time.perf_counter()
    synced = store.sync_search_index(engine)
    print(
        f"side index: {synced.outcome} ({synced.applied:,} posts) in "
        f"{time.perf_counter() - t0:.1f} s -> {path}.search",
        file=sys.stderr,
    )
    raw = sqlite3.connect(path)
    qs = queries()
    for _, q, f in qs:  # warm the page cache for both
        search_posts(engine, q, **f)
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    ours_cpu: dict[str, list[float]] = {}
    theirs_cpu: dict[str, list[float]] = {}
    overlap: dict[str, list[int]] = {}
    for _ in range(args.rounds):
        for kind, q, f in qs:
            t, c = time.perf_counter(), time.process_time()
            search_posts(engine, q, limit=20, **f)
            ours_cpu.setdefault(kind, []).append((time.process_time() - c) * 1000)
            ours.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    for r in range(args.raw_rounds):
        for kind, q, f in qs:
            sql, params = raw_sql(f)
            t, c = time.perf_counter(), time.process_time()
            rows = raw.execute(sql, (parse_query(q).fts5(), *params)).fetchall()
            theirs_cpu.setdefault(kind, []).append((time.process_time() - c) * 1000)
            theirs.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            if r == 0:
                hits = search_posts(engine, q, limit=20, **f)
                overlap.setdefault(kind, []).append(
                    len({h.post_id for h in hits} & {row[0] for row in rows})
                )
    # The same set of matching posts: the side index's count beside FTS5's, every query.
    same = sum(
        search_posts(engine, q, limit=1, count=True, **f).total
        == search_posts(engine, q, limit=1, count=True, side_index=False, **f).total
        for _, q, f in qs
    )
    print(
        f"search over {args.posts:,} posts, {len(qs)} queries, top 20 by rank with snippets; "
        f"podium {args.rounds} rounds, raw FTS5 {args.raw_rounds} (SQLite {sqlite3.sqlite_version})"
    )
    print(
        "wall-clock ms (p50 / p95), then CPU ms of the searching process (p50 / p95: what the "
        "query costs, less sensitive to other load on the machine)"
    )
    print(
        f"{'kind':10} {'n':>4}  {'podium wall':>15}  {'raw FTS5 wall':>17}  "
        f"{'podium CPU':>13}  {'raw FTS5 CPU':>15}  {'top-20 shared':>13}"
    )
    every = {
        name: [v for vs in d.values() for v in vs]
        for name, d in (("ow", ours), ("tw", theirs), ("oc", ours_cpu), ("tc", theirs_cpu))
    }
    all_overlap = [v for vs in overlap.values() for v in vs]

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):7.1f} /{pct(values, 95):7.1f}"

    for kind in [*ours, "all"]:
        pick = (lambda d, k: every[k]) if kind == "all" else (lambda d, k, kind=kind: d[kind])
        o = all_overlap if kind == "all" else overlap[kind]
        print(
            f"{kind:10} {len(pick(ours, 'ow')) // args.rounds:>4}  {cell(pick(ours, 'ow')):>15}  "
            f"{cell(pick(theirs, 'tw')):>17}  {cell(pick(ours_cpu, 'oc')):>13}  "
            f"{cell(pick(theirs_cpu, 'tc')):>15}  {statistics.mean(o):>10.1f}/20"
        )
    goal = 20 if args.posts <= 1_000_000 else 50
    print(
        f"podium p95 = {pct(every['ow'], 95):.1f} ms wall, {pct(every['oc'], 95):.1f} ms CPU "
        f"(goal <= {goal} ms); raw FTS5 p95 = {pct(every['tw'], 95):.1f} ms wall, "
        f"{pct(every['tc'], 95):.1f} ms CPU; same number of matches as FTS5 for {same}/{len(qs)} "
        f"queries; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
