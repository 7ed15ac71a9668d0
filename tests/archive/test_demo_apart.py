"""`podium demo` never touches a real archive: not the one PODIUM_DATABASE_URL names, and not one
given with --db that holds athletes outside the demo."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import config as config_mod
from archive import db, store
from archive.cli import cli
from tests.conftest import REPO

REAL_ROSTER = """
[[athlete]]
slug = "jutta-leerdam"
name = "Jutta Leerdam"
  [[athlete.account]]
  platform = "tiktok"
  handle = "juttaleerdam"
"""


def _real_archive(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "real.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    roster = tmp_path / "athletes.toml"
    roster.write_text(REAL_ROSTER, encoding="utf-8")
    engine = db.make_engine(url)
    store.sync_roster(engine, config_mod.load_roster(roster))
    engine.dispose()
    return url, path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_refuses_an_archive_with_real_athletes(tmp_path: Path) -> None:
    url, path = _real_archive(tmp_path)
    before = _digest(path)
    result = CliRunner().invoke(cli, ["demo", "--db", url, "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "holds athletes outside the demo (jutta-leerdam)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _digest(path) == before


@pytest.mark.slow
def test_demo_ignores_the_archive_the_environment_names(tmp_path: Path) -> None:
    url, path = _real_archive(tmp_path)
    before = _digest(path)
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "archive.cli", "demo"],
        cwd=work,
        env={**os.environ, "PODIUM_DATABASE_URL": url, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _digest(path) == before
    assert (work / "podium-demo.db").exists()
