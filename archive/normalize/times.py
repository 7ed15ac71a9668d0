"""Platform timestamps as aware UTC datetimes: unix numbers, ISO 8601, RFC 2822, post ids."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any

# No timestamp is longer; a longer string is not one (and would cost time to read).
_MAX_TIME_LENGTH = 64
_MS_THRESHOLD = 10**11  # larger unix numbers are milliseconds (10**11 s is the year 5138)
_US_THRESHOLD = 10**14  # ... and larger still, microseconds
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")
_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def _from_unix(value: float) -> datetime | None:
    if not math.isfinite(value) or value <= 0:
        return None  # 0 is what platforms send for "unknown"; nothing we archive predates 1970
    if value > _US_THRESHOLD:
        value /= 1_000_000
    elif value > _MS_THRESHOLD:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)  # naive means UTC, by contract with the parsers
    return value.astimezone(UTC)


def parse_time(value: Any) -> datetime | None:
    """A platform's timestamp as an aware UTC datetime, or None when absent or unreadable.

    Accepts unix seconds (int, float or numeric string; milliseconds when > 10**11),
    ISO 8601 strings (``Z`` or offsets; naive means UTC), RFC 2822 dates (RSS), datetimes
    (naive means UTC) and dates (midnight UTC). Zero and negative numbers give None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        try:
            return _aware_utc(value)
        except (OverflowError, ValueError):
            return None
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_unix(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_TIME_LENGTH:
        return None
    if _NUMBER_RE.fullmatch(text):
        try:
            return _from_unix(float(text))
        except ValueError:
            return None
    try:
        # Python reads at most microseconds; some APIs send nanoseconds.
        iso = _FRACTION_RE.sub(r"\1", text.replace(" UTC", "Z"))
        return _aware_utc(datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return _aware_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


#: X ids are snowflakes: milliseconds since this epoch, shifted left 22 bits.
_X_EPOCH_MS = 1_288_834_974_657
_DIGITS = re.compile(r"^[0-9]{15,20}$")


def time_from_id(platform: str, post_id: str) -> datetime | None:
    """When a post was made, from its id, where the id encodes it and nothing else says.

    TikTok: ``id >> 32`` is the creation time in unix seconds (it agrees with ``createTime`` to
    within seconds); X: a snowflake. Embeds and oEmbed answers carry no time, ids do.
    """
    if not _DIGITS.match(post_id):
        return None
    if platform == "tiktok":
        return _from_unix(int(post_id) >> 32)
    if platform == "x":
        return _from_unix(((int(post_id) >> 22) + _X_EPOCH_MS) / 1000)
    return None
