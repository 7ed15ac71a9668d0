"""Capture files as an import reads them: folders walked, ``.gz``/``.xz`` read transparently,
one JSON document or one record a line, and which tool's output a file is.

A file is read in one of three layouts, told from its first bytes: NDJSON (one JSON value a
line: Zeeschuimer exports, yt-dlp ``--dump-json``, item lists), one JSON document (an
``.info.json``, an instaloader file, a JSON array of items), or text lines (a list of URLs).
Each record keeps its number (the line; an array's element) and its bytes as found, so a bad one
is reported, and kept, with where it was.
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from archive.errors import ParseError
from archive.platforms import ytdlp
from archive.platforms.decoding import as_text, decode_json

#: What ``--format`` accepts besides ``auto``.
FORMATS = ("zeeschuimer", "ytdlp", "instaloader", "items", "urls")

#: Files a folder walk reads (compressed or not); anything else there (media, captions) is left.
_SUFFIXES = (".json", ".jsonl", ".ndjson", ".txt")
_COMPRESSED = (".gz", ".xz")
_MAGIC = {b"\x1f\x8b": ".gz", b"\xfd7zXZ\x00": ".xz"}
#: What reading a broken file (a cut or corrupt archive) raises.
_UNREADABLE = (OSError, EOFError, lzma.LZMAError, zlib.error)
#: The most a file read as one JSON document, or one line of a file, may hold once
#: decompressed (a decompression bomb, or a file that is no capture, stops there).
MAX_DOCUMENT = 256 << 20
MAX_LINE = 64 << 20
#: How much of a file is looked at to tell its layout, and how many of its lines.
_HEAD = 1 << 16
_PROBE_LINES = 5


@dataclass(frozen=True, slots=True)
class CaptureFile:
    """A file to import: its path, size on disk and modification time (aware UTC)."""

    path: Path
    size: int
    modified_at: datetime
    #: Found by walking a folder (not named): a file there that is no capture is passed over.
    walked: bool = False

    @property
    def name(self) -> str:
        """The absolute path, as provenance keeps it."""
        return str(self.path)


@dataclass(frozen=True, slots=True)
class Entry:
    """One record of a capture file: its number (line, or element of a JSON array; None when
    the file is one document), its decoded value, its bytes as found, or why it is unreadable."""

    number: int | None
    value: Any
    raw: bytes
    error: str | None = None


def walk(paths: Iterable[Path]) -> list[CaptureFile]:
    """The files to read: each file given, and the capture files under each folder given (in
    name order; hidden files and folders left out). A path given twice is read once."""
    found: dict[Path, CaptureFile] = {}
    for given in paths:
        if given.is_dir():
            for root, dirs, names in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    path = Path(root, name)
                    if not name.startswith(".") and _capture_suffix(path):
                        found.setdefault(path.resolve(), _capture_file(path, walked=True))
        else:
            found.setdefault(given.resolve(), _capture_file(given))
    return list(found.values())


def _capture_suffix(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    return bool(suffixes) and suffixes[-1] in _SUFFIXES


def _capture_file(path: Path, *, walked: bool = False) -> CaptureFile:
    stat = path.resolve().stat()
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    return CaptureFile(path.resolve(), stat.st_size, modified, walked)


class Reader:
    """Reads one capture file's records; ``position`` is how far into the file (on disk, so
    compressed bytes for ``.gz``/``.xz``) it has read, for a progress bar."""

    def __init__(self, capture: CaptureFile) -> None:
        self.capture = capture
        self._disk: IO[bytes] | None = None

    @property
    def position(self) -> int:
        """Bytes of the file on disk read so far."""
        disk = self._disk
        if disk is None or disk.closed:
            return self.capture.size
        return disk.tell()

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file's bytes, decompressed when it is gzip or xz (told by its magic bytes)."""
        with self.capture.path.open("rb") as disk:
            self._disk = disk
            head = disk.read(6)
            disk.seek(0)
            kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
            if kind is None:
                yield disk
                return
            if kind == ".gz":
                with gzip.GzipFile(fileobj=disk, mode="rb") as unzipped:
                    yield cast(IO[bytes], unzipped)
            else:
                with lzma.LZMAFile(disk, mode="rb") as unpacked:
                    yield cast(IO[bytes], unpacked)

    def head(self) -> str:
        """The first bytes of the (decompressed) file as text."""
        try:
            with self.open() as stream:
                return as_text(stream.read(_HEAD))
        except _UNREADABLE as exc:
            raise ParseError(f"cannot read the file ({exc})") from exc

    def entries(self, layout: str) -> Iterator[Entry]:
        """The file's records in ``layout`` (``lines``, ``document`` or ``text``)."""
        try:
            with self.open() as stream:
                if layout == "document":
                    raw = stream.read(MAX_DOCUMENT + 1)
                    if len(raw) > MAX_DOCUMENT:
                        raise ParseError(
                            f"more than {MAX_DOCUMENT >> 20} MiB as one JSON document "
                            "(give NDJSON, one record a line)"
                        )
                    yield from _document_entries(raw)
                else:
                    yield from _line_entries(stream, text=layout == "text")
        except _UNREADABLE as exc:
            raise ParseError(f"cannot read the file ({exc})") from exc


def _line_entries(stream: IO[bytes], *, text: bool) -> Iterator[Entry]:
    number = 0
    while line := stream.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass  # the rest of the overlong line
            yield Entry(number, None, b"", f"a line of more than {MAX_LINE >> 20} MiB")
        elif line.strip():
            yield _line_entry(number, line.rstrip(b"\r\n"), text=text)


def read_payload_file(path: Path) -> bytes:
    """A saved payload's bytes, decompressed when it is gzip or xz (``podium parse``)."""
    capture = _capture_file(path)
    try:
        with Reader(capture).open() as stream:
            body = stream.read(MAX_DOCUMENT + 1)
    except _UNREADABLE as exc:
        raise ParseError(f"cannot read the file ({exc})") from exc
    if len(body) > MAX_DOCUMENT:
        raise ParseError(f"more than {MAX_DOCUMENT >> 20} MiB once decompressed")
    return body


def _line_entry(number: int, raw: bytes, *, text: bool) -> Entry:
    if text:
        return Entry(number, as_text(raw).strip(), raw)
    try:
        return Entry(number, decode_json(as_text(raw)), raw)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
        return Entry(number, None, raw, f"malformed JSON ({where})")
    except ParseError as exc:
        return Entry(number, None, raw, str(exc))


def _document_entries(raw: bytes) -> Iterator[Entry]:
    try:
        value = decode_json(as_text(raw))
    except json.JSONDecodeError as exc:
        where = f"{exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno}"
        yield Entry(None, None, raw, f"malformed JSON ({where})")
        return
    except ParseError as exc:
        yield Entry(None, None, raw, str(exc))
        return
    if isinstance(value, list):
        for number, element in enumerate(value, 1):
            body = json.dumps(element, ensure_ascii=False).encode("utf-8", "backslashreplace")
            yield Entry(number, element, body)
    else:
        yield Entry(None, value, raw)


def layout_of(head: str) -> str:
    """``lines`` (NDJSON), ``document`` (one JSON value) or ``text`` (lines of text)."""
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "document"
    if not text.startswith("{"):
        return "text"
    # NDJSON when one of its first whole lines is a JSON object by itself (a bad first line
    # costs itself, not the file); a pretty-printed document has no such line.
    for line in text.split("\n")[:-1][:_PROBE_LINES]:
        if line.strip().startswith("{"):
            try:
                if isinstance(decode_json(line), dict):
                    return "lines"
            except (json.JSONDecodeError, ParseError):
                continue
    return "document"


def is_url_list(head: str, *, strict: bool = False) -> bool:
    """A text file whose first line (``#`` comments aside) is an ``http(s)://`` URL; ``strict``
    (a file met in a folder, where a caption ``.txt`` may start with a link): every line is."""
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("#")]
    urls = [line.lower().startswith(("http://", "https://")) for line in lines]
    return bool(urls) and (all(urls) if strict else urls[0])


def tool_of(value: Any) -> str:
    """Which tool's output a record is (the first record tells for its file).

    Zeeschuimer lines carry ``source_platform`` and ``data``; yt-dlp names its
    ``extractor_key``; instaloader wraps a ``node`` with an ``instaloader`` header; any other
    JSON is an item (or a list of items) to parse.
    """
    if isinstance(value, list):
        value = next(iter(value), None)
    if isinstance(value, dict):
        if isinstance(value.get("data"), dict) and "source_platform" in value:
            return "zeeschuimer"
        if isinstance(value.get("instaloader"), dict) and "node" in value:
            return "instaloader"
        if ytdlp.is_info(value):
            return "ytdlp"
    return "items"
