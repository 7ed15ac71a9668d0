"""A PostgreSQL archive of N synthetic posts, bulk-loaded with COPY, for the scale figures.

The captions, languages, hashtags and counts are bench/corpus.py's (``corpus.posts``, the real
``fold()`` for ``search_text``); this module only writes them into a migrated PostgreSQL archive
the fast way, and adds what a crawled archive also holds: one raw payload (a compressed JSON
listing page) per 20 posts, a ``post_version`` per post (two for every third post) and a
``metric_snapshot`` beside each version. Secondary indexes and foreign keys are dropped for the
load and rebuilt afterwards (one sort per index is much faster than a row-at-a-time update),
each rebuild timed. The corpus is made in chunks, in parallel processes, each chunk with its own
seed: chunk k is ``corpus.posts(chunk, seed=7 + k)`` with ids and times offset to its place.

    python bench/pg_corpus.py --posts 1000000 --db postgresql://postgres@127.0.0.1/podium_bench_1m
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import re
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db
from archive.textfold import fold
from bench import corpus

CHUNK = 100_000
PAGE = 20  # posts per raw payload: one listing page
ATHLETES = 500
SOUNDS = 500
START = datetime(2022, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
LOADED = ("post", "post_hashtag", "post_version", "metric_snapshot", "raw_payload")

POST_COLUMNS = (
    "id, platform, platform_post_id, account_id, url, posted_at, caption, body, source_kind, "
    "language, language_confidence, sound_id, is_repost, is_pinned, availability, likes, views, "
    "first_seen_at, last_seen_at, normalizer_version, search_text, raw_payload_id"
)


def sqlalchemy_url(url: str) -> str:
    """The psycopg 3 SQLAlchemy URL for a libpq URL."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def libpq_url(url: str) -> str:
    """The libpq URL for a SQLAlchemy one."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def accounts() -> list[tuple[int, int, str]]:
    """(account id, athlete id, platform) for every athlete on every platform."""
    return [
        (a * len(corpus.PLATFORMS) + p + 1, a + 1, plat)
        for a in range(ATHLETES)
        for p, plat in enumerate(corpus.PLATFORMS)
    ]


def load_fixed(conn: psycopg.Connection) -> None:
    """Athletes, accounts, hashtags and sounds: the rows every post points to."""
    with conn.cursor() as cur:
        with cur.copy(
            "COPY athlete (id, slug, name, sport, country, created_at, updated_at) FROM STDIN"
        ) as cp:
            for a in range(ATHLETES):
                cp.write_row(
                    (a + 1, f"athlete-{a}", f"Athlete {a}", "speed skating", "NL", NOW, NOW)
                )
        with cur.copy(
            "COPY account (id, athlete_id, platform, platform_account_id, handle, "
            "handle_key, first_seen_at, last_seen_at) FROM STDIN"
        ) as cp:
            for acc, ath, plat in accounts():
                handle = f"handle{ath}.{plat}"
                cp.write_row((acc, ath, plat, f"id{acc}", handle, handle, NOW, NOW))
        with cur.copy("COPY hashtag (id, key, display) FROM STDIN") as cp:
            for i, t in enumerate(corpus.HASHTAGS):
                cp.write_row((i + 1, t, t))
        with cur.copy(
            "COPY sound (id, platform, sound_key, title, artist, is_original) FROM STDIN"
        ) as cp:
            for i in range(SOUNDS):
                cp.write_row((i + 1, "tiktok", f"id:{i}", f"Song {i}", f"Artist {i % 50}", False))
    conn.commit()


def _item(pid: int, text: str, posted: datetime, likes: int, rng: random.Random) -> dict:
    """One post as a platform's listing JSON carries it (~0.8 KB)."""
    sig = f"{rng.getrandbits(128):032x}"
    return {
        "id": f"p{pid}",
        "desc": text,
        "createTime": int(posted.timestamp()),
        "author": {"id": str(pid % 2500), "secUid": "MS4wLjABAAAA" + sig * 2},
        "stats": {"diggCount": str(likes), "playCount": str(likes * 10), "shareCount": "0"},
        "video": {
            "duration": rng.randint(5, 60),
            "cover": f"https://p16-sign.example/obj/{sig}~tplv-cover.jpeg?x-signature={sig}",
            "playAddr": f"https://v16-webapp.example/video/{sig}/?mime_type=video_mp4&l={sig}",
        },
    }


def load_chunk(args: tuple[str, int, int, int]) -> int:
    """Generate and COPY posts [first, first + count) of an n-post corpus; returns count."""
    url, first, count, n = args
    k = first // CHUNK
    rng = random.Random(1000 + k)
    accs = accounts()
    tag_id = {t: i + 1 for i, t in enumerate(corpus.HASHTAGS)}
    step = timedelta(days=4 * 365) / n
    posts, tags, versions, snaps, payloads = [], [], [], [], []
    page: list[dict] = []
    for i, text, lang, _, post_tags in corpus.posts(count, seed=7 + k):
        pid = first + i + 1
        acc, _, plat = accs[(pid - 1) % len(accs)]
        posted = START + step * (pid - 1)
        likes = rng.randint(0, 50_000)
        payload_id = (pid - 1) // PAGE + 1
        posts.append(
            (
                pid,
                plat,
                f"p{pid}",
                acc,
                f"https://example.org/{plat}/{pid}",
                posted,
                text,
                text,
                "platform",
                lang,
                0.9,
                (pid % SOUNDS) + 1 if plat == "tiktok" else None,
                False,
                False,
                "active",
                likes,
                likes * 10,
                posted,
                NOW,
                "bench",
                fold(text),
                payload_id,
            )
        )
        tags += [(pid, tag_id[t], pos) for pos, t in enumerate(post_tags)]
        versions.append(
            (pid, hashlib.sha256(text.encode()).hexdigest(), "platform", text, text, posted)
        )
        snaps.append((pid, posted, likes))
        if pid % 3 == 0:
            edited = text + " (edited)"
            versions.append(
                (pid, hashlib.sha256(edited.encode()).hexdigest(), "platform", edited, edited, NOW)
            )
            snaps.append((pid, NOW, likes + 1))
        page.append(_item(pid, text, posted, likes, rng))
        if pid % PAGE == 0 or i == count - 1:
            body = json.dumps({"itemList": page, "hasMore": True}).encode()
            payloads.append(
                (
                    payload_id,
                    hashlib.sha256(body).hexdigest(),
                    f"https://example.org/{plat}/list?page={payload_id}",
                    posted,
                    "bench",
                    "application/json",
                    len(body),
                    zlib.compress(body, 1),
                )
            )
            page = []
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        for table, columns, rows in (
            (
                "raw_payload",
                "id, sha256, source_url, fetched_at, parser_kind, content_type, size, data",
                payloads,
            ),
            ("post", POST_COLUMNS, posts),
            ("post_hashtag", "post_id, hashtag_id, position", tags),
            (
                "post_version",
                "post_id, body_hash, source_kind, caption, body, observed_at",
                versions,
            ),
            ("metric_snapshot", "post_id, captured_at, likes", snaps),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
    return count


#: Copy k of the source corpus: ids moved past the k earlier copies, times squeezed into the
#: k-th of ``copies`` equal slices of the corpus' four years, hashes made unique again.
_REPLICA_SQL = {
    "raw_payload": (
        "id, sha256, source_url, fetched_at, parser_kind, content_type, size, data",
        "SELECT id + {k} * {payloads}, encode(sha256(convert_to(sha256 || '/{k}', 'UTF8')), "
        "'hex'), source_url || '&copy={k}', {time:fetched_at}, parser_kind, content_type, size, "
        "data FROM raw_payload",
    ),
    "post": (
        POST_COLUMNS,
        "SELECT id + {k} * {posts}, platform, 'p' || (id + {k} * {posts}), account_id, "
        "url || '/{k}', {time:posted_at}, caption, body, source_kind, language, "
        "language_confidence, sound_id, is_repost, is_pinned, availability, likes, views, "
        "{time:first_seen_at}, last_seen_at, normalizer_version, search_text, "
        "raw_payload_id + {k} * {payloads} FROM post",
    ),
    "post_hashtag": (
        "post_id, hashtag_id, position",
        "SELECT post_id + {k} * {posts}, hashtag_id, position FROM post_hashtag",
    ),
    "post_version": (
        "post_id, body_hash, source_kind, caption, body, observed_at",
        "SELECT post_id + {k} * {posts}, body_hash, source_kind, caption, body, "
        "{time:observed_at} FROM post_version",
    ),
    "metric_snapshot": (
        "post_id, captured_at, likes",
        "SELECT post_id + {k} * {posts}, {time:captured_at}, likes FROM metric_snapshot",
    ),
}


def _replica_select(sql: str, k: int, copies: int, posts: int, payloads: int) -> str:
    slice_days = 4 * 365 / copies
    start = "timestamptz '2022-01-01 00:00+00'"
    sql = re.sub(
        r"\{time:(\w+)\}",
        lambda m: (
            f"({start} + ({m.group(1)} - {start}) / {copies} + interval '{k * slice_days} days')"
        ),
        sql,
    )
    return sql.format(k=k, posts=posts, payloads=payloads)


def copy_replica(args: tuple[str, str, int, int]) -> int:
    """Stream copy k of the source archive's posts into the target (COPY out, COPY in)."""
    source, target, k, copies = args
    with (
        psycopg.connect(libpq_url(source)) as src,
        psycopg.connect(libpq_url(target)) as dst,
    ):
        posts = src.execute("SELECT max(id) FROM post").fetchone()[0]  # type: ignore[index]
        payloads = src.execute("SELECT max(id) FROM raw_payload").fetchone()[0]  # type: ignore[index]
        dst.execute("SET synchronous_commit = off")
        for table, (columns, select) in _REPLICA_SQL.items():
            query = _replica_select(select, k, copies, posts, payloads)
            with (
                src.cursor().copy(f"COPY ({query}) TO STDOUT") as out,
                dst.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as into,
            ):
                for data in out:
                    into.write(data)
        dst.commit()
    return int(posts)


def _secondary(conn: psycopg.Connection) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(CREATE INDEX statements, (table, name, FK definition)) on the loaded tables."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname LIKE 'ix_%%'",
            (list(LOADED),),
        )
        indexes = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            (list(LOADED),),
        )
        fks = [(r[0], r[1], r[2]) for r in cur.fetchall()]
    return indexes, fks


def build(
    url: str,
    n: int,
    processes: int,
    *,
    keep_indexes: bool = False,
    replicate_from: str | None = None,
    copies: int = 1,
) -> dict[str, float]:
    """Migrate the (existing, empty) database and load n posts; returns timings in seconds.

    ``keep_indexes``: the secondary indexes (the GIN index too) stay and are updated row by row,
    as in a live archive; every committed chunk leaves a complete, searchable archive, so a
    build stopped part-way can still be measured. Foreign keys are dropped either way.
    ``replicate_from``: instead of generating, stream ``copies`` copies of that (built) archive's
    posts, versions, snapshots, tags and payloads, with new ids, unique hashes and times spread
    over the same four years: the same captions, so the same word statistics, ``copies`` times
    over (n is then ignored).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    db.upgrade(sqlalchemy_url(url))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM post")
            if cur.fetchone()[0]:  # type: ignore[index]
                raise SystemExit(f"{url} already holds posts; drop the database first")
        load_fixed(conn)
        indexes, fks = _secondary(conn)
        if keep_indexes:
            indexes = []
        for table, name, _ in fks:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for ddl in indexes:
            conn.execute(f"DROP INDEX {ddl.split()[2]}")
    timings["setup"] = time.perf_counter() - t0
    t = time.perf_counter()
    if replicate_from:
        work: Any = (copy_replica, [(replicate_from, url, k, copies) for k in range(copies)])
    else:
        work = (
            load_chunk,
            [(url, first, min(CHUNK, n - first), n) for first in range(0, n, CHUNK)],
        )
    done = 0
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for count in pool.imap_unordered(*work):
            done += count
            print(f"  {done:,} posts ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    timings["copy"] = time.perf_counter() - t
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for ddl in indexes:
            t = time.perf_counter()
            conn.execute(ddl)
            timings[ddl.split()[2]] = time.perf_counter() - t
        t = time.perf_counter()
        for table, name, definition in fks:
            conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        timings["foreign keys"] = time.perf_counter() - t
        # Ids were given explicitly: move every sequence past them, or the store's next insert
        # would collide with a loaded row.
        for table in ("athlete", "account", "hashtag", "sound", *LOADED):
            if table != "post_hashtag":
                conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        t = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--db", required=True, help="a PostgreSQL URL; the database must exist")
    ap.add_argument("--processes", type=int, default=2, help="parallel generators (default 2)")
    ap.add_argument(
        "--keep-indexes",
        action="store_true",
        help="update the indexes row by row (a live archive's cost) instead of rebuilding them",
    )
    ap.add_argument(
        "--replicate-from",
        metavar="URL",
        help="stream --copies copies of this built corpus instead of generating posts",
    )
    ap.add_argument("--copies", type=int, default=10, help="with --replicate-from (default 10)")
    args = ap.parse_args()
    timings = build(
        args.db,
        args.posts,
        args.processes,
        keep_indexes=args.keep_indexes,
        replicate_from=args.replicate_from,
        copies=args.copies,
    )
    for step, seconds in timings.items():
        print(f"{step:40} {seconds:8.1f} s")


if __name__ == "__main__":
    main()
