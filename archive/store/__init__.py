"""Persistence: idempotent batched upserts of normalized posts, roster sync, crawl-run bookkeeping.

Every write goes through unique keys and ``ON CONFLICT``, one transaction per batch (``BEGIN
IMMEDIATE`` on SQLite, see archive.db), so the same batch twice, a crash and restart, or two writers
at once give the same archive. SQLAlchemy Core, not the ORM, where speed matters.

The modules: ``posts`` (the upsert, known ids, deletions), ``accounts`` (roster, identity),
``payloads`` (raw payloads), ``runs`` (articles, crawl runs, problems); this package re-exports
their public names.
"""

from __future__ import annotations

from archive.errors import UnknownAthleteError
from archive.records import NormalizedPost
from archive.store._common import (
    Period,
    account_t,
    article_t,
    athlete_t,
    embed_t,
    hashtag_t,
    mention_t,
    metric_t,
    payload_t,
    post_hashtag_t,
    post_t,
    problem_t,
    run_t,
    sound_t,
    utcnow,
    version_t,
)
from archive.store.accounts import (
    AccountSummary,
    AthleteRow,
    AthleteSummary,
    SyncResult,
    find_account,
    get_athlete,
    list_accounts,
    list_athletes,
    require_athlete,
    sync_roster,
)
from archive.store.erase import (
    ForgetResult,
    UnknownTargetError,
    find_posts_by_url,
    forget_account,
    forget_athlete,
    forget_post,
    parse_account_ref,
)
from archive.store.figures import (
    NOT_ON_ROSTER,
    ArchiveSummary,
    Totals,
    archive_summary,
    archive_totals,
)
from archive.store.fulltext import (
    FullTextQuery,
    PostMatch,
    SearchFilters,
    TagTerm,
    count_matches,
    match_posts,
)
from archive.store.history import (
    CrawlRunRow,
    ListingRow,
    get_crawl_run,
    get_problem,
    list_problems,
    list_runs,
    next_scheduled_runs,
    problem_reasons,
    recent_listings,
    recent_runs,
)
from archive.store.payloads import read_payload, store_payloads
from archive.store.posts import (
    BatchResult,
    known_post_ids,
    mark_listing_read,
    mark_missing_deleted,
    upsert_posts,
    upsert_posts_in,
)
from archive.store.runs import (
    close_interrupted_runs,
    finish_crawl_run,
    post_to_detail,
    record_listing,
    record_problem,
    set_crawl_run_exit_code,
    start_crawl_run,
    upsert_article,
)
from archive.store.timeline import timeline_chunks, weekly_post_counts

__all__ = [
    "NOT_ON_ROSTER",
    "AccountSummary",
    "ArchiveSummary",
    "AthleteRow",
    "AthleteSummary",
    "BatchResult",
    "CrawlRunRow",
    "ForgetResult",
    "FullTextQuery",
    "ListingRow",
    "NormalizedPost",
    "Period",
    "PostMatch",
    "SearchFilters",
    "SyncResult",
    "TagTerm",
    "Totals",
    "UnknownAthleteError",
    "UnknownTargetError",
    "account_t",
    "archive_summary",
    "archive_totals",
    "article_t",
    "athlete_t",
    "close_interrupted_runs",
    "count_matches",
    "embed_t",
    "find_account",
    "find_posts_by_url",
    "finish_crawl_run",
    "forget_account",
    "forget_athlete",
    "forget_post",
    "get_athlete",
    "get_crawl_run",
    "get_problem",
    "hashtag_t",
    "known_post_ids",
    "list_accounts",
    "list_athletes",
    "list_problems",
    "list_runs",
    "mark_listing_read",
    "mark_missing_deleted",
    "match_posts",
    "mention_t",
    "metric_t",
    "next_scheduled_runs",
    "parse_account_ref",
    "payload_t",
    "post_hashtag_t",
    "post_t",
    "post_to_detail",
    "problem_reasons",
    "problem_t",
    "read_payload",
    "recent_listings",
    "recent_runs",
    "record_listing",
    "record_problem",
    "require_athlete",
    "run_t",
    "set_crawl_run_exit_code",
    "sound_t",
    "start_crawl_run",
    "store_payloads",
    "sync_roster",
    "timeline_chunks",
    "upsert_article",
    "upsert_posts",
    "upsert_posts_in",
    "utcnow",
    "version_t",
    "weekly_post_counts",
]
