"""Typed reads of decoded JSON: a field is the type the parser declares, or it is absent.

Payloads are untrusted: any value may be null, another type, huge or missing. Parsers read
every field through these accessors, so a caption that is a dict is no caption (None), never
``str(dict)``; an id that is a list is no id; a list that is a string is an empty list. Nothing
here raises on any JSON value.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "MAX_ID_LENGTH",
    "count",
    "dig",
    "flag",
    "ident",
    "items",
    "obj",
    "objs",
    "text",
    "texts",
    "url",
]

#: Longer "ids" are not ids (the longest real ones, Mastodon ActivityPub URIs, stay under 300).
MAX_ID_LENGTH = 2048


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def objs(value: Any) -> list[dict[str, Any]]:
    """The objects of an array (other elements skipped); [] when ``value`` is not an array."""
    return [v for v in items(value) if isinstance(v, dict)]


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]…`` through objects only; None as soon as a step is not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str | None:
    """A string field: the string itself (empty included), else None."""
    return value if isinstance(value, str) else None


def texts(value: Any) -> list[str]:
    """The non-empty strings of an array; [] when ``value`` is not an array."""
    return [v for v in items(value) if isinstance(v, str) and v]


def ident(value: Any) -> str | None:
    """An identifier: a non-empty string without whitespace or control characters, or a
    non-negative integer (ids arrive as both), as a string; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < 10**40 else None
    if not isinstance(value, str):
        return None
    ident: str = value.strip()
    if not ident or len(ident) > MAX_ID_LENGTH or not ident.isprintable() or " " in ident:
        return None
    return ident


def url(value: Any) -> str | None:
    """An absolute http(s) URL string with a host (no whitespace or control characters), else
    None."""
    if not isinstance(value, str) or len(value) > 8192:
        return None
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        return None
    if not value.isprintable() or " " in value:
        return None
    try:
        host = urlsplit(value).hostname
    except ValueError:  # unbalanced IPv6 brackets, a bad port
        return None
    return value if host else None


def count(value: Any) -> int | float | str | None:
    """A count as the platform sent it (int, finite float or numeric-looking string), else None.

    The normalizer turns it into an int; strings are kept because TikTok sends exact counts as
    strings. Booleans and negative numbers are not counts.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return value if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str) and 0 < len(value) <= 32:
        return value
    return None


def int_or_none(value: Any) -> int | None:
    """An int sent as int or digits (a status code, a media type, a time), else None."""
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 20:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def time_value(value: Any) -> int | float | str | None:
    """A time as sent (unix seconds, int, float or string) for the normalizer to read; anything
    else is no time."""
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | float | str) else None


def flag(value: Any) -> bool:
    """A boolean field: True only for ``true`` (or a non-zero number, as some APIs send)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, int | float) and value != 0
