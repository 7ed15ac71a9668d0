"""What a parser keeps as a post's ``raw`` (stored as its raw payload) reads back to the same post.

``podium reprocess`` re-derives posts from those payloads through ``parse_payload``: a TikTok web
item, a YouTube feed entry or an Instagram GraphQL node on its own must be recognised, and give
the post the whole page gave. Status shells (a private video page, a Bluesky thread that was not
found) carry no caption and are left out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.errors import ParseError
from archive.normalize import normalize_post
from archive.observe import raw_bytes as _raw_bytes
from archive.platforms import parse_payload
from archive.records import RawPost
from tests.conftest import FIXTURES

AT = datetime(2026, 3, 1, tzinfo=UTC)


def posts_with_raw() -> list[tuple[str, RawPost]]:
    found = []
    for path in sorted((FIXTURES / "payloads").rglob("*")):
        if not path.is_file():
            continue
        try:
            result = parse_payload(path.read_bytes())
        except ParseError:  # a fixture that needs its URL: not this test's subject
            continue
        for n, post in enumerate(result.posts):
            if post.raw is not None and post.availability == "active":
                found.append((f"{path.parent.name}/{path.name}#{n}", post))
    return found


CASES = posts_with_raw()


def test_every_platform_is_covered() -> None:
    assert {post.platform for _, post in CASES} >= {
        "tiktok",
        "instagram",
        "bluesky",
        "mastodon",
        "youtube",
        "x",
    }


@pytest.mark.parametrize("post", [p for _, p in CASES], ids=[name for name, _ in CASES])
def test_a_posts_raw_payload_reads_back_to_the_same_post(post: RawPost) -> None:
    body = _raw_bytes(post.raw)
    assert body is not None
    again = parse_payload(body, url=post.source_url, platform=post.platform)
    same = [p for p in again.posts if p.platform_post_id == post.platform_post_id]
    assert same, f"{again.parser_kind}: no post {post.platform_post_id}"
    assert normalize_post(same[0], fetched_at=AT) == normalize_post(post, fetched_at=AT)
