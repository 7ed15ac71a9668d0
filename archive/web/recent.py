"""Figures that count the whole archive (posts per athlete, rows per table), kept for a few
seconds: on a 1M-post archive each count reads an index end to end, and the home page would
pay it on every visit. A figure is at most ``SECONDS`` old."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

SECONDS = 30.0


class Recent:
    """Values by key, each computed again once it is older than ``seconds``."""

    def __init__(self, seconds: float = SECONDS) -> None:
        self.seconds = seconds
        self._values: dict[object, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: object, compute: Callable[[], Any]) -> Any:
        """The value of ``key``, computed now when missing or too old (two requests at once
        may both compute it: a count read twice is harmless)."""
        now = time.monotonic()
        with self._lock:
            found = self._values.get(key)
        if found is not None and now - found[0] < self.seconds:
            return found[1]
        value = compute()
        with self._lock:
            self._values[key] = (time.monotonic(), value)
        return value
