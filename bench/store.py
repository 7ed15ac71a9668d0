"""Store throughput with every table and the full-text index, on SQLite and PostgreSQL, beside a
raw one-table insert on each, in one run.

Each post has a 2 KB raw payload, 3 hashtags, a mention, a sound and counts. The posts are
normalized before the clock starts: this measures storage only. Goals: >= 10,000 posts/s on
SQLite, >= 5,000 posts/s on PostgreSQL.

Every podium figure comes from a child process of its own storing the same pickled posts into a
fresh archive; ``--code`` names another checkout (a ``git worktree`` of main) measured beside
this one, so a change is compared with the code before it on the same machine in the same run.

    python bench/store.py [--posts 20000] [--batch 500] [--code ../wt-main]
                          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from archive.normalize import normalize_post  # noqa: E402
from archive.records import Payload, RawPost, RawSound  # noqa: E402
from tests.pgdb import scratch_database  # noqa: E402

PG_URL = os.environ.get(
    "PODIUM_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# What a child process runs: the store of the checkout on its PYTHONPATH, timed.
CHILD = """
import pickle, sys, time
from archive import db, store
url, posts_file, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(posts_file, "rb") as f:
    posts = pickle.load(f)
db.upgrade(url)
engine = db.make_engine(url)
start = time.perf_counter()
for i in range(0, len(posts), batch):
    store.upsert_posts(engine, posts[i : i + batch])
print(len(posts) / (time.perf_counter() - start))
engine.dispose()
"""

WORDS = [
    "schaatsen",
    "training",
    "ijs",
    "goud",
    "race",
    "seizoen",
    "ploeg",
    "wereldbeker",
    "record",
    "sprint",
    "dank",
    "iedereen",
    "morgen",
    "vandaag",
    "weer",
    "samen",
    "baan",
]


def item_json(raw: RawPost, caption: str, rng: random.Random) -> bytes:
    """A ~2 KB TikTok-like web item: what a raw payload of one post looks like."""
    vid = raw.platform_post_id
    signed = "".join(rng.choice("abcdef0123456789") for _ in range(32))
    item = {
        "id": vid,
        "desc": caption,
        "createTime": raw.posted_at,
        "author": {
            "id": raw.author_id,
            "uniqueId": raw.author_handle,
            "nickname": raw.author_handle,
            "secUid": "MS4wLjABAAAA" + signed * 2,
            "verified": False,
            "privateAccount": False,
        },
        "stats": {k: str(v) for k, v in raw.counts.items()},
        "video": {
            "id": vid,
            "duration": rng.randint(5, 60),
            "ratio": "720p",
            "cover": f"https://p16-sign.tiktokcdn.example/obj/{signed}~tplv-cover.jpeg"
            f"?x-expires={raw.posted_at}&x-signature={signed}",
            "playAddr": f"https://v16-webapp.tiktok.example/video/{signed}/?a=1988&br=2400"
            f"&bt=1200&cd=0%7C0%7C1&ch=0&cr=3&cs=0&dr=0&ds=3&er=&expire="
            f"{raw.posted_at}&l={signed}&lr=tiktok&mime_type=video_mp4",
        },
        "music": {
            "id": str(rng.randint(1, 10**18)),
            "title": "original sound",
            "original": True,
            "playUrl": f"https://sf16-ies-music.tiktokcdn.example/obj/{signed}.mp3",
        },
        "textExtra": [{"hashtagName": t, "type": 1} for t in ("schaatsen", "seizoen")],
        "locationCreated": "NL",
        "diversificationLabels": ["Sports", "Winter sports"],
    }
    body = json.dumps(item, ensure_ascii=False)
    return (body[:-1] + ', "pad": "' + "x" * max(0, 2000 - len(body)) + '"}').encode()


def make_posts(n: int, distinct: int = 1000) -> list:
    """n posts; captions come from a pool of ``distinct`` normalized ones (langdetect is slow)."""
    rng = random.Random(7)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    pool = []
    for i in range(min(n, distinct)):
        words = " ".join(rng.choice(WORDS) for _ in range(14))
        caption = f"{words} #schaatsen #tag{i % 500} #seizoen{i % 7} @ploeg{i % 40}.nl"
        raw = RawPost(
            platform="tiktok",
            platform_post_id="0",
            posted_at=1_700_000_000,
            caption=caption,
            sound=RawSound(f"Song {i % 200}", f"Artist {i % 90}", False, str(i % 200)),
        )
        pool.append(normalize_post(raw, fetched_at=at))
    posts = []
    for i in range(n):
        base = pool[i % len(pool)]
        raw = RawPost(
            platform="tiktok",
            platform_post_id=str(7_300_000_000_000_000_000 + i),
            author_handle=f"athlete{i % 50}",
            author_id=str(1000 + i % 50),
            posted_at=1_700_000_000 + i * 600,
            caption=base.caption,
            counts={"views": 1000 + i, "likes": i % 300, "comments": 3, "shares": 1, "saves": "2"},
        )
        # Normalized without its caption (langdetect is slow), then given the pool's text.
        bare = normalize_post(dataclasses.replace(raw, caption=""), fetched_at=at)
        post = dataclasses.replace(bare, caption=base.caption, text=base.text)
        caption = base.caption
        body = item_json(raw, caption, rng)
        posts.append(dataclasses.replace(post, payload=Payload(body, None, at, "bench")))
    return posts


def podium_store(code: Path, url: str, posts_file: str, batch: int) -> float:
    """posts/s of the store of the checkout at ``code``, in a child process."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, posts_file, str(batch)],
        env=env,
        cwd=code,
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"the store of {code} failed:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def raw_sqlite(posts: list, batch: int, folder: str) -> float:
    """posts/s of plain sqlite3 executemany into one table (payload uncompressed)."""
    conn = sqlite3.connect(f"{folder}/raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE post (platform TEXT, platform_post_id TEXT, caption TEXT, "
        "posted_at TEXT, likes INT, payload BLOB, UNIQUE (platform, platform_post_id))"
    )
    rows = [
        (
            p.platform,
            p.platform_post_id,
            p.caption,
            p.posted_at.isoformat(),
            p.counts.likes,
            p.payload.body,
        )
        for p in posts
    ]
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO post VALUES (?, ?, ?, ?, ?, ?)", rows[i : i + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def raw_postgres(posts: list, batch: int, url: str) -> float:
    """posts/s of plain psycopg executemany into one table (payload uncompressed)."""
    import psycopg

    rows = [
        (p.platform, p.platform_post_id, p.caption, p.posted_at, p.counts.likes, p.payload.body)
        for p in posts
    ]
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE raw_post (platform TEXT, platform_post_id TEXT, caption TEXT, "
            "posted_at TIMESTAMPTZ, likes BIGINT, payload BYTEA, "
            "UNIQUE (platform, platform_post_id))"
        )
        start = time.perf_counter()
        for i in range(0, len(rows), batch):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO raw_post VALUES (%s, %s, %s, %s, %s, %s)", rows[i : i + batch]
                )
        return len(rows) / (time.perf_counter() - start)


def postgres_figures(
    args: argparse.Namespace, posts: list, posts_file: str
) -> tuple[dict[str, float], str | None]:
    """The PostgreSQL figures, or why there are none (the server is not reachable)."""
    figures = {}
    try:
        for label, code in (("now", ROOT), ("before", args.code)):
            if code is not None:
                with scratch_database(args.postgres, "podium_bench_store") as url:
                    figures[label] = podium_store(code, url, posts_file, args.batch)
        with scratch_database(args.postgres, "podium_bench_store") as url:
            figures["raw"] = raw_postgres(posts, args.batch, url)
    except sa.exc.OperationalError as exc:
        return figures, str(exc).splitlines()[0]
    return figures, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--code", type=Path, help="another checkout to measure beside this one (e.g. main's)"
    )
    parser.add_argument("--postgres", default=PG_URL, help="a PostgreSQL server ('' to skip)")
    args = parser.parse_args()
    posts = make_posts(args.posts)
    with tempfile.TemporaryDirectory() as folder:
        posts_file = f"{folder}/posts.pickle"
        with open(posts_file, "wb") as f:
            pickle.dump(posts, f)
        sqlite_now = podium_store(ROOT, f"sqlite:///{folder}/now.db", posts_file, args.batch)
        sqlite_before = (
            podium_store(args.code, f"sqlite:///{folder}/before.db", posts_file, args.batch)
            if args.code
            else None
        )
        sqlite_raw = raw_sqlite(posts, args.batch, folder)
        pg, pg_missing = postgres_figures(args, posts, posts_file) if args.postgres else ({}, "")
    print(f"posts: {args.posts}, batch: {args.batch}, SQLite {sqlite3.sqlite_version}")
    print(f"{'':44}{'posts/s':>10}{'/ raw':>8}")

    def line(label: str, rate: float, raw: float) -> None:
        print(f"  {label:42}{rate:>10,.0f}{rate / raw:>8.2f}")

    print("SQLite (goal >= 10,000 posts/s)")
    line("podium store, all tables + FTS5", sqlite_now, sqlite_raw)
    if sqlite_before is not None:
        line(f"podium store of {args.code}", sqlite_before, sqlite_raw)
    line("raw sqlite3 executemany, 1 table", sqlite_raw, sqlite_raw)
    if pg_missing is not None:
        print(f"PostgreSQL: not measured ({pg_missing or 'skipped'})")
    else:
        print("PostgreSQL (goal >= 5,000 posts/s)")
        line("podium store, all tables + tsvector", pg["now"], pg["raw"])
        if "before" in pg:
            line(f"podium store of {args.code}", pg["before"], pg["raw"])
        line("raw psycopg executemany, 1 table", pg["raw"], pg["raw"])


if __name__ == "__main__":
    main()
