"""Re-deriving one post from its stored payload (``podium reprocess``'s worker side): pure,
``parse_payload`` -> ``normalize_post`` as a crawl does, no database; light to import, so a
worker process starts quickly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from archive import normalize
from archive.errors import ParseError
from archive.payload_codec import UnreadablePayloadError, decompress_payload
from archive.platforms import PARSER_KINDS, parse_payload
from archive.records import NormalizedPost, pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PayloadRow:
    """A post to re-derive and the payload its row points at (``data`` still compressed);
    ``prior`` is its athlete's usual languages."""

    post_id: int
    platform: str
    platform_post_id: str
    raw_payload_id: int
    data: bytes
    source_url: str | None
    fetched_at: datetime
    parser_kind: str | None
    prior: tuple[str, ...]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Rederived:
    """What a post's payload gave now: the post normalized again, or why it could not be."""

    post_id: int
    platform: str
    platform_post_id: str
    raw_payload_id: int
    source_url: str | None
    post: NormalizedPost | None = None
    problem: str | None = None


def derive_one(row: PayloadRow) -> Rederived:
    """Read a post's stored payload again and normalize the post it holds."""
    ident = (row.post_id, row.platform, row.platform_post_id, row.raw_payload_id, row.source_url)
    try:
        body = decompress_payload(row.data)
    except UnreadablePayloadError as exc:
        return Rederived(*ident, problem=f"the stored payload is not readable ({exc})")
    # The parser kind, when the payload's row names one of the platform's; else it is detected.
    kind = row.parser_kind if row.parser_kind in PARSER_KINDS.get(row.platform, ()) else None
    try:
        result = parse_payload(body, url=row.source_url, platform=row.platform, parser_kind=kind)
        raw = next(
            (
                p
                for p in result.posts
                if p.platform == row.platform
                and str(p.platform_post_id or "").strip() == row.platform_post_id
            ),
            None,
        )
        if raw is None:
            reason = f"{result.platform} {result.parser_kind} payload without this post"
            return Rederived(*ident, problem=reason)
        post = normalize.normalize_post(raw, fetched_at=row.fetched_at, prior=row.prior)
    except (ParseError, ValueError, TypeError) as exc:
        return Rederived(*ident, problem=str(exc).splitlines()[0] if str(exc) else repr(exc))
    return Rederived(*ident, post=post)


def derive_chunk(rows: Sequence[PayloadRow]) -> list[Rederived]:
    """``derive_one`` for each post of a chunk (the unit of work a worker gets)."""
    return [derive_one(r) for r in rows]
