"""Athletes and accounts: the roster sync, account identity, athlete look-ups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from archive import db
from archive.config import Roster, unknown_athlete
from archive.records import NormalizedPost
from archive.store._common import (
    account_t,
    any_of,
    athlete_t,
    bulk_insert,
    chunks,
    insert_for,
    lock_in_order,
    many,
    post_t,
    utcnow,
)


def resolve_accounts(
    conn: Connection, posts: Sequence[NormalizedPost], now: datetime, athlete_ids: Mapping[str, int]
) -> dict[int, int | None]:
    """account.id for each post index (None when the post names no author).

    One query finds the accounts a batch already knows; their last_seen_at moves in one
    statement. Only new or changed accounts (new id, new handle) take the slow careful path.
    """
    wanted: dict[tuple[str, str | None, str | None], list[int]] = {}
    for i, p in enumerate(posts):
        if p.author_id or p.author_handle:
            key = (p.platform, p.author_id, p.author_handle.casefold() if p.author_handle else None)
            wanted.setdefault(key, []).append(i)
    out: dict[int, int | None] = dict.fromkeys(range(len(posts)))
    seen: dict[tuple[str, str | None, str | None], tuple[str | None, int | None]] = {}
    for who, idxs in wanted.items():
        # Any post of the batch may carry the name (a listing item may lack it): the newest one.
        name = next((posts[i].author_name for i in reversed(idxs) if posts[i].author_name), None)
        slug = next((posts[i].athlete_slug for i in idxs if posts[i].athlete_slug), None)
        seen[who] = (name, athlete_ids.get(slug or ""))
    by_id, by_handle = _known_accounts(conn, wanted)
    if _insert_new_accounts(conn, posts, wanted, seen, by_id, by_handle, now):
        by_id, by_handle = _known_accounts(conn, wanted)
    touched = []
    for (platform, pid, hkey), idxs in wanted.items():
        sample = posts[idxs[0]]
        name, athlete_id = seen[(platform, pid, hkey)]
        found = by_id.get((platform, pid)) if pid else by_handle.get((platform, hkey or ""))
        settled = (
            found is not None
            and (not hkey or found.handle_key == hkey)
            and (not pid or found.platform_account_id == pid)
            and (not name or found.display_name == name)
            and (not athlete_id or found.athlete_id is not None)
        )
        if settled and found is not None:
            account_id = int(found.id)
            touched.append(account_id)
        else:
            account_id = _resolve_account(
                conn, platform, pid, hkey, sample.author_handle, name, now, athlete_id
            )
        for i in idxs:
            out[i] = account_id
    if touched:
        lock_in_order(conn, account_t, touched)
        conn.execute(
            account_t.update().where(any_of(conn, account_t.c.id, "ids")).values(last_seen_at=now),
            {"ids": many(conn, touched)},
        )
    return out


def _insert_new_accounts(
    conn: Connection,
    posts: Sequence[NormalizedPost],
    wanted: Mapping[tuple[str, str | None, str | None], list[int]],
    seen: Mapping[tuple[str, str | None, str | None], tuple[str | None, int | None]],
    by_id: Mapping[tuple[str, str], Any],
    by_handle: Mapping[tuple[str, str], Any],
    now: datetime,
) -> bool:
    """Insert, in one statement, the accounts of the batch that no row can be confused with
    (neither their id, nor their handle, nor their id as a handle is known, and no other new
    account of the batch shares either); returns whether there were any.

    What ``_resolve_account`` would make of them, without its four statements each. Rows
    another writer inserted first are skipped (ON CONFLICT); the caller looks again, and
    anything that does not match then takes the careful path.
    """
    rows: list[dict[str, Any]] = []
    taken: set[tuple[str, str]] = set()
    for (platform, pid, hkey), idxs in wanted.items():
        names = [("id", pid), ("handle", hkey), ("handle", pid.casefold() if pid else None)]
        if any(
            v and ((platform, v) in (by_id if kind == "id" else by_handle) or (kind, v) in taken)
            for kind, v in names
        ):
            continue
        taken.update((kind, v) for kind, v in names[:2] if v)
        name, athlete_id = seen[(platform, pid, hkey)]
        rows.append(
            {
                "platform": platform,
                "platform_account_id": pid,
                "handle": posts[idxs[0]].author_handle,
                "handle_key": hkey,
                "display_name": name,
                "athlete_id": athlete_id,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )
    bulk_insert(conn, account_t, rows)
    return bool(rows)


def _known_accounts(
    conn: Connection, wanted: Mapping[tuple[str, str | None, str | None], object]
) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """The accounts a batch already knows, by (platform, account id) and (platform, handle key);
    the handle keys looked up include the batch's account ids case-folded (a roster may name an
    account by its stable id)."""
    c = account_t.c
    by_id: dict[tuple[str, str], Any] = {}
    by_handle: dict[tuple[str, str], Any] = {}
    for platform in {k[0] for k in wanted}:
        ids = [k[1] for k in wanted if k[0] == platform and k[1]]
        keys = [k[2] for k in wanted if k[0] == platform and k[2]]
        keys += [i.casefold() for i in ids]
        for col, values in ((c.platform_account_id, ids), (c.handle_key, keys)):
            for chunk in chunks(values):
                for row in conn.execute(
                    sa.select(
                        c.id, c.platform_account_id, c.handle_key, c.athlete_id, c.display_name
                    ).where(c.platform == platform, col.in_(chunk))
                ):
                    if row.platform_account_id:
                        by_id[(platform, row.platform_account_id)] = row
                    if row.handle_key:
                        by_handle[(platform, row.handle_key)] = row
    return by_id, by_handle


def _resolve_account(
    conn: Connection,
    platform: str,
    platform_account_id: str | None,
    handle_key: str | None,
    handle: str | None,
    display_name: str | None,
    now: datetime,
    athlete_id: int | None,
    *,
    _retried: bool = False,
) -> int:
    """Find or create one account, learning its stable id and current handle as they come."""
    c = account_t.c
    conds = []
    if platform_account_id:
        conds.append(c.platform_account_id == platform_account_id)
        # A roster may name an account by its stable id (a YouTube UC… channel id) as handle.
        conds.append(
            sa.and_(c.platform_account_id.is_(None), c.handle_key == platform_account_id.casefold())
        )
    if handle_key:
        conds.append(c.handle_key == handle_key)
    rows = conn.execute(
        sa.select(c.id, c.platform_account_id, c.handle_key, c.athlete_id, c.display_name).where(
            c.platform == platform, sa.or_(*conds)
        )
    ).all()
    # Prefer the row with the stable id; a handle can move between people, an id cannot.
    # Without an id (an embed's byline), the account holding the handle now is the one.
    row = next(
        (r for r in rows if platform_account_id and r.platform_account_id == platform_account_id),
        None,
    ) or next(
        (
            r
            for r in rows
            if platform_account_id is None or r.platform_account_id in (None, platform_account_id)
        ),
        None,
    )
    if row is None:
        stmt = insert_for(conn, account_t).on_conflict_do_nothing()
        conn.execute(
            stmt,
            {
                "platform": platform,
                "platform_account_id": platform_account_id,
                "handle": handle,
                "handle_key": None if any(r.handle_key == handle_key for r in rows) else handle_key,
                "display_name": display_name,
                "athlete_id": athlete_id,
                "first_seen_at": now,
                "last_seen_at": now,
            },
        )
        if _retried:
            # The insert was refused by a constraint other than the keys looked up above (a
            # primary-key sequence behind its rows, say): say so instead of recursing forever.
            raise RuntimeError(
                f"cannot store the {platform} account {handle or platform_account_id!r}: "
                "the database refused the new row and no existing row matches it"
            )
        return _resolve_account(
            conn,
            platform,
            platform_account_id,
            handle_key,
            handle,
            display_name,
            now,
            athlete_id,
            _retried=True,
        )
    values: dict[str, Any] = {"last_seen_at": now}
    if platform_account_id and row.platform_account_id is None:
        values["platform_account_id"] = platform_account_id
    if handle_key and row.handle_key != handle_key:
        # The handle moved to this account: free it elsewhere first (unique per platform).
        conn.execute(
            account_t.update()
            .where(c.platform == platform, c.handle_key == handle_key, c.id != row.id)
            .values(handle_key=None)
        )
        values.update(handle=handle, handle_key=handle_key)
    if display_name and row.display_name != display_name:
        values["display_name"] = display_name
    if athlete_id and row.athlete_id is None:
        values["athlete_id"] = athlete_id
    conn.execute(account_t.update().where(c.id == row.id).values(**values))
    return int(row.id)


@dataclass(slots=True)
class SyncResult:
    """What ``sync_roster`` changed."""

    athletes_added: int = 0
    athletes_updated: int = 0
    accounts_added: int = 0


@db.retry_transient
def sync_roster(engine: Engine, roster: Roster) -> SyncResult:
    """Create or update the roster's athletes and their accounts (never deletes anything)."""
    result = SyncResult()
    now = utcnow()
    with db.writer(engine).begin() as conn:
        for a in roster.athletes:
            values = {
                "name": a.name,
                "sport": a.sport,
                "country": a.country,
                "languages": ",".join(a.languages) or None,
            }
            row = (
                conn.execute(sa.select(athlete_t).where(athlete_t.c.slug == a.slug))
                .mappings()
                .first()
            )
            if row is None:
                conn.execute(
                    insert_for(conn, athlete_t).on_conflict_do_nothing(),
                    {"slug": a.slug, "created_at": now, "updated_at": now, **values},
                )
                result.athletes_added += 1
            elif any(row[k] != v for k, v in values.items()):
                conn.execute(
                    athlete_t.update()
                    .where(athlete_t.c.slug == a.slug)
                    .values(updated_at=now, **values)
                )
                result.athletes_updated += 1
            athlete_id = conn.execute(
                sa.select(athlete_t.c.id).where(athlete_t.c.slug == a.slug)
            ).scalar_one()
            for acc in a.accounts:
                key = acc.handle.casefold()
                found = conn.execute(
                    sa.select(account_t.c.id, account_t.c.athlete_id).where(
                        account_t.c.platform == acc.platform,
                        # the handle, or the stable id a roster may give instead (YouTube UC…)
                        sa.or_(
                            account_t.c.handle_key == key,
                            account_t.c.platform_account_id == acc.handle,
                        ),
                    )
                ).first()
                if found is None:
                    _resolve_account(
                        conn, acc.platform, None, key, acc.handle, None, now, athlete_id
                    )
                    result.accounts_added += 1
                elif found.athlete_id != athlete_id:
                    conn.execute(
                        account_t.update()
                        .where(account_t.c.id == found.id)
                        .values(athlete_id=athlete_id)
                    )
    return result


@dataclass(frozen=True, slots=True)
class AthleteSummary:
    """One athlete with their accounts and post count (``podium athletes list``)."""

    slug: str
    name: str
    sport: str | None
    country: str | None
    accounts: tuple[tuple[str, str | None], ...]
    posts: int


def list_athletes(engine: Engine) -> list[AthleteSummary]:
    """Every athlete, by slug, with accounts and number of posts."""
    with engine.connect() as conn:
        athletes = conn.execute(sa.select(athlete_t).order_by(athlete_t.c.slug)).mappings().all()
        accounts = conn.execute(
            sa.select(
                account_t.c.athlete_id, account_t.c.platform, account_t.c.handle, account_t.c.id
            )
            .where(account_t.c.athlete_id.is_not(None))
            .order_by(account_t.c.platform, account_t.c.handle)
        ).all()
        counts: dict[int, int] = dict(
            conn.execute(
                sa.select(account_t.c.athlete_id, sa.func.count(post_t.c.id))
                .join(post_t, post_t.c.account_id == account_t.c.id)
                .group_by(account_t.c.athlete_id)
            )
            .tuples()
            .all()
        )
    return [
        AthleteSummary(
            a["slug"],
            a["name"],
            a["sport"],
            a["country"],
            tuple((r.platform, r.handle) for r in accounts if r.athlete_id == a["id"]),
            int(counts.get(a["id"], 0)),
        )
        for a in athletes
    ]


class AthleteRow(TypedDict):
    """An ``athlete`` row."""

    id: int
    slug: str
    name: str
    sport: str | None
    country: str | None
    languages: str | None
    created_at: datetime
    updated_at: datetime


def get_athlete(conn: Connection, slug: str) -> AthleteRow | None:
    """The athlete row with this slug, or None."""
    row = conn.execute(sa.select(athlete_t).where(athlete_t.c.slug == slug)).mappings().first()
    return None if row is None else cast(AthleteRow, dict(row))


def require_athlete(conn: Connection, slug: str) -> AthleteRow:
    """The athlete row, or UnknownAthleteError naming the closest slugs."""
    row = get_athlete(conn, slug)
    if row is not None:
        return row
    raise unknown_athlete(
        slug,
        athlete_slugs(conn),
        "the archive",
        empty_hint="the archive has no athletes yet (run `podium athletes sync`)",
    )


def athlete_slugs(conn: Connection) -> list[str]:
    """Every athlete's slug (reads the ``athlete`` table alone: any schema revision has it)."""
    return list(conn.execute(sa.select(athlete_t.c.slug)).scalars())


def athlete_account_ids(athlete_id: int) -> sa.Select[tuple[int]]:
    """A subquery: the ids of the athlete's accounts (for ``post.account_id IN (...)``)."""
    return sa.select(account_t.c.id).where(account_t.c.athlete_id == athlete_id)


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """An account the archive holds, its athlete's slug and how many posts it has."""

    platform: str
    handle: str | None
    platform_account_id: str | None
    athlete: str | None
    posts: int


def list_accounts(engine: Engine) -> list[AccountSummary]:
    """Every account, by athlete (those of no athlete last), platform and handle."""
    posts = (
        sa.select(sa.func.count())
        .select_from(post_t)
        .where(post_t.c.account_id == account_t.c.id)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            account_t.c.platform,
            account_t.c.handle,
            account_t.c.platform_account_id,
            athlete_t.c.slug,
            posts,
        )
        .select_from(account_t.outerjoin(athlete_t, athlete_t.c.id == account_t.c.athlete_id))
        .order_by(
            athlete_t.c.slug.is_(None), athlete_t.c.slug, account_t.c.platform, account_t.c.handle
        )
    )
    with engine.connect() as conn:
        return [AccountSummary(*r) for r in conn.execute(stmt).tuples()]


@dataclass(frozen=True, slots=True)
class AthleteAccount:
    """An account the archive links to an athlete: its stable id and handle (case-folded)."""

    platform: str
    platform_account_id: str | None
    handle_key: str | None
    athlete: str


def athlete_accounts(engine: Engine) -> list[AthleteAccount]:
    """Every account linked to an athlete, with the athlete's slug (an import matches authors
    to athletes with these, as well as with the roster's handles)."""
    c = account_t.c
    stmt = (
        sa.select(c.platform, c.platform_account_id, c.handle_key, athlete_t.c.slug)
        .join(athlete_t, athlete_t.c.id == c.athlete_id)
        .order_by(c.id)
    )
    with engine.connect() as conn:
        return [AthleteAccount(*row) for row in conn.execute(stmt).tuples()]


# --- what a crawl needs to know -----------------------------------------------------------


def find_account(conn: Connection, platform: str, handle: str) -> dict[str, Any] | None:
    """The account with this platform and handle (case-insensitive), or None.

    A roster may name an account by its stable id instead (YouTube: the ``UC…`` channel id,
    which its feed gives as the author id, with no handle). An account holding that id is
    preferred: after ``athletes sync`` the roster's handle-only row and the row the posts
    arrived on may both exist, and only the latter holds the posts.
    """
    row = (
        conn.execute(
            sa.select(account_t).where(
                account_t.c.platform == platform, account_t.c.platform_account_id == handle
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        row = (
            conn.execute(
                sa.select(account_t).where(
                    account_t.c.platform == platform, account_t.c.handle_key == handle.casefold()
                )
            )
            .mappings()
            .first()
        )
    return None if row is None else dict(row)
