"""Create the archive tables and the full-text index over post.search_text.

Revision ID: 31f4e7c84a06
Revises:
Create Date: 2026-11-25 04:53:12.727957

Why: the first schema (DESIGN §4). The full-text index is part of the schema: on SQLite an
FTS5 external-content table kept by triggers that fire only when search_text changes; on
PostgreSQL a generated tsvector ('simple') column with a GIN index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# sqlite-utils' layout: external content, rowid = post.id; the update trigger fires only when
# search_text changes, so moving last_seen_at or counts never touches the index.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE post_fts USING fts5(search_text, content='post', content_rowid='id', "
    "tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* Co So'\")",
    "CREATE TRIGGER post_ai AFTER INSERT ON post BEGIN "
    "INSERT INTO post_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER post_ad AFTER DELETE ON post BEGIN "
    "INSERT INTO post_fts(post_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER post_au AFTER UPDATE OF search_text ON post "
    "WHEN old.search_text IS NOT new.search_text BEGIN "
    "INSERT INTO post_fts(post_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO post_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO post_fts(post_fts) VALUES ('rebuild')",
]
POSTGRES_FTS = [
    "ALTER TABLE post ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX ix_post__search_tsv ON post USING gin (search_tsv)",
]


def create_search_index() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS:
        op.execute(statement)


def drop_search_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("post_au", "post_ad", "post_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS post_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_post__search_tsv")
        op.execute("ALTER TABLE post DROP COLUMN IF EXISTS search_tsv")


revision: str = "31f4e7c84a06"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "athlete",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sport", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("languages", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_athlete")),
        sa.UniqueConstraint("slug", name=op.f("uq_athlete__slug")),
    )
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spider", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("athlete_slug", sa.String(length=100), nullable=True),
        sa.Column("full_sweep", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("finish_reason", sa.String(length=200), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("posts_new", sa.Integer(), nullable=False),
        sa.Column("posts_updated", sa.Integer(), nullable=False),
        sa.Column("posts_unchanged", sa.Integer(), nullable=False),
        sa.Column("posts_deleted", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_run")),
    )
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crawl_run__target_started_at"), ["target", "started_at"], unique=False
        )

    op.create_table(
        "hashtag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("display", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hashtag")),
        sa.UniqueConstraint("key", name=op.f("uq_hashtag__key")),
    )
    op.create_table(
        "raw_payload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parser_kind", sa.String(length=100), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_payload")),
        sa.UniqueConstraint("sha256", name=op.f("uq_raw_payload__sha256")),
    )
    op.create_table(
        "sound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("sound_key", sa.String(length=600), nullable=False),
        sa.Column("platform_sound_id", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("artist", sa.String(length=500), nullable=True),
        sa.Column("is_original", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sound")),
        sa.UniqueConstraint("platform", "sound_key", name=op.f("uq_sound__platform_sound_key")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("platform_account_id", sa.String(length=200), nullable=True),
        sa.Column("handle", sa.String(length=200), nullable=True),
        sa.Column("handle_key", sa.String(length=200), nullable=True),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("watermark", sa.String(length=200), nullable=True),
        sa.Column("last_full_sweep_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athlete.id"],
            name=op.f("fk_account__athlete_id__athlete"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("platform", "handle_key", name=op.f("uq_account__platform_handle_key")),
        sa.UniqueConstraint(
            "platform", "platform_account_id", name=op.f("uq_account__platform_platform_account_id")
        ),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account__athlete_id"), ["athlete_id"], unique=False)

    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("author", sa.String(length=500), nullable=True),
        sa.Column("publisher", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw_payload.id"],
            name=op.f("fk_article__raw_payload_id__raw_payload"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("url", name=op.f("uq_article__url")),
    )
    op.create_table(
        "problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("platform_post_id", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_run.id"],
            name=op.f("fk_problem__crawl_run_id__crawl_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw_payload.id"],
            name=op.f("fk_problem__raw_payload_id__raw_payload"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem")),
    )
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_problem__crawl_run_id"), ["crawl_run_id"], unique=False
        )

    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("platform_post_id", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("caption_source", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("language_confidence", sa.Float(), nullable=False),
        sa.Column("declared_language", sa.String(length=10), nullable=True),
        sa.Column("sound_id", sa.Integer(), nullable=True),
        sa.Column("is_repost", sa.Boolean(), nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.String(length=10), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("normalizer_version", sa.String(length=20), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "availability IN ('active', 'deleted', 'private', 'blocked', 'unknown')",
            name=op.f("ck_post__availability"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_post__account_id__account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw_payload.id"],
            name=op.f("fk_post__raw_payload_id__raw_payload"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sound_id"], ["sound.id"], name=op.f("fk_post__sound_id__sound"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
        sa.UniqueConstraint(
            "platform", "platform_post_id", name=op.f("uq_post__platform_platform_post_id")
        ),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post__account_id_posted_at"), ["account_id", "posted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_post__posted_at"), ["posted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_post__sound_id"), ["sound_id"], unique=False)

    op.create_table(
        "article_embed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("platform_post_id", sa.String(length=300), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_embed__article_id__article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_article_embed__post_id__post"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_embed")),
        sa.UniqueConstraint(
            "article_id", "position", name=op.f("uq_article_embed__article_id_position")
        ),
    )
    with op.batch_alter_table("article_embed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_embed__post_id"), ["post_id"], unique=False)

    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("display", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_mention__post_id__post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention")),
        sa.UniqueConstraint("post_id", "key", name=op.f("uq_mention__post_id_key")),
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mention__key"), ["key"], unique=False)

    op.create_table(
        "metric_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_metric_snapshot__post_id__post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_snapshot")),
        sa.UniqueConstraint(
            "post_id", "captured_at", name=op.f("uq_metric_snapshot__post_id_captured_at")
        ),
    )
    op.create_table(
        "post_hashtag",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("hashtag_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hashtag_id"],
            ["hashtag.id"],
            name=op.f("fk_post_hashtag__hashtag_id__hashtag"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_post_hashtag__post_id__post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "hashtag_id", name=op.f("pk_post_hashtag")),
    )
    with op.batch_alter_table("post_hashtag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_hashtag__hashtag_id"), ["hashtag_id"], unique=False
        )

    op.create_table(
        "post_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_post_version__post_id__post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_version")),
        sa.UniqueConstraint(
            "post_id", "body_hash", name=op.f("uq_post_version__post_id_body_hash")
        ),
    )
    create_search_index()


def downgrade() -> None:
    drop_search_index()
    op.drop_table("post_version")
    with op.batch_alter_table("post_hashtag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_hashtag__hashtag_id"))

    op.drop_table("post_hashtag")
    op.drop_table("metric_snapshot")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mention__key"))

    op.drop_table("mention")
    with op.batch_alter_table("article_embed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_embed__post_id"))

    op.drop_table("article_embed")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post__sound_id"))
        batch_op.drop_index(batch_op.f("ix_post__posted_at"))
        batch_op.drop_index(batch_op.f("ix_post__account_id_posted_at"))

    op.drop_table("post")
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem__crawl_run_id"))

    op.drop_table("problem")
    op.drop_table("article")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account__athlete_id"))

    op.drop_table("account")
    op.drop_table("sound")
    op.drop_table("raw_payload")
    op.drop_table("hashtag")
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_run__target_started_at"))

    op.drop_table("crawl_run")
    op.drop_table("athlete")
