"""Keyword search over the full-text index (FTS5 on SQLite, tsvector on PostgreSQL), with filters.

Both backends index ``post.search_text`` (the store's :func:`archive.textfold.fold` of the body)
split into the same tokens: runs of letters, digits, private-use and other-symbol characters
(FTS5 ``unicode61 categories 'L* N* Co So'``; on PostgreSQL ``podium_search_tsvector``, see the
``index_search_tsv_like_fts5`` migration). A query goes through the same fold and split, and each
token is quoted before it reaches MATCH or the tsquery, which is always a bound parameter. So
``Sølv``/``solv`` and ``金メダル`` match alike on both, and no input can change the SQL.

``@name`` asks the index for the user name and the ``mention`` table for the key: a bare name
also matches a Mastodon mention on any instance (``@jonas`` finds ``jonas@rad.example``, which
the post shows as ``@jonas``); ``@jonas@rad.example`` matches that key only. Snippets mark whole
matches, as the index matched them: a phrase's tokens in a row, a CJK word's bigrams in a row.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import regex
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from archive import store
from archive.errors import QueryError
from archive.textfold import fold

log = logging.getLogger(__name__)

__all__ = [
    "ParsedQuery",
    "SearchHit",
    "SearchResults",
    "Term",
    "make_snippet",
    "parse_query",
    "search_posts",
    "tokens",
]

SORTS = ("rank", "date")
MAX_TERMS = 64
MAX_TOKEN = 200  # characters; PostgreSQL refuses lexemes of 2 KB, and nobody types such words

# One token as FTS5's unicode61 tokenizer sees it with categories 'L* N* Co So'.
_WORD_RE = regex.compile(r"[\p{L}\p{N}\p{Co}\p{So}]+")
# Hashtag and mention bodies as the normalizer reads them (letters, marks, digits, underscore;
# mentions also dots, dashes and Mastodon's user@instance), so their keys compare equal.
_HASHTAG_BODY_RE = regex.compile(r"[\p{L}\p{M}\p{N}_]+")
_MENTION_BODY_RE = regex.compile(r"[\p{L}\p{M}\p{N}_.\-@]*[\p{L}\p{M}\p{N}_]")
# For snippets: emoji are one token each, CJK runs are read as bigrams (as textfold does).
_EMOJI = r"\p{Extended_Pictographic}\p{Regional_Indicator}"
_EMOJI_DROP_RE = regex.compile(r"[\p{Emoji_Modifier}\u200d\ufe0e\ufe0f\u20e3]")
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3005-\u3007\u30fc"
_SNIPPET_RE = regex.compile(
    rf"(?P<e>[{_EMOJI}])|(?P<c>[{_CJK}]+)|(?P<w>(?:(?![{_EMOJI}{_CJK}])[\p{{L}}\p{{N}}\p{{Co}}\p{{So}}])+)"
)

post_t = store.post_t
account_t = store.account_t
athlete_t = store.athlete_t
fts_t = sa.table("post_fts", sa.column("rowid", sa.Integer), sa.column("rank", sa.Float))
_MATCH = sa.literal_column("post_fts").op("MATCH")
_TSV: Any = sa.literal_column("post.search_tsv")


def tokens(text: str) -> list[str]:
    """The index tokens of a text: ``fold`` it, then split it as FTS5 does."""
    return _WORD_RE.findall(fold(text))


# --- the query language ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A searchable item: its tokens (a phrase when more than one), prefix, tag or mention key."""

    tokens: tuple[str, ...]
    prefix: bool = False
    kind: str = "word"  # word, phrase, hashtag, mention
    key: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """An AND of OR-groups of terms, and the terms no hit may contain."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def fts5(self) -> str:
        """The FTS5 MATCH expression: every token double-quoted."""
        expr = " AND ".join(_group(g, _fts5_term, " OR ") for g in self.groups)
        for t in self.excluded:
            if t.kind not in ("hashtag", "mention"):
                expr += " NOT " + _fts5_term(t)
        return expr

    def tsquery(self) -> str:
        """The PostgreSQL tsquery text: every lexeme single-quoted; cast, never parsed."""
        parts = [_group(g, _ts_term, " | ") for g in self.groups]
        parts += ["!" + _ts_term(t) for t in self.excluded if t.kind not in ("hashtag", "mention")]
        return " & ".join(parts)

    def positive_terms(self) -> list[Term]:
        """Every term a hit may match (for snippets)."""
        return [t for g in self.groups for t in g]


def _group(group: Sequence[Term], render: Any, op: str) -> str:
    return render(group[0]) if len(group) == 1 else "(" + op.join(map(render, group)) + ")"


def _fts5_term(t: Term) -> str:
    quoted = '"' + " ".join(tok.replace('"', '""') for tok in t.tokens) + '"'
    return quoted + ("*" if t.prefix else "")


def _ts_lexeme(tok: str) -> str:
    return "'" + tok.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(t: Term) -> str:
    lexemes = [_ts_lexeme(tok) for tok in t.tokens]
    if t.prefix:
        lexemes[-1] += ":*"
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _clean(text: str) -> str:
    """User text safe to bind: no NUL, no lone surrogates (from undecodable argv bytes)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _lex(query: str) -> list[tuple[str, str, bool]]:
    """(kind, text, negated) items: kind is ``word``, ``phrase`` or ``or``."""
    items: list[tuple[str, str, bool]] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        negated = query[i] == "-" and i + 1 < n and not query[i + 1].isspace()
        if negated:
            i += 1
        if query[i] == '"':
            # An unbalanced quote runs to the end: the rest is searched as a phrase.
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            text = query[i + 1 : end]
            i = end + 1
            if i < n and query[i] == "*":
                text += "*"
                i += 1
            items.append(("phrase", text, negated))
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] != '"':
            j += 1
        word = query[i:j]
        i = j
        items.append(("or" if word == "OR" and not negated else "word", word, negated))
    return items


def _term(kind: str, text: str) -> Term | None:
    prefix = text.endswith("*")
    text = text.rstrip("*")
    if kind == "phrase":
        toks = tokens(text)
        return Term(tuple(toks), prefix, "phrase") if toks else None
    if text[:1] in ("#", "＃", "@", "＠"):
        is_tag = text[0] in "#＃"
        body_re = _HASHTAG_BODY_RE if is_tag else _MENTION_BODY_RE
        m = body_re.match(unicodedata.normalize("NFC", text.lstrip("#＃@＠")))
        if m:
            key = m.group(0).casefold()
            # A Mastodon post shows ``@jonas`` for the mention stored as ``jonas@rad.example``:
            # the index is asked for the user name only, the mention table for the whole key.
            toks = tokens(key if is_tag else key.split("@", 1)[0])
            if toks:
                return Term(tuple(toks), False, "hashtag" if is_tag else "mention", key)
    toks = tokens(text)
    return Term(tuple(toks), prefix, "word") if toks else None


def parse_query(query: str) -> ParsedQuery:
    """Parse web-search syntax: words (AND), "phrases", prefix*, OR, -exclusion, #tag, @mention.

    ``OR`` (upper case) joins the terms on either side; anything else that is not a word (FTS
    operators, SQL, stray quotes or stars) is searched literally or ignored, as the index would
    see it. Raises QueryError for a query with nothing to search, or with exclusions only.
    """
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for kind, text, negated in _lex(_clean(query)):
        if kind == "or":
            join_next = bool(groups)
            continue
        term = _term(kind, text)
        if term is None:
            continue
        if any(len(tok) > MAX_TOKEN for tok in term.tokens):
            raise QueryError(f"a word in the query is longer than {MAX_TOKEN} characters")
        if negated:
            excluded.append(term)
            join_next = False
        elif join_next:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    if sum(map(len, groups)) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms; search for fewer words")
    if not groups:
        if excluded:
            raise QueryError(
                "a query of exclusions only matches almost everything; "
                "add a word to search for, e.g. 'schaatsen -training'"
            )
        raise QueryError(
            f'nothing to search for in {query!r}: use words, "phrases", '
            "prefix*, #hashtags or @mentions"
        )
    return ParsedQuery(tuple(map(tuple, groups)), tuple(excluded))


# --- snippets -------------------------------------------------------------------------------


_ASCII_STREAM = str.maketrans(
    {**{chr(c): chr(c).lower() for c in range(65, 91)}, **dict.fromkeys("#@ \t\n\r\x0b\x0c", " ")}
)
_CHAR_FOLD: dict[str, str] = {}


def _fold_one(ch: str) -> str:
    folded = _CHAR_FOLD.get(ch)
    if folded is None:
        folded = fold(ch)
        if not folded and not _EMOJI_DROP_RE.match(ch):
            folded = " "  # spaces, punctuation, # and @ separate tokens
        if len(_CHAR_FOLD) < 50_000:
            _CHAR_FOLD[ch] = folded
    return folded


def _fold_stream(text: str) -> tuple[str, Sequence[int]]:
    """``fold`` character by character, with the index in ``text`` of each folded character."""
    if text.isascii():
        return text.translate(_ASCII_STREAM), range(len(text))
    pieces = [_fold_one(ch) for ch in text]
    if all(len(p) == 1 for p in pieces):
        return "".join(pieces), range(len(text))
    origin: list[int] = []
    for i, piece in enumerate(pieces):
        origin.extend([i] * len(piece))
    return "".join(pieces), origin


def _stream_tokens(text: str) -> list[tuple[str, int, int]]:
    """The index tokens of ``text`` (as :func:`tokens` gives them), each with its span in it."""
    folded, origin = _fold_stream(text)
    out: list[tuple[str, int, int]] = []
    for m in _SNIPPET_RE.finditer(folded):
        s, e = m.span()
        if m.group("c") and e - s > 2:
            out += [(folded[j : j + 2], origin[j], origin[j + 1] + 1) for j in range(s, e - 1)]
        else:
            out.append((m.group(0), origin[s], origin[e - 1] + 1))
    return out


def _match_spans(stream: Sequence[tuple[str, int, int]], terms: Sequence[Term]) -> list[list[int]]:
    """Where a whole term matches: all its tokens in a row (a CJK word is a run of bigrams)."""

    def same(tok: str, want: str, prefix: bool) -> bool:
        return tok.startswith(want) if prefix else tok == want

    toks = [tok for tok, _, _ in stream]
    spans: list[tuple[int, int]] = []
    for t in {t for t in terms if t.tokens}:
        n, last = len(t.tokens), len(t.tokens) - 1
        first = t.tokens[0]
        for i in range(len(toks) - n + 1):
            if not same(toks[i], first, t.prefix and last == 0):
                continue
            if all(same(toks[i + k], t.tokens[k], t.prefix and k == last) for k in range(1, n)):
                spans.append((stream[i][1], stream[i + n - 1][2]))
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def make_snippet(
    text: str, terms: Sequence[Term], width: int = 160, marks: tuple[str, str] = ("«", "»")
) -> str:
    """A window of ``text`` around the first match, each whole match between ``marks``.

    A term is marked where all its tokens occur in a row, as the index matched it: a phrase as a
    whole, a CJK word only where its bigrams follow each other (``スタート`` marks ``スタート``,
    never the ``ート`` in ``メートル``).
    """
    merged = _match_spans(_stream_tokens(text), terms)
    start = 0
    if merged and merged[0][0] > width // 3:
        start = merged[0][0] - width // 3
        space = text.find(" ", start, merged[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(start, merged[0][1] if merged else start), end)
        end = space if space > start else end
    out = ["…" if start else ""]
    pos = start
    for s, e in merged:
        if s >= end:
            break
        out += [text[pos:s], marks[0], text[s : min(e, end)], marks[1]]
        pos = min(e, end)
    out.append(text[pos:end])
    out.append("…" if end < len(text) else "")
    return " ".join("".join(out).split())


# --- search -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching post, with the snippet that shows why it matched."""

    post_id: int
    platform: str
    platform_post_id: str
    url: str | None
    athlete: str | None
    handle: str | None
    posted_at: datetime | None
    language: str
    caption: str
    snippet: str
    score: float
    availability: str = "active"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (datetimes stay datetimes; the CLI renders them)."""
        d = asdict(self)
        d.pop("extra")
        return d


class SearchResults(list[SearchHit]):
    """The hits, best or newest first, and how many posts match in all.

    ``total`` is None when it was not counted (``search_posts(count=False)``) and there may be
    more matches than hits; when there are fewer hits than the limit it is always known.
    """

    total: int | None

    def __init__(self, hits: Iterable[SearchHit] = (), total: int | None = None) -> None:
        super().__init__(hits)
        self.total = total


def _day_start(value: date | datetime, *, after: bool) -> datetime:
    """A datetime bound; a date means its whole UTC day (``after`` gives the next midnight)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise QueryError("give --since/--until as dates, or as aware datetimes")
        return value.astimezone(UTC)
    moment = datetime.combine(value, time(0), tzinfo=UTC)
    return moment + timedelta(days=1) if after else moment


def _like_escape(text: str) -> str:
    """``text`` as a LIKE pattern that matches it literally (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    return f"%{_like_escape(text)}%"


def _tag_filter(term: Term) -> Any:
    # EXISTS, looked up by primary key per candidate: a popular tag has 100k+ posts, and an
    # IN (...) list of them would be built before the first row is checked.
    pht, ht, men = store.post_hashtag_t, store.hashtag_t, store.mention_t
    if term.kind == "hashtag":
        return sa.exists().where(
            pht.c.post_id == post_t.c.id, pht.c.hashtag_id == ht.c.id, ht.c.key == term.key
        )
    key = term.key or ""
    if "@" in key:
        return sa.exists().where(men.c.post_id == post_t.c.id, men.c.key == key)
    # A bare name matches it on any Mastodon instance: ``jonas`` finds ``jonas@rad.example``.
    return sa.exists().where(
        men.c.post_id == post_t.c.id,
        sa.or_(men.c.key == key, men.c.key.like(_like_escape(key) + "@%", escape="\\")),
    )


def _filters(
    conn: Connection,
    parsed: ParsedQuery,
    *,
    athlete: str | None,
    platform: str | None,
    lang: str | None,
    hashtag: str | None,
    sound: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
) -> list[Any]:
    conds: list[Any] = []
    if athlete is not None:
        row = store.require_athlete(conn, _clean(athlete))
        conds.append(
            post_t.c.account_id.in_(
                sa.select(account_t.c.id).where(account_t.c.athlete_id == row["id"])
            )
        )
    if platform is not None:
        conds.append(post_t.c.platform == _clean(platform).strip().lower())
    if lang is not None:
        code = _clean(lang).strip().lower()
        conds.append(
            sa.or_(
                post_t.c.language == code,
                sa.and_(
                    post_t.c.language == "und", sa.func.lower(post_t.c.declared_language) == code
                ),
            )
        )
    if hashtag is not None:
        key = unicodedata.normalize("NFC", _clean(hashtag).strip().lstrip("#＃")).casefold()
        conds.append(_tag_filter(Term((), kind="hashtag", key=key)))
    if sound is not None:
        pattern = _like(_clean(sound).strip())
        sound_t = store.sound_t
        like = sa.Column.ilike if conn.dialect.name == "postgresql" else sa.Column.like
        conds.append(
            post_t.c.sound_id.in_(
                sa.select(sound_t.c.id).where(
                    sa.or_(
                        like(sound_t.c.title, pattern, escape="\\"),
                        like(sound_t.c.artist, pattern, escape="\\"),
                    )
                )
            )
        )
    if since is not None:
        conds.append(post_t.c.posted_at >= _day_start(since, after=False))
    if until is not None:
        bound = _day_start(until, after=True)
        conds.append(
            post_t.c.posted_at < bound
            if not isinstance(until, datetime)
            else post_t.c.posted_at <= bound
        )
    # #tag and @name must be a tag or mention, not only the word; in an OR-group only when every
    # alternative is one (the word itself is matched by the index in every case).
    for group in parsed.groups:
        if all(t.kind in ("hashtag", "mention") for t in group):
            conds.append(sa.or_(*map(_tag_filter, group)))
    conds += [~_tag_filter(t) for t in parsed.excluded if t.kind in ("hashtag", "mention")]
    return conds


def _columns() -> list[Any]:
    return [
        post_t.c.id,
        post_t.c.platform,
        post_t.c.platform_post_id,
        post_t.c.url,
        post_t.c.posted_at,
        post_t.c.language,
        post_t.c.caption,
        post_t.c.availability,
        athlete_t.c.slug.label("athlete"),
        account_t.c.handle,
    ]


def _from(base: Any) -> Any:
    return base.outerjoin(account_t, account_t.c.id == post_t.c.account_id).outerjoin(
        athlete_t, athlete_t.c.id == account_t.c.athlete_id
    )


def _order(sort: str, score: Any) -> list[Any]:
    if sort == "date":
        return [post_t.c.posted_at.is_(None), post_t.c.posted_at.desc(), post_t.c.id.desc()]
    return [score.desc(), post_t.c.id]


def _search_sqlite(
    conn: Connection, parsed: ParsedQuery, conds: list[Any], sort: str, limit: int
) -> list[Any]:
    match = parsed.fts5()
    inner = sa.select(fts_t.c.rowid.label("id"), fts_t.c.rank.label("rank")).where(
        _MATCH(sa.bindparam("m", match))
    )
    if sort == "date":
        hits = inner.subquery()
        stmt = (
            sa.select(*_columns(), (-hits.c.rank).label("score"))
            .select_from(_from(post_t.join(hits, hits.c.id == post_t.c.id)))
            .where(*conds)
            .order_by(*_order(sort, -hits.c.rank))
            .limit(limit)
        )
        return list(conn.execute(stmt))
    # bm25 over a frequent word is the cost: let FTS5 pick the best k by rank first, then filter.
    # When filters reject too many of those, rank every match that passes the filters instead.
    k = limit if not conds else max(limit * 10, 200)
    hits = inner.order_by(fts_t.c.rank).limit(k).subquery()
    stmt = (
        sa.select(*_columns(), (-hits.c.rank).label("score"))
        .select_from(_from(post_t.join(hits, hits.c.id == post_t.c.id)))
        .where(*conds)
        .order_by(hits.c.rank, post_t.c.id)
        .limit(limit)
    )
    rows = list(conn.execute(stmt))
    if len(rows) >= limit:
        return rows
    total = conn.execute(
        sa.select(sa.func.count()).select_from(fts_t).where(_MATCH(sa.bindparam("m", match)))
    ).scalar_one()
    if total <= k:
        return rows  # every match was looked at
    stmt = (
        sa.select(*_columns(), (-fts_t.c.rank).label("score"))
        .select_from(_from(post_t.join(fts_t, fts_t.c.rowid == post_t.c.id)))
        .where(_MATCH(sa.bindparam("m", match)), *conds)
        .order_by(fts_t.c.rank, post_t.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def _search_postgresql(
    conn: Connection, parsed: ParsedQuery, conds: list[Any], sort: str, limit: int
) -> list[Any]:
    query = sa.cast(sa.bindparam("q", parsed.tsquery()), postgresql.TSQUERY)
    score = sa.func.ts_rank(_TSV, query)
    stmt = (
        sa.select(*_columns(), score.label("score"))
        .select_from(_from(post_t))
        .where(_TSV.op("@@")(query), *conds)
        .order_by(*_order(sort, score))
        .limit(limit)
    )
    return list(conn.execute(stmt))


def _count_sqlite(conn: Connection, parsed: ParsedQuery, conds: list[Any]) -> int:
    match = _MATCH(sa.bindparam("m", parsed.fts5()))
    if not conds:
        stmt = sa.select(sa.func.count()).select_from(fts_t).where(match)
    else:
        hits = sa.select(fts_t.c.rowid.label("id")).where(match).subquery()
        stmt = (
            sa.select(sa.func.count())
            .select_from(post_t.join(hits, hits.c.id == post_t.c.id))
            .where(*conds)
        )
    return int(conn.execute(stmt).scalar_one())


def _count_postgresql(conn: Connection, parsed: ParsedQuery, conds: list[Any]) -> int:
    query = sa.cast(sa.bindparam("q", parsed.tsquery()), postgresql.TSQUERY)
    stmt = sa.select(sa.func.count()).select_from(post_t).where(_TSV.op("@@")(query), *conds)
    return int(conn.execute(stmt).scalar_one())


def search_posts(
    engine: Engine,
    query: str,
    *,
    athlete: str | None = None,
    platform: str | None = None,
    lang: str | None = None,
    hashtag: str | None = None,
    sound: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    sort: str = "rank",
    limit: int = 20,
    count: bool = False,
) -> SearchResults:
    """Posts matching ``query`` (see :func:`parse_query`), best first or newest first.

    Filters: ``athlete`` slug (UnknownAthleteError names close matches), ``platform``, ``lang``
    (the detected language, or the declared one where detection said ``und``), ``hashtag``
    (without ``#``), ``sound`` (part of a title or artist), ``since``/``until`` (inclusive UTC
    dates: ``until`` covers its whole day). With ``count``, the result's ``total`` says how many
    posts match in all (one more query when there are more than ``limit``). Raises QueryError
    for a query it cannot run.
    """
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if not 1 <= limit <= 100_000:
        raise QueryError("limit must be between 1 and 100000")
    parsed = parse_query(query)
    with engine.connect() as conn:  # a deferred read: never waits for a crawl's batch
        conds = _filters(
            conn,
            parsed,
            athlete=athlete,
            platform=platform,
            lang=lang,
            hashtag=hashtag,
            sound=sound,
            since=since,
            until=until,
        )
        run = _search_postgresql if conn.dialect.name == "postgresql" else _search_sqlite
        rows = run(conn, parsed, conds, sort, limit)
        total: int | None = len(rows)
        if len(rows) >= limit:
            counter = _count_postgresql if conn.dialect.name == "postgresql" else _count_sqlite
            total = counter(conn, parsed, conds) if count else None
    terms = parsed.positive_terms()
    hits = (
        SearchHit(
            post_id=r.id,
            platform=r.platform,
            platform_post_id=r.platform_post_id,
            url=r.url,
            athlete=r.athlete,
            handle=r.handle,
            posted_at=r.posted_at,
            language=r.language,
            caption=r.caption,
            snippet=make_snippet(r.caption, terms),
            score=round(float(r.score), 6),
            availability=r.availability,
        )
        for r in rows
    )
    return SearchResults(hits, total)
