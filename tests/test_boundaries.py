"""The import rules of DESIGN §8 / STYLE §3, checked by walking each file's AST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _package_of(path)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= imports_of_node(node, package)
    return names


def _package_of(path: Path) -> list[str]:
    """The dotted package a file's relative imports start from (``archive/cli/x.py``: archive.cli)."""
    parts = list(path.resolve().relative_to(REPO).with_suffix("").parts)
    return parts[:-1]  # a module's package; for __init__.py, the package it starts


def imports_of_node(node: ast.Import | ast.ImportFrom, package: list[str]) -> set[str]:
    """Absolute names of what ``node`` imports; ``from .x import y`` is resolved against ``package``."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    if not module:
        return set()
    return {module} | {f"{module}.{alias.name}" for alias in node.names}


def test_relative_imports_are_resolved() -> None:
    """A rule cannot be dodged with ``from . import``: relative names become absolute ones."""
    tree = ast.parse("from . import store\nfrom ..crawler import items\nfrom .db import x\n")
    got = set().union(
        *(
            imports_of_node(n, ["archive", "cli"])
            for n in tree.body
            if isinstance(n, ast.ImportFrom)
        )
    )
    assert {"archive.cli.store", "archive.crawler.items", "archive.cli.db.x"} <= got
    assert _package_of(REPO / "archive" / "cli" / "__init__.py") == ["archive", "cli"]
    assert _package_of(REPO / "archive" / "cli" / "group.py") == ["archive", "cli"]


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
            "archive/normalize/*.py",
            "archive/language.py",
            "archive/records.py",
            "archive/post_merge.py",
            "archive/rederivation.py",
            "archive/textfold.py",
            "archive/observe.py",
            "archive/platforms/**/*.py",
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
    # the importer reads files and hands what the parsers make to the store: no tables of its
    # own, no network (a URL list is crawled as `podium crawl --url` does, by the CLI)
    (
        ("archive/importing/*.py",),
        ("archive.models", "archive.db", "requests", "httpx", "urllib.request", "socket"),
    ),
    (("crawler/pipelines.py", "crawler/extensions.py"), ("archive.models",)),
    (("alembic/versions/*.py",), ("archive",)),
    # the demo may use the archive, never the crawler (it is a web site, not a spider)
    (("demo/**/*.py",), ("crawler", "scrapy", "twisted", "scheduler")),
]

CLI = REPO / "archive" / "cli"


def outside_the_cli(paths: list[Path]) -> list[Path]:
    return [p for p in paths if CLI not in p.parents]


# nothing imports the CLI but its own package (and tests, and the `podium` script): what a
# command shares with other code lives in a module of its own
NOT_THE_CLI = outside_the_cli(
    files(
        "archive/**/*.py",
        "crawler/**/*.py",
        "demo/**/*.py",
        "bench/**/*.py",
        "alembic/**/*.py",
        "scheduler.py",
    )
)

# the archive never imports the demo; the CLI's `demo` command alone does, inside the function
ARCHIVE_WITHOUT_CLI = outside_the_cli(files("archive/**/*.py"))


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [(path, forbidden) for patterns, forbidden in RULES for path in files(*patterns)],
    ids=lambda v: str(v.relative_to(REPO)) if isinstance(v, Path) else "",
)
def test_module_respects_its_boundary(path: Path, forbidden: tuple[str, ...]) -> None:
    assert hits(imports_of(path), forbidden) == []


@pytest.mark.parametrize("path", NOT_THE_CLI, ids=lambda p: str(p.relative_to(REPO)))
def test_nothing_imports_the_cli(path: Path) -> None:
    assert hits(imports_of(path), ("archive.cli",)) == []


@pytest.mark.parametrize("path", ARCHIVE_WITHOUT_CLI, ids=lambda p: str(p.relative_to(REPO)))
def test_archive_never_imports_the_demo(path: Path) -> None:
    assert hits(imports_of(path), ("demo",)) == []


def test_the_cli_imports_the_demo_only_in_its_demo_command() -> None:
    places = []
    for path in files("archive/cli/**/*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]:
            inner = list(ast.iter_child_nodes(func))
            while inner:  # this function's own statements, not those of functions nested in it
                node = inner.pop()
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    continue
                if isinstance(node, ast.Import | ast.ImportFrom) and hits(
                    imports_of_node(node, _package_of(path)), ("demo",)
                ):
                    places.append(getattr(func, "name", "<module>"))
                inner.extend(ast.iter_child_nodes(node))
    assert places == ["demo"]


def test_scheduler_code_never_imports_scrapy() -> None:
    for path in [
        REPO / "scheduler.py",
        REPO / "archive" / "refresh.py",
        REPO / "archive" / "crawl.py",
    ]:
        if path.exists():
            assert hits(imports_of(path), ("scrapy", "twisted")) == [], path.name


# --- the store is the one door to the tables ----------------------------------------------------

OUTSIDE_THE_STORE = [
    p
    for p in files(
        "archive/**/*.py", "crawler/**/*.py", "demo/**/*.py", "bench/*.py", "scheduler.py"
    )
    if not p.relative_to(REPO).as_posix().startswith("archive/store/")
]


def table_access(tree: ast.AST) -> list[str]:
    """Where a module reaches a table itself: ``Model.__table__``, a store table handle
    (``store.post_t``, ``from archive.store... import post_t``), the store's private module, or
    raw SQL through ``sqlalchemy.text``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "__table__":
            found.append(f"line {node.lineno}: .__table__")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.endswith("_t")
            and isinstance(node.value, ast.Name)
            and node.value.id == "store"
        ):
            found.append(f"line {node.lineno}: store.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("archive.store"):
            if node.module == "archive.store._common":
                found.append(f"line {node.lineno}: import from archive.store._common")
            found += [f"line {node.lineno}: {a.name}" for a in node.names if a.name.endswith("_t")]
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            found += [f"line {node.lineno}: text" for a in node.names if a.name == "text"]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "text"
            and isinstance(node.value, ast.Name)
            and node.value.id in ("sa", "sqlalchemy")
        ):
            found.append(f"line {node.lineno}: {node.value.id}.text")
    return found


@pytest.mark.parametrize("path", OUTSIDE_THE_STORE, ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_store_touches_the_tables(path: Path) -> None:
    assert table_access(ast.parse(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    "source",
    [
        "from archive.models import Post\nt = Post.__table__",
        "from archive import store\nstore.post_t",
        "from archive.store import post_t",
        "from archive.store._common import chunks",
        "import sqlalchemy as sa\nsa.text('SELECT 1')",
        "from sqlalchemy import text",
    ],
)
def test_the_table_rule_sees_each_way_round_the_store(source: str) -> None:
    assert table_access(ast.parse(source)) != []
