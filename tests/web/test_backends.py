"""``podium serve`` on SQLite and the real PostgreSQL: the same pages over the search corpus,
read-only on both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from archive import config as config_mod
from archive import db
from archive.web import create_app, read_only_engine
from tests.archive.test_search import ROSTER, seed


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
