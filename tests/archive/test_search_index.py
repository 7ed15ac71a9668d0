"""The Tantivy side index of a SQLite archive: same answers as FTS5, kept in step, crash-safe."""

from __future__ import annotations

import bisect
import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import tantivy
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import db, store
from archive.cli import cli
from archive.fts5_chars import TOKEN_RANGES
from archive.normalize import normalize_post
from archive.records import RawPost
from archive.search import search_posts
from archive.store import fulltext, search_index
from tests.archive.test_search import (
    MORE_QUERIES,
    OPERATOR_QUERIES,
    QUERIES,
    SEEN,
    keys,
    seed,
    seed_more,
)

MORE = [
    *OPERATOR_QUERIES,
    '"world rec"*',
    "training -@evil",
    "#schaatsen OR #eisschnelllauf",
]
FILTERS: list[dict[str, Any]] = [
    {},
    {"athlete": "femke-kok"},
    {"athlete": "lotte-van-dijk", "platform": "tiktok"},
    {"platform": "bluesky"},
    {"lang": "ja"},
    {"lang": "en"},
    {"hashtag": "schaatsen"},
    {"sound": "rijders"},
    {"since": date(2026, 2, 3), "until": date(2026, 2, 5)},
    {"until": datetime(2026, 2, 4, 10, tzinfo=UTC)},
]


@pytest.fixture
def seeded(sqlite_engine: Engine) -> tuple[Engine, dict[str, int]]:
    ids = seed(sqlite_engine)
    ids.update(seed_more(sqlite_engine))
    return sqlite_engine, ids


@pytest.fixture
def fts5_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The FTS5 path fails the test if it is asked: the side index must answer."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("FTS5 answered a query the side index should have")

    with monkeypatch.context() as m:
        m.setattr(fulltext, "_search_sqlite", refuse)
        yield


def both(engine: Engine, q: str, **kw: Any) -> tuple[list[int], list[int]]:
    """Post ids from the side index and from FTS5, each sorted."""
    side = search_posts(engine, q, limit=1000, **kw)
    fts5 = search_posts(engine, q, limit=1000, side_index=False, **kw)
    return sorted(h.post_id for h in side), sorted(h.post_id for h in fts5)


def index_of(engine: Engine) -> Path:
    path = search_index.index_path(engine)
    assert path is not None
    return path


def test_the_index_lives_beside_the_database_file(sqlite_engine: Engine) -> None:
    assert index_of(sqlite_engine).name == "archive.db.search"
    assert search_index.index_path(db.make_engine("sqlite://")) is None
    assert search_index.index_path(db.make_engine("postgresql+psycopg://u@h/d")) is None


def test_same_posts_as_fts5_for_every_query_and_filter(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    store.sync_search_index(engine)
    for q in [*QUERIES, *MORE_QUERIES, *MORE]:
        for f in FILTERS:
            side, fts5 = both(engine, q, **f)
            assert side == fts5, (q, f)


def test_same_totals_and_date_order_as_fts5(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    for q in [*QUERIES, *MORE]:
        for f in FILTERS[:3]:
            for sort in ("rank", "date"):
                a = search_posts(engine, q, limit=2, count=True, sort=sort, **f)
                b = search_posts(engine, q, limit=2, count=True, sort=sort, side_index=False, **f)
                assert a.total == b.total, (q, f)
                if sort == "date":  # newest first, then by id, undated last
                    assert [h.post_id for h in a] == [h.post_id for h in b], (q, f)


def test_the_side_index_answers_rather_than_fts5(
    seeded: tuple[Engine, dict[str, int]], fts5_refused: None
) -> None:
    engine, ids = seeded
    for q, expected in QUERIES.items():
        assert keys(search_posts(engine, q, limit=100), ids) >= expected, q
    assert search_posts(engine, "training", athlete="femke-kok", count=True, limit=1).total == 2


def store_caption(engine: Engine, caption: str, post_id: str = "edit-1") -> int:
    raw = RawPost(
        platform="tiktok",
        platform_post_id=post_id,
        url=f"https://example.org/tiktok/{post_id}",
        author_handle="lotte.dijk",
        posted_at=datetime(2026, 2, 9, tzinfo=UTC),
        caption=caption,
    )
    result = store.upsert_posts(engine, [normalize_post(raw, fetched_at=SEEN)])
    return result.post_ids[("tiktok", post_id)]


def test_an_edited_caption_is_found_by_its_new_word_only(
    seeded: tuple[Engine, dict[str, int]], fts5_refused: None
) -> None:
    engine, _ = seeded
    pid = store_caption(engine, "Ochtendtraining in de zon #zonnig")
    assert [h.post_id for h in search_posts(engine, "ochtendtraining")] == [pid]
    store_caption(engine, "Avondtraining onder de lampen #donker")
    assert search_posts(engine, "ochtendtraining") == []
    assert search_posts(engine, "#zonnig") == []
    assert [h.post_id for h in search_posts(engine, "avondtraining")] == [pid]
    assert [h.post_id for h in search_posts(engine, "#donker")] == [pid]


def test_a_forgotten_post_is_gone_from_the_index_and_its_words(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    store_caption(engine, "Geheimwoord zeldzaam", "secret-1")
    assert len(search_posts(engine, "geheimwoord")) == 1
    store.forget_post(engine, "https://example.org/tiktok/secret-1")
    assert search_posts(engine, "geheimwoord") == []
    assert search_posts(engine, "geheimwoord", side_index=False) == []
    # Rebuilt from nothing: the word is not even in the term dictionary any more.
    index = tantivy.Index.open(str(index_of(engine)))
    assert index.searcher().doc_freq("text", "geheimwoord") == 0
    assert index.searcher().terms_with_prefix("text", "geheim") == []


def test_a_deleted_index_folder_is_built_again_with_the_same_answers(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    before = {q: search_posts(engine, q, limit=100) for q in QUERIES}
    shutil.rmtree(index_of(engine))
    search_index._forget_opened(index_of(engine))
    assert {q: search_posts(engine, q, limit=100) for q in QUERIES} == before
    assert index_of(engine).is_dir()


def test_too_large_to_rebuild_inline_answers_from_fts5(
    seeded: tuple[Engine, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ids = seeded
    shutil.rmtree(index_of(engine), ignore_errors=True)
    search_index._forget_opened(index_of(engine))
    monkeypatch.setattr(store, "INLINE_REBUILD", 0)
    for q, expected in QUERIES.items():
        assert keys(search_posts(engine, q, limit=100), ids) == expected, q
    assert not index_of(engine).exists()  # left to podium init / reprocess / a crawl's end
    result = CliRunner().invoke(cli, ["init", "--db", str(engine.url)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert store.sync_search_index(engine).outcome == "current"


def test_a_change_the_index_missed_is_caught_up_before_answering(
    seeded: tuple[Engine, dict[str, int]], fts5_refused: None
) -> None:
    """A crash after the database committed and before the index was written: the change is in
    the log (a trigger wrote it in the same transaction), so the next search applies it."""
    engine, ids = seeded
    store.sync_search_index(engine)
    with db.writer(engine).begin() as conn:  # not through the store: plain SQL
        conn.execute(
            sa.text("UPDATE post SET search_text = 'vergeten woord' WHERE id = :id"),
            {"id": ids["goud"]},
        )
    assert [h.post_id for h in search_posts(engine, "vergeten")] == [ids["goud"]]
    assert ids["goud"] not in {h.post_id for h in search_posts(engine, "thialf")}


def test_while_another_process_writes_the_index_search_answers_from_fts5(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    store.sync_search_index(engine)
    pid = store_caption(engine, "Nieuwsgierig naar morgen")
    other = tantivy.Index.open(str(index_of(engine)))
    writer = other.writer(15_000_000, 1)  # holds the lock, as a crawl's catch-up would
    try:
        assert store.sync_search_index(engine).outcome == "busy"
        assert [h.post_id for h in search_posts(engine, "nieuwsgierig")] == [pid]
    finally:
        writer.rollback()
        del writer
    assert [h.post_id for h in search_posts(engine, "nieuwsgierig")] == [pid]


def test_an_older_database_file_put_back_rebuilds_the_index(
    seeded: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    engine, _ = seeded
    store.sync_search_index(engine)
    file = Path(str(engine.url.database))
    engine.dispose()
    with contextlib.closing(sqlite3.connect(file)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(file, tmp_path / "older.db")
    store_caption(engine, "Alleen in de nieuwe versie", "new-1")
    assert len(search_posts(engine, "nieuwe")) == 1
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "older.db", file)
    assert search_posts(engine, "nieuwe") == []


def test_a_read_only_archive_searches_with_fts5(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    ids = seed(engine)
    engine.dispose()
    ro = db.make_engine(f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true")
    assert search_index.index_path(ro) is None
    assert keys(search_posts(ro, "schaatsen"), ids) == {"goud", "rust"}
    assert store.sync_search_index(ro).outcome == "unavailable"
    assert not (tmp_path / "ro.db.search").exists()
    ro.dispose()


def test_the_change_log_is_pruned_once_applied(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    store.sync_search_index(engine)
    store_caption(engine, "Nog een bericht")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM search_change").scalar_one() > 0
    assert store.sync_search_index(engine).outcome == "caught-up"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM search_change").scalar_one() == 0
    assert store.sync_search_index(engine).outcome == "current"


def test_the_token_characters_are_fts5s(tmp_path: Path) -> None:
    """archive.fts5_chars against the running SQLite: the whole BMP, and every range's edges."""
    con = sqlite3.connect(":memory:")
    con.execute(
        'CREATE VIRTUAL TABLE f USING fts5(t, tokenize="unicode61 remove_diacritics 0 '
        "categories 'L* N* Co So'\")"
    )
    edges = {cp + d for a, b in TOKEN_RANGES for cp in (a, b) for d in (-1, 0, 1)}
    points = sorted(
        cp
        for cp in set(range(0x20, 0x10000)) | edges
        if 0x20 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF
    )
    con.executemany(
        "INSERT INTO f(rowid, t) VALUES (?, ?)", ((cp, f"q{chr(cp)}q") for cp in points)
    )
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, instance)")
    tokens_per_row = dict(con.execute("SELECT doc, count(*) FROM v GROUP BY doc"))
    starts = [a for a, _ in TOKEN_RANGES]
    in_ranges = {
        cp
        for cp in points
        if (i := bisect.bisect(starts, cp) - 1) >= 0 and cp <= TOKEN_RANGES[i][1]
    }
    fts5 = {cp for cp in points if tokens_per_row.get(cp) == 1}
    assert fts5 == in_ranges


def test_the_end_of_a_crawl_catches_the_index_up(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    store.sync_search_index(engine)
    run = store.start_crawl_run(
        engine, spider="tiktok", target=None, athlete_slug=None, full_sweep=False
    )
    store_caption(engine, "Gevonden na de crawl", "crawl-1")
    with engine.connect() as conn:
        assert search_index.ready_index(conn) is None  # behind: the new post is not in it yet
    store.finish_crawl_run(engine, run, status="finished")
    with engine.connect() as conn:
        assert search_index.ready_index(conn) is not None  # the store caught it up
    assert store.sync_search_index(engine).outcome == "current"
