"""Declare post_fts's content table as ``content=[post]`` so Datasette finds the index.

Revision ID: 68f4759851ef
Revises: 5c1e9a7b3d20
Create Date: 2026-12-03 09:17:58.719127

Why: Datasette is what people open a SQLite archive with, and its ``?_search=`` was silently
ignored on ``post``. Datasette finds a table's FTS index by matching the ``sqlite_master`` SQL of
virtual tables against ``content="post"`` or ``content=[post]`` (``detect_fts`` in
datasette/utils); the first migration wrote ``content='post'``, which FTS5 accepts but Datasette
does not see. FTS5 options cannot be altered, so the table is created again with sqlite-utils'
spelling, ``content=[post]``; everything else (column, ``content_rowid``, tokenizer) is the same.

Dropping ``post_fts`` drops its triggers' target, so the three triggers are dropped and created
again exactly as before, and the index is rebuilt from ``post`` (external content: no post data
is touched). PostgreSQL has no ``post_fts`` and is left alone. Downgrade restores
``content='post'`` the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "68f4759851ef"
down_revision: str | None = "5c1e9a7b3d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* Co So'\""
TRIGGERS = [
    "CREATE TRIGGER post_ai AFTER INSERT ON post BEGIN "
    "INSERT INTO post_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER post_ad AFTER DELETE ON post BEGIN "
    "INSERT INTO post_fts(post_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER post_au AFTER UPDATE OF search_text ON post "
    "WHEN old.search_text IS NOT new.search_text BEGIN "
    "INSERT INTO post_fts(post_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO post_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]


def _recreate(content: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL indexes post.search_tsv; nothing to declare
    for name in ("post_au", "post_ad", "post_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS post_fts")
    op.execute(
        "CREATE VIRTUAL TABLE post_fts USING fts5(search_text, "
        f"content={content}, content_rowid='id', {TOKENIZE})"
    )
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO post_fts(post_fts) VALUES ('rebuild')")


def upgrade() -> None:
    _recreate("[post]")


def downgrade() -> None:
    _recreate("'post'")
