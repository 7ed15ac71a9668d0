"""``podium serve`` on SQLite and the real PostgreSQL: the same pages over the search corpus,
read-only on both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from archive import config as config_mod
from archive import db, store
from archive.normalize import normalize_post
from archive.records import RawPost
from archive.store import browse
from archive.web import create_app, read_only_engine
from tests.archive.test_search import ROSTER, SEEN, seed


@pytest.fixture
def seeded_client(archive_url: str) -> Iterator[tuple[TestClient, dict[str, int], sa.Engine]]:
    writer = db.make_engine(archive_url)
    ids = seed(writer)
    writer.dispose()
    engine = read_only_engine(archive_url)
    settings = config_mod.load(None, database_url=archive_url)
    yield TestClient(create_app(engine, settings, ROSTER)), ids, engine
    engine.dispose()


def test_pages_read_the_same_archive_on_both_backends(
    seeded_client: tuple[TestClient, dict[str, int], sa.Engine],
) -> None:
    client, ids, _ = seeded_client
    found = client.get("/api/search", params={"q": "schaatsen"}).json()
    assert {h["post_id"] for h in found["results"]} == {ids["goud"], ids["rust"]}
    assert client.get("/search", params={"q": "Mädchen"}).text.count("<mark>") == 1
    athlete = client.get("/api/athletes/lotte-van-dijk", params={"lang": "ja"}).json()
    assert [p["id"] for p in athlete["posts"]] == [ids["kin"]]  # declared ja, detected und/ja
    assert athlete["total"] == 1 and sum(w["posts"] for w in athlete["weeks"]) == 1
    tiktok = client.get("/api/athletes/lotte-van-dijk", params={"platform": "tiktok"}).json()
    assert {p["platform"] for p in tiktok["posts"]} == {"tiktok"}
    assert tiktok["top"]["sounds"][0]["title"] == "Kou op het ijs"
    post = client.get(f"/posts/{ids['evil']}")
    assert post.status_code == 200 and "&lt;script&gt;alert(1)&lt;/script&gt;" in post.text
    sound = tiktok["top"]["sounds"][0]["id"]
    assert [p["id"] for p in client.get(f"/api/sounds/{sound}").json()["posts"]] == [ids["rust"]]
    assert client.get("/status").status_code == 200
    assert client.get("/athletes/%00nobody").status_code == 404


def test_the_archive_refuses_writes_on_both_backends(
    seeded_client: tuple[TestClient, dict[str, int], sa.Engine],
) -> None:
    _, _, engine = seeded_client
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match=r"(?i)read.?only"):
        conn.exec_driver_sql("UPDATE athlete SET name = 'x'")


def test_pages_continue_through_dated_then_undated_posts(archive_url: str) -> None:
    """Seven posts at three times (two share one) and three undated: pages of two give each
    once, newest first, the undated last (newest id first), on both backends."""
    writer = db.make_engine(archive_url)
    store.sync_roster(writer, ROSTER)
    times = [datetime(2026, 1, d, tzinfo=UTC) for d in (1, 2, 2, 3)] + [None] * 3
    posts = [
        RawPost(
            platform="tiktok",
            platform_post_id=f"p{n}",
            author_handle="lotte.dijk",
            posted_at=t,
            caption=f"post {n}",
        )
        for n, t in enumerate(times)
    ]
    ids = store.upsert_posts(writer, [normalize_post(p, fetched_at=SEEN) for p in posts]).post_ids
    writer.dispose()
    engine = read_only_engine(archive_url)
    seen: list[str] = []
    after = None
    with engine.connect() as conn:
        athlete_id = store.require_athlete(conn, "lotte-van-dijk")["id"]
    while True:
        rows, _ = browse.athlete_posts_page(
            engine, athlete_id, browse.PostSelection(), after=after, limit=2
        )
        seen += [r[2] for r in rows]
        if len(rows) < 2:
            break
        after = rows[-1][0]
    engine.dispose()
    by_id = {v: k[1] for k, v in ids.items()}
    undated = sorted((ids[("tiktok", f"p{n}")] for n in (4, 5, 6)), reverse=True)
    dated_2 = sorted((ids[("tiktok", f"p{n}")] for n in (1, 2)), reverse=True)
    assert seen == ["p3", *(by_id[i] for i in dated_2), "p0", *(by_id[i] for i in undated)]
