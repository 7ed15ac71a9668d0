"""Log every change the search side index must follow (SQLite): ``search_change``, by triggers.

Revision ID: 3f6d2a8c9e41
Revises: b7e3c1d2a9f4
Create Date: 2026-12-03 15:30:00

Why: on SQLite, search answers from a Tantivy index kept beside the database file
(``archive.store.search_index``). It is a second copy of what ``post_fts`` holds, written after
the database commits, so a crash in between must not leave it silently stale. Triggers append
the id of every post whose searchable fields change (``search_text``, language, declared
language, sound, posted time, account, platform), and of every post whose hashtags or mentions
change, to ``search_change`` in the same transaction as the change, whoever writes it (the
store, ``podium reprocess``, ``podium forget``, or plain SQL). The index records the last
sequence number it applied; search catches it up before answering, or answers from FTS5 when it
cannot.

``search_index_state`` is one row: ``archive_id`` (random, names this database to the index
beside it), ``generation`` (bumped by ``podium forget``: an index of an older generation is
rebuilt from nothing, so forgotten text leaves its files too) and ``pruned_through`` (the log
was emptied up to there; an index that has applied less is rebuilt).

PostgreSQL searches its own ``search_tsv`` and has no side index: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3f6d2a8c9e41"
down_revision: str | None = "b7e3c1d2a9f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WATCHED = ("search_text", "language", "declared_language", "sound_id", "posted_at")
_WATCHED_ALL = (*_WATCHED, "account_id", "platform")
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _WATCHED_ALL)

TRIGGERS = [
    "CREATE TRIGGER post_search_ai AFTER INSERT ON post BEGIN "
    "INSERT INTO search_change(post_id) VALUES (new.id); END",
    "CREATE TRIGGER post_search_ad AFTER DELETE ON post BEGIN "
    "INSERT INTO search_change(post_id) VALUES (old.id); END",
    f"CREATE TRIGGER post_search_au AFTER UPDATE OF {', '.join(_WATCHED_ALL)} ON post "
    f"WHEN {_CHANGED} BEGIN "
    "INSERT INTO search_change(post_id) VALUES (new.id); END",
    "CREATE TRIGGER post_hashtag_search_ai AFTER INSERT ON post_hashtag BEGIN "
    "INSERT INTO search_change(post_id) VALUES (new.post_id); END",
    "CREATE TRIGGER post_hashtag_search_ad AFTER DELETE ON post_hashtag BEGIN "
    "INSERT INTO search_change(post_id) VALUES (old.post_id); END",
    "CREATE TRIGGER mention_search_ai AFTER INSERT ON mention BEGIN "
    "INSERT INTO search_change(post_id) VALUES (new.post_id); END",
    "CREATE TRIGGER mention_search_ad AFTER DELETE ON mention BEGIN "
    "INSERT INTO search_change(post_id) VALUES (old.post_id); END",
    "CREATE TRIGGER mention_search_au AFTER UPDATE OF key, post_id ON mention BEGIN "
    "INSERT INTO search_change(post_id) VALUES (old.post_id); "
    "INSERT INTO search_change(post_id) VALUES (new.post_id); END",
]
TRIGGER_NAMES = [t.split()[2] for t in TRIGGERS]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE search_change (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "post_id INTEGER NOT NULL)"
    )
    op.execute(
        "CREATE TABLE search_index_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "archive_id TEXT NOT NULL, generation INTEGER NOT NULL DEFAULT 0, "
        "pruned_through INTEGER NOT NULL DEFAULT 0)"
    )
    op.execute(
        "INSERT INTO search_index_state(id, archive_id) VALUES (1, lower(hex(randomblob(16))))"
    )
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_index_state")
    op.execute("DROP TABLE IF EXISTS search_change")
