"""With PODIUM_REDIS_URL the archive must be PostgreSQL: a SQLite URL is a one-line usage error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import scheduler as scheduler_mod
from archive import config
from archive.cli import cli
from archive.errors import SettingsConflictError

REDIS = "redis://127.0.0.1:6379/15"
PG = "postgresql+psycopg://podium:secret@127.0.0.1:5432/podium"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PODIUM_DATABASE_URL", "PODIUM_REDIS_URL", "PODIUM_REDIS_PREFIX"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("source", ["argument", "environment", "default"])
def test_redis_with_a_sqlite_archive_is_refused_wherever_the_url_came_from(
    tmp_path: Path, source: str
) -> None:
    env = {"PODIUM_REDIS_URL": REDIS}
    url = None
    if source == "argument":
        url = f"sqlite:///{tmp_path / 'a.db'}"
    elif source == "environment":
        env["PODIUM_DATABASE_URL"] = "sqlite:///relative.db"
    with pytest.raises(SettingsConflictError) as caught:
        config.load(tmp_path, database_url=url, environ=env)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("PODIUM_REDIS_URL is set, so the archive must be PostgreSQL, not ")
    assert "sqlite:///" in message


def test_redis_with_postgresql_loads_and_without_redis_sqlite_still_does(tmp_path: Path) -> None:
    s = config.load(tmp_path, database_url=PG, environ={"PODIUM_REDIS_URL": REDIS})
    assert (s.database_url, s.redis_url) == (PG, REDIS)
    assert "secret" not in repr(s)
    plain = config.load(tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}", environ={})
    assert plain.redis_url is None


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["status", "--db", f"sqlite:///{tmp_path / 'a.db'}"],
        env={"PODIUM_REDIS_URL": REDIS},
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("podium: error: PODIUM_REDIS_URL is set, so the archive must be")
    assert not (tmp_path / "a.db").exists()  # refused before anything was opened


def test_the_scheduler_says_it_in_one_line_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PODIUM_REDIS_URL", REDIS)
    code = scheduler_mod.main(["--db", f"sqlite:///{tmp_path / 'a.db'}", "--config", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("scheduler: PODIUM_REDIS_URL is set, so the archive must be")
