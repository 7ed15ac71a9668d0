"""Mastodon parsers: account lookup, statuses lists, one status, tag timelines, Link paging, and
an account's RSS feed.

Identity: ``platform_post_id`` is the status ``uri`` (the ActivityPub id, the same on every
instance), falling back to ``id``; ``author_id`` / ``platform_account_id`` likewise use the
account ``uri``. ``author_handle`` and mentions are full ``user@instance`` handles: a local
``acct`` has no domain, so the instance is taken from the account's (or mention's) ``url``.

Boosts: a status whose ``reblog`` is set is recorded as the boosted status (its text, author and
counts) with ``is_repost=True``; the outer status stays in ``raw``.

The account RSS (``https://<host>/@<user>.rss``) carries no ``uri``: its posts are keyed by the
status URL (see :func:`parse_account_rss`).
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from archive.errors import ParseError
from archive.platforms.decoding import element_text, load_json, parse_fragment
from archive.platforms.feeds import feed_text, read_feed
from archive.platforms.fields import count, ident, obj, objs, text
from archive.platforms.fields import url as http_url
from archive.records import ParseResult, Platform, RawAccount, RawPost
from archive.textrepair import TextRepairs

PLATFORM: Platform = "mastodon"

PARSER_KINDS = ("account", "statuses", "status", "tag_timeline", "account_rss")

# One entry of an RFC 8288 Link header: <url>; rel="next"
_LINK_ENTRY = re.compile(r"<([^>]*)>\s*;([^,<]*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";]+)"?""")
# The account RSS: Mastodon (and its forks: glitch-soc, hometown) name themselves as generator;
# its items link statuses as https://<host>/@<user>/<id>.
_RSS_ROOT = re.compile(r"<rss\b")
_RSS_GENERATOR = re.compile(r"<generator>\s*Mastodon\b")
_RSS_STATUS_LINK = re.compile(r"<link>\s*https?://[^/<\s]+/@[\w.-]+/\d+\s*</link>")
# A profile (``/@user``, the tag feed's ``/@user/tagged/<tag>``) or status (``/@user/<id>``) URL.
_PROFILE_PATH = re.compile(r"/@([\w.-]+)(?:/tagged/[^/]*)?/?")
_STATUS_PATH = re.compile(r"/@([\w.-]+)/(\d+)/?")
# A custom emoji as the RSS renders it: <img class="custom-emoji" alt=":name:">; the API's
# content keeps the ``:name:`` text.
_EMOJI_ALT = re.compile(r":\w+:")
# Poll options after the content: <radio>/<checkbox> elements (older servers: <input>).
_POLL_TAGS = frozenset({"radio", "checkbox", "input"})


def next_max_id(link_header: str) -> str | None:
    """Return ``max_id`` of the ``rel="next"`` link in a Link header, or None at the end."""
    for link, params in _LINK_ENTRY.findall(link_header or ""):
        rel = _REL.search(params)
        if rel and "next" in rel.group(1).split():
            try:
                values = parse_qs(urlsplit(link).query).get("max_id")
            except ValueError:  # a malformed URL (unbalanced IPv6 brackets)
                return None
            return values[0] if values else None
    return None


def detect_xml_parser_kind(text: str) -> str | None:
    """``account_rss`` for an RSS feed that Mastodon generated or whose items link statuses
    (``/@<user>/<id>``); None for any other XML."""
    if not _RSS_ROOT.search(text[:5000]):
        return None
    if _RSS_GENERATOR.search(text[:20000]) or _RSS_STATUS_LINK.search(text):
        return "account_rss"
    return None


def detect_json_parser_kind(data: Any, url: str | None = None) -> str | None:
    """Name the Mastodon parser kind of a decoded JSON payload, or None when it is not Mastodon's.

    A statuses list and a tag timeline look the same; the URL (``/timelines/tag/``) tells them
    apart, and without it the list is read as ``statuses``.
    """
    if isinstance(data, list) and data and all(_is_status(s) for s in data):
        return "tag_timeline" if "/timelines/tag/" in (url or "") else "statuses"
    if isinstance(data, list) and not data and "/api/v1/" in (url or ""):
        return "tag_timeline" if "/timelines/tag/" in (url or "") else "statuses"
    if _is_status(data):
        return "status"
    if isinstance(data, dict) and "acct" in data and "username" in data:
        return "account"
    return None


def _is_status(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "content" in value
        and isinstance(value.get("account"), dict)
        and "created_at" in value
    )


def parse_account(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``/api/v1/accounts/lookup`` (one Account): an account record, no posts."""
    data = load_json(body, "Mastodon account")
    if not (isinstance(data, dict) and "acct" in data):
        raise ParseError("Mastodon account: no acct field")
    return ParseResult(platform=PLATFORM, parser_kind="account", accounts=[_account(data)])


def parse_statuses(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``/api/v1/accounts/:id/statuses`` (a list of Status; paging is in the Link header).

    With ``pinned=true`` in ``url`` every status is a pinned one.
    """
    return _parse_list(body, url, "statuses")


def parse_tag_timeline(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``/api/v1/timelines/tag/:tag``: other people's statuses, all of them read."""
    return _parse_list(body, url, "tag_timeline")


def parse_status(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse ``/api/v1/statuses/:id`` (one Status)."""
    data = load_json(body, "Mastodon status")
    if not _is_status(data):
        raise ParseError("Mastodon status: not a Status object")
    return ParseResult(platform=PLATFORM, parser_kind="status", posts=[_post(data, url)])


def _parse_list(body: str | bytes, url: str | None, parser_kind: str) -> ParseResult:
    data = load_json(body, f"Mastodon {parser_kind}")
    if not isinstance(data, list):
        raise ParseError(f"Mastodon {parser_kind}: expected a list of statuses")
    pinned = "pinned=true" in (url or "")
    posts = []
    problems = []
    for index, status in enumerate(data):
        if not _is_status(status):
            # One broken element costs itself, not the page.
            problems.append(f"element {index}: not a Status, skipped")
            continue
        post = _post(status, url)
        post.is_pinned = post.is_pinned or pinned
        posts.append(post)
    return ParseResult(platform=PLATFORM, parser_kind=parser_kind, posts=posts, problems=problems)


def parse_account_rss(body: str | bytes, url: str | None = None) -> ParseResult:
    """Parse an account's RSS feed (``https://<host>/@<user>.rss``, or one tag's,
    ``/@<user>/tagged/<tag>.rss``): its latest public top-level posts and the account.

    The channel names the account (``link`` is its profile, ``title`` its display name), the
    author of every item. Each item's ``link`` (a permalink ``guid`` when it has none) is the
    status URL: the post's URL and its id here. The feed does not carry the ActivityPub ``uri``
    the API's statuses are keyed on, and it cannot be derived (servers write it as
    ``/users/<name>/statuses/<id>`` or ``/ap/users/<account id>/statuses/<id>``). ``description``
    is the status HTML, read as the API's ``content``; the content warning before it and the poll
    options after it, which the API keeps apart, are left out. Hashtags come from ``category``
    and the content's hashtag links, mentions from its mention links. No counts, language or
    edits: the feed has none.
    """
    feed = read_feed(body, "Mastodon account RSS")
    if etree.QName(feed.root).localname != "rss":
        raise ParseError("Mastodon account RSS: root element is not rss")
    elements = feed.root.findall("channel/item")
    if len(elements) != len(feed.entries):
        elements = [None] * len(feed.entries)
    links = [_rss_status_url(entry) for entry in feed.entries]
    account = _rss_account(feed.feed, [link for link in links if link])
    posts = []
    problems = []
    for index, (entry, element, link) in enumerate(zip(feed.entries, elements, links, strict=True)):
        if link is None:
            problems.append(f"item {index}: no status link, skipped")
            continue
        post = _post_from_rss_item(entry, element, link, account, url)
        post.raw = _item_alone(feed.root, element)
        posts.append(post)
    return ParseResult(
        platform=PLATFORM,
        parser_kind="account_rss",
        posts=posts,
        accounts=[account] if account else [],
        problems=problems,
    )


def _item_alone(root: Any, element: Any) -> str | None:
    """The feed with this one item (a post's raw payload): it reads back as the whole feed read
    it, the channel still naming the author."""
    if element is None:
        return None
    alone = copy.deepcopy(root)
    channel = alone.find("channel")
    for item in channel.findall("item"):
        channel.remove(item)
    channel.append(copy.deepcopy(element))
    return str(etree.tostring(alone, encoding="unicode"))


def _rss_status_url(entry: Any) -> str | None:
    """The status URL of an item: ``link``, else a permalink ``guid``; None when it is not
    ``https://<host>/@<user>/<id>``."""
    candidates = [feed_text(entry, "link")]
    if entry.get("guidislink"):
        candidates.append(feed_text(entry, "id"))
    for candidate in candidates:
        link = http_url(candidate)
        if link and _STATUS_PATH.fullmatch(_path(link)):
            return link
    return None


def _rss_account(channel: Any, status_urls: list[str]) -> RawAccount | None:
    """The account the channel names: its profile ``link`` (else a status link) gives
    ``user@host``; None when neither does."""
    for link in [http_url(feed_text(channel, "link")), *status_urls]:
        match = _PROFILE_PATH.fullmatch(_path(link)) or _STATUS_PATH.fullmatch(_path(link))
        host = _host(link)
        if match and host:
            user = match.group(1)
            return RawAccount(
                platform=PLATFORM,
                platform_account_id=None,  # the feed has neither the uri nor the local id
                handle=f"{user}@{host}",
                display_name=feed_text(channel, "title") or None,
                url=f"https://{host}/@{user}",
            )
    return None


def _post_from_rss_item(
    entry: Any, element: Any, link: str, account: RawAccount | None, source_url: str | None
) -> RawPost:
    html = feed_text(entry, "summary") or ""
    content = parse_fragment(html)
    _unwrap_rss_content(content)
    tags = [t for tag in objs(entry.get("tags")) if (t := text(tag.get("term")))]
    for anchor in content.xpath('.//a[contains(concat(" ", @class, " "), " hashtag ")]'):
        name = element_text(anchor).removeprefix("#")
        if name and name.casefold() not in {t.casefold() for t in tags}:
            tags.append(name)
    mentions: list[str] = []
    for anchor in content.xpath(
        './/a[contains(concat(" ", @class, " "), " mention ")]'
        '[not(contains(concat(" ", @class, " "), " hashtag "))]'
    ):
        handle = _full_handle(element_text(anchor).removeprefix("@"), anchor.get("href"))
        if handle and handle not in mentions:
            mentions.append(handle)
    return RawPost(
        platform=PLATFORM,
        platform_post_id=link,
        url=link,
        source_url=source_url,
        source_kind="platform",
        kind="text",
        author_handle=account.handle if account else None,
        author_name=account.display_name if account else None,
        posted_at=feed_text(entry, "published"),
        caption=element_text(content),
        hashtags=tags,
        hashtags_complete=True,
        mentions=mentions,
        mentions_complete=True,
        media_urls=[u for m in objs(entry.get("media_content")) if (u := http_url(m.get("url")))],
        # No JSON here: the item's own XML is kept so the post can be re-read later.
    )


def _unwrap_rss_content(root: Any) -> None:
    """Make the RSS description read as the API's ``content``, in place: drop the content
    warning (``<p><strong>label</strong>text</p><hr>`` first) and the poll options (a last
    ``<p>`` of ``<radio>``/``<checkbox>``/``<input>``), and put a custom emoji's ``:name:``
    back for its ``<img>``. All by markup, never by the (localized) label's words."""
    children = [child for child in root if isinstance(child.tag, str)]
    if (
        len(children) >= 2
        and children[0].tag == "p"
        and children[1].tag == "hr"
        and len(children[0])
        and children[0][0].tag == "strong"
    ):
        for child in children[:2]:
            _remove_keeping_tail(child)
    children = [child for child in root if isinstance(child.tag, str)]
    if children and children[-1].tag == "p" and len(children[-1]):
        first = children[-1][0]
        if isinstance(first.tag, str) and first.tag in _POLL_TAGS:
            _remove_keeping_tail(children[-1])
    for image in root.iter("img"):
        alt = image.get("alt") or ""
        if _EMOJI_ALT.fullmatch(alt):
            tail = image.tail
            image.clear()
            image.tag, image.text, image.tail = "span", alt, tail


def _remove_keeping_tail(element: Any) -> None:
    """Remove ``element`` but not the text that follows it."""
    tail = element.tail or ""
    previous = element.getprevious()
    parent = element.getparent()
    if tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _path(link: str | None) -> str:
    try:
        return urlsplit(link or "").path
    except ValueError:  # a malformed URL (unbalanced IPv6 brackets)
        return ""


def _post(status: dict[str, Any], source_url: str | None) -> RawPost:
    shown = status["reblog"] if _is_status(status.get("reblog")) else status
    account = obj(shown.get("account"))
    # lxml cannot read a lone surrogate or NUL: they are replaced before the HTML is parsed,
    # and the repair is recorded here because the normalizer will not see them.
    repairs = TextRepairs()
    content = repairs.fix("caption", text(shown.get("content")) or "")
    return RawPost(
        platform=PLATFORM,
        platform_post_id=ident(shown.get("uri")) or ident(shown.get("id")),
        url=http_url(shown.get("url")) or http_url(shown.get("uri")),
        source_url=source_url,
        source_kind="platform",
        kind="text",
        author_handle=_full_handle(account.get("acct"), account.get("url")),
        author_id=ident(account.get("uri")) or ident(account.get("id")),
        author_name=text(account.get("display_name")) or None,
        posted_at=text(shown.get("created_at")),
        edited_at=text(shown.get("edited_at")),
        caption=content_text(content),
        counts=_counts(
            shown,
            likes="favourites_count",
            shares="reblogs_count",
            comments="replies_count",
            quotes="quotes_count",
        ),
        hashtags=[name for t in objs(shown.get("tags")) if (name := text(t.get("name")))],
        hashtags_complete=True,
        mentions=[
            h
            for m in objs(shown.get("mentions"))
            if (h := _full_handle(m.get("acct"), m.get("url")))
        ],
        mentions_complete=True,
        declared_language=text(shown.get("language")) or None,
        is_repost=shown is not status,
        # ``pinned`` is only sent to the owner's token; absent for anonymous reads.
        is_pinned=status.get("pinned") is True,
        media_urls=[
            u for m in objs(shown.get("media_attachments")) if (u := http_url(m.get("url")))
        ],
        raw=status,
        repairs=repairs.notes,
    )


def content_text(html: str) -> str:
    """Status ``content`` HTML as plain text: ``<p>`` blocks separated by a blank line, ``<br>``
    as a line break, link text kept. Mastodon hides the scheme and tail of long links in
    ``span.invisible``; they are kept, so the caption holds the full URL.
    """
    return element_text(parse_fragment(html))


def _account(data: dict[str, Any]) -> RawAccount:
    return RawAccount(
        platform=PLATFORM,
        platform_account_id=ident(data.get("uri")) or ident(data.get("id")),
        handle=_full_handle(data.get("acct"), data.get("url")),
        display_name=text(data.get("display_name")) or None,
        url=http_url(data.get("url")),
        counts=_counts(
            data, followers="followers_count", following="following_count", posts="statuses_count"
        ),
        # The API pages by the instance-local id; the account's stable id is its uri.
        listing_key=ident(data.get("id")),
        raw=data,
    )


def _full_handle(acct: Any, profile_url: Any) -> str | None:
    handle = text(acct)
    if not handle:
        return None
    if "@" in handle:
        return handle
    host = _host(profile_url)
    return f"{handle}@{host}" if host else handle


def _host(value: Any) -> str | None:
    try:
        return urlsplit(text(value) or "").hostname
    except ValueError:  # a malformed URL (unbalanced IPv6 brackets)
        return None


def _counts(data: dict[str, Any], **keys: str) -> dict[str, Any]:
    """Our count names -> the platform's values, where they are counts."""
    return {
        ours: value
        for ours, theirs in keys.items()
        if (value := count(data.get(theirs))) is not None
    }
