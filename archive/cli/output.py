"""How commands print results: rows as a table, JSON, NDJSON or CSV; JSON as UTF-8."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from archive.export.formats import CSV_BOM
from archive.timestamps import utc_iso, utc_minute

FORMATS = ("table", "json", "ndjson", "csv")
#: One rule for every CSV podium writes (athletes list, search, timeline, runs, problems):
#: UTF-8 with a byte-order mark, so a spreadsheet opens accents, CJK and emoji correctly;
#: Python reads it with encoding="utf-8-sig".
CSV_RULE = "UTF-8 with a byte-order mark (Excel opens it as UTF-8), a header row"


def echo_json(value: Any) -> None:
    """Print JSON as UTF-8, not ASCII-escaped."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=json_default))


def json_default(value: Any) -> Any:
    """``json.dumps``' fallback: datetimes as UTC ISO 8601 with a ``Z``."""
    if isinstance(value, datetime):
        return utc_iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def render_rows(rows: list[dict[str, Any]], fmt: str, columns: list[str]) -> None:
    """Print rows as a table, JSON, NDJSON or CSV."""
    if fmt == "json":
        echo_json(rows)
    elif fmt == "ndjson":
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False, default=json_default))
    elif fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        for r in rows:
            w.writerow([cell_text(r.get(c)) for c in columns])
        # Bytes, so the CSV is UTF-8 (with its BOM) whatever the terminal's encoding.
        sys.stdout.flush()
        sys.stdout.buffer.write((CSV_BOM + buf.getvalue()).encode("utf-8"))
        sys.stdout.buffer.flush()
    else:
        cells = [[cell_text(r.get(c)) for c in columns] for r in rows]
        widths = [
            min(60, max([len(c)] + [len(row[i]) for row in cells])) for i, c in enumerate(columns)
        ]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for row in cells:
            click.echo(
                "  ".join(_clip(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )


def cell_text(v: Any) -> str:
    """A value as one line of text for a table cell or CSV field."""
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ", ".join(cell_text(x) for x in v)
    if isinstance(v, datetime):
        return utc_minute(v)
    return str(v).replace("\n", " ")


def _clip(v: str, width: int) -> str:
    return v if len(v) <= width else v[: width - 1] + "…"
