"""The store on SQLite and on the real PostgreSQL: idempotent, history-keeping, race-free."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive import db, store
from archive.config import AccountConfig, AthleteConfig, Roster
from archive.normalize import normalize_post
from archive.payload_codec import ZSTD_MAGIC, decompress_payload
from archive.records import Payload, RawPost, RawSound, Tag

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
TABLES = (
    "post",
    "post_version",
    "metric_snapshot",
    "hashtag",
    "post_hashtag",
    "mention",
    "sound",
    "raw_payload",
    "account",
)
CAPTIONS = [
    "Vandaag een zware training gehad op het ijs van Thialf met de hele ploeg #schaatsen @femke.kok",
    "Heute war das Training im Eisstadion wirklich hart aber es hat Spaß gemacht #über #eisschnelllauf",
    "What a race today in Calgary, a new personal best and so many happy faces #speedskating",
]


def observe(
    n: int,
    caption: str | None = None,
    *,
    at: datetime = T0,
    likes: int | str = 10,
    source_kind: str = "platform",
    sound: RawSound | None = None,
    availability: str = "active",
    handle: str = "lotte.dijk",
) -> store.NormalizedPost:
    raw = RawPost(
        platform="tiktok",
        platform_post_id=f"7{n:018d}",
        url=f"https://www.tiktok.com/@{handle}/video/{n}",
        source_kind=source_kind,
        author_handle=handle,
        author_id="6800000001",
        posted_at=1_760_000_000 + n * 3600,
        caption=CAPTIONS[n % len(CAPTIONS)] if caption is None else caption,
        counts={"likes": likes, "views": "1000", "comments": 3},
        sound=sound,
        availability=availability,
    )
    post = normalize_post(raw, fetched_at=at)
    body = f'{{"id": {n}, "seen": "{at.isoformat()}", "pad": "{"x" * 2000}"}}'.encode()
    return dataclasses.replace(post, payload=Payload(body, raw.url, at, "test"))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_new_posts_get_a_first_version_tags_sound_and_snapshot(engine: Engine) -> None:
    song = RawSound("Kou op het ijs", "De Rijders", False, "7100000000000000001")
    result = store.upsert_posts(engine, [observe(0, sound=song), observe(1), observe(2)])
    assert (result.new, result.updated, result.unchanged) == (3, 0, 0)
    c = counts(engine)
    assert c["post"] == 3 and c["post_version"] == 3 and c["metric_snapshot"] == 3
    assert c["sound"] == 1 and c["account"] == 1 and c["mention"] == 1
    with engine.connect() as conn:
        tags = (
            conn.execute(
                sa.text(
                    "SELECT h.key FROM post_hashtag ph JOIN hashtag h ON h.id = ph.hashtag_id "
                    "ORDER BY ph.post_id, ph.position"
                )
            )
            .scalars()
            .all()
        )
        row = conn.execute(
            sa.text(
                "SELECT language, likes, views, availability FROM post WHERE platform_post_id = :i"
            ),
            {"i": f"7{0:018d}"},
        ).one()
    assert tags == ["schaatsen", "über", "eisschnelllauf", "speedskating"]
    assert tuple(row) == ("nl", 10, 1000, "active")


def test_the_same_batch_twice_changes_nothing(engine: Engine) -> None:
    batch = [observe(n) for n in range(5)]
    store.upsert_posts(engine, batch)
    before = counts(engine)
    again = store.upsert_posts(engine, batch)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert counts(engine) == before


def test_seen_again_moves_last_seen_only(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(0)])
    later = T0 + timedelta(hours=6)
    result = store.upsert_posts(engine, [observe(0, at=later)])
    assert result.unchanged == 1
    with engine.connect() as conn:
        first, last = conn.execute(sa.text("SELECT first_seen_at, last_seen_at FROM post")).one()
    assert counts(engine)["metric_snapshot"] == 1 and counts(engine)["post_version"] == 1
    assert str(first).startswith("2026-02-01 12:00") and str(last).startswith("2026-02-01 18:00")


def test_an_edit_adds_a_version_and_the_newest_is_on_post(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(0)])
    edited = CAPTIONS[0].replace("zware", "lange")
    result = store.upsert_posts(engine, [observe(0, edited, at=T0 + timedelta(days=1))])
    assert result.updated == 1
    with engine.connect() as conn:
        caption = conn.execute(sa.text("SELECT caption FROM post")).scalar_one()
        versions = (
            conn.execute(sa.text("SELECT body FROM post_version ORDER BY observed_at"))
            .scalars()
            .all()
        )
    assert caption == edited
    assert len(versions) == 2 and "zware" in versions[0] and "lange" in versions[1]


def test_an_embeds_text_is_never_an_edit_of_the_page_caption(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(0)])
    embed = observe(
        0,
        "@lotte.dijk Vandaag een training op het ijs, kort samengevat voor de krant",
        at=T0 + timedelta(days=1),
        source_kind="embed",
    )
    store.upsert_posts(engine, [embed])
    with engine.connect() as conn:
        caption, source = conn.execute(sa.text("SELECT caption, source_kind FROM post")).one()
        kinds = (
            conn.execute(sa.text("SELECT source_kind FROM post_version ORDER BY id"))
            .scalars()
            .all()
        )
    assert caption == CAPTIONS[0] and source == "platform"
    assert kinds == ["platform", "embed"]  # what the embed showed is kept, not as an edit


def test_changed_counts_add_a_snapshot_unchanged_write_nothing(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(0, likes=10)])
    store.upsert_posts(engine, [observe(0, likes="10", at=T0 + timedelta(hours=1))])
    assert counts(engine)["metric_snapshot"] == 1
    store.upsert_posts(engine, [observe(0, likes=25, at=T0 + timedelta(hours=2))])
    with engine.connect() as conn:
        likes = (
            conn.execute(sa.text("SELECT likes FROM metric_snapshot ORDER BY captured_at"))
            .scalars()
            .all()
        )
        latest = conn.execute(sa.text("SELECT likes FROM post")).scalar_one()
    assert likes == [10, 25] and latest == 25


def test_a_sound_without_platform_id_is_keyed_by_title_and_artist(engine: Engine) -> None:
    a = observe(0, CAPTIONS[0] + "\n♬ Winterlicht - Noor Berg")
    b = observe(1, CAPTIONS[2] + "\n♬ winterlicht - noor berg")
    store.upsert_posts(engine, [a, b])
    with engine.connect() as conn:
        sounds = conn.execute(sa.text("SELECT title, artist, is_original FROM sound")).all()
        linked = conn.execute(sa.text("SELECT count(DISTINCT sound_id) FROM post")).scalar_one()
    assert [tuple(s) for s in sounds] == [("Winterlicht", "Noor Berg", None)]
    assert linked == 1


def test_raw_payload_is_stored_compressed_once_per_sha256(engine: Engine) -> None:
    post = observe(0)
    store.upsert_posts(engine, [post, dataclasses.replace(observe(1), payload=post.payload)])
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, size, data FROM raw_payload")).all()
        assert len(rows) == 1
        assert bytes(rows[0].data).startswith(ZSTD_MAGIC)
        assert decompress_payload(rows[0].data) == post.payload.body
        assert len(rows[0].data) < rows[0].size
        assert store.read_payload(conn, rows[0].id) == post.payload.body


def test_a_block_never_changes_what_we_knew_but_private_does(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(0), observe(1)])
    blocked = observe(0, "", availability="blocked", at=T0 + timedelta(days=1))
    private = observe(1, "", availability="private", at=T0 + timedelta(days=1))
    store.upsert_posts(engine, [blocked, private])
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT platform_post_id, availability FROM post")).all())
        captions = conn.execute(sa.text("SELECT caption FROM post ORDER BY id")).scalars().all()
    assert rows == {f"7{0:018d}": "active", f"7{1:018d}": "private"}
    assert captions == [CAPTIONS[0], CAPTIONS[1]]


def test_full_sweep_marks_only_missing_posts_deleted(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(n) for n in range(4)])
    gone = store.mark_missing_deleted(
        engine,
        "tiktok",
        "lotte.dijk",
        [f"7{n:018d}" for n in (0, 1, 3)],
        swept_at=T0 + timedelta(days=1),
    )
    assert gone.deleted == (f"7{2:018d}",) and gone.suspect is None
    with engine.connect() as conn:
        states = conn.execute(sa.text("SELECT availability FROM post ORDER BY id")).scalars().all()
    assert states == ["active", "active", "deleted", "active"]


def test_two_writers_at_once_give_the_same_archive(archive_url: str) -> None:
    batch = [observe(n) for n in range(60)]
    reference = db.make_engine(archive_url)
    engines = [db.make_engine(archive_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(e: Engine) -> None:
        try:
            barrier.wait()
            for i in range(0, 60, 20):
                store.upsert_posts(e, batch[i : i + 20])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    after_race = counts(reference)
    assert after_race["post"] == 60 and after_race["post_version"] == 60
    assert after_race["metric_snapshot"] == 60 and after_race["account"] == 1
    store.upsert_posts(reference, batch)
    assert counts(reference) == after_race
    for e in (*engines, reference):
        e.dispose()


def test_roster_sync_adds_then_updates_and_is_idempotent(engine: Engine) -> None:
    roster = Roster(
        (
            AthleteConfig(
                "lotte-van-dijk",
                "Lotte van Dijk",
                "speed skating",
                "NL",
                ("nl",),
                (AccountConfig("tiktok", "lotte.dijk"),),
            ),
        )
    )
    first = store.sync_roster(engine, roster)
    assert (first.athletes_added, first.accounts_added) == (1, 1)
    again = store.sync_roster(engine, roster)
    assert (again.athletes_added, again.athletes_updated, again.accounts_added) == (0, 0, 0)
    store.upsert_posts(engine, [observe(0), observe(1)])  # the crawl learns the account's id
    [summary] = store.list_athletes(engine)
    assert summary.accounts == (("tiktok", "lotte.dijk"),) and summary.posts == 2
    assert counts(engine)["account"] == 1


def test_a_problem_keeps_reason_record_and_payload(engine: Engine) -> None:
    payload = Payload(b'{"itemList": [', "https://example.test/page", T0, "item_list")
    pid = store.record_problem(
        engine,
        reason="truncated JSON",
        platform="tiktok",
        source_url=payload.source_url,
        payload=payload,
        detail={"page": 2},
    )
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT reason, detail, raw_payload_id FROM problem WHERE id = :i"), {"i": pid}
        ).one()
        assert store.read_payload(conn, row.raw_payload_id) == payload.body
    assert row.reason == "truncated JSON" and '"page": 2' in row.detail


@pytest.mark.parametrize(("slug", "hint"), [("lote-van-dijk", "lotte-van-dijk"), ("zzz", "")])
def test_unknown_athlete_names_close_matches(engine: Engine, slug: str, hint: str) -> None:
    store.sync_roster(engine, Roster((AthleteConfig("lotte-van-dijk", "Lotte van Dijk"),)))
    with engine.connect() as conn, pytest.raises(store.UnknownAthleteError) as info:
        store.require_athlete(conn, slug)
    assert hint in str(info.value)


def test_a_roster_account_named_by_its_stable_id_is_one_account(engine: Engine) -> None:
    channel = "UCabcdefghijklmnopqrstuv"
    roster = Roster(
        (
            AthleteConfig(
                "lotte-van-dijk", "Lotte van Dijk", accounts=(AccountConfig("youtube", channel),)
            ),
        )
    )
    store.sync_roster(engine, roster)
    video = normalize_post(
        RawPost(
            platform="youtube",
            platform_post_id="dQw4w9WgXcQ",
            author_id=channel,
            author_handle="Lotte van Dijk Skating",
            posted_at="2026-01-05T10:00:00+00:00",
            caption="Mijn eerste training van het nieuwe jaar op de ijsbaan in Heerenveen",
        ),
        fetched_at=T0,
    )
    store.upsert_posts(engine, [video])
    store.sync_roster(engine, roster)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT platform_account_id, athlete_id FROM account")).all()
    assert len(rows) == 1 and rows[0].platform_account_id == channel and rows[0].athlete_id
    assert store.mark_listing_read(engine, "youtube", channel, at=T0 + timedelta(hours=1))
    assert store.known_post_ids(engine, "youtube", channel) == {"dQw4w9WgXcQ"}


def test_only_posts_a_finished_listing_covered_count_as_known(engine: Engine) -> None:
    """Posts stored after the last listing read as asked may be the head of a listing a crash
    cut short: the stop rule must not halt on them, or what lies below is never fetched."""
    ids = [f"7{n:018d}" for n in range(4)]
    assert not store.mark_listing_read(engine, "tiktok", "lotte.dijk", at=T0)  # no account yet
    store.upsert_posts(engine, [observe(0), observe(1)])
    assert store.known_post_ids(engine, "tiktok", "lotte.dijk") == set()  # never read to the end
    assert store.mark_listing_read(engine, "tiktok", "lotte.dijk", at=T0 + timedelta(minutes=1))
    store.upsert_posts(engine, [observe(n, at=T0 + timedelta(hours=1)) for n in (2, 3)])
    assert store.known_post_ids(engine, "tiktok", "lotte.dijk") == set(ids[:2])
    assert store.mark_listing_read(engine, "tiktok", "lotte.dijk", at=T0 + timedelta(hours=2))
    assert store.known_post_ids(engine, "tiktok", "lotte.dijk") == set(ids)


def test_a_listing_that_shrank_suddenly_deletes_nothing(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(n) for n in range(10)])
    for seen in ([], [f"7{n:018d}" for n in range(4)]):
        verdict = store.mark_missing_deleted(
            engine, "tiktok", "lotte.dijk", seen, swept_at=T0 + timedelta(days=1)
        )
        assert verdict.deleted == () and verdict.suspect
    with engine.connect() as conn:
        states = set(conn.execute(sa.text("SELECT availability FROM post")).scalars())
        swept = conn.execute(sa.text("SELECT last_full_sweep_at FROM account")).scalar()
    assert states == {"active"} and swept is None


def test_a_listing_that_covers_only_recent_posts_judges_only_those(engine: Engine) -> None:
    store.upsert_posts(engine, [observe(n) for n in range(4)])  # posted an hour apart
    since = datetime.fromtimestamp(1_760_000_000 + 2 * 3600, UTC)
    gone = store.mark_missing_deleted(
        engine,
        "tiktok",
        "lotte.dijk",
        [f"7{3:018d}"],
        swept_at=T0 + timedelta(days=1),
        listed_since=since,
    )
    assert gone.deleted == (f"7{2:018d}",)  # posts 0 and 1 are older than the listing reaches


def test_an_account_takes_its_name_from_any_post_of_a_batch(engine: Engine) -> None:
    """A listing item without the author's name must not hide the name another item gives:
    the archive may not depend on the order items arrive in."""
    from dataclasses import replace

    batch = [replace(observe(0), author_name=None), replace(observe(1), author_name="Lotte")]
    for posts in (batch, batch[::-1]):
        store.upsert_posts(engine, posts)
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT display_name FROM account")).scalars().all()
        assert names == ["Lotte"]


@pytest.mark.postgres
def test_an_account_the_database_refuses_is_one_error_not_endless_recursion(pg_url: str) -> None:
    """A new account row refused by a constraint the store does not look up by (here a
    primary-key sequence behind its rows, as after a bulk load) fails once, with a message.

    The sequence is further behind than the attempts a new account makes (the batch's insert,
    then the careful path's insert and its retry), each of which takes a number."""
    db.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    store.upsert_posts(
        engine,
        [dataclasses.replace(observe(n, handle=f"a{n}"), author_id=str(n)) for n in range(4)],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('account', 'id'), 1, false)"))
    other = dataclasses.replace(observe(1, handle="someone_else"), author_id="77")
    with pytest.raises(RuntimeError, match=r"cannot store the .* account"):
        store.upsert_posts(engine, [other])
    engine.dispose()


def test_a_hashtag_written_two_ways_shows_one_form_whatever_the_order(engine: Engine) -> None:
    """Workers store posts in any order: the tag's shown form must not depend on it."""
    lower, upper = observe(0, "Klim #radsport #ß"), observe(1, "Rust #Radsport #ẞ")
    shown = []
    for first, second in ((lower, upper), (upper, lower)):
        with engine.begin() as conn:
            for t in ("post_hashtag", "hashtag"):
                conn.execute(sa.text(f"DELETE FROM {t}"))
        store.upsert_posts(engine, [first])
        store.upsert_posts(engine, [second])
        with engine.connect() as conn:
            shown.append(
                sorted(conn.execute(sa.text("SELECT display FROM hashtag")).scalars().all())
            )
    assert shown[0] == shown[1]
    assert "Radsport" in shown[0]


def test_a_key_a_post_names_twice_is_linked_once_at_its_first_place(engine: Engine) -> None:
    """A new post's links are written without ON CONFLICT on PostgreSQL (copied in): a key
    named twice by an observation from any source must not fail the batch."""
    seen = observe(0, "Training #schaatsen @femke.kok")
    text = dataclasses.replace(
        seen.text,
        hashtags=(Tag("Schaatsen", "schaatsen"), Tag("ijs", "ijs"), Tag("SCHAATSEN", "schaatsen")),
        mentions=(Tag("femke.kok", "femke.kok"), Tag("Femke.Kok", "femke.kok")),
    )
    result = store.upsert_posts(engine, [dataclasses.replace(seen, text=text)])
    assert result.new == 1
    with engine.connect() as conn:
        tags = conn.execute(
            sa.text(
                "SELECT h.key, ph.position FROM post_hashtag ph "
                "JOIN hashtag h ON h.id = ph.hashtag_id ORDER BY ph.position"
            )
        ).all()
        mentions = conn.execute(sa.text("SELECT key, display, position FROM mention")).all()
    assert [tuple(r) for r in tags] == [("schaatsen", 0), ("ijs", 1)]
    assert [tuple(r) for r in mentions] == [("femke.kok", "femke.kok", 0)]


def test_new_accounts_of_one_batch_are_told_apart_as_one_by_one(engine: Engine) -> None:
    """New accounts are inserted together unless one could be taken for another: a renamed
    account, a handle that moved, an embed's byline and an id a roster named as a handle end
    as they would were each resolved on its own."""
    roster = Roster(
        (AthleteConfig("lotte-van-dijk", "Lotte", accounts=(AccountConfig("tiktok", "id9"),)),)
    )
    store.sync_roster(engine, roster)

    def by(n: int, author_id: str | None, handle: str) -> store.NormalizedPost:
        return dataclasses.replace(observe(n, handle=handle), author_id=author_id)

    batch = [
        by(0, "1", "Old.Name"),
        by(1, "1", "new.name"),  # renamed within the batch
        by(2, "2", "shared"),
        by(3, "3", "shared"),  # the handle moved to another account
        by(4, None, "byline"),  # an embed's byline: no id
        by(5, "ID9", "lotte"),  # the roster's account, named by its id
        by(6, "4", "fresh"),
    ]
    store.upsert_posts(engine, batch)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT platform_account_id, handle_key, athlete_id IS NOT NULL FROM account "
                "ORDER BY coalesce(platform_account_id, '')"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (None, "byline", False),
        ("1", "new.name", False),
        ("2", None, False),
        ("3", "shared", False),
        ("4", "fresh", False),
        ("ID9", "lotte", True),
    ]


def test_a_post_id_longer_than_its_column_is_never_stored_cut_short(engine: Engine) -> None:
    """PostgreSQL refuses it as the column says (SQLite keeps it whole): never a post stored
    under the first 300 characters of its id, nor a batch that reports nothing."""
    long_id = "9" * 320
    stored, failed = store.upsert_posts_each(
        engine, [dataclasses.replace(observe(0), platform_post_id=long_id), observe(1)]
    )
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT platform_post_id FROM post")).scalars().all()
    assert all(not long_id.startswith(i) or i == long_id for i in ids)
    if engine.dialect.name == "postgresql":
        assert [f.post.platform_post_id for f in failed] == [long_id]
        assert "too long" in failed[0].reason and stored.new == 1
    else:
        assert not failed and stored.new == 2 and long_id in ids


_PAGE = (
    "Vandaag een zware training gehad op het ijs van Thialf met de hele ploeg #schaatsen @femke.kok"
)
_EMBED = "@lotte.dijk Vandaag een training op het ijs, kort samengevat voor de krant"
_EDITED = _PAGE + " Bedankt allemaal!"
_LATER = T0 + timedelta(hours=5)


def _state(engine: Engine, n: int) -> dict[str, object]:
    """What the archive holds of post n, without ids or anything derived from n."""
    ppid = f"7{n:018d}"
    with engine.connect() as conn:
        post = conn.execute(
            sa.text(
                "SELECT id, caption, body, source_kind, likes, views, last_seen_at, language "
                "FROM post WHERE platform_post_id = :p"
            ),
            {"p": ppid},
        ).one()
        ask = {"id": post.id}
        versions = conn.execute(
            sa.text(
                "SELECT caption, source_kind, observed_at FROM post_version "
                "WHERE post_id = :id ORDER BY observed_at, caption"
            ),
            ask,
        ).all()
        snapshots = conn.execute(
            sa.text(
                "SELECT captured_at, likes FROM metric_snapshot WHERE post_id = :id "
                "ORDER BY captured_at"
            ),
            ask,
        ).all()
        tags = conn.execute(
            sa.text(
                "SELECT h.key FROM post_hashtag ph JOIN hashtag h ON h.id = ph.hashtag_id "
                "WHERE ph.post_id = :id ORDER BY ph.position"
            ),
            ask,
        ).all()
    return {
        "post": tuple(post)[1:],
        "versions": [tuple(v) for v in versions],
        "snapshots": [tuple(s) for s in snapshots],
        "tags": [t[0] for t in tags],
    }


@pytest.mark.parametrize(
    "sightings",
    [
        pytest.param(
            [(_PAGE, T0, "platform"), (_EMBED, _LATER, "embed")], id="page-then-newer-embed"
        ),
        pytest.param(
            [(_EMBED, _LATER, "embed"), (_PAGE, T0, "platform")], id="newer-embed-then-page"
        ),
        pytest.param([(_EMBED, T0, "embed"), (_PAGE, _LATER, "platform")], id="embed-then-page"),
        pytest.param(
            [(_PAGE, _LATER, "platform"), (_EDITED, T0, "platform")], id="older-edit-later"
        ),
        pytest.param(
            [(_PAGE, T0, "platform"), (_EDITED, T0, "platform")], id="listing-and-page-tie"
        ),
        pytest.param(
            [(_PAGE, T0, "platform"), (_EDITED, _LATER, "platform"), (_EMBED, _LATER, "embed")],
            id="edit-and-embed",
        ),
    ],
)
def test_a_post_seen_twice_in_one_batch_is_stored_as_in_batches_of_one(
    engine: Engine, sightings: list[tuple[str, datetime, str]]
) -> None:
    """The archive never depends on how observations fall into batches: several observations of
    one post in a batch give what the same observations, one batch each, give."""
    likes = iter(range(10, 100, 7))

    def sighting(n: int, caption: str, at: datetime, kind: str) -> store.NormalizedPost:
        return observe(n, caption, at=at, source_kind=kind, likes=next(likes))

    one_batch = [sighting(1, *s) for s in sightings]
    likes = iter(range(10, 100, 7))
    one_each = [sighting(2, *s) for s in sightings]
    result = store.upsert_posts(engine, one_batch)
    for post in one_each:
        store.upsert_posts(engine, [post])
    assert _state(engine, 1) == _state(engine, 2)
    assert result.new == 1 and result.updated + result.unchanged == 0  # one post, counted once
