"""The one door to the tables: idempotent batched upserts of normalized posts, roster sync,
crawl-run bookkeeping, and every read other modules need.

Every write goes through unique keys and ``ON CONFLICT``, one transaction per batch (``BEGIN
IMMEDIATE`` on SQLite, see archive.db), so the same batch twice, a crash and restart, or two writers
at once give the same archive. SQLAlchemy Core, not the ORM, where speed matters.

Only this package holds table handles (``_common``); rows leave it typed (dataclasses,
TypedDicts). The modules: ``posts`` (the upsert, known ids, deletions), ``references`` (the
payloads, accounts, sounds and hashtags a batch of posts points to), ``accounts`` (roster,
identity, athletes and accounts), ``payloads`` (raw payloads), ``articles`` (news articles and
their embeds), ``runs`` (writing crawl runs and listings), ``problems`` (writing what could not be
parsed or stored), ``history`` (reading runs, listings and problems back), ``erase`` (``podium
forget``), ``rederive`` (``podium reprocess``), ``fulltext`` (search), ``search_index`` (the
search side index of SQLite archives, kept in step), ``timeline`` (export),
``figures`` (counts), ``post_urls`` (finding posts by URL); this package re-exports their public
names.
"""

from __future__ import annotations

from archive.errors import UnknownAthleteError
from archive.records import NormalizedPost
from archive.store._common import Period, utcnow
from archive.store.accounts import (
    AccountSummary,
    AthleteAccount,
    AthleteRow,
    AthleteSummary,
    SyncResult,
    athlete_accounts,
    athlete_slugs,
    find_account,
    get_athlete,
    list_accounts,
    list_athletes,
    require_athlete,
    sync_roster,
)
from archive.store.articles import upsert_article
from archive.store.erase import (
    ForgetResult,
    UnknownTargetError,
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
from archive.store.post_urls import find_posts_by_url
from archive.store.posts import (
    BatchResult,
    StoreFailure,
    known_post_ids,
    mark_listing_read,
    mark_missing_deleted,
    rehearsal,
    upsert_posts,
    upsert_posts_each,
    upsert_posts_in,
)
from archive.store.problems import post_to_detail, record_problem
from archive.store.rederive import (
    apply_rederived,
    count_rederivable,
    normalizer_versions,
    posts_to_rederive,
)
from archive.store.runs import (
    QUEUED,
    close_interrupted_runs,
    finish_crawl_run,
    record_listing,
    set_crawl_run_exit_code,
    start_crawl_run,
)
from archive.store.search_index import (
    INLINE_CHANGES,
    INLINE_REBUILD,
    IndexSync,
    TextTerm,
)
from archive.store.search_index import sync as sync_search_index
from archive.store.timeline import timeline_chunks, weekly_post_counts

__all__ = [
    "INLINE_CHANGES",
    "INLINE_REBUILD",
    "NOT_ON_ROSTER",
    "QUEUED",
    "AccountSummary",
    "ArchiveSummary",
    "AthleteAccount",
    "AthleteRow",
    "AthleteSummary",
    "BatchResult",
    "CrawlRunRow",
    "ForgetResult",
    "FullTextQuery",
    "IndexSync",
    "ListingRow",
    "NormalizedPost",
    "Period",
    "PostMatch",
    "SearchFilters",
    "StoreFailure",
    "SyncResult",
    "TagTerm",
    "TextTerm",
    "Totals",
    "UnknownAthleteError",
    "UnknownTargetError",
    "apply_rederived",
    "archive_summary",
    "archive_totals",
    "athlete_accounts",
    "athlete_slugs",
    "close_interrupted_runs",
    "count_matches",
    "count_rederivable",
    "find_account",
    "find_posts_by_url",
    "finish_crawl_run",
    "forget_account",
    "forget_athlete",
    "forget_post",
    "get_athlete",
    "get_crawl_run",
    "get_problem",
    "known_post_ids",
    "list_accounts",
    "list_athletes",
    "list_problems",
    "list_runs",
    "mark_listing_read",
    "mark_missing_deleted",
    "match_posts",
    "next_scheduled_runs",
    "normalizer_versions",
    "parse_account_ref",
    "post_to_detail",
    "posts_to_rederive",
    "problem_reasons",
    "read_payload",
    "recent_listings",
    "recent_runs",
    "record_listing",
    "record_problem",
    "rehearsal",
    "require_athlete",
    "set_crawl_run_exit_code",
    "start_crawl_run",
    "store_payloads",
    "sync_roster",
    "sync_search_index",
    "timeline_chunks",
    "upsert_article",
    "upsert_posts",
    "upsert_posts_each",
    "upsert_posts_in",
    "utcnow",
    "weekly_post_counts",
]
