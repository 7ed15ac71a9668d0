"""One observation of a post as every path stores it: normalized, its raw payload beside it.

A crawl (crawler/pipelines.py) and an import (archive/importing) both turn a parser's
:class:`RawPost` into what :func:`archive.store.upsert_posts` takes through :func:`observe`; the
only difference is the time: when a crawl fetched the page, or when a capture tool captured it
(with its :class:`Capture` provenance). Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from archive.normalize import normalize_post
from archive.records import Capture, NormalizedPost, Payload, RawPost


def raw_bytes(raw: Any) -> bytes | None:
    """The payload as bytes, whatever it holds: a lone surrogate becomes its JSON escape
    (``\\ud800``), so the bytes still say exactly what the platform sent."""
    if raw is None:
        return None
    if isinstance(raw, bytes):
        return raw
    text: str = (
        raw
        if isinstance(raw, str)
        else json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    )
    return text.encode("utf-8", "backslashreplace")


def observe(
    raw: RawPost,
    *,
    observed_at: datetime,
    prior: Sequence[str] = (),
    capture: Capture | None = None,
) -> NormalizedPost:
    """``raw`` normalized as seen at ``observed_at``, with its raw payload (the post's own JSON or
    markup, as the parser located it) when it has one.

    Raises what :func:`archive.normalize.normalize_post` raises (a post without identity).
    """
    post = normalize_post(raw, fetched_at=observed_at, prior=prior)
    body = raw_bytes(raw.raw)
    if body is None:
        return post
    content_type = "text/plain" if isinstance(raw.raw, str) else "application/json"
    payload = Payload(body, raw.source_url, observed_at, raw.platform, content_type, capture)
    return replace(post, payload=payload)
