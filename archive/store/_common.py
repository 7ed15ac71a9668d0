"""Shared pieces of the store: the table handles (only the store has them), the bulk insert,
chunking, hashing, posting periods."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from archive import db
from archive.models import (
    Account,
    Article,
    ArticleEmbed,
    Athlete,
    CrawlRun,
    Hashtag,
    ListingRun,
    Mention,
    MetricSnapshot,
    Post,
    PostHashtag,
    PostVersion,
    Problem,
    RawPayload,
    Sound,
    UTCDateTime,
)

athlete_t = cast(sa.Table, Athlete.__table__)
account_t = cast(sa.Table, Account.__table__)
post_t = cast(sa.Table, Post.__table__)
version_t = cast(sa.Table, PostVersion.__table__)
metric_t = cast(sa.Table, MetricSnapshot.__table__)
hashtag_t = cast(sa.Table, Hashtag.__table__)
post_hashtag_t = cast(sa.Table, PostHashtag.__table__)
mention_t = cast(sa.Table, Mention.__table__)
sound_t = cast(sa.Table, Sound.__table__)
payload_t = cast(sa.Table, RawPayload.__table__)
article_t = cast(sa.Table, Article.__table__)
embed_t = cast(sa.Table, ArticleEmbed.__table__)
run_t = cast(sa.Table, CrawlRun.__table__)
problem_t = cast(sa.Table, Problem.__table__)
listing_t = cast(sa.Table, ListingRun.__table__)
#: The SQLite full-text index of ``post.search_text`` (FTS5, external content; migrations make it).
post_fts_t = sa.table("post_fts", sa.column("rowid", sa.Integer), sa.column("rank", sa.Float))
#: PostgreSQL's index of the same text: a tsvector column the migrations add to ``post``.
post_search_tsv: Any = sa.literal_column("post.search_tsv")
#: APScheduler's job table: not ours (no model, no migration), read and erased as plain rows.
scheduler_job_t = sa.table(
    db.SCHEDULER_JOB_TABLE, sa.column("id", sa.String), sa.column("next_run_time")
)

_CHUNK = 500  # ids per IN (...) list
# Bound variables per SQLite statement when the connection cannot say (the default before 3.32).
_SQLITE_VARIABLES = 999


def utcnow() -> datetime:
    """The current time, aware UTC (the store's only clock, used for bookkeeping rows)."""
    return datetime.now(UTC)


def insert_for(conn: Connection, table: sa.Table) -> Any:
    """A dialect insert that supports ``on_conflict_do_nothing``/``do_update``."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


@functools.lru_cache(maxsize=4096)
def _sqlite_time(value: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite DateTime stores it (UTC, no zone); a batch shares a few."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def unbounded(type_: Any) -> Any:
    """A column's type without its length, for the arrays bound on PostgreSQL.

    An explicit cast to ``VARCHAR(300)`` cuts a longer value to 300 characters without a word,
    where storing it into the column refuses it ("value too long"): a post id cut short would be
    stored as another post's, or as a post the batch cannot find again. Cast to ``VARCHAR``, the
    column's own check refuses it, and a look-up compares the whole value.
    """
    bounded = isinstance(type_, sa.String) and not isinstance(type_, sa.Enum) and type_.length
    return sa.String() if bounded else type_


def bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING for many rows, as ``insert_returning`` writes them."""
    insert_returning(conn, table, rows, ())


def insert_fresh(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows that nothing can conflict with: the rows of posts this transaction inserted
    (versions, snapshots, hashtag and mention links), whose ids no other writer can know yet.

    On PostgreSQL they are copied in (``COPY ... FROM STDIN``: psycopg formats the rows in C,
    and the server skips the speculative insertion ON CONFLICT costs); a row that does
    conflict fails the batch instead of being skipped, so the caller must not pass one.
    Elsewhere, as ``bulk_insert``. Every row has the first row's keys.
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        bulk_insert(conn, table, rows)
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cur,
        cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in driver_rows(conn, table, columns, rows):
            copy.write_row(row)


def insert_returning(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING ``returning`` of the rows it inserted.

    The hot path of every batch: rows go to the DBAPI as plain values (identifiers are our own
    columns, values are bound parameters; times are converted as SQLAlchemy would on SQLite),
    since SQLAlchemy's per-row parameter processing costs more than the database's own work.
    Many rows per statement, not one statement per row: on SQLite, ``VALUES (...), (...)`` with
    as many rows as the bound-variable limit allows (a statement per row also makes the
    full-text index flush its pending terms after every row, as each statement is a savepoint
    for FTS5, which costs three times the insert itself); on PostgreSQL, arrays unnested. Rows
    another writer inserted first are skipped and absent from the answer. Every row has the
    first row's keys.
    """
    if not rows:
        return []
    columns = list(rows[0])
    params = driver_rows(conn, table, columns, rows)
    order = _lock_order(table, tuple(columns))
    if order is not None:
        params.sort(key=order)
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) "
    tail = " ON CONFLICT DO NOTHING" + (f" RETURNING {', '.join(returning)}" if returning else "")
    if conn.dialect.name == "postgresql":
        # One array per column, unnested: a statement of a few parameters whatever the number
        # of rows, which PostgreSQL plans in no time (a 500-row VALUES list takes it 70 ms).
        # Arrays go in binary (%b): psycopg writes the text form of an array in Python, quoting
        # and escaping every element, which costs ten times more (a payload's bytes most).
        arrays = ", ".join(
            f"%b::{unbounded(table.c[c].type).compile(dialect=conn.dialect)}[]" for c in columns
        )
        sql = f"{head}SELECT * FROM unnest({arrays}){tail}"
        result = conn.exec_driver_sql(
            sql, tuple(list(values) for values in zip(*params, strict=True))
        )
        return [tuple(r) for r in result.all()] if returning else []
    driver = conn.connection.driver_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if driver else _SQLITE_VARIABLES
    one = f"({', '.join(['?'] * len(columns))})"
    out: list[tuple[Any, ...]] = []
    for chunk in chunks(params, max(1, limit // len(columns))):
        sql = head + "VALUES " + ", ".join([one] * len(chunk)) + tail
        result = conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk)))
        if returning:
            out.extend(tuple(r) for r in result.all())
    return out


@functools.cache
def _lock_order(table: sa.Table, columns: tuple[str, ...]) -> Callable[[Any], Any] | None:
    """The sort key that puts rows of ``columns`` in the order of ``table``'s first unique key
    among them (None when there is none).

    Concurrent writers insert their rows in this order, so they take the key locks in the same
    order: two transactions inserting the same new keys in different orders each wait for the
    other, a deadlock that PostgreSQL breaks only after ``deadlock_timeout`` (a second) by
    aborting one, whose batch is then retried. NULLs sort last.
    """
    keys: list[Iterable[sa.Column[Any]]] = [table.primary_key.columns]
    keys += [c.columns for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    keys += [i.columns for i in sorted(table.indexes, key=lambda i: str(i.name)) if i.unique]
    for key in keys:
        cols = list(key)
        if cols and all(c.name in columns for c in cols):
            at = [columns.index(c.name) for c in cols]
            if not any(c.nullable for c in cols):
                return operator.itemgetter(*at)
            return lambda row: tuple((row[i] is None, 0 if row[i] is None else row[i]) for i in at)
    return None


def lock_in_order(conn: Connection, table: sa.Table, ids: Sequence[int]) -> None:
    """Lock ``table``'s rows of ``ids`` in id order before a multi-row update (PostgreSQL).

    An ``UPDATE ... WHERE id = ANY(...)`` locks rows in whatever order its plan meets them,
    so two writers updating overlapping rows could each hold one the other wants (a deadlock,
    broken only after ``deadlock_timeout``); in id order they queue instead. SQLite has one
    writer at a time and needs nothing.
    """
    if conn.dialect.name == "postgresql" and ids:
        conn.execute(
            sa.select(table.c.id)
            .where(any_of(conn, table.c.id, "ids"))
            .order_by(table.c.id)
            .with_for_update(),
            {"ids": many(conn, ids)},
        )


def driver_rows(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """``rows`` as the tuples the DBAPI takes, values in the order of ``columns``."""
    pick = operator.itemgetter(*columns)
    if len(columns) == 1:
        return [(pick(r),) for r in rows]
    times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
    if conn.dialect.name != "sqlite" or not times:
        return [pick(r) for r in rows]
    params = []
    for r in rows:
        values = list(pick(r))
        for i in times:
            if values[i] is not None:
                values[i] = _sqlite_time(values[i])
        params.append(tuple(values))
    return params


def any_of(conn: Connection, col: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    """``col`` is one of the values bound as ``name`` (pass them through ``many``).

    One bound value however many there are: a 500-item ``IN`` list costs more to compile and
    bind than the lookup itself. SQLite reads a JSON array (``json_each``), PostgreSQL an array.
    """
    if conn.dialect.name == "sqlite":
        each = sa.func.json_each(sa.bindparam(name)).table_valued("value")
        return col.in_(sa.select(each.c.value))
    return col == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(unbounded(col.type))))


def in_vocabulary(
    conn: Connection, col: sa.ColumnElement[Any], name: str
) -> sa.ColumnElement[bool]:
    """``any_of`` for a vocabulary (hashtags, sounds): a table that a batch's hundreds of
    values mostly all hit and that stays small for long.

    PostgreSQL reads the values through a subquery (``IN (SELECT unnest(...))``), which the
    planner hashes or joins through the index. ``col = ANY(array)`` is compared value by value
    with every row when psycopg and the server reuse a generic plan (from about the tenth
    batch) and the planner expects a small table to be cheaper to scan than to probe: 500 keys
    against 500 hashtags took 10 ms a batch, and it grows with the table until the index wins.
    Post and payload look-ups keep ``any_of``: their tables grow fast, and with stale
    statistics the subquery form hashed every post of a platform instead of probing the index.
    """
    if conn.dialect.name == "sqlite":
        return any_of(conn, col, name)
    values = sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(unbounded(col.type))))
    return col.in_(sa.select(values.column_valued("value")))


def many(conn: Connection, values: Iterable[Any]) -> Any:
    """Values bound for an ``any_of`` condition."""
    return json.dumps(list(values)) if conn.dialect.name == "sqlite" else list(values)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def select_ids(conn: Connection, stmt: sa.Select[Any]) -> list[int]:
    """The ids a one-column select gives, as ints."""
    return [int(i) for i in conn.execute(stmt).scalars()]


def select_map(conn: Connection, key_col: Any, val_col: Any, keys: Sequence[Any]) -> dict[Any, Any]:
    """``{key: value}`` for the rows whose ``key_col`` is one of ``keys``."""
    if not keys:
        return {}
    stmt = sa.select(key_col, val_col).where(any_of(conn, key_col, "keys"))
    return dict(conn.execute(stmt, {"keys": many(conn, keys)}).tuples().all())


@dataclass(frozen=True, slots=True)
class Period:
    """When the posts a read keeps were posted: from ``start`` on, until before ``end`` (through
    it with ``end_inclusive``); None leaves a side open. Aware UTC times."""

    start: datetime | None = None
    end: datetime | None = None
    end_inclusive: bool = False

    @classmethod
    def of_days(cls, since: date | None, until: date | None) -> Period:
        """Whole UTC days, ``since`` and ``until`` both included."""
        return cls(
            None if since is None else datetime.combine(since, time(0), tzinfo=UTC),
            None
            if until is None
            else datetime.combine(until, time(0), tzinfo=UTC) + timedelta(days=1),
        )

    def where(self) -> list[sa.ColumnElement[bool]]:
        """Conditions on ``post.posted_at``."""
        posted = post_t.c.posted_at
        conds = []
        if self.start is not None:
            conds.append(posted >= self.start)
        if self.end is not None:
            conds.append(posted <= self.end if self.end_inclusive else posted < self.end)
        return conds
