"""Migrations: one head, empty to head, down to base and up again with rows, models match."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from archive import db, store
from archive.models import Base
from tests.archive.test_store import observe


def test_single_head() -> None:
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_no_migration_imports_archive_models() -> None:
    for path in (db.ALEMBIC_DIR / "versions").glob("*.py"):
        assert "archive.models" not in path.read_text(encoding="utf-8"), path.name


def test_round_trip_with_rows_present(archive_url: str) -> None:
    engine = db.make_engine(archive_url)
    store.upsert_posts(engine, [observe(n) for n in range(3)])
    engine.dispose()
    db.downgrade(archive_url, "base")
    engine = db.make_engine(archive_url)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    db.upgrade(archive_url)
    engine = db.make_engine(archive_url)
    store.upsert_posts(engine, [observe(n) for n in range(3)])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one() == 3
    engine.dispose()


def test_models_match_migrations(archive_url: str) -> None:
    engine = db.make_engine(archive_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": db.alembic_include_object, "compare_type": True}
        )
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_alembic_check_finds_nothing_to_generate(archive_url: str) -> None:
    """`alembic check`, run as a developer runs it from the repository root, sees no model drift."""
    env = {**os.environ, "PODIUM_DATABASE_URL": archive_url}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr


def test_full_text_index_is_present_at_head(archive_url: str) -> None:
    engine = db.make_engine(archive_url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = set(
                conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
                ).scalars()
            )
            assert {"post_fts", "post_ai", "post_ad", "post_au"} <= names
            trigger = conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'post_au'")
            ).scalar_one()
            assert "UPDATE OF search_text" in trigger
        else:
            cols = {c["name"] for c in sa.inspect(conn).get_columns("post")}
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("post")}
            assert "search_tsv" in cols and "ix_post__search_tsv" in indexes
    engine.dispose()


@pytest.mark.parametrize("statement", ["UPDATE post SET last_seen_at = last_seen_at, likes = 99"])
def test_fts_triggers_fire_only_when_search_text_changes(
    sqlite_engine: sa.Engine, statement: str
) -> None:
    store.upsert_posts(sqlite_engine, [observe(0)])
    with sqlite_engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE fired(n)"))
        conn.execute(
            sa.text(
                "CREATE TEMP TRIGGER watch AFTER INSERT ON post_fts_data "
                "BEGIN INSERT INTO fired VALUES (1); END"
            )
        )
        conn.execute(sa.text(statement))
        assert conn.execute(sa.text("SELECT count(*) FROM fired")).scalar_one() == 0
        conn.execute(sa.text("UPDATE post SET search_text = 'nieuw woord'"))
        assert conn.execute(sa.text("SELECT count(*) FROM fired")).scalar_one() > 0
        hit = conn.execute(sa.text("SELECT rowid FROM post_fts WHERE post_fts MATCH 'nieuw'")).all()
    assert len(hit) == 1
