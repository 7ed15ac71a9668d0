"""Rename ``post.caption_source`` to ``source_kind``, the name ``post_version`` already uses.

Revision ID: 9c5d8911ee39
Revises: 68f4759851ef
Create Date: 2026-12-03 12:58:41.125905

Why: one word for one thing. The column holds the source kind (``platform`` or ``embed``) of the
caption as last seen, which ``post_version.source_kind`` and the records call ``source_kind``.

A plain ``ALTER TABLE ... RENAME COLUMN`` on both backends (SQLite >= 3.25, PostgreSQL): the table
is not rebuilt, so the full-text index and its triggers (which read ``search_text`` only) stay as
they are. Batch mode would recreate ``post`` and drop them. Downgrade renames it back.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "9c5d8911ee39"
down_revision: str | None = "68f4759851ef"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE post RENAME COLUMN caption_source TO source_kind")


def downgrade() -> None:
    op.execute("ALTER TABLE post RENAME COLUMN source_kind TO caption_source")
