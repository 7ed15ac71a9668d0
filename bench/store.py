"""Store throughput on SQLite with every table and the full-text index, beside raw sqlite3.

Each post has a 2 KB raw payload, 3 hashtags, a mention, a sound and counts. The posts are
normalized before the clock starts: this measures storage only. Goal: >= 10,000 posts/s.

    python bench/store.py [--posts 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import db, store
from archive.normalize import normalize_post
from archive.records import Payload, RawPost, RawSound

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


def bench_store(posts: list, batch: int, folder: str) -> float:
    url = f"sqlite:///{folder}/archive.db"
    db.upgrade(url)
    engine = db.make_engine(url)
    start = time.perf_counter()
    for i in range(0, len(posts), batch):
        store.upsert_posts(engine, posts[i : i + batch])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(posts) / elapsed


def bench_raw(posts: list, batch: int, folder: str) -> float:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    posts = make_posts(args.posts)
    with tempfile.TemporaryDirectory() as folder:
        podium = bench_store(posts, args.batch, folder)
        raw = bench_raw(posts, args.batch, folder)
    print(f"posts: {args.posts}, batch: {args.batch}")
    print(f"podium store (all tables + FTS5): {podium:10,.0f} posts/s   goal >= 10,000")
    print(f"raw sqlite3 executemany, 1 table: {raw:10,.0f} posts/s")
    print(f"ratio podium/raw: {podium / raw:.2f}")


if __name__ == "__main__":
    main()
