"""What the archive holds, in figures: for `podium demo`, `podium status` and people."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 post``, ``2 posts``, ``0 posts`` (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def archive_summary(engine: Engine, *, top: int = 8) -> dict[str, Any]:
    """Totals, posts per athlete and platform, languages, top hashtags and sounds, edits,
    deletions and problems."""
    totals = dict(
        _rows(
            engine,
            """
        SELECT 'athletes', count(*) FROM athlete UNION ALL
        SELECT 'accounts', count(*) FROM account UNION ALL
        SELECT 'posts', count(*) FROM post UNION ALL
        SELECT 'versions', count(*) FROM post_version UNION ALL
        SELECT 'snapshots', count(*) FROM metric_snapshot UNION ALL
        SELECT 'articles', count(*) FROM article UNION ALL
        SELECT 'raw_payloads', count(*) FROM raw_payload UNION ALL
        SELECT 'problems', count(*) FROM problem UNION ALL
        SELECT 'crawl_runs', count(*) FROM crawl_run""",
        )
    )
    per_athlete = [
        {"athlete": r[0] or "(not on the roster)", "platform": r[1], "posts": r[2]}
        for r in _rows(
            engine,
            """
        SELECT a.slug, p.platform, count(*) FROM post p
        LEFT JOIN account ac ON ac.id = p.account_id LEFT JOIN athlete a ON a.id = ac.athlete_id
        GROUP BY a.slug, p.platform ORDER BY a.slug IS NULL, a.slug, p.platform""",
        )
    ]
    languages = [
        {"language": r[0], "posts": r[1]}
        for r in _rows(
            engine,
            """
        SELECT language, count(*) FROM post GROUP BY language ORDER BY count(*) DESC, language""",
        )
    ]
    hashtags = [
        {"hashtag": r[0], "posts": r[1]}
        for r in _rows(
            engine,
            """
        SELECT h.display, count(*) FROM post_hashtag ph JOIN hashtag h ON h.id = ph.hashtag_id
        GROUP BY h.id, h.display ORDER BY count(*) DESC, h.display LIMIT :n""",
            n=top,
        )
    ]
    sounds = [
        {"platform": r[0], "title": r[1], "artist": r[2], "original": r[3], "posts": r[4]}
        for r in _rows(
            engine,
            """
        SELECT s.platform, s.title, s.artist, s.is_original, count(*) FROM post p
        JOIN sound s ON s.id = p.sound_id
        GROUP BY s.id, s.platform, s.title, s.artist, s.is_original
        ORDER BY count(*) DESC, s.title, s.platform LIMIT :n""",
            n=top,
        )
    ]
    edits = [
        {"platform": r[0], "post": r[1], "versions": r[2]}
        for r in _rows(
            engine,
            """
        SELECT p.platform, p.platform_post_id, count(*)
        FROM post_version v JOIN post p ON p.id = v.post_id
        WHERE v.source_kind = 'platform' GROUP BY p.id, p.platform, p.platform_post_id
        HAVING count(*) > 1 ORDER BY p.platform, p.platform_post_id""",
        )
    ]
    availability = dict(
        _rows(engine, "SELECT availability, count(*) FROM post GROUP BY availability")
    )
    deletions = [
        {"platform": r[0], "post": r[1], "url": r[2]}
        for r in _rows(
            engine,
            """
        SELECT platform, platform_post_id, url FROM post WHERE availability = 'deleted'
        ORDER BY platform, platform_post_id""",
        )
    ]
    problems = [
        {"platform": r[0], "reason": r[1], "url": r[2]}
        for r in _rows(
            engine,
            """
        SELECT platform, reason, source_url FROM problem ORDER BY id""",
        )
    ]
    return {
        "totals": totals,
        "posts_per_athlete": per_athlete,
        "languages": languages,
        "top_hashtags": hashtags,
        "top_sounds": sounds,
        "edits": edits,
        "availability": availability,
        "deletions": deletions,
        "problems": problems,
    }
