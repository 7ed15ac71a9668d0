"""The archive opens in Datasette with ``?_search=`` working on ``post`` (run in-process)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from datasette.utils import detect_fts
from sqlalchemy.engine import Engine, make_url

from archive import db
from archive.search import search_posts
from tests.archive.test_search import seed

BEFORE = "5c1e9a7b3d20"  # the revision whose content='post' Datasette could not see


def _path(sqlite_url: str) -> Path:
    return Path(str(make_url(sqlite_url).database))


def _fts_of_post(path: Path) -> str | None:
    con = sqlite3.connect(path)
    try:
        found: str | None = detect_fts(con, "post")
    finally:
        con.close()
    return found


async def _get(path: Path, query: str) -> Any:
    ds = Datasette([str(path)])
    await ds.invoke_startup()
    response = await ds.client.get(f"/{path.stem}/post.json", params=query)
    assert response.status_code == 200, response.text
    return response.json()


def _search(path: Path, text: str) -> set[int]:
    rows = asyncio.run(_get(path, f"_search={text}&_shape=array&_col=id&_size=max"))
    return {row["id"] for row in rows}


@pytest.fixture
def archive(sqlite_engine: Engine, sqlite_url: str) -> tuple[Path, dict[str, int]]:
    return _path(sqlite_url), seed(sqlite_engine)


def test_datasette_finds_the_index_of_post(archive: tuple[Path, dict[str, int]]) -> None:
    path, _ = archive
    assert _fts_of_post(path) == "post_fts"
    page = asyncio.run(_get(path, "_search=schaatsen"))
    assert page["filtered_table_rows_count"] == 2  # the search is applied, not ignored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schaatsen", {"goud", "rust"}),
        ("SCHAATSEN", {"goud", "rust"}),  # FTS5 lower-cases; the index holds folded text
        ("madchen", {"madchen"}),
        ("training world", {"record", "luck"}),
        ('"world record"', {"record"}),
        ("五輪", {"kin"}),  # a two-character CJK word is one bigram token
        ("🥇", {"goud", "kin"}),
        ("nowhere", set()),
    ],
)
def test_post_answers_search_with_the_matching_rows(
    archive: tuple[Path, dict[str, int]], text: str, expected: set[str]
) -> None:
    path, ids = archive
    assert _search(path, text) == {ids[k] for k in expected}


def test_where_datasette_plain_search_differs_from_podium_search(
    archive: tuple[Path, dict[str, int]], sqlite_engine: Engine
) -> None:
    """The README's caveats: Datasette queries the folded text raw, without the query's fold."""
    path, ids = archive
    for text in ("Mädchen", "Sølv", "金メダル"):
        assert _search(path, text) == set(), text  # not folded / not split into bigrams
        assert search_posts(sqlite_engine, text), text
    assert _search(path, "金メ メダ") == {ids["kin"]}  # the bigrams themselves do match


def test_migration_declares_content_for_datasette_and_downgrade_restores_it(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    path = _path(sqlite_url)
    ids = seed(sqlite_engine)
    sqlite_engine.dispose()
    db.downgrade(sqlite_url, BEFORE)
    assert _fts_of_post(path) is None
    ignored = asyncio.run(_get(path, "_search=madchen&_shape=array&_col=id&_size=max"))
    assert len(ignored) == len(ids)  # the old declaration: _search silently ignored
    assert [h.post_id for h in search_posts(sqlite_engine, "madchen")] == [ids["madchen"]]
    db.upgrade(sqlite_url)
    assert _fts_of_post(path) == "post_fts"
    assert _search(path, "madchen") == {ids["madchen"]}
    assert [h.post_id for h in search_posts(sqlite_engine, "madchen")] == [ids["madchen"]]
