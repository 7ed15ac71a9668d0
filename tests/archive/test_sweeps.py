"""The evidence rule for deletions: a listing that shrank suddenly deletes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.sweeps import MAX_MISSING_OUTRIGHT, judge_sweep

IDS = [str(n) for n in range(100)]


@pytest.mark.parametrize(
    ("expected", "seen", "doubt", "deleted", "suspect"),
    [
        (IDS[:10], IDS[:10], None, (), False),  # nothing missing
        (IDS[:10], IDS[:9], None, ("9",), False),  # one post gone
        (IDS[:3], IDS[:1], None, ("1", "2"), False),  # a small account: few posts, few missing
        (IDS[:100], IDS[4:100], None, ("0", "1", "2", "3"), False),  # a handful of a hundred
        (IDS[:17], [], None, (), True),  # {"feed": []}: a soft block
        (IDS[:100], IDS[:56], None, (), True),  # an empty third page of four: 44 of 100
        (IDS[:10], IDS[:5], None, (), True),  # half of them at once
        (IDS[:10], IDS[:9], "page 2 was empty but pointed to a next", (), True),
        ([], [], "an empty page", (), False),  # nothing to judge, nothing to doubt
        ([], IDS[:3], None, (), False),  # a first sweep: only new posts
    ],
)
def test_judge_sweep(
    expected: list[str], seen: list[str], doubt: str | None, deleted: tuple[str, ...], suspect: bool
) -> None:
    verdict = judge_sweep(expected, seen, doubt=doubt)
    assert verdict.deleted == tuple(sorted(deleted))
    assert bool(verdict.suspect) is suspect


@given(st.sets(st.sampled_from(IDS)), st.sets(st.sampled_from(IDS)))
def test_a_sweep_deletes_only_missing_posts_and_never_many_at_once(
    expected: set[str], seen: set[str]
) -> None:
    verdict = judge_sweep(expected, seen)
    assert set(verdict.deleted) <= expected - seen
    assert not (verdict.deleted and verdict.suspect)
    if len(verdict.deleted) > MAX_MISSING_OUTRIGHT:
        assert len(verdict.deleted) <= 0.2 * len(expected)
    if not seen and expected:
        assert verdict.deleted == ()
