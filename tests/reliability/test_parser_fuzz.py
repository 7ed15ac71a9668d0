"""Parsers that cannot be crashed: a seeded fuzz of every real payload and every fixture.

Each source file (``../shared/real`` and ``tests/fixtures``) gets a fixed, seeded series of
mutations: truncation, bit flips, invalid UTF-8, deleted keys, null/""/[]/{} and huge values,
wrong types, nesting 100k deep, 5 MB strings, lone surrogates and NUL, XXE and billion laughs.
Each mutated payload goes through ``archive.parse_output.parse_file`` (as ``podium parse`` uses it),
which must never raise, must return records whose fields have their declared types and forms,
and must give a result that ``json.dumps`` accepts and that encodes as strict UTF-8.

The series is deterministic (``PODIUM_FUZZ_SEED``, default 8; ``PODIUM_FUZZ_INPUTS`` scales the
total, default 10,200). Each input must be parsed within ``_INPUT_SECONDS``: a hang is a bug too.
"""

from __future__ import annotations

import faulthandler
import functools
import json
import math
import os
import random
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import pytest

import archive.normalize
import archive.parse_output
from archive.normalize import parse_count, parse_time
from archive.records import (
    AVAILABILITY,
    COUNT_KEYS,
    PLATFORMS,
    SOURCE_KINDS,
    ParseResult,
    RawAccount,
    RawArticle,
    RawPost,
    RawSound,
)

REPO = Path(__file__).resolve().parents[2]
REAL = Path(os.environ.get("PODIUM_SHARED_DIR") or REPO.parent / "shared") / "real"
FIXTURES = REPO / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"

SEED = int(os.environ.get("PODIUM_FUZZ_SEED", "8"))
TOTAL_INPUTS = int(os.environ.get("PODIUM_FUZZ_INPUTS", "10200"))
_INPUT_SECONDS = 20

HUGE = 5 * 1024 * 1024  # a 5 MB string
DEEP = 100_000  # nesting depth

_HUGE_MARK = "\x01podium-fuzz-huge\x01"
_DEEP_MARK = "\x01podium-fuzz-deep\x01"


def _sources() -> list[Path]:
    real = sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix != ".md")
    fixtures = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
    if not real and IN_CI:
        pytest.fail(f"no real payloads under {REAL}; under CI=true that is a failure")
    return real + fixtures


SOURCES = _sources()
PER_SOURCE = math.ceil(TOTAL_INPUTS / max(len(SOURCES), 1))


def _source_id(path: Path) -> str:
    for base, prefix in ((REAL, "real"), (FIXTURES, "fixtures")):
        if path.is_relative_to(base):
            return f"{prefix}/{path.relative_to(base)}"
    return str(path)


# --- mutations ------------------------------------------------------------------------------

Mutation = Callable[[bytes, random.Random], bytes]

_BAD_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3",
    b"\xc0\xaf",  # overlong '/'
    b"\xed\xa0\x80",  # an encoded surrogate (CESU-8)
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xe2\x82",
    b"\x80\x80\x80",
]
_BAD_TEXT = [
    "\ud800",
    "\udfff",
    "\ud83d",  # half an emoji
    "\x00",
    "\x00\x00",
    "\ufffe",
    "\uffff",
    "\u202e",
    "\x1b[31m",
    "\r\n\x0b\x0c\x85\u2028",
    " ",
    "",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "&#0;&#xD800;",
]
_BAD_REFS = [
    "&#0;",
    "&#xD800;",
    "&#xDFFF;",
    "&#x0;",
    "&#1;",
    "&#xFFFE;",
    "&#1114112;",
    "&#99999999999;",
]

_XXE_XML = (
    '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    '<!ENTITY net SYSTEM "http://203.0.113.9/x.dtd">]>\n'
)
_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def _insert(body: bytes, rng: random.Random, piece: bytes) -> bytes:
    at = rng.randrange(len(body) + 1)
    return body[:at] + piece + body[at:]


def _truncate(body: bytes, rng: random.Random) -> bytes:
    return body[: rng.randrange(len(body) + 1)] if body else body


def _bit_flips(body: bytes, rng: random.Random) -> bytes:
    if not body:
        return b"\x80"
    data = bytearray(body)
    for _ in range(rng.choice((1, 1, 2, 4, 16))):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _invalid_utf8(body: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 3)):
        body = _insert(body, rng, rng.choice(_BAD_UTF8))
    return body


def _bad_text_anywhere(body: bytes, rng: random.Random) -> bytes:
    piece = rng.choice([*_BAD_TEXT, *_BAD_REFS])
    return _insert(body, rng, piece.encode("utf-8", "surrogatepass"))


def _huge_anywhere(body: bytes, rng: random.Random) -> bytes:
    return _insert(body, rng, rng.choice((b"a", "é".encode(), b"#", b"<", b" ")) * (HUGE // 2))


def _deep_anywhere(body: bytes, rng: random.Random) -> bytes:
    opener, closer = rng.choice(((b"[", b"]"), (b"{", b"}"), (b"<div>", b"</div>"), (b"<a>", b"")))
    at = rng.randrange(len(body) + 1)
    tail = closer * DEEP if rng.random() < 0.5 else b""
    return body[:at] + opener * DEEP + tail + body[at:]


def _deep_wrap(body: bytes, rng: random.Random) -> bytes:
    if body.lstrip()[:1] in (b"{", b"["):
        return b"[" * DEEP + body + b"]" * DEEP
    return b"<div>" * DEEP + body + b"</div>" * DEEP


def _entities(body: bytes, rng: random.Random) -> bytes:
    """XXE and billion laughs, before the root element, with the entities used in the text."""
    text = body.decode("utf-8", "replace")
    prolog = rng.choice((_XXE_XML, _LAUGHS))
    reference = "&xxe;&net;" if prolog is _XXE_XML else "&lol9;"
    text = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"(?is)^\s*<!doctype[^>]*>", "", text)
    # Put the reference inside some text content: after a '>' that is followed by text.
    spots = [m.end() for m in re.finditer(r">(?=[^<\s])", text)]
    if spots:
        at = rng.choice(spots)
        text = text[:at] + reference + text[at:]
    else:
        text += reference
    return (prolog + text).encode("utf-8")


# JSON-aware mutations: applied to the payload itself, to each NDJSON line, or to JSON inside
# an HTML script tag (TikTok rehydration, SIGI_STATE, JSON-LD).

_SCRIPT_JSON = re.compile(rb"(<script\b[^>]*>)(\s*[\[{].*?)(</script>)", re.DOTALL | re.IGNORECASE)


def _nodes(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a decoded JSON document (iteratively)."""
    found: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                found.append((node, key))
                stack.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found.append((node, index))
                stack.append(value)
    return found


def _wrong_type(value: Any, rng: random.Random) -> Any:
    if isinstance(value, str):
        return rng.choice(({"text": value}, [value], len(value), True, {"$type": value}))
    if isinstance(value, bool):
        return rng.choice(("true", 1, {"value": value}, None))
    if isinstance(value, int | float):
        return rng.choice((str(value), [value], {"count": value}, True, -abs(value) - 1, 1e308))
    if isinstance(value, dict):
        return rng.choice((list(value.values()), str(value), json.dumps(value), 7, "x"))
    if isinstance(value, list):
        return rng.choice(({"0": value[:1]}, "list", 3, [[value]], False))
    return rng.choice(({}, [], "null", 0))


def _string_edit(value: str, rng: random.Random) -> str:
    piece = rng.choice(_BAD_TEXT)
    at = rng.randrange(len(value) + 1)
    return value[:at] + piece + value[at:]


def _mutate_value(value: Any, rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice((None, "", [], {}, 0, -1, True, False, 10**30, 1e308, "NaN"))
    if roll < 0.5:
        return _wrong_type(value, rng)
    if roll < 0.75 and isinstance(value, str):
        return _string_edit(value, rng)
    if roll < 0.81:
        return _HUGE_MARK
    if roll < 0.87:
        return _DEEP_MARK
    return rng.choice(("\ud800", "a\x00b", "\udc00\ud800", "-" * 70_000, "0" * 5000))


def _mutate_doc(doc: Any, rng: random.Random) -> Any:
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        nodes = _nodes(doc)
        if not nodes:
            return _mutate_value(doc, rng)
        container, key = rng.choice(nodes)
        if rng.random() < 0.25:
            del container[key]  # a deleted key (or list element)
        else:
            container[key] = _mutate_value(container[key], rng)
    return doc


def _dump(doc: Any, rng: random.Random) -> str:
    # The marks hold \x01, which json.dumps always escapes: each appears as json.dumps(mark).
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5)
    huge = json.dumps(_HUGE_MARK)
    if huge in text:
        text = text.replace(huge, json.dumps(rng.choice(("x", "ü", "😀", "\\")) * (HUGE // 4)))
    return text.replace(json.dumps(_DEEP_MARK), "[" * DEEP + "]" * DEEP, 1)


def _json_structure(body: bytes, rng: random.Random) -> bytes:
    text = body.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        lines = text.splitlines()
        if len(lines) > 1:  # NDJSON: mutate one line
            index = rng.randrange(len(lines))
            try:
                lines[index] = _dump(_mutate_doc(json.loads(lines[index]), rng), rng)
            except (ValueError, RecursionError):
                return _bad_text_anywhere(body, rng)
            return "\n".join(lines).encode("utf-8", "surrogatepass")
        scripts = list(_SCRIPT_JSON.finditer(body))
        if not scripts:
            return _bad_text_anywhere(body, rng)
        match = rng.choice(scripts)
        try:
            inner = json.loads(match.group(2))
        except (ValueError, RecursionError):
            return _bad_text_anywhere(body, rng)
        dumped = _dump(_mutate_doc(inner, rng), rng).encode("utf-8", "surrogatepass")
        return body[: match.start(2)] + dumped + body[match.end(2) :]
    return _dump(_mutate_doc(doc, rng), rng).encode("utf-8", "surrogatepass")


MUTATIONS: dict[str, tuple[Mutation, int]] = {
    # name: (mutation, weight)
    "json_structure": (_json_structure, 10),
    "truncate": (_truncate, 2),
    "bit_flips": (_bit_flips, 2),
    "invalid_utf8": (_invalid_utf8, 2),
    "bad_text": (_bad_text_anywhere, 3),
    "huge_string": (_huge_anywhere, 1),
    "deep_nesting": (_deep_anywhere, 1),
    "deep_wrap": (_deep_wrap, 1),
    "entities": (_entities, 1),
}


def mutated_inputs(source: Path, count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """``count`` seeded mutations of ``source``: (mutation names, bytes)."""
    body = source.read_bytes()
    rng = random.Random(f"{seed}:{_source_id(source)}")
    names = list(MUTATIONS)
    weights = [MUTATIONS[n][1] for n in names]
    for index in range(count):
        # The first inputs go through every mutation once; the rest are drawn by weight.
        first = names[index] if index < len(names) else rng.choices(names, weights)[0]
        chosen = [first]
        if rng.random() < 0.2:
            chosen.append(rng.choices(names, weights)[0])
        data = body
        for name in chosen:
            data = MUTATIONS[name][0](data, rng)
        yield "+".join(chosen), data


# --- the checks -----------------------------------------------------------------------------

_ID_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\ud800-\udfff]")


def _is_id(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 2048
        and not _ID_FORBIDDEN.search(value)
        and not any(ch in value for ch in "{}[]'\"")
    )


def _is_url(value: Any) -> bool:
    if not isinstance(value, str) or _ID_FORBIDDEN.search(value):
        return False
    try:
        parts = urlsplit(value)
    except (ValueError, RecursionError):
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _opt(check: Callable[[Any], bool], value: Any) -> bool:
    return value is None or check(value)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_iso_z(value: Any) -> bool:
    if not isinstance(value, str) or not value.endswith("Z"):
        return False
    try:
        datetime.fromisoformat(value)
    except (ValueError, RecursionError):
        return False
    return True


def _is_line(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "\n" not in value


def _tags_ok(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(t, dict) and set(t) == {"display", "key"} and all(map(_is_str, t.values()))
        for t in value
    )


def check_post_json(post: dict[str, Any]) -> list[str]:
    """What is wrong with one post of ``parse_file`` output (empty when nothing)."""
    checks = {
        "platform": post.get("platform") in PLATFORMS,
        "platform_post_id": _is_id(post.get("platform_post_id")),
        "url": _opt(_is_url, post.get("url")),
        "author": _opt(_is_str, post.get("author")),
        "author_id": _opt(_is_str, post.get("author_id")),
        "posted_at": _opt(_is_iso_z, post.get("posted_at")),
        "caption": _is_str(post.get("caption")),
        "body": _is_str(post.get("body")),
        "language": _is_str(post.get("language")),
        "declared_language": _opt(_is_str, post.get("declared_language")),
        "hashtags": _tags_ok(post.get("hashtags")),
        "mentions": _tags_ok(post.get("mentions")),
        "sound": post.get("sound") is None
        or (
            isinstance(post["sound"], dict)
            and _opt(_is_str, post["sound"].get("title"))
            and _opt(_is_str, post["sound"].get("artist"))
            and post["sound"].get("is_original") in (None, True, False)
            and _opt(_is_id, post["sound"].get("platform_sound_id"))
        ),
        "counts": isinstance(post.get("counts"), dict)
        and set(post["counts"]) == set(COUNT_KEYS)
        and all(v is None or (type(v) is int and 0 <= v < 2**63) for v in post["counts"].values()),
        "availability": post.get("availability") in AVAILABILITY,
        "is_repost": isinstance(post.get("is_repost"), bool),
        "is_pinned": isinstance(post.get("is_pinned"), bool),
        "source_kind": post.get("source_kind") in SOURCE_KINDS,
        "repairs": isinstance(post.get("repairs"), list) and all(map(_is_line, post["repairs"])),
    }
    return [name for name, ok in checks.items() if not ok]


def check_raw_post(post: Any) -> list[str]:
    """What is wrong with one RawPost that ``parse_payload`` returned."""
    if not isinstance(post, RawPost):
        return [f"not a RawPost: {type(post).__name__}"]
    sound = post.sound
    checks = {
        "platform": post.platform in PLATFORMS,
        "platform_post_id": _is_id(post.platform_post_id),
        "url": _opt(_is_url, post.url),
        "source_url": _opt(_is_url, post.source_url),
        "source_kind": post.source_kind in SOURCE_KINDS,
        "kind": _opt(_is_str, post.kind),
        "author_handle": _opt(_is_str, post.author_handle),
        "author_id": _opt(_is_str, post.author_id),
        "author_name": _opt(_is_str, post.author_name),
        "posted_at": post.posted_at is None or parse_time(post.posted_at) is not None,
        "edited_at": post.edited_at is None or parse_time(post.edited_at) is not None,
        "caption": _opt(_is_str, post.caption),
        "counts": isinstance(post.counts, dict)
        and all(isinstance(k, str) and parse_count(v) is not None for k, v in post.counts.items()),
        "sound": sound is None
        or (
            isinstance(sound, RawSound)
            and _opt(_is_str, sound.title)
            and _opt(_is_str, sound.artist)
            and sound.is_original in (None, True, False)
            and _opt(_is_id, sound.platform_sound_id)
        ),
        "hashtags": post.hashtags is None
        or (isinstance(post.hashtags, list) and all(map(_is_str, post.hashtags))),
        "mentions": post.mentions is None
        or (isinstance(post.mentions, list) and all(map(_is_str, post.mentions))),
        "flags": all(
            isinstance(v, bool)
            for v in (
                post.hashtags_complete,
                post.mentions_complete,
                post.is_repost,
                post.is_pinned,
            )
        ),
        "declared_language": _opt(_is_str, post.declared_language),
        "availability": post.availability in AVAILABILITY,
        "media_urls": isinstance(post.media_urls, list) and all(map(_is_url, post.media_urls)),
    }
    return [name for name, ok in checks.items() if not ok]


def check_account(account: Any) -> list[str]:
    """What is wrong with one RawAccount."""
    if not isinstance(account, RawAccount):
        return [f"not a RawAccount: {type(account).__name__}"]
    checks = {
        "platform": account.platform in PLATFORMS,
        "platform_account_id": _opt(_is_id, account.platform_account_id),
        "handle": _opt(_is_str, account.handle),
        "display_name": _opt(_is_str, account.display_name),
        "url": _opt(_is_url, account.url),
        "pinned_post_ids": isinstance(account.pinned_post_ids, list)
        and all(map(_is_id, account.pinned_post_ids)),
        "counts": isinstance(account.counts, dict)
        and all(parse_count(v) is not None for v in account.counts.values()),
    }
    return [name for name, ok in checks.items() if not ok]


def check_article(article: Any) -> list[str]:
    """What is wrong with a RawArticle and its embeds."""
    if article is None:
        return []
    if not isinstance(article, RawArticle):
        return [f"not a RawArticle: {type(article).__name__}"]
    problems = [
        name
        for name, ok in {
            "url": _opt(_is_url, article.url),
            "title": _opt(_is_str, article.title),
            "author": _opt(_is_str, article.author),
            "publisher": _opt(_is_str, article.publisher),
            "language": _opt(_is_str, article.language),
            "description": _opt(_is_str, article.description),
            "published_at": article.published_at is None
            or parse_time(article.published_at) is not None,
        }.items()
        if not ok
    ]
    for embed in article.embeds:
        if embed.platform not in PLATFORMS or not _opt(_is_url, embed.url):
            problems.append(f"embed {embed.position}: platform/url")
        if not _opt(_is_id, embed.platform_post_id) or not isinstance(embed.position, int):
            problems.append(f"embed {embed.position}: id/position")
        if embed.post is not None:
            problems += [f"embed post {p}" for p in check_raw_post(embed.post)]
    return problems


def check_result(result: ParseResult) -> list[str]:
    """Every record of a ParseResult, checked."""
    problems = [f"post {i}: {p}" for i, x in enumerate(result.posts) for p in check_raw_post(x)]
    problems += [
        f"account {i}: {p}" for i, a in enumerate(result.accounts) for p in check_account(a)
    ]
    problems += [f"article: {p}" for p in check_article(result.article)]
    if not _opt(_is_str, result.next_cursor):
        problems.append("next_cursor")
    return problems


def check_file_result(out: dict[str, Any]) -> list[str]:
    """What is wrong with one ``parse_file`` result."""
    problems: list[str] = []
    error = out.get("error")
    if error is not None and (not isinstance(error, str) or not error or "\n" in error):
        problems.append(f"error is not one line: {error!r}")
    if not all(map(_is_line, out.get("problems", []))):
        problems.append("problems are not printable lines")
    for index, post in enumerate(out.get("posts") or []):
        problems += [f"post {index}: {name}" for name in check_post_json(post)]
    for index, account in enumerate(out.get("accounts") or []):
        if not _opt(_is_id, account.get("platform_account_id")) or not _opt(
            _is_url, account.get("url")
        ):
            problems.append(f"account {index}: id/url")
    try:
        dumped = json.dumps(out, ensure_ascii=False, allow_nan=False)
        dumped.encode("utf-8")  # strict: a lone surrogate cannot be printed
    except (TypeError, ValueError) as exc:
        problems.append(f"not printable JSON: {type(exc).__name__}: {str(exc)[:200]}")
    else:
        if "\x00" in dumped:
            problems.append("NUL in output")
    return problems


# --- the fuzz -------------------------------------------------------------------------------


class InputTimeout(BaseException):
    """One input took longer than ``_INPUT_SECONDS`` (a BaseException: no parser swallows it)."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise InputTimeout


@functools.lru_cache(maxsize=4096)
def _cached_detect_tuple(
    text: str, prior: tuple[str, ...], declared: str | None
) -> tuple[str, float]:
    return _REAL_DETECT(text, prior, declared)


def _cached_detect(text: str, prior: Any = (), declared: str | None = None) -> tuple[str, float]:
    return _cached_detect_tuple(text, tuple(prior), declared)


_REAL_DETECT = archive.normalize.detect_clean


@pytest.fixture
def watchdog() -> Iterator[Callable[[], None]]:
    """``arm()`` gives the next input ``_INPUT_SECONDS`` before InputTimeout is raised.

    SIGALRM interrupts Python code; a loop inside C (a regex that backtracks for hours) cannot
    be interrupted, so faulthandler ends the worker at three times the limit, printing where it
    hung, rather than let CI hang.
    """
    previous = signal.signal(signal.SIGALRM, _on_alarm)

    def arm() -> None:
        signal.setitimer(signal.ITIMER_REAL, _INPUT_SECONDS)
        faulthandler.dump_traceback_later(_INPUT_SECONDS * 3, exit=True)

    try:
        yield arm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """Where each mutated payload is written: memory-backed when the system has it (10,000
    files of up to 10 MB are written)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="podium-fuzz-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    faulthandler.cancel_dump_traceback_later()


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=_source_id)
def test_mutated_payloads_never_crash_and_never_give_garbage(
    source: Path,
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
    watchdog: Callable[[], None],
) -> None:
    seen: list[ParseResult] = []
    real_parse_payload = archive.parse_output.parse_payload

    def spy(*args: Any, **kwargs: Any) -> ParseResult:
        result = real_parse_payload(*args, **kwargs)
        seen.append(result)
        return result

    monkeypatch.setattr(archive.parse_output, "parse_payload", spy)
    # langdetect is most of the cost and most captions survive a mutation unchanged: answers
    # are cached per text (detection is seeded, so a cached answer is the same answer).
    monkeypatch.setattr(archive.normalize, "detect_clean", _cached_detect)
    target = scratch / source.name
    failures: list[str] = []
    for index, (mutation, data) in enumerate(mutated_inputs(source, PER_SOURCE, SEED)):
        target.write_bytes(data)
        seen.clear()
        where = f"{_source_id(source)} #{index} ({mutation})"
        watchdog()
        try:
            out = archive.parse_output.parse_file(target)
        except InputTimeout:
            failures.append(f"{where}: took more than {_INPUT_SECONDS}s")
            continue
        except Exception as exc:  # any exception here is the finding
            failures.append(f"{where}: raised {type(exc).__name__}: {str(exc)[:200]}")
            continue
        finally:
            _disarm()
        problems = check_file_result(out)
        for result in seen:
            problems += check_result(result)
        if problems:
            failures.append(f"{where}: {'; '.join(problems[:5])}")
    assert not failures, f"{len(failures)} of {PER_SOURCE} inputs failed:\n" + "\n".join(
        failures[:40]
    )


def test_the_fuzz_covers_enough_inputs_and_every_mutation() -> None:
    assert len(SOURCES) * PER_SOURCE >= min(TOTAL_INPUTS, 10_000)
    assert len(MUTATIONS) <= PER_SOURCE
    assert any(p.is_relative_to(REAL) for p in SOURCES) or not IN_CI
