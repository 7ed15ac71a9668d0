"""Platform-neutral records: what a parser saw (RawPost & co.), what the store keeps.

Glossary (one word, one meaning, in every layer):

- **platform**: a network posts are read from (``Platform``). ``news`` is not one: it is a
  spider and a parser of articles, whose embedded posts each have their platform.
- **spider**: what fetches for one platform or for news (``crawler/spiders/<name>.py``);
  ``archive.crawl.spider_for_url`` picks the one for a URL.
- **athlete**: a person on the roster (``config/athletes.toml``), with accounts.
- **account**: one handle on one platform, known by its stable ``platform_account_id``; an
  author outside the roster has an account without an athlete.
- **listing**: reading an account's posts page by page, newest first; how it ended is a
  ``listing_run`` row.
- **sweep**: a full listing, read to its end (``--full``, every K-th scheduled run); posts it
  no longer shows become deleted (unless the listing shrank suddenly).
- **watermark**: when an account's listing was last read as asked (``account.watermark``);
  the posts stored by then are the known ones the stop rule counts.
- **observation**: one sighting of one post (``RawPost``, then ``NormalizedPost``).
- **source kind** (``SourceKind``): where an observation came from: ``platform`` (the post's
  own page or API) or ``embed`` (its copy in an article or oEmbed). Edits are only compared
  within one; ``post.source_kind`` is that of the caption as last seen.
- **post kind**: what the platform calls the post: video, photo, carousel, text, short, reel,
  ... (``RawPost.kind``, ``post.kind``); an open set.
- **parser kind**: the kind of payload a parser recognised: ``video_page``, ``item_list``,
  ``author_feed``, ``article``, ... (``ParseResult.parser_kind``, ``raw_payload.parser_kind``,
  each parser module's ``PARSER_KINDS``).
- **payload**: the bytes posts were read from (a page, an API response, a feed), kept as
  ``raw_payload``.
- **sound**: a post's audio credit (TikTok calls it ``music``, Instagram audio): ``RawSound``
  as found, ``SoundCredit`` normalized, a ``sound`` row stored.
- **hashtag**, **mention**: ``#name`` and ``@handle``. A **tag** is either one: ``Tag``
  (display, key), ``archive.normalize.tags``, ``TagTerm`` serve both, so they keep the word.
- **availability** (``Availability``): whether a post can still be seen. A block or an empty
  listing never makes a post ``deleted``.
- **run status** (``RunStatus``): how a crawl run ended: ``running`` (not yet), ``finished``,
  ``incomplete`` (finished with shortfalls), ``failed``, ``killed`` (at its timeout),
  ``interrupted`` (its process went away).
- **problem**: what could not be parsed or stored, kept with its reason and raw payload
  (``problem`` rows): never lost.
"""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar, cast, get_args

Platform = Literal["tiktok", "instagram", "bluesky", "mastodon", "youtube", "x"]
SourceKind = Literal["platform", "embed"]
Availability = Literal["active", "deleted", "private", "blocked", "unknown"]
RunStatus = Literal["running", "finished", "incomplete", "failed", "killed", "interrupted"]

#: The platforms Podium knows. ``x`` only ever arrives through news-article embeds.
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

#: What the archive says about whether a post can still be seen.
AVAILABILITY: tuple[Availability, ...] = get_args(Availability)

#: Where an observation of a post came from. Versions (edits) are only compared between
#: observations of the same source kind: an embed's text is never an edit of the page's caption.
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)

COUNT_KEYS = ("views", "likes", "comments", "shares", "saves")

_R = TypeVar("_R")


def pickled_by_fields(cls: type[_R]) -> type[_R]:
    """Make a frozen dataclass pickle as ``cls(*fields)``.

    The default for a slots dataclass builds a state dict in Python for every object, and
    ``podium reprocess`` sends every post's records to a worker and back: 56 µs a post, a sixth
    of the work itself, against 22 µs this way.
    """
    names = [f.name for f in dataclasses.fields(cast(Any, cls))]
    fields_of = operator.attrgetter(*names)
    one = len(names) == 1

    def __reduce__(self: _R) -> tuple[type[_R], tuple[Any, ...]]:
        values = fields_of(self)
        return cls, (values,) if one else values

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


@dataclass(slots=True)
class RawSound:
    """Structured sound data exactly as a platform gave it (TikTok ``music``, Instagram audio)."""

    title: str | None = None
    artist: str | None = None
    is_original: bool | None = None
    platform_sound_id: str | None = None


@dataclass(slots=True)
class RawPost:
    """One observation of one post, as a parser located it; nothing interpreted yet.

    Values stay as the platform sent them: ``posted_at`` may be unix seconds (int or str), an ISO
    string or a datetime; counts may be strings. ``hashtags``/``mentions`` carry structured data
    when the platform has it (Bluesky facets, Mastodon ``tags``, TikTok ``textExtra``);
    ``hashtags_complete``/``mentions_complete`` say whether that list is authoritative (True) or
    must be united with the text rules (False).
    """

    platform: Platform
    platform_post_id: str | None
    url: str | None = None
    source_url: str | None = None
    source_kind: SourceKind = "platform"
    kind: str | None = None  # video, photo, carousel, text, short ...
    author_handle: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    posted_at: Any = None
    caption: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    sound: RawSound | None = None
    hashtags: list[str] | None = None
    hashtags_complete: bool = False
    mentions: list[str] | None = None
    mentions_complete: bool = False
    declared_language: str | None = None
    availability: Availability = "active"
    is_repost: bool = False
    is_pinned: bool = False
    athlete_slug: str | None = None
    edited_at: Any = None
    media_urls: list[str] = field(default_factory=list)
    raw: Any = None
    #: Characters the parser already had to replace (e.g. a lone surrogate in HTML that lxml
    #: cannot read), as ``"caption: 1 lone surrogate replaced by U+FFFD"``; the normalizer adds
    #: these to ``NormalizedPost.repairs``.
    repairs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RawAccount:
    """An account as a payload describes it (profile page, account lookup, feed header)."""

    platform: str
    platform_account_id: str | None
    handle: str | None = None
    display_name: str | None = None
    url: str | None = None
    pinned_post_ids: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    #: What the platform's listing endpoint wants for this account when it is not
    #: ``platform_account_id``: TikTok's ``secUid``, a Mastodon instance-local id.
    listing_key: str | None = None
    raw: Any = None


@dataclass(slots=True)
class RawEmbed:
    """A post embedded in an article: where it sits and what the embed itself shows."""

    platform: str
    url: str | None
    platform_post_id: str | None
    position: int
    post: RawPost | None = None  # the embed's own text, when the markup carries it


@dataclass(slots=True)
class RawArticle:
    """A news article's metadata (JSON-LD NewsArticle, og: tags) and the posts it embeds."""

    url: str | None
    title: str | None = None
    published_at: Any = None
    author: str | None = None
    publisher: str | None = None
    language: str | None = None
    description: str | None = None
    embeds: list[RawEmbed] = field(default_factory=list)


@dataclass(slots=True)
class ParseResult:
    """Everything one payload yielded, with the parser kind (kind of payload) recognised.

    ``next_cursor`` is the platform's paging token when the payload is one page of a listing.
    ``status`` is ``ok`` or the reason no posts could be read (``blocked``, ``private``, ...).
    ``problems`` says, one line each, what ``parse_payload``'s final check dropped or cleared
    (a post without a usable id, a time that is not a time): the rest of the payload is kept.
    """

    platform: str
    parser_kind: str
    posts: list[RawPost] = field(default_factory=list)
    accounts: list[RawAccount] = field(default_factory=list)
    article: RawArticle | None = None
    next_cursor: str | None = None
    has_more: bool = False
    status: str = "ok"
    problems: list[str] = field(default_factory=list)


# --- normalized ---------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Tag:
    """A hashtag or mention: ``display`` as written (no ``#``/``@``), ``key`` case-folded."""

    display: str
    key: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SoundCredit:
    """A soundtrack credit. ``is_original`` is None when the source cannot tell."""

    title: str | None
    artist: str | None
    is_original: bool | None = None
    platform_sound_id: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NormalizedText:
    """What the normalizer makes of one caption (the ``podium normalize-text`` contract)."""

    language: str
    language_confidence: float
    declared_language: str | None
    hashtags: tuple[Tag, ...]
    mentions: tuple[Tag, ...]
    sound: SoundCredit | None
    author: str | None
    body: str
    normalizer_version: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Counts:
    """Engagement counts as integers; None where the platform did not say."""

    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None

    def is_empty(self) -> bool:
        """True when no count is known."""
        return all(getattr(self, k) is None for k in COUNT_KEYS)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Capture:
    """Where an imported payload came from: the tool that captured it (``zeeschuimer``,
    ``ytdlp``, ``instaloader``, ``items``), the file and line it was read from (``line`` is the
    element's number in a JSON array, None for a file that is one document), and when the tool
    captured it."""

    tool: str
    file: str
    line: int | None
    captured_at: datetime


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Payload:
    """The bytes a post was read from (a page, an API response), kept as ``raw_payload``;
    ``capture`` says which file an imported one came from (None for what a crawl fetched)."""

    body: bytes
    source_url: str | None
    fetched_at: datetime
    parser_kind: str | None = None
    content_type: str | None = None
    capture: Capture | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NormalizedPost:
    """One observation ready for the store: identity, clean text, aware-UTC times, int counts."""

    platform: Platform
    platform_post_id: str
    url: str | None
    source_url: str | None
    source_kind: SourceKind
    kind: str | None
    author_handle: str | None
    author_id: str | None
    author_name: str | None
    athlete_slug: str | None
    posted_at: datetime | None
    edited_at: datetime | None
    caption: str
    text: NormalizedText
    counts: Counts
    availability: Availability
    is_repost: bool
    is_pinned: bool
    observed_at: datetime
    payload: Payload | None = None
    #: What was repaired to make the text storable and printable (lone surrogates and NUL
    #: replaced by U+FFFD), one entry per field: ``"caption: 1 lone surrogate, 2 NUL replaced by
    #: U+FFFD"``. Empty when nothing was.
    repairs: tuple[str, ...] = ()
