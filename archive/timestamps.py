"""How Podium writes a moment: ISO 8601 in UTC for machines, to the minute for tables."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(value: datetime) -> str:
    """``2026-02-01T12:00:00Z`` (microseconds when it has them): JSON, NDJSON, CSV."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def utc_minute(value: datetime | None) -> str:
    """``2026-02-01 12:00`` in UTC, for a table cell; ``""`` for no time."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
