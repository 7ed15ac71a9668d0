"""Engagement counts as non-negative ints: plain, grouped (``97,723``) or abbreviated (``1.2K``)."""

from __future__ import annotations

import math
import re
from typing import Any

# No count is longer; a longer string is not one (and would cost time to read).
_MAX_COUNT_LENGTH = 40
_MAX_COUNT = 2**63 - 1  # BIGINT on SQLite and PostgreSQL
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_COUNT_SUFFIX_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kmb])", re.IGNORECASE)
_COUNT_GROUPED_RE = re.compile(r"\d{1,3}(?:([,.\u00a0\u202f ])\d{3})(?:\1\d{3})*")
_COUNT_PLAIN_RE = re.compile(r"\d+(?:\.0*)?")
_NON_DIGIT_RE = re.compile(r"\D")


def parse_count(value: Any) -> int | None:
    """An engagement count as a non-negative int, or None when absent or unreadable.

    Ints and integral floats pass; strings may be plain (``"97723"``), grouped (``"97,723"``,
    ``"97 723"``) or abbreviated (``"1.2K"``, ``"3M"``, ``"1,5B"``). Negative numbers, booleans,
    numbers past what a database's BIGINT holds and anything else give None.
    """
    count = _read_count(value)
    return count if count is None or count <= _MAX_COUNT else None


def _read_count(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            return None
        return round(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > _MAX_COUNT_LENGTH:
        return None  # int() of thousands of digits is slow, and past 4300 it raises
    if _COUNT_PLAIN_RE.fullmatch(text):
        return int(text.split(".")[0])
    if _COUNT_GROUPED_RE.fullmatch(text):
        return int(_NON_DIGIT_RE.sub("", text))
    match = _COUNT_SUFFIX_RE.fullmatch(text)
    if match:
        number = float(match.group(1).replace(",", "."))
        if not math.isfinite(number):
            return None
        return round(number * _SUFFIXES[match.group(2).lower()])
    return None
