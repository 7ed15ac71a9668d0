"""The search language: web-search syntax parsed into terms, rendered for each index.

Words (AND), "phrases", prefix*, OR, -exclusion, #hashtag and @mention. Each token is the index's
own (``tokens``: the store's fold, split as FTS5 splits), quoted before it reaches MATCH or the
tsquery: no input can change the query's structure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

from archive.errors import QueryError
from archive.textfold import fold

MAX_TERMS = 64
MAX_TOKEN = 200  # characters; PostgreSQL refuses lexemes of 2 KB, and nobody types such words

# One token as FTS5's unicode61 tokenizer sees it with categories 'L* N* Co So'.
_WORD_RE = regex.compile(r"[\p{L}\p{N}\p{Co}\p{So}]+")
# Hashtag and mention bodies as the normalizer reads them (letters, marks, digits, underscore;
# mentions also dots, dashes and Mastodon's user@instance), so their keys compare equal.
_HASHTAG_BODY_RE = regex.compile(r"[\p{L}\p{M}\p{N}_]+")
_MENTION_BODY_RE = regex.compile(r"[\p{L}\p{M}\p{N}_.\-@]*[\p{L}\p{M}\p{N}_]")
#: The forms of term the index alone cannot decide: a hashtag or mention must also be one.
TAG_FORMS = ("hashtag", "mention")


def tokens(text: str) -> list[str]:
    """The index tokens of a text: ``fold`` it, then split it as FTS5 does."""
    found: list[str] = _WORD_RE.findall(fold(text))
    return found


@dataclass(frozen=True, slots=True)
class Term:
    """A searchable item: its tokens (a phrase when more than one), prefix, tag or mention key."""

    tokens: tuple[str, ...]
    prefix: bool = False
    form: str = "word"  # word, phrase, hashtag, mention: how it was written
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
            if t.form not in TAG_FORMS:
                expr += " NOT " + _fts5_term(t)
        return expr

    def tsquery(self) -> str:
        """The PostgreSQL tsquery text: every lexeme single-quoted; cast, never parsed."""
        parts = [_group(g, _ts_term, " | ") for g in self.groups]
        parts += ["!" + _ts_term(t) for t in self.excluded if t.form not in TAG_FORMS]
        return " & ".join(parts)

    def positive_terms(self) -> list[Term]:
        """Every term a hit may match (for snippets)."""
        return [t for g in self.groups for t in g]


def _group(group: Sequence[Term], render: Callable[[Term], str], op: str) -> str:
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


def clean_input(text: str) -> str:
    """User text safe to bind: no NUL, no lone surrogates (from undecodable argv bytes)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _lex(query: str) -> list[tuple[str, str, bool]]:
    """(form, text, negated) items: form is ``word``, ``phrase`` or ``or``."""
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


def _term(form: str, text: str) -> Term | None:
    prefix = text.endswith("*")
    text = text.rstrip("*")
    if form == "phrase":
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
    for form, text, negated in _lex(clean_input(query)):
        if form == "or":
            join_next = bool(groups)
            continue
        term = _term(form, text)
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
