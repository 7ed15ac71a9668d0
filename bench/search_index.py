"""The search side index alone at scale: Tantivy query latency over n generated posts.

Where building the whole SQLite archive of ``bench/search.py`` at 10M posts does not fit the
machine's time, this builds only the side index (the same schema, tokenizer and documents as
``archive.store.search_index``, from the same generator, cached in ``--cache``) and times the
same query mix through the same query builders: the top 20 by rank with the filters inside the
index, and the post ids of the hits. What it leaves out of ``search_posts``: reading the 20 rows
from SQLite and making snippets (~1 ms at 1M, see ``bench/search.py``).

    python bench/search_index.py [--posts 10000000] [--rounds 3] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.search import parse_query
from archive.store import search_index as si
from archive.store.search_index import TextTerm
from bench import corpus
from bench.search import pct, queries

VERSION = 1


def _docs(job: tuple[int, int, int, int, int, None]) -> list[str]:
    rows, tag_rows, _, _ = corpus._chunk_rows(job)
    tags: dict[int, list[str]] = {}
    for pid, tag_id, _pos in tag_rows:
        tags.setdefault(pid, []).append(corpus.HASHTAGS[tag_id - 1])
    out = []
    for r in rows:
        pid, platform, _, account, _, ts, _, _, lang, sound, *_rest, folded = r
        doc: dict[str, Any] = {
            "post": pid,
            "text": folded,
            "platform": platform,
            "account": account,
            "lang": [lang],
            "posted": si.micros(ts),
            "tag": tags.get(pid, []),
        }
        if sound is not None:
            doc["sound"] = sound
        out.append(json.dumps(doc, ensure_ascii=False))
    return out


def build(n: int, cache: Path) -> tantivy.Index:
    path = cache / f"search-index-only-v{VERSION}-{n}"
    done = path / "built"
    if not done.exists():
        path.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        index = si._register(tantivy.Index(si.SCHEMA, str(path), reuse=False))
        writer = index.writer(512_000_000, 2)
        jobs = [
            (first, min(corpus.CHUNK, n - first), n, 7, 50, None)
            for first in range(0, n, corpus.CHUNK)
        ]
        with multiprocessing.get_context("fork").Pool(2) as pool:
            for docs in pool.imap(_docs, jobs):
                for d in docs:
                    writer.add_json(d)
        writer.commit()
        writer.wait_merging_threads()
        done.write_text(f"{time.perf_counter() - t0:.0f} s\n")
        print(
            f"built the index of {n:,} posts in {time.perf_counter() - t0:.0f} s", file=sys.stderr
        )
    return si._register(tantivy.Index.open(str(path)))


def query_for(searcher: tantivy.Searcher, q: str, f: dict[str, Any]) -> Any:
    parsed = parse_query(q)
    musts = [
        si.any_of([si.text_query(TextTerm(t.tokens, t.prefix), searcher) for t in g])
        for g in parsed.groups
    ]
    musts += [
        si.keyword("tag", t.key or "")
        for g in parsed.groups
        for t in g
        if t.form == "hashtag" and len(g) == 1
    ]
    if "athlete" in f:
        a = int(f["athlete"].split("-")[1])
        musts.append(si.one_of("account", [a * 5 + p + 1 for p in range(5)]))
    if "platform" in f:
        musts.append(si.keyword("platform", f["platform"]))
    if "lang" in f:
        musts.append(si.keyword("lang", f["lang"]))
    if "hashtag" in f:
        musts.append(si.keyword("tag", f["hashtag"]))
    if "sound" in f:
        ids = [i + 1 for i in range(500) if f["sound"] in f"Song {i}"]
        musts.append(si.one_of("sound", ids))
    if "since" in f:
        start = datetime.combine(f["since"], datetime.min.time(), tzinfo=UTC)
        end = datetime.combine(f["until"], datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
        musts.append(si.posted_between(start, end, end_inclusive=False))
    return si.all_of(musts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "podium-bench")
    args = ap.parse_args()
    index = build(args.posts, args.cache)
    searcher = index.searcher()
    qs = queries()
    for _, q, f in qs:
        searcher.search(query_for(searcher, q, f), 20)
    times: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for kind, q, f in qs:
            t = time.perf_counter()
            hits = searcher.search(query_for(searcher, q, f), 20, count=False).hits
            si.post_ids(searcher, hits)
            times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    print(
        f"side index alone over {args.posts:,} posts ({searcher.num_segments} segments), "
        f"{len(qs)} queries x {args.rounds} rounds, top 20 by rank"
    )
    every = [v for vs in times.values() for v in vs]
    for kind in [*times, "all"]:
        a = every if kind == "all" else times[kind]
        print(f"{kind:10} p50 {statistics.median(a):6.2f} ms  p95 {pct(a, 95):6.2f} ms")


if __name__ == "__main__":
    main()
