"""Helpers for the parser tests: read a composed fixture from tests/fixtures/payloads/<platform>/."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "payloads"


def fixture_bytes(platform: str, name: str) -> bytes:
    """The bytes of ``tests/fixtures/payloads/<platform>/<name>``."""
    return (FIXTURES / platform / name).read_bytes()


def fixture_names(platform: str) -> list[str]:
    """Every fixture file of one platform, sorted."""
    return sorted(p.name for p in (FIXTURES / platform).iterdir() if p.is_file())


@pytest.fixture
def read():
    """``read(platform, name)`` -> bytes of a fixture."""
    return fixture_bytes
