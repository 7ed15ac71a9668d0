"""The merge rules without a database: what one observation changes in what the archive knows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.post_merge import (
    KnownPost,
    PostChange,
    References,
    merge_observation,
)
from archive.records import (
    AVAILABILITY,
    COUNT_KEYS,
    SOURCE_KINDS,
    Counts,
    NormalizedPost,
    NormalizedText,
)

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=6)
POSTED = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
EDITED = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
URL = "https://www.tiktok.com/@lotte.dijk/video/7001"
CAPTION = "Goud in Heerenveen #schaatsen"
EDIT = "Goud én een baanrecord in Heerenveen #schaatsen"
COUNTS = Counts(views=1000, likes=10)

#: Columns that carry the observation's text; the tables check ``source_kind``,
#: ``edited_at`` and ``sound_id`` by value, these only by presence (``rewrites_text``).
TEXT_COLUMNS = frozenset(
    {
        "caption",
        "body",
        "language",
        "language_confidence",
        "declared_language",
        "normalizer_version",
        "search_text",
    }
)


def seen(
    caption: str = CAPTION,
    *,
    body: str | None = None,
    normalizer_version: str = "v1",
    post_id: str = "7001",
    **fields: Any,
) -> NormalizedPost:
    """An observation of a TikTok post; by default the one ``known()`` describes, seen at T0."""
    text = NormalizedText(
        language="nl",
        language_confidence=0.99,
        declared_language=None,
        hashtags=(),
        mentions=(),
        sound=None,
        author=None,
        body=caption if body is None else body,
        normalizer_version=normalizer_version,
    )
    values: dict[str, Any] = {
        "platform": "tiktok",
        "platform_post_id": post_id,
        "url": URL,
        "source_url": URL,
        "source_kind": "platform",
        "kind": "video",
        "author_handle": "lotte.dijk",
        "author_id": "6800000001",
        "author_name": None,
        "athlete_slug": "lotte-van-dijk",
        "posted_at": POSTED,
        "edited_at": None,
        "caption": caption,
        "text": text,
        "counts": COUNTS,
        "availability": "active",
        "is_repost": False,
        "is_pinned": False,
        "observed_at": T0,
    }
    return NormalizedPost(**{**values, **fields})


def known(**fields: Any) -> KnownPost:
    """What the archive knows after storing ``seen()`` (account 1, no sound)."""
    values: dict[str, Any] = {
        "body": CAPTION,
        "caption": CAPTION,
        "source_kind": "platform",
        "normalizer_version": "v1",
        "sound_id": None,
        "availability": "active",
        "is_pinned": False,
        "is_repost": False,
        "account_id": 1,
        "url": URL,
        "posted_at": POSTED,
        "edited_at": None,
        "last_seen_at": T0,
        "counts": COUNTS,
    }
    return KnownPost(**{**values, **fields})


REFS = References(account_id=1)
REWRITE = {"source_kind": "platform", "edited_at": None, "sound_id": None}


def case(
    name: str,
    old: KnownPost,
    new: NormalizedPost,
    outcome: str,
    columns: dict[str, Any],
    *,
    refs: References = REFS,
    rewrites_text: bool = False,
    new_version: bool = False,
    snapshot: Counts | None = None,
) -> Any:
    """One row of the table: what merging ``new`` into ``old`` should give."""
    return pytest.param(
        old, new, refs, outcome, columns, rewrites_text, new_version, snapshot, id=name
    )


@pytest.mark.parametrize(
    ("old", "new", "refs", "outcome", "columns", "rewrites_text", "new_version", "snapshot"),
    [
        case("seen-again", known(), seen(), "unchanged", {}),
        case(
            "seen-later-moves-last-seen-only",
            known(),
            seen(observed_at=LATER),
            "unchanged",
            {"last_seen_at": LATER},
        ),
        case(
            "an-older-observation-leaves-last-seen",
            known(last_seen_at=LATER),
            seen(),
            "unchanged",
            {},
        ),
        # --- text --------------------------------------------------------------------------
        case(
            "an-edit-is-a-new-version",
            known(),
            seen(EDIT),
            "updated",
            REWRITE,
            rewrites_text=True,
            new_version=True,
        ),
        case(
            "an-edit-without-edited-at-keeps-the-known-one",
            known(edited_at=EDITED),
            seen(EDIT),
            "updated",
            {**REWRITE, "edited_at": EDITED},
            rewrites_text=True,
            new_version=True,
        ),
        case(
            "an-edit-with-edited-at-takes-it",
            known(),
            seen(EDIT, edited_at=LATER),
            "updated",
            {**REWRITE, "edited_at": LATER},
            rewrites_text=True,
            new_version=True,
        ),
        case(
            "a-new-caption-with-the-same-body-is-no-edit",
            known(),
            seen(CAPTION + "  ", body=CAPTION),
            "unchanged",
            REWRITE,
            rewrites_text=True,
        ),
        case(
            "a-new-normalizer-rewrites-the-text-but-is-no-edit",
            known(),
            seen(normalizer_version="v2"),
            "unchanged",
            REWRITE,
            rewrites_text=True,
        ),
        case(
            "an-embed-never-edits-the-page-caption-but-is-kept",
            known(),
            seen("@lotte.dijk Goud, kort voor de krant", source_kind="embed"),
            "unchanged",
            {},
            new_version=True,
        ),
        case(
            "an-embed-showing-the-page-text-adds-nothing",
            known(),
            seen(source_kind="embed"),
            "unchanged",
            {},
        ),
        case(
            "the-page-replaces-an-embeds-text",
            known(source_kind="embed"),
            seen(EDIT),
            "updated",
            REWRITE,
            rewrites_text=True,
            new_version=True,
        ),
        case(
            "an-embed-edits-an-embeds-text",
            known(source_kind="embed"),
            seen(EDIT, source_kind="embed"),
            "updated",
            {**REWRITE, "source_kind": "embed"},
            rewrites_text=True,
            new_version=True,
        ),
        case(
            "a-block-shows-no-text-and-changes-nothing",
            known(),
            seen("", availability="blocked"),
            "unchanged",
            {},
        ),
        case(
            "a-sound-found-later-links-without-an-edit",
            known(),
            seen(),
            "unchanged",
            {"sound_id": 5},
            refs=References(account_id=1, sound_id=5),
        ),
        case("a-sound-no-longer-credited-stays-linked", known(sound_id=5), seen(), "unchanged", {}),
        # --- availability ------------------------------------------------------------------
        case(
            "a-block-replaces-only-unknown",
            known(availability="unknown"),
            seen("", availability="blocked"),
            "updated",
            {"availability": "blocked"},
        ),
        case(
            "a-block-never-undeletes",
            known(availability="deleted"),
            seen("", availability="blocked"),
            "unchanged",
            {},
        ),
        case(
            "private-is-news",
            known(),
            seen("", availability="private"),
            "updated",
            {"availability": "private"},
        ),
        case(
            "deleted-is-news",
            known(),
            seen("", availability="deleted", counts=Counts()),
            "updated",
            {"availability": "deleted"},
        ),
        case(
            "visible-again",
            known(availability="private"),
            seen(),
            "updated",
            {"availability": "active"},
        ),
        # --- counts ------------------------------------------------------------------------
        case(
            "counts-merge-a-missing-count-keeps-its-value",
            known(),
            seen(counts=Counts(likes=12)),
            "updated",
            {"views": 1000, "likes": 12, "comments": None, "shares": None, "saves": None},
            snapshot=Counts(views=1000, likes=12),
        ),
        case("no-counts-change-no-counts", known(), seen(counts=Counts()), "unchanged", {}),
        # --- filled in, never erased -------------------------------------------------------
        case(
            "what-was-missing-fills-in",
            known(url=None, posted_at=None, account_id=None),
            seen(),
            "unchanged",
            {"url": URL, "posted_at": POSTED, "account_id": 7},
            refs=References(account_id=7),
        ),
        case(
            "what-was-known-is-never-erased",
            known(),
            seen(url=None, posted_at=None),
            "unchanged",
            {},
            refs=References(account_id=None),
        ),
        case(
            "another-account-never-replaces-the-known-one",
            known(),
            seen(),
            "unchanged",
            {},
            refs=References(account_id=9),
        ),
        case(
            "the-page-sets-its-flags",
            known(),
            seen(is_pinned=True, is_repost=True),
            "unchanged",
            {"is_pinned": True, "is_repost": True},
        ),
        case(
            "an-embeds-flags-are-not-trusted",
            known(),
            seen(is_pinned=True, source_kind="embed"),
            "unchanged",
            {},
        ),
        case(
            "the-latest-payload-is-linked",
            known(),
            seen(),
            "unchanged",
            {"raw_payload_id": 3},
            refs=References(account_id=1, raw_payload_id=3),
        ),
    ],
)
def test_merge_into_a_known_post(
    old: KnownPost,
    new: NormalizedPost,
    refs: References,
    outcome: str,
    columns: dict[str, Any],
    rewrites_text: bool,
    new_version: bool,
    snapshot: Counts | None,
) -> None:
    change = merge_observation(old, new, refs)
    assert change.outcome == outcome
    assert {k: v for k, v in change.columns.items() if k not in TEXT_COLUMNS} == columns
    assert (TEXT_COLUMNS & change.columns.keys()) == (TEXT_COLUMNS if rewrites_text else set())
    assert change.relink_tags is rewrites_text
    assert change.new_version is new_version
    assert change.snapshot == snapshot
    if rewrites_text:
        assert (change.columns["caption"], change.columns["body"]) == (new.caption, new.text.body)


@pytest.mark.parametrize(
    ("new", "new_version", "snapshot"),
    [
        pytest.param(seen(), True, COUNTS, id="active-first-version-and-snapshot"),
        pytest.param(seen(counts=Counts()), True, None, id="no-counts-no-snapshot"),
        pytest.param(seen("", availability="blocked"), False, COUNTS, id="blocked-no-version"),
        pytest.param(seen(availability="private"), True, COUNTS, id="private-with-a-caption"),
        pytest.param(seen(source_kind="embed"), True, COUNTS, id="known-only-from-an-embed"),
    ],
)
def test_a_first_sighting_is_the_whole_row(
    new: NormalizedPost, new_version: bool, snapshot: Counts | None
) -> None:
    change = merge_observation(None, new, References(account_id=4, sound_id=5, raw_payload_id=6))
    assert change.outcome == "new"
    assert change.new_version is new_version and change.relink_tags is new_version
    assert change.snapshot == snapshot
    row = change.columns
    assert (row["platform"], row["platform_post_id"], row["source_kind"]) == (
        "tiktok",
        "7001",
        new.source_kind,
    )
    assert (row["account_id"], row["sound_id"], row["raw_payload_id"]) == (4, 5, 6)
    assert row["first_seen_at"] == row["last_seen_at"] == new.observed_at
    assert row["availability"] == new.availability and row["caption"] == new.caption
    assert {k: row[k] for k in COUNT_KEYS} == {k: getattr(new.counts, k) for k in COUNT_KEYS}


# --- properties ----------------------------------------------------------------------------


def apply(old: KnownPost, change: PostChange) -> KnownPost:
    """What the store makes of ``old`` after writing ``change`` (the columns KnownPost holds)."""
    names = {f.name for f in dataclasses.fields(KnownPost)}
    fields = {k: v for k, v in change.columns.items() if k in names}
    counts = {k: change.columns.get(k, getattr(old.counts, k)) for k in COUNT_KEYS}
    return dataclasses.replace(old, **fields, counts=Counts(**counts))


maybe_count = st.none() | st.integers(0, 10**6)
counts_st = st.builds(Counts, *[maybe_count] * len(COUNT_KEYS))
texts = st.sampled_from([CAPTION, EDIT, CAPTION + "  ", ""])
times = st.sampled_from([T0 - timedelta(hours=1), T0, LATER])
refs_st = st.builds(
    References,
    st.none() | st.sampled_from([1, 7]),
    st.none() | st.sampled_from([5, 8]),
    st.none() | st.just(3),
)
known_st = st.builds(
    known,
    body=texts,
    caption=texts,
    source_kind=st.sampled_from(SOURCE_KINDS),
    normalizer_version=st.sampled_from(["v1", "v2"]),
    sound_id=st.none() | st.just(5),
    availability=st.sampled_from(AVAILABILITY),
    is_pinned=st.booleans(),
    account_id=st.none() | st.just(1),
    url=st.none() | st.just(URL),
    posted_at=st.none() | st.just(POSTED),
    edited_at=st.none() | st.just(EDITED),
    counts=counts_st,
)
seen_st = st.builds(
    seen,
    texts,
    normalizer_version=st.sampled_from(["v1", "v2"]),
    source_kind=st.sampled_from(SOURCE_KINDS),
    availability=st.sampled_from(AVAILABILITY),
    is_pinned=st.booleans(),
    url=st.none() | st.just(URL),
    posted_at=st.none() | st.just(POSTED),
    edited_at=st.none() | st.just(EDITED),
    counts=counts_st,
    observed_at=times,
)


@given(known_st, seen_st, refs_st)
def test_the_same_observation_twice_changes_nothing_the_second_time(
    old: KnownPost, new: NormalizedPost, refs: References
) -> None:
    first = merge_observation(old, new, refs)
    after = apply(old, first)
    again = merge_observation(after, new, refs)
    assert again.outcome == "unchanged"
    assert not again.relink_tags
    assert apply(after, again) == after
    # an embed's text is kept again: the same body, which post_version's unique key absorbs;
    # an earlier observation's snapshot is offered again at its same time, which
    # metric_snapshot's unique key (post, captured_at) absorbs
    assert not again.new_version or first.new_version
    assert again.snapshot is None or (
        again.snapshot == first.snapshot and new.observed_at < old.last_seen_at
    )


@given(known_st, seen_st, refs_st)
def test_a_block_or_a_missing_value_never_loses_what_was_known(
    old: KnownPost, new: NormalizedPost, refs: References
) -> None:
    after = apply(old, merge_observation(old, new, refs))
    for k in COUNT_KEYS:
        assert getattr(after.counts, k) is not None or getattr(old.counts, k) is None
    for name in ("url", "posted_at", "account_id", "edited_at"):
        assert getattr(after, name) is not None or getattr(old, name) is None, name
    if new.availability == "blocked":
        assert after.availability == (
            "blocked" if old.availability == "unknown" else old.availability
        )
        if not new.caption:
            assert (after.body, after.caption) == (old.body, old.caption)


def test_an_earlier_observation_adds_history_and_changes_nothing_else() -> None:
    """An import of an older capture after a newer one: a snapshot at its own time, its text as
    a version; the post keeps its latest counts, caption and payload."""
    latest = known(last_seen_at=LATER)
    earlier = seen(EDIT, counts=Counts(views=400, likes=4), observed_at=T0)
    change = merge_observation(latest, earlier, References(account_id=1, raw_payload_id=9))
    assert change.outcome == "unchanged"
    assert change.columns == {}
    assert change.new_version and not change.relink_tags
    assert change.snapshot == Counts(views=400, likes=4)


def test_the_platform_page_outranks_an_embed_seen_later() -> None:
    """Two workers store an article's embed and the page it embeds in either order: the page's
    caption wins even when its observation is the older one."""
    from_embed = known(source_kind="embed", body="Goud", caption="Goud", last_seen_at=LATER)
    page = seen(EDIT, observed_at=T0)
    change = merge_observation(from_embed, page, REFS)
    assert change.outcome == "updated"
    assert change.columns["source_kind"] == "platform"
    assert change.columns["caption"] == EDIT
    assert change.new_version and change.relink_tags
    assert "last_seen_at" not in change.columns


def test_an_older_embed_never_replaces_the_page() -> None:
    page = known(last_seen_at=LATER)
    change = merge_observation(page, seen("Goud", source_kind="embed", observed_at=T0), REFS)
    assert change.outcome == "unchanged"
    assert "caption" not in change.columns and "source_kind" not in change.columns
