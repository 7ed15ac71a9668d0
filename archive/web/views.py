"""What each page shows, as plain data: the HTML pages render it, the JSON API returns it.

Each view calls the archive's own functions (search, the timeline's rows and chart, the
status report, the store's reads) and shapes their results; none writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import store
from archive.export import athlete_head, clean_text, rhythm_svg, timeline_post
from archive.records import COUNT_KEYS
from archive.search import SearchHit, search_posts
from archive.status import listing_health, refresh_status
from archive.store import browse
from archive.web import charts, params
from archive.web.text import changed_versions, snippet_pieces


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search as the page's form and the API ask for it, checked."""

    q: str | None
    athlete: str | None
    platform: str | None
    lang: str | None
    hashtag: str | None
    sound: str | None
    since: date | None
    until: date | None
    sort: str

    def query(self) -> str | None:
        """The words to search for: ``q``, or the hashtag alone when only it was given (a
        hashtag's link searches for it)."""
        if self.q:
            return self.q
        if self.hashtag:
            return "#" + self.hashtag.lstrip("#＃")
        return None

    def form(self) -> dict[str, str]:
        """The request as query parameters (for links to the next page and downloads)."""
        values = {
            "q": self.q,
            "athlete": self.athlete,
            "platform": self.platform,
            "lang": self.lang,
            "hashtag": self.hashtag,
            "sound": self.sound,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sort": self.sort if self.sort != "rank" else None,
        }
        return {k: v for k, v in values.items() if v}


def search_params(
    q: params.Q = None,
    athlete: params.Athlete = None,
    platform: params.Platform = None,
    lang: params.Lang = None,
    hashtag: params.Hashtag = None,
    sound: params.SoundText = None,
    since: params.Since = None,
    until: params.Until = None,
    sort: params.Sort = None,
) -> SearchRequest:
    """The search's query parameters, checked (BadParameterError names the bad one); a
    FastAPI dependency of the search routes."""
    start, end = params.period_params(since, until)
    return SearchRequest(
        q=params.text_param(q, "q"),
        athlete=params.text_param(athlete, "athlete"),
        platform=params.platform_param(platform),
        lang=params.language_param(lang),
        hashtag=params.hashtag_param(hashtag),
        sound=params.text_param(sound, "sound"),
        since=start,
        until=end,
        sort=params.sort_param(sort),
    )


def find_posts(engine: Engine, req: SearchRequest, limit: int) -> list[SearchHit]:
    """Up to ``limit`` hits (QueryError, UnknownAthleteError for a query the archive refuses)."""
    query = req.query()
    if query is None:
        raise params.BadParameterError("nothing to search for: give words, a #hashtag or @name")
    return list(_search(engine, req, query, limit, count=False))


def _search(engine: Engine, req: SearchRequest, query: str, limit: int, *, count: bool) -> Any:
    return search_posts(
        engine,
        query,
        athlete=req.athlete,
        platform=req.platform,
        lang=req.lang,
        hashtag=req.hashtag if req.q else None,
        sound=req.sound,
        since=req.since,
        until=req.until,
        sort=req.sort,
        limit=limit,
        count=count,
    )


def hit_data(hit: SearchHit, query: str) -> dict[str, Any]:
    """One hit as the page and the API show it."""
    data = hit.to_dict()
    data["snippet_pieces"] = snippet_pieces(hit.caption, query)
    return data


def search_view(engine: Engine, req: SearchRequest, page: int) -> dict[str, Any]:
    """One page of results, the total, and how many pages there are to go to.

    Paging asks search for the first ``page × PER_PAGE`` hits (search has no offset), so it
    stops at ``MAX_PAGE``; deeper results are in the downloads.
    """
    query = req.query()
    if query is None:
        return {"query": None, "total": 0, "page": 1, "pages": 0, "results": []}
    hits = _search(engine, req, query, page * params.PER_PAGE, count=True)
    total = hits.total if hits.total is not None else len(hits)
    pages = min(params.MAX_PAGE, -(-total // params.PER_PAGE))
    shown = hits[(page - 1) * params.PER_PAGE : page * params.PER_PAGE]
    return {
        "query": query,
        "total": total,
        "page": page,
        "pages": pages,
        "per_page": params.PER_PAGE,
        "results": [hit_data(h, query) for h in shown],
    }


# --- athlete -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineRequest:
    """Which of an athlete's posts a page shows."""

    platform: str | None
    lang: str | None
    since: date | None
    until: date | None

    def selection(self) -> browse.PostSelection:
        """The store's selection of posts."""
        return browse.PostSelection(
            platform=self.platform,
            language=self.lang,
            period=store.Period.of_days(self.since, self.until),
        )

    def form(self) -> dict[str, str]:
        """The request as query parameters."""
        values = {
            "platform": self.platform,
            "lang": self.lang,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in values.items() if v}


def timeline_params(
    platform: params.Platform = None,
    lang: params.Lang = None,
    since: params.Since = None,
    until: params.Until = None,
) -> TimelineRequest:
    """The timeline's query parameters, checked; a FastAPI dependency."""
    start, end = params.period_params(since, until)
    return TimelineRequest(params.platform_param(platform), params.language_param(lang), start, end)


def _account_health(engine: Engine, acc: browse.AccountRow) -> dict[str, Any]:
    """As ``podium status`` judges an account: from its latest listings under either name."""
    listings: list[store.ListingRow] = []
    for key in dict.fromkeys(k for k in (acc["handle"], acc["platform_account_id"]) if k):
        listings += store.recent_listings(engine, acc["platform"], key)
    listings.sort(key=lambda x: (x["ended_at"], x["id"]), reverse=True)
    last = listings[0] if listings else None
    return {
        **acc,
        "name": acc["handle"] or acc["platform_account_id"],
        "health": listing_health(listings[:10]),
        "last_listing": None
        if last is None
        else {
            "ended_at": last["ended_at"],
            "outcome": last["outcome"],
            "posts_seen": last["posts_seen"],
            "started_by": last["started_by"],
            "reason": last["reason"],
        },
    }


def athlete_view(
    engine: Engine, slug: str, req: TimelineRequest, after: int | None
) -> dict[str, Any]:
    """The athlete, their accounts and health, the posting rhythm, what they use most, and a
    page of posts newest first (UnknownAthleteError, UnknownCursorError)."""
    athlete_id, head = athlete_head(engine, params.slug_param(slug))
    selection = req.selection()
    rows, rel = browse.athlete_posts_page(
        engine, athlete_id, selection, after=after, limit=params.TIMELINE_PAGE
    )
    posts = [{"id": r[0], **timeline_post(r, rel, False)} for r in rows]
    weeks = store.weekly_post_counts(
        engine,
        athlete_id,
        platform=req.platform,
        period=selection.period,
        language=req.lang,
    )
    per_platform: dict[str, int] = {}
    for (_, plat), n in sorted(weeks.items()):
        per_platform[plat] = per_platform.get(plat, 0) + n
    return {
        "athlete": head,
        "accounts": [
            _account_health(engine, a) for a in browse.accounts_of_athlete(engine, athlete_id)
        ],
        "total": browse.count_posts(engine, athlete_id, selection),
        "dated_per_platform": per_platform,
        "weeks": [
            {"week": w.isoformat(), "platform": p, "posts": n}
            for (w, p), n in sorted(weeks.items())
        ],
        "chart_svg": rhythm_svg(weeks),
        "top": browse.athlete_top_terms(engine, athlete_id, selection),
        "posts": posts,
        "next_after": posts[-1]["id"] if len(posts) == params.TIMELINE_PAGE else None,
    }


def athletes_view(engine: Engine) -> list[dict[str, Any]]:
    """Every athlete with their accounts and number of posts."""
    return [
        {
            "slug": a.slug,
            "name": clean_text(a.name),
            "sport": clean_text(a.sport),
            "country": a.country,
            "accounts": [{"platform": p, "handle": clean_text(h)} for p, h in a.accounts],
            "posts": a.posts,
        }
        for a in store.list_athletes(engine)
    ]


# --- post --------------------------------------------------------------------------------


def _aware(value: Any) -> datetime | None:
    """A stored time (SQLite text, or a datetime) as an aware UTC datetime."""
    if value is None:
        return None
    when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _availability(engine: Engine, post: dict[str, Any], seen: list[datetime]) -> dict[str, Any]:
    """What the archive can say of the post's availability over time.

    The archive keeps each post's availability as last judged, not a log of changes; the rest
    is read from what it does keep. The post was seen from its first to its last sighting
    (active, or blocked when it was never seen otherwise). A deleted post was found missing
    by the first full sweep of its account read to its end after it was last seen: unknown in
    between, deleted from that sweep on (as far as the account's latest full sweep).
    """
    first, last = _aware(post["first_seen_at"]), _aware(post["last_seen_at"])
    state = post["availability"]
    if first is None or last is None:  # both columns are NOT NULL
        return {"state": state, "svg": ""}
    latest_sweep = _aware(post.get("last_full_sweep_at"))
    stretches = [charts.Stretch("active" if state != "blocked" else "blocked", first, last)]
    missing_since = None
    if state not in ("active", "blocked"):
        handles = [h for h in (post.get("handle_key"), post.get("platform_account_id")) if h]
        missing_since = _aware(browse.first_sweep_after(engine, post["platform"], handles, last))
        start = missing_since or last
        if missing_since and missing_since > last:
            stretches.append(charts.Stretch("unknown", last, missing_since))
        end = max(latest_sweep, start) if latest_sweep else start
        stretches.append(charts.Stretch(state, start, end))
    return {
        "state": state,
        "first_seen_at": first,
        "last_seen_at": last,
        "missing_since": missing_since,
        "account_last_full_sweep_at": latest_sweep,
        "svg": charts.availability_svg(stretches, seen),
    }


def post_view(engine: Engine, post_id: int) -> dict[str, Any] | None:
    """The post with its caption versions (and each one's changes), counts over time, tags,
    sound, articles that embedded it, and availability; None when there is no such post."""
    record = browse.get_post_record(engine, post_id)
    if record is None:
        return None
    p, rel = record.post, record.related
    versions: list[dict[str, Any]] = [
        {
            "observed_at": _aware(seen),
            "source_kind": kind,
            "caption": clean_text(text),
            "edited_at": _aware(edited),
        }
        for seen, kind, text, edited in rel.versions.get(post_id, ())
    ]
    for v, changes in zip(versions, changed_versions(versions), strict=True):
        v["changes"] = changes
    snapshots = [
        (_aware(s[0]), dict(zip(COUNT_KEYS, s[1:], strict=True)))
        for s in rel.snapshots.get(post_id, ())
    ]
    seen = sorted(
        {t for t, _ in snapshots if t} | {v["observed_at"] for v in versions if v["observed_at"]}
    )
    post = {
        k: clean_text(v) if isinstance(v, str) else v
        for k, v in p.items()
        if k not in ("raw_payload_id", "account_id")
    }
    return {
        "post": post,
        "posted_at": _aware(p["posted_at"]),
        "counts": {k: p[k] for k in COUNT_KEYS},
        "hashtags": [clean_text(t) for t in rel.hashtags.get(post_id, ())],
        "mentions": [clean_text(m) for m in rel.mentions.get(post_id, ())],
        "sound": None
        if p["sound_id"] is None
        else {
            "id": p["sound_id"],
            "title": clean_text(p["sound_title"]),
            "artist": clean_text(p["sound_artist"]),
            "is_original": p["sound_is_original"],
        },
        "versions": versions,
        "edits": max(0, sum(1 for v in versions if v["source_kind"] == "platform") - 1),
        "snapshots": [{"captured_at": t, **c} for t, c in snapshots],
        "sparklines": charts.count_sparklines([(t, c) for t, c in snapshots if t]),
        "articles": [
            {k: clean_text(v) if isinstance(v, str) else v for k, v in a.items()}
            for a in record.articles
        ],
        "availability": _availability(engine, p, seen),
    }


# --- sound, status -------------------------------------------------------------------------


def sound_view(engine: Engine, sound_id: int, after: int | None) -> dict[str, Any] | None:
    """The sound and a page of the posts that use it, newest first; None when unknown."""
    sound = browse.get_sound(engine, sound_id)
    if sound is None:
        return None
    posts = browse.sound_posts_page(engine, sound_id, after=after, limit=params.TIMELINE_PAGE)
    return {
        "sound": {k: clean_text(v) if isinstance(v, str) else v for k, v in sound.items()},
        "posts": [{**p, "caption": clean_text(p["caption"])} for p in posts],
        "next_after": posts[-1]["id"] if len(posts) == params.TIMELINE_PAGE else None,
    }


def status_view(
    engine: Engine,
    settings: config_mod.Settings,
    roster: config_mod.Roster,
    *,
    runs: int = 50,
) -> dict[str, Any]:
    """``podium status``'s report and the latest crawl runs (``podium runs``).

    Read-only: a run whose process died shows as ``running`` here until a command that may
    write (``podium status``, a crawl) closes it as ``interrupted``.
    """
    report = refresh_status(engine, settings, roster)
    return {**report, "runs": store.list_runs(engine, limit=runs)}
