"""``podium import``: what other tools captured, into the archive by the crawl's own path.

The importer walks files, decodes their records (:mod:`archive.importing.files`), and for each
one says which platform payload it holds and when it was captured: a Zeeschuimer line's
``data`` at its ``timestamp_collected``, a yt-dlp info dict at its ``epoch``, an instaloader post
file or a saved item at the file's modification time. From there everything is the crawl's:
:func:`archive.platforms.parse_payload`, :func:`archive.observe.observe` (the normalizer, the raw
payload, here with its :class:`~archive.records.Capture` provenance) and
:func:`archive.store.upsert_posts_each`. Nothing is parsed, normalized or stored any other way.

Observations carry their capture time, so importing the same file twice changes nothing, and a
later capture of a post with other counts adds one metric snapshot at its own time. A bad
record is reported with its file and line, kept as a ``problem`` (once), and skipped; every good
one lands. ``dry_run`` stores every batch in a transaction that is rolled back: the counts are
what an import would do, and nothing is written.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from archive import store
from archive.config import Roster
from archive.crawl import url_problem
from archive.errors import ParseError
from archive.importing.files import (
    FORMATS,
    CaptureFile,
    Entry,
    Reader,
    is_url_list,
    layout_of,
    tool_of,
    walk,
)
from archive.normalize import parse_time
from archive.observe import observe
from archive.platforms import parse_payload, platform_from_url, ytdlp
from archive.platforms.fields import dig, text
from archive.records import Capture, NormalizedPost, Payload, RawPost

__all__ = ["FORMATS", "ImportOptions", "ImportSummary", "import_files", "walk"]

logger = logging.getLogger(__name__)

#: Zeeschuimer modules whose items Podium's parsers are written for: an item of theirs that
#: cannot be read is a bad line. Items of other modules Podium has a platform for (X) are
#: imported when the parser recognises them, else skipped by name.
_READ_MODULES = ("tiktok", "instagram")
_UNRECOGNISED = "not a payload Podium knows"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What ``podium import`` was asked: the format (``auto`` detects it per file), the athlete
    every post belongs to, whether authors off the roster are skipped, and whether to write."""

    fmt: str = "auto"
    athlete: str | None = None
    roster_only: bool = False
    dry_run: bool = False
    batch_size: int = 200


@dataclass(slots=True)
class ImportSummary:
    """What an import did (or, dry, would do)."""

    files: int = 0
    records: int = 0
    posts: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Records and posts skipped on purpose, by reason (another platform, not a post, ...).
    skipped: Counter[str] = field(default_factory=Counter)
    #: Bad records and posts that could not be stored: ``file:line: reason``.
    problems: list[str] = field(default_factory=list)
    #: Posts kept whose author is on no roster (an account without an athlete), and the accounts.
    outside_roster: int = 0
    outside_accounts: set[tuple[str, str]] = field(default_factory=set)
    #: Records read per tool (``zeeschuimer``, ``ytdlp``, ``instaloader``, ``items``).
    tools: Counter[str] = field(default_factory=Counter)
    #: Post URLs read from URL lists, to be crawled as ``podium crawl --url`` does.
    urls: list[str] = field(default_factory=list)
    dry_run: bool = False

    def add(self, result: store.BatchResult) -> None:
        """Count one stored (or rehearsed) batch."""
        self.new += result.new
        self.updated += result.updated
        self.unchanged += result.unchanged


@dataclass(frozen=True, slots=True)
class _Unit:
    """One record, ready for the parsers: the payload, the platform it must be (None: detect),
    the URL it was fetched from, and when it was captured."""

    body: str
    platform: str | None
    url: str | None
    captured_at: datetime
    #: When the parsers do not recognise it: skipped for this reason (else it is a bad record).
    unrecognised: str | None = None


class _Skip(Exception):
    """A record skipped on purpose (another platform, not a post), with the reason counted."""


class _Bad(Exception):
    """A record that is not what its format says, with the reason reported."""


class _AthleteIndex:
    """Whose post is it: the roster's handles (and ids a roster gives as handles, YouTube's
    ``UC…``), and the accounts the archive already links to athletes (a renamed handle)."""

    def __init__(self, roster: Roster, accounts: Iterable[store.AthleteAccount]) -> None:
        self.by_handle: dict[tuple[str, str], str] = {}
        self.by_id: dict[tuple[str, str], str] = {}
        for a in accounts:
            if a.platform_account_id:
                self.by_id[(a.platform, a.platform_account_id)] = a.athlete
            if a.handle_key:
                self.by_handle[(a.platform, a.handle_key)] = a.athlete
        for athlete in roster.athletes:
            for acc in athlete.accounts:
                self.by_handle[(acc.platform, acc.handle.casefold())] = athlete.slug
                self.by_id.setdefault((acc.platform, acc.handle), athlete.slug)

    def athlete_of(self, post: RawPost) -> str | None:
        if post.author_id and (post.platform, post.author_id) in self.by_id:
            return self.by_id[(post.platform, post.author_id)]
        handle = (post.author_handle or "").casefold()
        return self.by_handle.get((post.platform, handle)) if handle else None


class _Importer:
    """One import run over a list of files (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        roster: Roster,
        options: ImportOptions,
        store_batch: Callable[[list[NormalizedPost]], tuple[store.BatchResult, list[Any]]],
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.store_batch = store_batch
        self.on_progress = on_progress
        self.index = _AthleteIndex(roster, store.athlete_accounts(engine))  # before any write
        self.priors = {a.slug: a.languages for a in roster.athletes}
        self.summary = ImportSummary(dry_run=options.dry_run)
        self.batch: list[NormalizedPost] = []
        self.where: dict[tuple[str, str], str] = {}
        self.done_bytes = 0
        self.total_bytes = 0

    def run(self, files: list[CaptureFile]) -> ImportSummary:
        self.total_bytes = sum(f.size for f in files)
        for capture in files:
            self.summary.files += 1
            reader = Reader(capture)
            try:
                self._read(capture, reader)
            except ParseError as exc:  # the file itself could not be read (a broken .xz)
                self._bad(capture, None, str(exc), b"", tool=None)
            self.done_bytes += capture.size
            self._progress(0)
        self.flush()
        return self.summary

    def _progress(self, position: int) -> None:
        if self.on_progress is not None:
            self.on_progress(self.done_bytes + position, self.total_bytes)

    def _read(self, capture: CaptureFile, reader: Reader) -> None:
        head = reader.head()
        layout = layout_of(head)
        fmt = self.options.fmt
        if fmt == "urls" or (fmt == "auto" and layout == "text"):
            if layout != "text" or not is_url_list(head, strict=capture.walked):
                if capture.walked and fmt == "auto":  # a caption .txt beside instaloader's JSON
                    self.summary.skipped["files in folders that are no capture"] += 1
                    return
                what = "a list of URLs" if fmt == "urls" else "a capture Podium reads"
                self._bad(capture, None, f"not {what}", b"", tool=None, keep=False)
                return
            self._read_urls(capture, reader)
            return
        if layout == "text":
            self._bad(capture, None, f"not {fmt} output (not JSON)", b"", tool=None, keep=False)
            return
        tool = None if fmt == "auto" else fmt
        for entry in reader.entries(layout):
            self.summary.records += 1
            if entry.error is not None:
                self._bad(capture, entry.number, entry.error, entry.raw, tool=tool)
            else:
                tool = tool or tool_of(entry.value)
                self.summary.tools[tool] += 1
                self._take(capture, tool, entry)
            self._progress(reader.position)

    def _read_urls(self, capture: CaptureFile, reader: Reader) -> None:
        for entry in reader.entries("text"):
            line = str(entry.value)
            if line.startswith("#"):
                continue
            self.summary.records += 1
            why = url_problem(line)
            if why is not None:
                self._bad(capture, entry.number, f"{line!r}: {why}", entry.raw, tool="urls")
            elif line not in self.summary.urls:
                self.summary.urls.append(line)

    def _take(self, capture: CaptureFile, tool: str, entry: Entry) -> None:
        try:
            unit = _unit(tool, entry.value, capture)
            try:
                result = parse_payload(unit.body, url=unit.url, platform=unit.platform)
            except ParseError as exc:
                if unit.unrecognised and str(exc).startswith(_UNRECOGNISED):
                    raise _Skip(unit.unrecognised) from None
                raise _Bad(str(exc)) from None
        except _Skip as skip:
            self.summary.skipped[str(skip)] += 1
            return
        except _Bad as bad:
            self._bad(capture, entry.number, str(bad), entry.raw, tool=tool)
            return
        for problem in result.problems:
            self._bad(capture, entry.number, problem, entry.raw, tool=tool)
        if not result.posts:
            self.summary.skipped[f"{tool} records without a post ({result.parser_kind})"] += 1
        capture_of = Capture(tool, capture.name, entry.number, unit.captured_at)
        for raw in result.posts:
            self._post(raw, capture_of, entry)

    def _post(self, raw: RawPost, capture: Capture, entry: Entry) -> None:
        slug = self.options.athlete or self.index.athlete_of(raw)
        if slug is None:
            if self.options.roster_only:
                self.summary.skipped["posts by authors not on the roster (--roster-only)"] += 1
                return
            self.summary.outside_roster += 1
            author = raw.author_id or raw.author_handle or "?"
            self.summary.outside_accounts.add((raw.platform, author))
        raw.athlete_slug = slug
        try:
            post = observe(
                raw,
                observed_at=capture.captured_at,
                prior=self.priors.get(slug or "", ()),
                capture=capture,
            )
        except (ParseError, ValueError, TypeError) as exc:
            self._bad_at(capture, f"cannot normalize: {exc}", entry.raw, raw.platform)
            return
        self.summary.posts += 1
        key = (post.platform, post.platform_post_id)
        if key in self.where:
            self.flush()  # two captures of one post: each is an observation of its own
        self.where[key] = _where(capture.file, capture.line)
        self.batch.append(post)
        if post.repairs:
            reason = f"repaired text: {'; '.join(post.repairs)}"
            self._bad_at(capture, reason, entry.raw, raw.platform, report=False)
        if len(self.batch) >= self.options.batch_size:
            self.flush()

    def flush(self) -> None:
        """Store (or rehearse) the pending batch."""
        batch, self.batch = self.batch, []
        where, self.where = self.where, {}
        if not batch:
            return
        result, failed = self.store_batch(batch)
        self.summary.add(result)
        for failure in failed:
            post = failure.post
            place = where.get((post.platform, post.platform_post_id), "?")
            self.summary.problems.append(f"{place}: {failure.reason}")
            capture = post.payload.capture if post.payload else None
            self._keep(failure.reason, post.platform, capture, post.payload)

    def _bad(
        self,
        capture: CaptureFile,
        number: int | None,
        reason: str,
        raw: bytes,
        *,
        tool: str | None,
        keep: bool = True,
    ) -> None:
        """A record that could not be read: reported with its file and line, and kept."""
        self.summary.problems.append(f"{_where(capture.name, number)}: {reason}")
        if keep and raw:
            kept = Capture(tool or "import", capture.name, number, capture.modified_at)
            self._keep(reason, None, kept, None, raw)

    def _bad_at(
        self, capture: Capture, reason: str, raw: bytes, platform: str, *, report: bool = True
    ) -> None:
        if report:
            self.summary.problems.append(f"{_where(capture.file, capture.line)}: {reason}")
        self._keep(reason, platform, capture, None, raw)

    def _keep(
        self,
        reason: str,
        platform: str | None,
        capture: Capture | None,
        payload: Payload | None,
        raw: bytes | None = None,
    ) -> None:
        """Keep a problem row with its payload and provenance (once: a re-import adds none)."""
        if self.options.dry_run:
            return
        if payload is None and raw and capture is not None:
            payload = Payload(raw, None, capture.captured_at, None, None, capture)
        line = f" line {capture.line}" if capture and capture.line is not None else ""
        store.record_problem(
            self.engine,
            reason=f"{capture.tool if capture else 'import'}{line}: {reason}",
            platform=platform,
            source_url=capture.file if capture else None,
            payload=payload,
            once=True,
        )


def _where(file: str, number: int | None) -> str:
    return f"{file}:{number}" if number is not None else file


def _unit(tool: str, value: Any, capture: CaptureFile) -> _Unit:
    """What one record of ``tool``'s output holds for the parsers, and when it was captured."""
    if tool == "zeeschuimer":
        return _zeeschuimer_unit(value)
    body = json.dumps(value, ensure_ascii=False)
    if tool == "ytdlp":
        platform = ytdlp.extractor_platform(value)
        if platform is None:
            if ytdlp.is_info(value):
                raise _Skip(f"yt-dlp {value.get('extractor_key')} videos (a site Podium skips)")
            raise _Bad("not a yt-dlp info dict (no extractor_key)")
        epoch = value.get("epoch") if isinstance(value, dict) else None
        captured = parse_time(epoch) if isinstance(epoch, int | float) else None
        return _Unit(body, platform, None, captured or capture.modified_at)
    if tool == "instaloader":
        node_type = text(dig(value, "instaloader", "node_type"))
        if node_type != "Post":
            raise _Skip(f"instaloader {node_type or 'unknown'} files (not posts)")
        # instaloader keeps no capture time in its files; their time is when it wrote them.
        return _Unit(body, "instagram", None, capture.modified_at)
    if not isinstance(value, dict | list):
        raise _Bad(f"not a post: a JSON {type(value).__name__}, not an object")
    return _Unit(body, None, None, capture.modified_at)


def _zeeschuimer_unit(value: Any) -> _Unit:
    """A Zeeschuimer export line: the platform's own item under ``data``, captured at
    ``timestamp_collected`` (ms) by the module ``source_platform`` from ``source_url``."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), dict):
        raise _Bad("not a Zeeschuimer line (no data object)")
    stamp = value.get("timestamp_collected")
    captured = parse_time(stamp) if isinstance(stamp, int | float) else None
    if captured is None:
        raise _Bad("not a Zeeschuimer line (no timestamp_collected)")
    module = text(value.get("source_platform")) or "?"
    platform = platform_from_url(f"https://{module}/") if "." in module else None
    if platform is None:
        raise _Skip(f"{module} items (no parser)")
    unrecognised = None if platform in _READ_MODULES else f"{module} items (no parser)"
    body = json.dumps(value["data"], ensure_ascii=False)
    url = text(value.get("source_url")) or text(value.get("source_platform_url"))
    return _Unit(body, platform, url, captured, unrecognised)


def import_files(
    engine: Engine,
    files: list[CaptureFile],
    roster: Roster,
    options: ImportOptions,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import capture files (see the module docstring); URL lists are only read (their URLs
    are in ``summary.urls``, for the caller to crawl)."""
    if options.dry_run:
        with store.rehearsal(engine) as rehearse:
            importer = _Importer(engine, roster, options, lambda b: (rehearse(b), []), on_progress)
            return importer.run(files)
    importer = _Importer(
        engine, roster, options, lambda b: store.upsert_posts_each(engine, b), on_progress
    )
    return importer.run(files)
