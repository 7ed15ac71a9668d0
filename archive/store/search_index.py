"""The search side index of a SQLite archive: Tantivy, beside the database file, kept in step.

FTS5's ``bm25`` scores every row that matches before it can pick the best 20, so a frequent word
or a popular hashtag costs time in proportion to its matches. Tantivy answers top-k queries
without scoring them all (block-max WAND), so SQLite archives search here: ``podium.db`` has its
index in ``podium.db.search/``. PostgreSQL keeps its own ``search_tsv``; an in-memory or
read-only archive, or one whose index is missing or behind, answers from FTS5. Both give the
same set of posts: the index splits ``search_text`` exactly as FTS5 does
(``archive.search.fts5_chars``) and the filters mean what their SQL means.

Keeping in step. The database is the truth and the index a copy written after it commits, so a
crash in between must never leave the index silently stale. Triggers log the id of every post
whose searchable fields, hashtags or mentions change to ``search_change`` (an AUTOINCREMENT
sequence) in the same transaction as the change, whoever makes it. The index stores, in the same
Tantivy commit as the documents, the last sequence number it applied (its *watermark*), the
archive's id and its *generation*. :func:`sync` applies the log past the watermark (re-reading
those posts; a post that is gone is deleted), and rebuilds from nothing when the index is
missing, unreadable, of another schema, archive or generation, ahead of the log (an older
database file put back) or behind what was pruned from it. Search answers from the index only
when its watermark equals the log's head in the search's own read snapshot.

One writer at a time: Tantivy's lock file (released by the OS when a process dies) decides who
applies the log; the others skip, or search from FTS5 meanwhile. Readers never wait for it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard

import sqlalchemy as sa
import tantivy
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.fts5_chars import python_token_pattern, rust_token_pattern

log = logging.getLogger(__name__)

#: Bump when the schema, the tokenizer or what a document holds changes: older indexes rebuild.
SCHEMA_VERSION = 1
SUFFIX = ".search"
_ANALYZER = "podium_fts5"
_STATE = "state"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A search catches up this many logged changes itself; more, and it answers from FTS5 until a
#: writer (``podium init``, ``reprocess``, the end of a crawl) has caught the index up.
INLINE_CHANGES = 50_000
#: A search builds a missing index itself for an archive of up to this many posts.
INLINE_REBUILD = 100_000
_BATCH = 2_000


class Unsupported(Exception):
    """A query the side index cannot answer exactly as FTS5 would (FTS5 answers it)."""


@dataclass(frozen=True, slots=True)
class TextTerm:
    """One searched term as the index reads it: FTS5 tokens (a phrase when more than one),
    the last one a prefix with ``prefix``."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class IndexSync:
    """What :func:`sync` did: ``current``, ``caught-up``, ``rebuilt``, ``busy`` (another process
    holds the index), ``behind`` (more changes than allowed), ``unavailable`` (no index for this
    archive: PostgreSQL, in memory, read-only, not migrated)."""

    outcome: str
    applied: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _DbState:
    archive_id: str
    generation: int
    pruned_through: int
    head: int


@dataclass(frozen=True, slots=True)
class _IndexState:
    version: int
    archive_id: str
    generation: int
    watermark: int


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("post", indexed=True, fast=True)
    b.add_text_field("text", tokenizer_name=_ANALYZER, index_option="position")
    for name in ("platform", "lang", "tag", "mention", "mention_user", "meta"):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic")
    b.add_integer_field("account", indexed=True)
    b.add_integer_field("sound", indexed=True)
    b.add_integer_field("posted", indexed=True, fast=True)
    b.add_text_field("archive", stored=True, tokenizer_name="raw", index_option="basic")
    for name in ("version", "generation", "watermark"):
        b.add_integer_field(name, stored=True)
    return b.build()


SCHEMA = _schema()
_Q = tantivy.Query
_MUST, _SHOULD, _MUST_NOT = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot


# --- where the index lives ---------------------------------------------------------------------


def index_path(engine: Engine) -> Path | None:
    """``<database file>.search`` for a SQLite file archive; None for any other."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    if url.query.get("mode") in ("ro", "memory"):
        return None
    db_file = Path(database).resolve()
    return db_file.with_name(db_file.name + SUFFIX)


def exists(engine: Engine) -> bool:
    """Whether the archive has a side index (in step or not)."""
    path = index_path(engine)
    return path is not None and path.is_dir()


_open_lock = threading.Lock()
_opened: dict[Path, tantivy.Index] = {}


def _register(index: tantivy.Index) -> tantivy.Index:
    analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(rust_token_pattern())).build()
    index.register_tokenizer(_ANALYZER, analyzer)
    return index


def _open(path: Path, *, create: bool = False) -> tantivy.Index | None:
    """The index at ``path`` (cached per process), created when asked; None when there is none."""
    with _open_lock:
        index = _opened.get(path)
        if index is not None and path.is_dir():
            return index
        _opened.pop(path, None)
        if not create and not (path.is_dir() and tantivy.Index.exists(str(path))):
            return None
        if create:
            path.mkdir(exist_ok=True)
        index = _register(tantivy.Index(SCHEMA, str(path), reuse=True))
        index.config_reader("Manual")
        _opened[path] = index
        return index


def _forget_opened(path: Path) -> None:
    with _open_lock:
        _opened.pop(path, None)


# --- states ------------------------------------------------------------------------------------


def _db_state(conn: Connection) -> _DbState | None:
    """The archive's id, generation, pruned mark and log head; None before the migration."""
    try:
        row = conn.exec_driver_sql(
            "SELECT archive_id, generation, pruned_through, "
            "(SELECT seq FROM sqlite_sequence WHERE name = 'search_change') "
            "FROM search_index_state WHERE id = 1"
        ).one_or_none()
    except sa.exc.OperationalError:
        return None  # no such table: an archive from before the side index
    if row is None:
        return None
    return _DbState(str(row[0]), int(row[1]), int(row[2]), int(row[3] or 0))


def _index_state(index: tantivy.Index) -> _IndexState | None:
    searcher = index.searcher()
    found = searcher.search(_Q.term_query(SCHEMA, "meta", _STATE, "basic"), 1, count=False)
    if not found.hits:
        return None
    doc = searcher.doc(found.hits[0][1])
    try:
        return _IndexState(
            int(doc["version"][0]),
            str(doc["archive"][0]),
            int(doc["generation"][0]),
            int(doc["watermark"][0]),
        )
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _same_archive(index_state: _IndexState | None, db: _DbState) -> TypeGuard[_IndexState]:
    """The index is of this archive, its generation and this schema (whatever its watermark)."""
    return (
        index_state is not None
        and index_state.version == SCHEMA_VERSION
        and index_state.archive_id == db.archive_id
        and index_state.generation == db.generation
    )


def _in_step(index_state: _IndexState | None, db: _DbState) -> bool:
    return _same_archive(index_state, db) and index_state.watermark == db.head


def _can_catch_up(index_state: _IndexState | None, db: _DbState) -> bool:
    return _same_archive(index_state, db) and db.pruned_through <= index_state.watermark <= db.head


# --- documents ---------------------------------------------------------------------------------

# One document per post, as JSON built by SQLite itself (no Python object per field: a rebuild
# of millions of posts is bound by Tantivy and SQLite, not the interpreter). ``lang`` is the
# language, plus the declared one where detection said ``und`` (lower-cased by SQLite, as the
# SQL filter does); ``mention_user`` is a mention's name before any ``@instance``; ``posted`` is
# microseconds since 1970 of the stored UTC time. Fields that are NULL are left out.
_DOCS_SQL = (
    "SELECT json_remove(json_object("
    "'post', p.id, 'text', p.search_text, 'platform', p.platform, "
    "'account', p.account_id, 'sound', p.sound_id, "
    "'lang', CASE WHEN p.language = 'und' AND p.declared_language IS NOT NULL "
    "  THEN json_array(p.language, lower(p.declared_language)) ELSE json_array(p.language) END, "
    "'posted', CAST(strftime('%s', p.posted_at) AS INTEGER) * 1000000 "
    "  + CAST(substr(p.posted_at, 21, 6) AS INTEGER), "
    "'tag', json((SELECT json_group_array(h.key) FROM post_hashtag ph "
    "  JOIN hashtag h ON h.id = ph.hashtag_id WHERE ph.post_id = p.id)), "
    "'mention', json((SELECT json_group_array(m.key) FROM mention m WHERE m.post_id = p.id)), "
    "'mention_user', json((SELECT json_group_array(CASE WHEN instr(m.key, '@') > 0 "
    "  THEN substr(m.key, 1, instr(m.key, '@') - 1) ELSE m.key END) "
    "  FROM mention m WHERE m.post_id = p.id))), "
    "CASE WHEN p.account_id IS NULL THEN '$.account' ELSE '$.none' END, "
    "CASE WHEN p.sound_id IS NULL THEN '$.sound' ELSE '$.none' END, "
    "CASE WHEN p.posted_at IS NULL THEN '$.posted' ELSE '$.none' END) "
    "FROM post p"
)


def micros(value: datetime | str) -> int:
    """A ``posted_at`` as microseconds since 1970, read as SQLite compares it: its fields as
    written (the store writes UTC; an aware bound's offset is not applied, as in SQL)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def _state_document(db: _DbState) -> tantivy.Document:
    return tantivy.Document(
        meta=[_STATE],
        archive=[db.archive_id],
        version=[SCHEMA_VERSION],
        generation=[db.generation],
        watermark=[db.head],
    )


def _raw_rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Iterator[Sequence[Any]]:
    """Rows of plain SQL through the driver's cursor, inside ``conn``'s transaction."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        while batch := cursor.fetchmany(_BATCH):
            yield from batch
    finally:
        cursor.close()


# --- writing -----------------------------------------------------------------------------------


def _writer(index: tantivy.Index, *, heap: int, wait: float) -> Any:
    """The index's one writer, waiting up to ``wait`` seconds for another's; None if still busy."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return index.writer(heap, 2 if heap > 100_000_000 else 1)
        except ValueError as exc:
            if "LockBusy" not in str(exc) or time.monotonic() >= deadline:
                if "LockBusy" in str(exc):
                    return None
                raise
            time.sleep(0.05)


def sync(
    engine: Engine,
    *,
    rebuild: bool = False,
    wait: float = 0.0,
    max_changes: int | None = None,
    max_rebuild: int | None = None,
    merge: bool = True,
) -> IndexSync:
    """Bring the side index of a SQLite archive up to the database (see the module docstring).

    ``rebuild`` starts from nothing. ``wait`` is how long to wait for another process's writer;
    ``max_changes`` and ``max_rebuild`` bound the work (``behind`` when exceeded). With
    ``merge``, Tantivy's segment merges finish before this returns (a search skips that; the
    next writer merges). The applied part of the change log is then deleted (best effort).
    """
    started = time.perf_counter()
    path = index_path(engine)
    if path is None:
        return IndexSync("unavailable")
    with engine.connect() as conn:
        db = _db_state(conn)
    if db is None:
        return IndexSync("unavailable")
    found = _existing(path, db)
    if found == "current" and not rebuild:
        return IndexSync("current", 0, time.perf_counter() - started)
    rebuild = rebuild or found == "damaged"
    if (found == "missing" or rebuild) and max_rebuild is not None:
        with engine.connect() as conn:
            if conn.exec_driver_sql("SELECT count(*) FROM post").scalar_one() > max_rebuild:
                return IndexSync("behind", 0, time.perf_counter() - started)
    try:
        index = _open(path, create=True)
        assert index is not None
        big = rebuild or found == "missing"
        writer = _writer(index, heap=(256 if big else 32) * 1_000_000, wait=wait)
    except (OSError, ValueError) as exc:
        log.info("search index %s cannot be written (%s); search uses FTS5", path, exc)
        return IndexSync("unavailable", 0, time.perf_counter() - started)
    if writer is None:
        return IndexSync("busy", 0, time.perf_counter() - started)
    try:
        outcome, applied, watermark = _apply(
            engine, index, writer, rebuild=rebuild, max_changes=max_changes, max_rebuild=max_rebuild
        )
        if outcome in ("caught-up", "rebuilt"):
            writer.commit()
            writer.garbage_collect_files()
        else:
            writer.rollback()
    finally:
        if merge:
            writer.wait_merging_threads()
        del writer
    index.reload()
    if outcome in ("caught-up", "rebuilt"):
        _prune(engine, watermark)
    return IndexSync(outcome, applied, time.perf_counter() - started)


def _existing(path: Path, db: _DbState) -> str:
    """``current``, ``behind``, ``missing`` or ``damaged`` (then removed, to be built again)."""
    try:
        index = _open(path)
        if index is None:
            return "missing"
        if not _in_step(_index_state(index), db):
            index.reload()  # another process may have caught it up (reopens its segments)
        return "current" if _in_step(_index_state(index), db) else "behind"
    except (OSError, ValueError) as exc:  # damaged, or written by another Tantivy
        log.warning("search index %s cannot be opened (%s); building it again", path, exc)
        _forget_opened(path)
        shutil.rmtree(path, ignore_errors=True)
        return "damaged"


def _apply(
    engine: Engine,
    index: tantivy.Index,
    writer: Any,
    *,
    rebuild: bool,
    max_changes: int | None,
    max_rebuild: int | None,
) -> tuple[str, int, int]:
    """Write the changes (or everything) into ``writer`` from one read snapshot."""
    index.reload()
    current = _index_state(index)
    with engine.connect() as conn:
        db = _db_state(conn)  # the snapshot starts here: the rows read below are as of ``head``
        assert db is not None
        if not rebuild and _in_step(current, db):
            return "current", 0, db.head
        if not rebuild and current is not None and _can_catch_up(current, db):
            ids = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT DISTINCT post_id FROM search_change WHERE seq > ? AND seq <= ?",
                    (current.watermark, db.head),
                )
            ]
            if max_changes is not None and len(ids) > max_changes:
                return "behind", 0, current.watermark
            for chunk in _chunks(ids, 500):
                writer.delete_documents_by_query(_Q.term_set_query(SCHEMA, "post", chunk))
                marks = ",".join("?" * len(chunk))
                for (doc,) in _raw_rows(conn, f"{_DOCS_SQL} WHERE p.id IN ({marks})", chunk):
                    writer.add_json(doc)
            writer.delete_documents_by_term("meta", _STATE)
            writer.add_document(_state_document(db))
            return "caught-up", len(ids), db.head
        if max_rebuild is not None:
            posts = conn.exec_driver_sql("SELECT count(*) FROM post").scalar_one()
            if posts > max_rebuild:
                return "behind", 0, 0
        writer.delete_all_documents()
        n = 0
        for (doc,) in _raw_rows(conn, _DOCS_SQL):
            writer.add_json(doc)
            n += 1
        writer.add_document(_state_document(db))
        return "rebuilt", n, db.head


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _prune(engine: Engine, watermark: int) -> None:
    """Delete the applied log (best effort: a busy or read-only database keeps it for later)."""
    try:
        with db.writer(engine).connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            busy = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute("PRAGMA busy_timeout=200")
            try:
                with conn.begin():
                    conn.exec_driver_sql("DELETE FROM search_change WHERE seq <= ?", (watermark,))
                    conn.exec_driver_sql(
                        "UPDATE search_index_state SET pruned_through = ? "
                        "WHERE id = 1 AND pruned_through < ?",
                        (watermark, watermark),
                    )
            finally:
                raw.execute(f"PRAGMA busy_timeout={int(busy)}")
    except sa.exc.OperationalError as exc:
        log.info("search change log not pruned: %s", exc)


def discard_on_next_sync(conn: Connection) -> None:
    """Inside a write transaction: the index must be rebuilt from nothing before it answers again
    (``podium forget``: the forgotten text must leave the index's files too)."""
    if conn.dialect.name != "sqlite":
        return
    with contextlib.suppress(sa.exc.OperationalError):  # an archive from before the side index
        conn.exec_driver_sql(
            "UPDATE search_index_state SET generation = generation + 1 WHERE id = 1"
        )


# --- reading -----------------------------------------------------------------------------------


def ready_index(conn: Connection) -> tantivy.Index | None:
    """The side index, when it holds exactly what ``conn``'s read snapshot holds; else None."""
    if conn.dialect.name != "sqlite":
        return None
    path = index_path(conn.engine)
    if path is None:
        return None
    db = _db_state(conn)
    if db is None:
        return None
    try:
        index = _open(path)
        if index is None:
            return None
        if _in_step(_index_state(index), db):
            return index
        index.reload()
        return index if _in_step(_index_state(index), db) else None
    except (OSError, ValueError) as exc:
        log.info("search index %s not readable (%s); using FTS5", path, exc)
        return None


# --- queries -----------------------------------------------------------------------------------

_TOKEN_RE = re.compile(python_token_pattern())


#: A prefix that expands to at most this many words is their BM25-scored OR (FTS5 ranks prefix
#: matches too); beyond, a regular expression over the words, every match scoring alike.
PREFIX_WORDS = 64


def text_query(term: TextTerm, searcher: tantivy.Searcher | None = None) -> tantivy.Query:
    """The index query for one term, read as FTS5 reads the quoted term (raises Unsupported for
    a term FTS5 reads as empty). With ``searcher``, a one-word prefix is ranked (see
    ``PREFIX_WORDS``)."""
    toks: list[str | tuple[int, str]] = _TOKEN_RE.findall(" ".join(term.tokens))
    if not toks:
        raise Unsupported("a term with no FTS5 token")
    if not term.prefix:
        if len(toks) == 1:
            return _Q.term_query(SCHEMA, "text", str(toks[0]))
        return _Q.phrase_query(SCHEMA, "text", toks)
    words = [str(t) for t in toks]
    if not all(c.isalnum() or not c.isascii() for w in words for c in w):
        raise Unsupported("a prefix with characters a regular expression would read")
    if len(words) == 1:
        if searcher is not None:
            found = searcher.terms_with_prefix("text", words[0], limit=PREFIX_WORDS + 1)
            if not found:
                return _Q.empty_query()
            if len(found) <= PREFIX_WORDS:
                return any_of([_Q.term_query(SCHEMA, "text", w) for w, _ in found])
        return _Q.regex_query(SCHEMA, "text", words[0] + ".*")
    return _Q.regex_phrase_query(SCHEMA, "text", [*words[:-1], words[-1] + ".*"])


def all_of(musts: Sequence[tantivy.Query], nots: Sequence[tantivy.Query] = ()) -> tantivy.Query:
    """Every query of ``musts`` and none of ``nots``."""
    if len(musts) == 1 and not nots:
        return musts[0]
    return _Q.boolean_query([(_MUST, q) for q in musts] + [(_MUST_NOT, q) for q in nots])


def any_of(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    """At least one of ``queries`` (their scores add up)."""
    if len(queries) == 1:
        return queries[0]
    return _Q.boolean_query([(_SHOULD, q) for q in queries])


def keyword(field: str, value: str) -> tantivy.Query:
    """Posts whose raw keyword ``field`` (platform, lang, tag, mention, mention_user) is ``value``,
    scoring nothing (a filter)."""
    return _Q.const_score_query(_Q.term_query(SCHEMA, field, value, "basic"), 0.0)


def one_of(field: str, values: Sequence[int]) -> tantivy.Query:
    """Posts whose integer ``field`` (post, account, sound) is one of ``values``; a filter."""
    return _Q.const_score_query(_Q.term_set_query(SCHEMA, field, list(values)), 0.0)


def posted_between(
    start: datetime | None, end: datetime | None, *, end_inclusive: bool
) -> tantivy.Query:
    """Posts posted from ``start`` until before ``end`` (through it with ``end_inclusive``);
    posts without a time never match, as in SQL."""
    lo = None if start is None else micros(start)
    hi = None if end is None else micros(end)
    return _Q.range_query(
        SCHEMA,
        "posted",
        tantivy.FieldType.Integer,
        lo,
        hi,
        include_lower=True,
        include_upper=True if hi is None else end_inclusive,
    )


def dated() -> tantivy.Query:
    """Posts with a posted time."""
    return _Q.exists_query("posted")


def post_ids(searcher: tantivy.Searcher, hits: Sequence[tuple[Any, Any]]) -> list[int]:
    """The post ids of search hits."""
    values = searcher.fast_field_values("post", [h[1] for h in hits])
    return [int(v) for v in values if v is not None]


def posted_at_exactly(value: int) -> tantivy.Query:
    """Posts posted at exactly ``value`` (microseconds since 1970)."""
    return _Q.range_query(SCHEMA, "posted", tantivy.FieldType.Integer, value, value)
