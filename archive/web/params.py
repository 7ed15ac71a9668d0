"""The query parameters of the pages and the API, checked: a bad value is a 400 with a
message saying what to give instead, never a 500.

FastAPI reads each parameter as text (so its name and form show in the OpenAPI schema);
these functions turn the text into what the archive's functions take.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from archive.config import LANGUAGE_CODES
from archive.records import PLATFORMS

#: Results per search page, and how deep paging goes (deeper: download the results).
PER_PAGE = 20
MAX_PAGE = 25
#: Posts per page of a timeline or a sound, and at most in one download of search results.
TIMELINE_PAGE = 30
MAX_DOWNLOAD = 10_000
#: The largest id a page takes (SQLite's integers are 64-bit: larger would overflow).
MAX_ID = 2**62
SORTS = ("rank", "date")
MAX_TEXT = 500  # characters of a query or filter; longer is refused, not cut


class BadParameterError(ValueError):
    """Raised by the checks below for a query parameter the pages cannot use (a 400)."""


def _text(value: str | None, name: str) -> str | None:
    """The value without surrounding spaces, None when empty; too long is refused."""
    if value is None:
        return None
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_TEXT:
        raise BadParameterError(f"{name} is longer than {MAX_TEXT} characters")
    return text or None


def slug_param(value: str) -> str:
    """An athlete's slug as given in a path (a NUL, which PostgreSQL refuses, taken out)."""
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_TEXT:
        raise BadParameterError(f"the athlete slug is longer than {MAX_TEXT} characters")
    return text


def platform_param(value: str | None) -> str | None:
    """A platform name, or None for all."""
    text = _text(value, "platform")
    if text is None:
        return None
    if text.lower() not in PLATFORMS:
        raise BadParameterError(
            f"unknown platform {text!r}; use one of {', '.join(PLATFORMS)} (or leave it empty)"
        )
    return text.lower()


def language_param(value: str | None) -> str | None:
    """An ISO 639-1 code or ``und``, in lower case; None for all."""
    text = _text(value, "lang")
    if text is None:
        return None
    code = text.casefold()
    if code != "und" and code not in LANGUAGE_CODES:
        raise BadParameterError(
            f"{text!r} is not a language code; use ISO 639-1 (two letters: nl, en, ja…) or und"
        )
    return code


def hashtag_param(value: str | None) -> str | None:
    """One hashtag, with or without ``#``; None for any."""
    text = _text(value, "hashtag")
    if text is None or text in ("#", "＃"):
        return None
    if any(c.isspace() for c in text):
        raise BadParameterError(f"{text!r} is not one hashtag (it contains a space)")
    return text


def day_param(value: str | None, name: str) -> date | None:
    """A calendar date ``YYYY-MM-DD`` (UTC); None when not given."""
    text = _text(value, name)
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadParameterError(f"{name} {text!r} is not a date; use the form YYYY-MM-DD") from None


def period_params(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """The ``since``/``until`` pair; a start after the end is refused."""
    start, end = day_param(since, "since"), day_param(until, "until")
    if start and end and start > end:
        raise BadParameterError(f"since {start} is after until {end}: no day is in that range")
    return start, end


def sort_param(value: str | None) -> str:
    """``rank`` (the default) or ``date``."""
    text = _text(value, "sort") or "rank"
    if text not in SORTS:
        raise BadParameterError(f"unknown sort {text!r}; use rank or date")
    return text


def text_param(value: str | None, name: str) -> str | None:
    """Free text (a query, part of a sound's title); None when empty."""
    return _text(value, name)


# FastAPI parameter declarations, shared by the pages and the API (the OpenAPI schema shows
# their descriptions).
Q = Annotated[
    str | None,
    Query(
        description='Words (all must match), "phrases", prefix*, OR, -exclude, #hashtag, @mention',
        max_length=MAX_TEXT,
    ),
]
Athlete = Annotated[str | None, Query(description="An athlete's slug", max_length=MAX_TEXT)]
Platform = Annotated[str | None, Query(description=f"One of {', '.join(PLATFORMS)}")]
Lang = Annotated[
    str | None,
    Query(description="ISO 639-1 code: the detected language, or the declared one when und"),
]
Hashtag = Annotated[str | None, Query(description="A hashtag, with or without #")]
SoundText = Annotated[str | None, Query(description="Part of a sound's title or artist")]
Since = Annotated[str | None, Query(description="From this UTC day on (YYYY-MM-DD)")]
Until = Annotated[str | None, Query(description="Up to and including this UTC day (YYYY-MM-DD)")]
Sort = Annotated[str | None, Query(description="rank (best match first) or date (newest first)")]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Result page, 1 to {MAX_PAGE}")]
After = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Continue after this post id (the previous page's last)"),
]
Limit = Annotated[
    int, Query(ge=1, le=MAX_DOWNLOAD, description=f"How many results, 1 to {MAX_DOWNLOAD}")
]
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="A post's archive id")]
SoundId = Annotated[int, Path(ge=1, le=MAX_ID, description="A sound's archive id")]
Runs = Annotated[int, Query(ge=1, le=500, description="How many crawl runs, 1 to 500")]
