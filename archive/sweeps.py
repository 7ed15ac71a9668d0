"""When a full sweep may mark posts deleted: the evidence rule, pure and table-tested.

A post is marked deleted when a listing read to its end no longer shows it. A listing that
suddenly shrinks is more likely a soft block (a 200 with an empty page), a broken page or a
platform hiccup than an athlete deleting half their posts, so it deletes nothing: the run is
``incomplete``, a problem says why, and the posts keep their state until a sweep that agrees
with the archive (or the post's own URL) says otherwise.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

#: A sweep may delete at most this many posts outright, whatever the share...
MAX_MISSING_OUTRIGHT = 4
#: ...and beyond that, at most this share of the posts the listing should show.
MAX_MISSING_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class SweepVerdict:
    """What a sweep may do: the ids it may mark deleted, or why it may mark none."""

    deleted: tuple[str, ...] = ()
    suspect: str | None = None


def judge_sweep(
    expected: Collection[str], seen: Collection[str], *, doubt: str | None = None
) -> SweepVerdict:
    """Judge a complete listing against the active posts the archive expects it to show.

    ``expected``: ids of the account's active posts within what the listing covers;
    ``seen``: ids the listing showed; ``doubt``: what the spider itself found odd about the
    listing (an empty page that still had a next cursor), which makes it suspect outright.
    """
    seen_set = set(seen)
    missing = tuple(sorted(i for i in expected if i not in seen_set))
    if not missing:
        return SweepVerdict()
    if doubt:
        return SweepVerdict(suspect=f"{doubt}; {len(missing)} posts not marked deleted")
    if not seen_set:
        return SweepVerdict(
            suspect=f"the listing came back empty while the archive holds {len(expected)} "
            "active posts: a soft block, nothing marked deleted"
        )
    if len(missing) > MAX_MISSING_OUTRIGHT and len(missing) > MAX_MISSING_SHARE * len(expected):
        return SweepVerdict(
            suspect=f"the listing shrank: {len(missing)} of {len(expected)} archived posts "
            "missing at once, nothing marked deleted"
        )
    return SweepVerdict(deleted=missing)
