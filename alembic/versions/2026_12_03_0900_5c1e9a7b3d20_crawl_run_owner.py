"""Who runs a crawl (process, host, who started it); how each account's listing ended; indexes.

Revision ID: 5c1e9a7b3d20
Revises: 8d2b6f0c4a17
Create Date: 2026-12-03 09:00:00

Why: a crawl killed with SIGKILL never closes its ``crawl_run`` row. With the owning process id
and host on the row, whatever opens the archive for crawling or status next can tell a run whose
process is gone and close it as ``interrupted``. ``started_by`` says who asked for the run
(``manual``, ``scheduler``, ``import``). All three are nullable: rows from before stay as they are.

``listing_run`` keeps, per crawl run, how each account's listing ended (read, caught up, broke
off with a reason, doubted, suspect), so health is known per account whoever started the crawl.

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
    op.create_table(
        "listing_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("handle_key", sa.String(length=200), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("full_sweep", sa.Boolean(), nullable=False),
        sa.Column("posts_seen", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_run.id"],
            name=op.f("fk_listing_run__crawl_run_id__crawl_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_run")),
    )
    op.create_index(
        "ix_listing_run__platform_handle_key_ended_at",
        "listing_run",
        ["platform", "handle_key", "ended_at"],
    )
    op.create_index("ix_listing_run__crawl_run_id", "listing_run", ["crawl_run_id"])


def downgrade() -> None:
    op.drop_table("listing_run")
    for table in reversed(PAYLOAD_USERS):
        op.drop_index(f"ix_{table}__raw_payload_id", table_name=table)
    for name in reversed(COLUMNS):
        op.execute(f"ALTER TABLE crawl_run DROP COLUMN {name}")
