"""What the archive holds, in words (``archive.store.archive_summary`` has the figures)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports plural() at start: no database code for that
    from archive.store.figures import Totals


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 post``, ``2 posts``, ``0 posts`` (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def totals_sentence(t: Totals) -> str:
    """The archive's totals as one sentence (``podium status``, ``podium demo``)."""
    return (
        f"{plural(t['posts'], 'post')} of {plural(t['athletes'], 'athlete')} "
        f"({plural(t['accounts'], 'account')}), {plural(t['versions'], 'caption version')}, "
        f"{plural(t['snapshots'], 'count snapshot')}, {plural(t['articles'], 'article')}, "
        f"{plural(t['raw_payloads'], 'raw payload')}, {plural(t['problems'], 'problem')}, "
        f"{plural(t['crawl_runs'], 'crawl run')}"
    )
