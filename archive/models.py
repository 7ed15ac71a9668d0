"""The archive's tables (DESIGN §4) as SQLAlchemy 2.0 models; alembic/ makes the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
    "fk": "fk_%(table_name)s__%(column_0_N_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AVAILABILITY_CHECK = "availability IN ('active', 'deleted', 'private', 'blocked', 'unknown')"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone: we put UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; times must be aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention (STYLE §7)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True)


class Athlete(Base):
    """A person on the roster."""

    __tablename__ = "athlete"
    id: Mapped[int] = _id()
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sport: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(3))
    languages: Mapped[str | None] = mapped_column(String(100))  # comma-separated ISO 639-1 prior
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """An account on one platform; ``athlete_id`` is NULL for authors outside the roster."""

    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("platform", "platform_account_id"),
        UniqueConstraint("platform", "handle_key"),
    )
    id: Mapped[int] = _id()
    athlete_id: Mapped[int | None] = mapped_column(
        ForeignKey("athlete.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    platform_account_id: Mapped[str | None] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200))
    handle_key: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(300))
    watermark: Mapped[str | None] = mapped_column(String(200))
    last_full_sweep_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Sound(Base):
    """A soundtrack credit; keyed by the platform's id, or by (title, artist) when it has none."""

    __tablename__ = "sound"
    __table_args__ = (UniqueConstraint("platform", "sound_key"),)
    id: Mapped[int] = _id()
    platform: Mapped[str] = mapped_column(String(20))
    sound_key: Mapped[str] = mapped_column(String(600))
    platform_sound_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    artist: Mapped[str | None] = mapped_column(String(500))
    is_original: Mapped[bool | None] = mapped_column(Boolean)


class RawPayload(Base):
    """What was fetched, compressed, stored once per sha256.

    An imported payload keeps its provenance: the capture tool, the file and line it was read
    from, and when the tool captured it (also its ``fetched_at``); all NULL for a crawl's.
    """

    __tablename__ = "raw_payload"
    id: Mapped[int] = _id()
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    parser_kind: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # zstd (zlib before): archive.payload_codec
    capture_tool: Mapped[str | None] = mapped_column(String(20))
    capture_file: Mapped[str | None] = mapped_column(Text)
    capture_line: Mapped[int | None] = mapped_column(Integer)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Post(Base):
    """A post, identified by (platform, platform_post_id); caption and counts as last seen."""

    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("platform", "platform_post_id"),
        CheckConstraint(AVAILABILITY_CHECK, name="availability"),
        Index(None, "account_id", "posted_at"),
        Index(None, "posted_at"),
        Index(None, "raw_payload_id"),  # forget: is a payload still used?
    )
    id: Mapped[int] = _id()
    platform: Mapped[str] = mapped_column(String(20))
    platform_post_id: Mapped[str] = mapped_column(String(300))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(30))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    caption: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(20))  # the caption's, as last seen
    language: Mapped[str] = mapped_column(String(10))
    language_confidence: Mapped[float] = mapped_column(Float)
    declared_language: Mapped[str | None] = mapped_column(String(10))
    sound_id: Mapped[int | None] = mapped_column(
        ForeignKey("sound.id", ondelete="SET NULL"), index=True
    )
    is_repost: Mapped[bool] = mapped_column(Boolean)
    is_pinned: Mapped[bool] = mapped_column(Boolean)
    availability: Mapped[str] = mapped_column(String(10))
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    normalizer_version: Mapped[str] = mapped_column(String(20))
    search_text: Mapped[str] = mapped_column(Text)
    raw_payload_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_payload.id", ondelete="SET NULL")
    )


class PostVersion(Base):
    """One row per distinct body of a post, the first sighting included (edits = versions - 1)."""

    __tablename__ = "post_version"
    __table_args__ = (UniqueConstraint("post_id", "body_hash"),)
    id: Mapped[int] = _id()
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    body_hash: Mapped[str] = mapped_column(String(64))
    source_kind: Mapped[str] = mapped_column(String(20))
    caption: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MetricSnapshot(Base):
    """Counts at one moment, written only when a count changed."""

    __tablename__ = "metric_snapshot"
    __table_args__ = (UniqueConstraint("post_id", "captured_at"),)
    id: Mapped[int] = _id()
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)


class Hashtag(Base):
    """A hashtag, by case-folded key."""

    __tablename__ = "hashtag"
    id: Mapped[int] = _id()
    key: Mapped[str] = mapped_column(String(300), unique=True)
    display: Mapped[str] = mapped_column(String(300))


class PostHashtag(Base):
    """A hashtag used by a post, at a position."""

    __tablename__ = "post_hashtag"
    post_id: Mapped[int] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    hashtag_id: Mapped[int] = mapped_column(
        ForeignKey("hashtag.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class Mention(Base):
    """An account mentioned by a post."""

    __tablename__ = "mention"
    __table_args__ = (UniqueConstraint("post_id", "key"), Index(None, "key"))
    id: Mapped[int] = _id()
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    display: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)


class Article(Base):
    """A news article that embeds posts."""

    __tablename__ = "article"
    __table_args__ = (Index(None, "raw_payload_id"),)
    id: Mapped[int] = _id()
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    author: Mapped[str | None] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raw_payload_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_payload.id", ondelete="SET NULL")
    )


class ArticleEmbed(Base):
    """A post embedded in an article, at a position; ``post_id`` once the post is archived."""

    __tablename__ = "article_embed"
    __table_args__ = (UniqueConstraint("article_id", "position"),)
    id: Mapped[int] = _id()
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(Text)
    platform_post_id: Mapped[str | None] = mapped_column(String(300))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="SET NULL"), index=True
    )


class CrawlRun(Base):
    """One crawl: what it was asked, its counts, and how it ended."""

    __tablename__ = "crawl_run"
    __table_args__ = (Index(None, "target", "started_at"),)
    id: Mapped[int] = _id()
    spider: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(String(300))  # e.g. tiktok:lotte, news:demo-sport
    athlete_slug: Mapped[str | None] = mapped_column(String(100))
    full_sweep: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # running; finished (everything read as asked); incomplete (something was not read or
    # stored: see its problems); failed, killed, interrupted (the process died or was stopped)
    status: Mapped[str] = mapped_column(String(20))
    finish_reason: Mapped[str | None] = mapped_column(String(200))
    exit_code: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    posts_new: Mapped[int] = mapped_column(Integer)
    posts_updated: Mapped[int] = mapped_column(Integer)
    posts_unchanged: Mapped[int] = mapped_column(Integer)
    posts_deleted: Mapped[int] = mapped_column(Integer)
    problems: Mapped[int] = mapped_column(Integer)
    errors: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)  # the process that owns the run
    host: Mapped[str | None] = mapped_column(String(200))
    started_by: Mapped[str | None] = mapped_column(String(20))  # manual, scheduler, import


class ListingRun(Base):
    """One account's listing within a crawl run: how far it got and how it ended.

    ``outcome``: ``read`` (to its end), ``caught_up`` (stopped at what the archive held),
    ``broke_off`` (an error, a block, a page that could not be read: see ``reason``),
    ``doubted`` (ended oddly: an empty page that pointed to a next), ``suspect`` (a full sweep
    that shrank suddenly and so deleted nothing). Status reads health per account from these.
    """

    __tablename__ = "listing_run"
    __table_args__ = (Index(None, "platform", "handle_key", "ended_at"),)
    id: Mapped[int] = _id()
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(200))
    handle_key: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(20))
    full_sweep: Mapped[bool] = mapped_column(Boolean)
    posts_seen: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)


class Problem(Base):
    """What could not be parsed or stored: the reason and the raw payload, never lost."""

    __tablename__ = "problem"
    __table_args__ = (Index(None, "raw_payload_id"),)
    id: Mapped[int] = _id()
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_run.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    platform: Mapped[str | None] = mapped_column(String(20))
    source_url: Mapped[str | None] = mapped_column(Text)
    platform_post_id: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    raw_payload_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_payload.id", ondelete="SET NULL")
    )
    detail: Mapped[str | None] = mapped_column(Text)  # the rejected record, as JSON
