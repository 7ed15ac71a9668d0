"""The import rules of DESIGN §8 / STYLE §3, checked by walking each file's AST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def files(*patterns: str) -> list[Path]:
    found = sorted({p for pattern in patterns for p in REPO.glob(pattern)})
    assert found, f"no files match {patterns}"
    return found


def hits(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


RULES = [
    (("archive/**/*.py",), ("scrapy", "twisted", "itemadapter", "crawler", "scheduler")),
    (
        (
            "archive/normalize.py",
            "archive/language.py",
            "archive/records.py",
            "archive/textfold.py",
            "archive/platforms/*.py",
        ),
        (
            "sqlalchemy",
            "archive.db",
            "archive.models",
            "archive.store",
            "requests",
            "httpx",
            "urllib.request",
            "socket",
        ),
    ),
    (("crawler/spiders/*.py",), ("sqlalchemy", "archive.db", "archive.models", "archive.store")),
    (("crawler/pipelines.py", "crawler/extensions.py"), ("archive.models",)),
    (("alembic/versions/*.py",), ("archive",)),
]


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [(path, forbidden) for patterns, forbidden in RULES for path in files(*patterns)],
    ids=lambda v: str(v.relative_to(REPO)) if isinstance(v, Path) else "",
)
def test_module_respects_its_boundary(path: Path, forbidden: tuple[str, ...]) -> None:
    assert hits(imports_of(path), forbidden) == []


def test_scheduler_code_never_imports_scrapy() -> None:
    for path in [
        REPO / "scheduler.py",
        REPO / "archive" / "refresh.py",
        REPO / "archive" / "crawl.py",
    ]:
        if path.exists():
            assert hits(imports_of(path), ("scrapy", "twisted")) == [], path.name
