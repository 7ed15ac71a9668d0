"""How one observation of a post merges into what the archive knows: pure rules, table-tested.

The store loads what it knows of each post, asks ``merge_observation`` what one observation
changes, and applies the answer. The rules most likely to change live here:

- an embed never edits the page's caption: what it showed is kept as a version of its own;
- a block never overwrites what was known (``blocked`` says only that we could not look);
- counts merge: a count the observation does not give keeps its known value;
- what was missing (account, URL, posting time) fills in later and is never erased;
- an observation older than the latest one (an import of an earlier capture) adds to the
  history (its counts as a snapshot at its time, its text as a version) and changes nothing else,
  except that the platform's own page replaces an embed's text whenever it was seen.

``rederive`` is the rule for ``podium reprocess``: what the post's stored payload gives under
today's parsers and normalizer, compared with what the archive holds. It is not an observation:
no version, no snapshot, no last-seen time; only the derived values change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from archive.records import COUNT_KEYS, Counts, NormalizedPost, SoundCredit
from archive.textfold import search_text

#: Statuses that say something about the post itself. ``blocked`` says only that we could not
#: look (a challenge page, a login wall): it never replaces what we knew.
POST_STATES = ("active", "deleted", "private")

#: Flags only the platform's own page can tell; an embed's copy of them is not trusted.
_PLATFORM_FLAGS = ("is_pinned", "is_repost")


@dataclass(frozen=True, slots=True)
class KnownPost:
    """What the archive knows of a post: the ``post`` columns the rules compare against."""

    body: str
    caption: str
    source_kind: str
    normalizer_version: str
    sound_id: int | None
    availability: str
    is_pinned: bool
    is_repost: bool
    account_id: int | None
    url: str | None
    posted_at: datetime | None
    edited_at: datetime | None
    last_seen_at: datetime
    counts: Counts


@dataclass(frozen=True, slots=True)
class References:
    """The rows an observation points to, already found or made by the store (None: none)."""

    account_id: int | None = None
    sound_id: int | None = None
    raw_payload_id: int | None = None


@dataclass(frozen=True, slots=True)
class PostChange:
    """What one observation does to the archive.

    ``columns`` are the ``post`` columns to set (the whole row for a new post); ``new_version``
    keeps the observation's text as a ``post_version``; ``snapshot`` is a ``metric_snapshot``
    to write; ``relink_tags`` (re)writes the post's hashtags and mentions from the observation.
    ``outcome`` is how the batch counts it.
    """

    outcome: Literal["new", "updated", "unchanged"]
    columns: dict[str, Any] = field(default_factory=dict)
    new_version: bool = False
    snapshot: Counts | None = None
    relink_tags: bool = False


def _has_text(seen: NormalizedPost) -> bool:
    """An observation that actually saw the caption (not a block or a private shell)."""
    return seen.availability == "active" or bool(seen.caption)


def merge_observation(
    known: KnownPost | None, seen: NormalizedPost, refs: References
) -> PostChange:
    """The change one observation makes to what the archive knows of its post (``known`` is
    None for a post it does not know yet)."""
    if known is None:
        return _first_sighting(seen, refs)
    if seen.observed_at < known.last_seen_at:
        return _earlier_sighting(known, seen, refs)
    columns: dict[str, Any] = {}
    if seen.observed_at > known.last_seen_at:
        columns["last_seen_at"] = seen.observed_at
    text = _text_change(known, seen, refs.sound_id)
    columns.update(text.columns)
    counts = _merged_counts(known.counts, seen.counts)
    snapshot = None
    if counts != known.counts:
        columns.update(_count_columns(counts))
        snapshot = counts
    availability = _new_availability(known.availability, seen.availability)
    if availability is not None:
        columns["availability"] = availability
    columns.update(_filled_in(known, seen, refs))
    changed = text.outcome == "updated" or snapshot is not None or availability is not None
    return PostChange(
        "updated" if changed else "unchanged",
        columns,
        new_version=text.new_version,
        snapshot=snapshot,
        relink_tags=text.relink_tags,
    )


def _first_sighting(seen: NormalizedPost, refs: References) -> PostChange:
    """A post the archive does not know yet: its whole row, a first version, a first snapshot."""
    row = {
        "platform": seen.platform,
        "platform_post_id": seen.platform_post_id,
        "account_id": refs.account_id,
        "url": seen.url,
        "kind": seen.kind,
        "posted_at": seen.posted_at,
        "edited_at": seen.edited_at,
        "source_kind": seen.source_kind,
        "is_repost": seen.is_repost,
        "is_pinned": seen.is_pinned,
        "availability": seen.availability,
        "first_seen_at": seen.observed_at,
        "last_seen_at": seen.observed_at,
        "raw_payload_id": refs.raw_payload_id,
        **_count_columns(seen.counts),
        **text_columns(seen, refs.sound_id),
    }
    return PostChange(
        "new",
        row,
        new_version=_has_text(seen),
        snapshot=None if seen.counts.is_empty() else seen.counts,
        relink_tags=_has_text(seen),
    )


def _earlier_sighting(known: KnownPost, seen: NormalizedPost, refs: References) -> PostChange:
    """An observation from before the latest one: its counts become a snapshot at its own time
    and its text a version when they differ from what is known, and what was missing fills in;
    the post itself stays as last seen. Seen again, it changes nothing (snapshots and versions
    are unique)."""
    counts = _merged_counts(known.counts, seen.counts)
    snapshot = counts if counts != known.counts else None
    filled = {
        k: v
        for k, v in _filled_in(known, seen, refs).items()
        if k in ("account_id", "url", "posted_at")
    }
    if known.source_kind == "embed" and seen.source_kind == "platform" and _has_text(seen):
        # The platform's own page outranks an embed's copy whenever it was seen: two workers
        # may store an article's embed and the page it embeds in either order.
        columns = {
            **filled,
            **text_columns(seen, refs.sound_id),
            "source_kind": "platform",
            "edited_at": seen.edited_at or known.edited_at,
        }
        body_changed = seen.text.body != known.body
        return PostChange(
            "updated" if body_changed else "unchanged",
            columns,
            new_version=body_changed,
            snapshot=snapshot,
            relink_tags=True,
        )
    comparable = seen.source_kind == known.source_kind
    new_version = comparable and _has_text(seen) and seen.text.body != known.body
    return PostChange("unchanged", filled, new_version=new_version, snapshot=snapshot)


def _text_change(known: KnownPost, seen: NormalizedPost, sound_id: int | None) -> PostChange:
    """The caption rules: a platform observation replaces an embed's text, an embed never edits
    the page's caption, and only a new body is an edit (a new version)."""
    if not _has_text(seen):
        return PostChange("unchanged")
    body_changed = seen.text.body != known.body
    if seen.source_kind == "embed" and known.source_kind != "embed":
        return PostChange("unchanged", new_version=body_changed)  # what the embed showed, kept
    if seen.source_kind != known.source_kind and known.source_kind != "embed":
        return PostChange("unchanged")  # another source kind: not comparable
    if (
        body_changed
        or seen.caption != known.caption
        or seen.text.normalizer_version != known.normalizer_version
    ):
        columns = {
            **text_columns(seen, sound_id),
            "source_kind": seen.source_kind,
            "edited_at": seen.edited_at or known.edited_at,
        }
        return PostChange(
            "updated" if body_changed else "unchanged",
            columns,
            new_version=body_changed,
            relink_tags=True,
        )
    if sound_id is not None and sound_id != known.sound_id:
        return PostChange("unchanged", {"sound_id": sound_id})
    return PostChange("unchanged")


def _merged_counts(known: Counts, seen: Counts) -> Counts:
    """Each count as the observation gives it, else as known."""
    return Counts(
        **{
            k: getattr(seen, k) if getattr(seen, k) is not None else getattr(known, k)
            for k in COUNT_KEYS
        }
    )


def _new_availability(known: str, seen: str) -> str | None:
    """The availability to store, or None to keep the known one (a block never replaces it)."""
    if seen in POST_STATES and seen != known:
        return seen
    if seen == "blocked" and known == "unknown":
        return seen
    return None


def _filled_in(known: KnownPost, seen: NormalizedPost, refs: References) -> dict[str, Any]:
    """Platform-only flags as the platform shows them now, and what was missing so far."""
    columns: dict[str, Any] = {
        flag: getattr(seen, flag)
        for flag in _PLATFORM_FLAGS
        if seen.source_kind == "platform" and getattr(seen, flag) != getattr(known, flag)
    }
    if refs.account_id and known.account_id is None:
        columns["account_id"] = refs.account_id
    if seen.url and not known.url:
        columns["url"] = seen.url
    if seen.posted_at and known.posted_at is None:
        columns["posted_at"] = seen.posted_at
    if refs.raw_payload_id is not None:
        columns["raw_payload_id"] = refs.raw_payload_id  # the latest payload the post was read from
    return columns


def _count_columns(counts: Counts) -> dict[str, int | None]:
    return {k: getattr(counts, k) for k in COUNT_KEYS}


def text_columns(seen: NormalizedPost, sound_id: int | None) -> dict[str, Any]:
    """The ``post`` columns that come from the observation's text."""
    t = seen.text
    return {
        "caption": seen.caption,
        "body": t.body,
        "language": t.language,
        "language_confidence": t.language_confidence,
        "declared_language": t.declared_language,
        "sound_id": sound_id,
        "normalizer_version": t.normalizer_version,
        "search_text": search_text(t.body, t.hashtags, t.mentions),
    }


def sound_key(s: SoundCredit) -> str:
    """The key a sound is stored under: the platform's id, else its title and artist."""
    if s.platform_sound_id:
        return f"id:{s.platform_sound_id}"
    return f"t:{(s.title or '').casefold()}\x1f{(s.artist or '').casefold()}"


# --- re-derivation (podium reprocess) ------------------------------------------------------

#: What a re-derivation compares, in the order a report names them. ``posted_at`` only fills
#: in a missing time (as an observation would); the rest are rewritten when they differ.
DERIVED_FIELDS = (
    "caption",
    "body",
    "language",
    "language_confidence",
    "declared_language",
    "hashtags",
    "mentions",
    "sound",
    "search_text",
    "posted_at",
)


@dataclass(frozen=True, slots=True)
class Derivation:
    """A post's derived values: what the archive holds, or what its payload gives now.

    ``hashtags`` are keys in order (a hashtag's display is the archive's, shared by all
    posts); ``mentions`` are (key, display) in order; ``sound`` is the sound's key.
    """

    caption: str
    body: str
    language: str
    language_confidence: float
    declared_language: str | None
    hashtags: tuple[str, ...]
    mentions: tuple[tuple[str, str], ...]
    sound: str | None
    search_text: str
    posted_at: datetime | None


def derivation_of(seen: NormalizedPost) -> Derivation:
    """What a normalized post gives, in the shape the archive's values are compared in."""
    t = seen.text
    return Derivation(
        caption=seen.caption,
        body=t.body,
        language=t.language,
        language_confidence=t.language_confidence,
        declared_language=t.declared_language,
        hashtags=tuple(tag.key for tag in t.hashtags),
        mentions=tuple((m.key, m.display) for m in t.mentions),
        sound=None if t.sound is None else sound_key(t.sound),
        search_text=search_text(t.body, t.hashtags, t.mentions),
        posted_at=seen.posted_at,
    )


@dataclass(frozen=True, slots=True)
class Rederivation:
    """What re-deriving one post does.

    ``changed``: the derived values that differ (``DERIVED_FIELDS`` names), rewritten from the
    payload; ``unchanged``: none differ; ``kept``: the payload cannot say (``reason``), so the
    post is left as it is; ``problem``: the payload no longer reads (``reason``; the store
    says so, the post is left as it is).
    """

    outcome: Literal["changed", "unchanged", "kept", "problem"]
    fields: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def relink_tags(self) -> bool:
        """The post's hashtag and mention rows are to be rewritten."""
        return "hashtags" in self.fields or "mentions" in self.fields


def rederive(known: Derivation, source_kind: str, seen: NormalizedPost) -> Rederivation:
    """Compare what the archive holds of a post (``known``, its caption from a
    ``source_kind`` observation) with what its stored payload gives now (``seen``).

    The payload is the one the post's row points at, its latest observation; one that shows
    no caption (a block, a private shell) or is another kind of source (an embed's copy of a
    page's caption) cannot re-derive the caption, and the post is kept as it is.
    """
    if not _has_text(seen):
        return Rederivation("kept", reason="its payload shows no caption")
    if seen.source_kind != source_kind:
        return Rederivation(
            "kept",
            reason=f"its payload ({seen.source_kind}) is not its caption's source ({source_kind})",
        )
    now = derivation_of(seen)
    fields = tuple(
        name
        for name in DERIVED_FIELDS
        if name != "posted_at" and getattr(now, name) != getattr(known, name)
    )
    if known.posted_at is None and now.posted_at is not None:
        fields += ("posted_at",)
    return Rederivation("changed", fields) if fields else Rederivation("unchanged")
