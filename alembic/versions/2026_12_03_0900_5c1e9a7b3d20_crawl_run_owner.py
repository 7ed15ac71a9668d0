"""Who runs a crawl: the owning process and host, and who started it; payload indexes.

Revision ID: 5c1e9a7b3d20
Revises: 8d2b6f0c4a17
Create Date: 2026-12-03 09:00:00

Why: a crawl killed with SIGKILL never closes its ``crawl_run`` row. With the owning process id
and host on the row, whatever opens the archive for crawling or status next can tell a run whose
process is gone and close it as ``interrupted``. ``started_by`` says who asked for the run
(``manual``, ``scheduler``, ``import``). All three are nullable: rows from before stay as they are.

``raw_payload_id`` gets an index on ``post``, ``article`` and ``problem``: `podium forget`
asks, for every payload it may remove, whether any row still uses it; without an index each
question scans the table.

SQLite drops the columns with its own ``ALTER TABLE … DROP COLUMN`` (3.35+), not by rebuilding
the table: a rebuild would drop ``crawl_run`` and, with foreign keys on, null every
``problem.crawl_run_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "5c1e9a7b3d20"
down_revision: str | None = "8d2b6f0c4a17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"pid": sa.Integer(), "host": sa.String(length=200), "started_by": sa.String(length=20)}


PAYLOAD_USERS = ("post", "article", "problem")


def upgrade() -> None:
    for name, type_ in COLUMNS.items():
        op.add_column("crawl_run", sa.Column(name, type_, nullable=True))
    for table in PAYLOAD_USERS:
        op.create_index(f"ix_{table}__raw_payload_id", table, ["raw_payload_id"])


def downgrade() -> None:
    for table in reversed(PAYLOAD_USERS):
        op.drop_index(f"ix_{table}__raw_payload_id", table_name=table)
    for name in reversed(COLUMNS):
        op.execute(f"ALTER TABLE crawl_run DROP COLUMN {name}")
