"""`podium backup`: a consistent, checked copy of a live SQLite archive while a writer goes on."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import backup, db, store
from archive.cli import cli
from archive.normalize import normalize_post
from archive.records import Payload, RawPost
from archive.search import search_posts

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
SEED = 1200  # posts before the backup starts: a few MB, so the copy takes a while


def pid(n: int) -> str:
    return f"7{n:018d}"


def observe(n: int, *, edit: int = 0) -> store.NormalizedPost:
    caption = f"Training {n} op het ijs #schaatsen @femke.kok" + (f" (edit {edit})" if edit else "")
    at = T0 + timedelta(minutes=edit)
    raw = RawPost(
        platform="tiktok",
        platform_post_id=pid(n),
        url=f"https://www.tiktok.com/@lotte.dijk/video/{pid(n)}",
        author_handle="lotte.dijk",
        author_id="6800000001",
        posted_at=1_760_000_000 + n,
        caption=caption,
        counts={"likes": 10 + edit, "views": 1000},
    )
    post = normalize_post(raw, fetched_at=at)
    body = f'{{"id": "{pid(n)}", "edit": {edit}, "pad": "{"x" * 2000}"}}'.encode()
    return dataclasses.replace(post, payload=Payload(body, raw.url, at, "tiktok"))


def sqlite_path(engine: Engine) -> Path:
    return Path(str(engine.url.database))


class Writer(threading.Thread):
    """Batch b adds post SEED+b and edits post b in one transaction, until stopped."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.batches, self.stop = engine, 0, threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set() and self.batches < SEED:
                b = self.batches
                store.upsert_posts(self.engine, [observe(SEED + b), observe(b, edit=1)])
                self.batches += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


def test_backup_while_a_writer_commits_is_one_consistent_snapshot(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for start in range(0, SEED, 400):
        store.upsert_posts(sqlite_engine, [observe(n) for n in range(start, start + 400)])
    writer = Writer(sqlite_engine)
    writer.start()
    while writer.batches < 3 and writer.is_alive():
        time.sleep(0.01)
    monkeypatch.setattr(backup, "PROGRESS_EVERY", 2_000)  # sample often, and slow the copy
    seen: list[tuple[int, int]] = []

    def progress(written: int, total: int) -> None:
        seen.append((written, total))
        time.sleep(0.003)

    before = writer.batches
    result = backup.backup_archive(
        str(sqlite_engine.url), tmp_path / "copy.db", on_progress=progress
    )
    during = writer.batches - before
    writer.stop.set()
    writer.join()
    assert writer.error is None
    assert during > 0, "the writer committed nothing while the backup ran"
    assert seen and seen[-1][0] == result.size and all(t > 0 for _, t in seen)

    con = sqlite3.connect(result.path, isolation_level=None)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        con.execute("INSERT INTO post_fts(post_fts) VALUES ('integrity-check')")
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert revision == db.current_revision(sqlite_engine) == result.revision
        ids = {p for (p,) in con.execute("SELECT platform_post_id FROM post")}
        k = len(ids) - SEED  # writer batches the snapshot holds
        assert result.posts == len(ids) and before <= k <= before + during
        assert ids == {pid(n) for n in range(SEED + k)}, "not a prefix of the writes"
        versions = dict(
            con.execute(
                "SELECT p.platform_post_id, count(v.id) FROM post p "
                "LEFT JOIN post_version v ON v.post_id = p.id GROUP BY p.id"
            )
        )
        # Batch b's edit of post b is there exactly when batch b's new post is.
        assert all(versions[pid(n)] == (2 if n < k else 1) for n in range(SEED))
        assert all(versions[pid(SEED + b)] == 1 for b in range(k))
        snapshots = con.execute("SELECT count(*) FROM metric_snapshot").fetchone()[0]
        assert snapshots == SEED + 2 * k
        fts = con.execute("SELECT count(*) FROM post_fts_docsize").fetchone()[0]
        assert fts == len(ids)
    finally:
        con.close()
    assert not (tmp_path / "copy.db.part").exists()
    copy = db.make_engine(f"sqlite:///{result.path}")
    try:
        assert db.current_revision(copy) == revision
        assert len(search_posts(copy, "training", limit=100_000)) == len(ids)
    finally:
        copy.dispose()


def test_an_existing_file_is_kept_unless_force(sqlite_engine: Engine, tmp_path: Path) -> None:
    store.upsert_posts(sqlite_engine, [observe(n) for n in range(3)])
    target = tmp_path / "copy.db"
    target.write_bytes(b"precious")
    with pytest.raises(backup.BackupError, match="exists; give --force"):
        backup.backup_archive(str(sqlite_engine.url), target)
    assert target.read_bytes() == b"precious"
    result = backup.backup_archive(str(sqlite_engine.url), target, force=True)
    assert result.posts == 3 and target.read_bytes()[:16] == b"SQLite format 3\x00"


def test_the_archive_itself_is_never_the_target(sqlite_engine: Engine) -> None:
    with pytest.raises(backup.BackupError, match="the archive itself"):
        backup.backup_archive(str(sqlite_engine.url), sqlite_path(sqlite_engine), force=True)


# --- the command --------------------------------------------------------------------------


def podium(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_backup_writes_a_checked_copy(sqlite_engine: Engine, tmp_path: Path) -> None:
    store.upsert_posts(sqlite_engine, [observe(n) for n in range(5)])
    target = tmp_path / "podium-backup.db"
    done = podium("backup", str(target), "--db", str(sqlite_engine.url))
    assert done.exit_code == 0, done.output
    assert done.stdout == "" and f"wrote {target}" in done.stderr and "5 posts" in done.stderr
    again = podium("backup", str(target), "--db", str(sqlite_engine.url))
    assert again.exit_code == 1 and again.stderr.count("\n") == 1
    assert "exists; give --force" in again.stderr
    forced = podium("backup", str(target), "--force", "--db", str(sqlite_engine.url))
    assert forced.exit_code == 0


def test_cli_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://podium:s3cret@127.0.0.1:5432/podium"
    done = podium("backup", str(tmp_path / "x.db"), "--db", url)
    assert done.exit_code == 1 and done.stderr.count("\n") == 1
    assert "pg_dump" in done.stderr and "s3cret" not in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_cli_backup_without_an_archive_says_so(tmp_path: Path) -> None:
    done = podium("backup", str(tmp_path / "x.db"), "--db", f"sqlite:///{tmp_path / 'no.db'}")
    assert done.exit_code == 1 and "podium init" in done.stderr
