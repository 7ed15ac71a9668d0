"""Where an imported payload came from: capture tool, file, line and capture time.

Revision ID: b7e3c1d2a9f4
Revises: 9c5d8911ee39
Create Date: 2026-12-03 13:00:00

Why: `podium import` brings in what other tools captured (Zeeschuimer, yt-dlp, instaloader,
saved items). Its posts are observed when they were captured, not when imported, and each
payload keeps its provenance beside it: ``capture_tool``, ``capture_file``, ``capture_line``
(the line of an NDJSON file, the element of a JSON array) and ``captured_at``. All nullable:
what a crawl fetched has none, and rows from before stay as they are.

SQLite drops the columns with its own ``ALTER TABLE … DROP COLUMN`` (3.35+), not by rebuilding
the table, as 5c1e9a7b3d20 does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "b7e3c1d2a9f4"
down_revision: str | None = "9c5d8911ee39"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "capture_tool": sa.String(length=20),
    "capture_file": sa.Text(),
    "capture_line": sa.Integer(),
    "captured_at": sa.DateTime(timezone=True),
}


def upgrade() -> None:
    for name, type_ in COLUMNS.items():
        op.add_column("raw_payload", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.execute(f"ALTER TABLE raw_payload DROP COLUMN {name}")
