"""Responses of the demo site and small helpers shared by the renderers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Request:
    """What a renderer gets: the snapshot, the site root, the sub-path and the query."""

    snapshot: str
    root: str
    path: str
    query: dict[str, list[str]]

    def arg(self, name: str, default: str = "") -> str:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        """A query parameter as an int (the default when absent or not a number)."""
        try:
            return int(self.arg(name, str(default)))
        except ValueError:
            return default

    def base(self, platform: str) -> str:
        """The demo base URL of a platform (``{root}/{platform}``)."""
        return f"{self.root}/{platform}"


@dataclass(frozen=True)
class Response:
    """Status, headers and body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8")


def dumps(data: Any) -> str:
    """Compact JSON with non-ASCII kept, as the platforms send it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return raw_json(dumps(data), status, headers)


def raw_json(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response with JSON content type and the given text (which may be broken on purpose)."""
    return Response(
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        text.encode("utf-8"),
    )


def html_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An HTML response."""
    return Response(
        status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, text.encode()
    )


def xml_response(text: str, content_type: str = "application/xml") -> Response:
    """An XML response."""
    return Response(200, {"Content-Type": f"{content_type}; charset=utf-8"}, text.encode())


def text_response(text: str, status: int = 200) -> Response:
    """A plain-text response."""
    return Response(status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())


def not_found(message: str = "Not Found") -> Response:
    """A plain 404."""
    return text_response(message + "\n", 404)


def iso_z(dt: datetime, digits: int = 3) -> str:
    """``2025-02-24T20:30:07.343Z`` (UTC, milliseconds)."""
    text = dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return (text[: 20 + digits] if digits else text[:19]) + "Z"


def iso_offset(dt: datetime) -> str:
    """``2025-04-16T17:50:36+00:00``."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def rfc822(dt: datetime) -> str:
    """``Tue, 28 Nov 2023 20:51:01 +0000``."""
    return dt.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def truncated(text: str) -> str:
    """The first part of a JSON text, cut mid-way: what a dropped connection leaves behind."""
    return text[: max(1, int(len(text) * 0.6))]
