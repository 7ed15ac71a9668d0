"""Raw payloads are written with zstd; those earlier versions wrote with zlib still read back."""

from __future__ import annotations

import dataclasses
import sqlite3
import zlib
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db, store
from archive.normalize import normalize_post
from archive.payload_codec import (
    ZSTD_MAGIC,
    UnreadablePayloadError,
    compress_payload,
    decompress_payload,
)
from archive.records import Payload, RawPost
from archive.rederivation import PayloadRow, derive_one
from archive.store.payloads import unheld_payloads_naming

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
BODY = (
    b'{"itemInfo": {"itemStruct": {"id": "7300000000000000001", "desc": "Goud! #schaatsen", '
    b'"createTime": 1760000000, "author": {"id": "6800000001", "uniqueId": "lotte.dijk"}, '
    b'"stats": {"diggCount": 10, "playCount": 1000}}}, "pad": "' + b"x" * 1500 + b'"}'
)


def test_a_payload_is_written_as_a_zstd_frame_and_reads_back() -> None:
    data = compress_payload(BODY)
    assert data.startswith(ZSTD_MAGIC)
    assert len(data) < len(BODY)
    assert decompress_payload(data) == BODY


def test_a_zlib_payload_of_an_earlier_version_reads_back() -> None:
    for level in (1, 6, 9):
        assert decompress_payload(zlib.compress(BODY, level)) == BODY


@pytest.mark.parametrize("data", [b"not zlib at all", ZSTD_MAGIC + b"broken frame", b""])
def test_bytes_neither_codec_reads_are_refused_with_one_error(data: bytes) -> None:
    with pytest.raises(UnreadablePayloadError):
        decompress_payload(data)


def _post(n: int, body: bytes = BODY) -> store.NormalizedPost:
    raw = RawPost(
        platform="tiktok",
        platform_post_id=f"73{n:017d}",
        url=f"https://www.tiktok.com/@lotte.dijk/video/73{n:017d}",
        author_handle="lotte.dijk",
        author_id="6800000001",
        posted_at=1_760_000_000 + n,
        caption=f"Goud! #schaatsen #dag{n} @ploeg",
    )
    post = normalize_post(raw, fetched_at=T0)
    return dataclasses.replace(post, payload=Payload(body, raw.url, T0, "tiktok.item"))


def _to_zlib(engine: Engine) -> None:
    """Rewrite every stored payload as an earlier version wrote it (zlib, level 1)."""
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT id, data FROM raw_payload")).all()
        for pay_id, data in rows:
            old = zlib.compress(decompress_payload(data), 1)
            conn.execute(
                sa.text("UPDATE raw_payload SET data = :d WHERE id = :i"), {"d": old, "i": pay_id}
            )


def test_zlib_rows_in_an_archive_read_back_everywhere_a_payload_is_read(engine: Engine) -> None:
    store.upsert_posts(engine, [_post(1)])
    _to_zlib(engine)
    with engine.connect() as conn:
        pay_id, data = conn.execute(sa.text("SELECT id, data FROM raw_payload")).one()
        assert not bytes(data).startswith(ZSTD_MAGIC)
        assert store.read_payload(conn, pay_id) == BODY
        assert unheld_payloads_naming(conn, ["7300000000000000001"]) == set()  # held by a post
    # podium reprocess reads it as a payload (it is no TikTok page, so the parser says so)...
    row = PayloadRow(1, "tiktok", "7300000000000000001", pay_id, data, None, T0, None, ())
    assert "not readable" not in (derive_one(row).problem or "")
    # ...where bytes that are no payload at all are refused as unreadable.
    broken = dataclasses.replace(row, data=b"not zlib at all")
    assert "not readable" in (derive_one(broken).problem or "")


def test_an_archive_mixing_both_codecs_keeps_one_row_per_payload(engine: Engine) -> None:
    store.upsert_posts(engine, [_post(1)])
    _to_zlib(engine)
    store.upsert_posts(engine, [_post(1), _post(2, BODY + b" ")])  # one old payload, one new
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, data FROM raw_payload ORDER BY id")).all()
        assert [bytes(d).startswith(ZSTD_MAGIC) for _, d in rows] == [False, True]
        assert [store.read_payload(conn, i) for i, _ in rows] == [BODY, BODY + b" "]


def test_a_batch_larger_than_one_statement_holds_maps_every_post_to_its_row(
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the bound-variable limit is lowered on the SQLite driver")
    small = db.make_engine(engine.url.render_as_string(hide_password=False))

    @sa.event.listens_for(small, "connect")
    def few_variables(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)  # 3 posts a statement

    posts = [_post(n, BODY + str(n).encode()) for n in range(25)]
    result = store.upsert_posts(small, posts)
    small.dispose()
    assert result.new == 25
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT platform_post_id, id FROM post")).tuples().all())
        held = conn.execute(sa.text("SELECT platform_post_id, raw_payload_id FROM post")).all()
        for ppid, pay_id in held:
            n = int(ppid) - 7300000000000000000
            assert store.read_payload(conn, pay_id) == BODY + str(n).encode()
    assert {ppid: post_id for (_, ppid), post_id in result.post_ids.items()} == stored
