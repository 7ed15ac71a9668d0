"""Bad input gets one clear line (and a pointer to --help), and nothing else: no traceback,
no crawl started, nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from archive.cli import cli
from archive.cli.options import HASHTAG, LANG, check_date_range
from archive.crawl import url_problem

ROSTER = (
    '[[athlete]]\nslug = "lotte-van-dijk"\nname = "Lotte van Dijk"\ncountry = "NL"\n'
    '  [[athlete.account]]\n  platform = "tiktok"\n  handle = "lotte.dijk"\n'
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_usage_error(result: Result, command: str) -> str:
    """Exit 2, nothing on stdout, and on stderr only the error and where help is."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1] == f"see '{command} --help'"
    assert all(line.startswith("podium: error: ") for line in lines[:-1]) and len(lines) >= 2
    assert "Traceback" not in result.stderr and "Usage:" not in result.stderr
    return "\n".join(lines[:-1])


@pytest.fixture
def archive_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert invoke("init", "--db", url).exit_code == 0
    roster = tmp_path / "roster.toml"
    roster.write_text(ROSTER, encoding="utf-8")
    assert invoke("athletes", "sync", "--db", url, "--roster", str(roster)).exit_code == 0
    return url


# --- crawl --url ---------------------------------------------------------------------------


@pytest.fixture
def no_child(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records any attempt to start a child process (there must be none)."""
    started: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        started.append(args)
        raise AssertionError("a child process was started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    return started


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("notaurl", "not a URL"),
        ("www.tiktok.com/@a/video/1", "not a URL"),
        ("ftp://example.org/x", "not an http(s) URL"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("https://", "needs a host"),
        ("http:///path", "needs a host"),
        ("https://exa mple.org/", "spaces"),
        ("http://[::1/x", "not a valid URL"),
        ("https://example.org:99999/", "not a valid URL"),
    ],
)
def test_a_bad_crawl_url_is_one_line_and_nothing_starts(
    url: str, why: str, archive_url: str, no_child: list[object]
) -> None:
    result = invoke("crawl", "--db", archive_url, "--url", url)
    message = assert_usage_error(result, "podium crawl")
    assert message == f"podium: error: --url {url!r}: {url_problem(url)}" and why in message
    assert no_child == []
    engine = sa.create_engine(archive_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM crawl_run")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM post")).scalar() == 0
    engine.dispose()


def test_an_unknown_crawl_athlete_names_the_closest_slug_and_nothing_starts(
    tmp_path: Path, archive_url: str, no_child: list[object]
) -> None:
    (tmp_path / "athletes.toml").write_text(ROSTER, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--config", str(tmp_path), "crawl", "--db", archive_url, "--athlete", "lotte-van-dyk"],
    )
    message = assert_usage_error(result, "podium crawl")
    assert message == (
        f"podium: error: Invalid value for --athlete: no athlete 'lotte-van-dyk' in "
        f"{tmp_path / 'athletes.toml'}; did you mean lotte-van-dijk?"
    )
    assert no_child == []


def test_every_bad_url_gets_its_line_and_the_good_ones_do_not_run(
    tmp_path: Path, no_child: list[object]
) -> None:
    db = tmp_path / "never.db"
    result = invoke(
        "crawl",
        "--db",
        f"sqlite:///{db}",
        "--url",
        "https://www.tiktok.com/@a/video/1",
        "--url",
        "notaurl",
        "--url",
        "ftp://x",
    )
    message = assert_usage_error(result, "podium crawl")
    assert message.splitlines() == [
        "podium: error: --url 'notaurl': not a URL (give http:// or https://)",
        "podium: error: --url 'ftp://x': not an http(s) URL",
    ]
    assert no_child == [] and not db.exists()


# --- usage errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "command", "needle"),
    [
        (["--nope"], "podium", "No such option"),
        (["init", "--nope"], "podium init", "No such option"),
        (["nosuch"], "podium", "No such command"),
        (["athletes", "list", "--format", "xml"], "podium athletes list", "'xml' is not one"),
        (["athletes", "nosuch"], "podium athletes", "No such command"),
        (["timeline"], "podium timeline", "Missing argument"),
        (["runs", "--limit", "0"], "podium runs", "--limit"),
    ],
)
def test_usage_errors_are_two_lines(args: list[str], command: str, needle: str) -> None:
    result = invoke(*args)
    message = assert_usage_error(result, command)
    assert len(result.stderr.splitlines()) == 2 and needle in message


def test_bare_podium_still_shows_its_help() -> None:
    result = invoke()
    assert "Usage: podium" in result.output and "Commands:" in result.output


# --- dates, languages, hashtags --------------------------------------------------------------


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "yesterday", "01-02-2025", ""])
def test_a_date_that_is_not_one_shows_the_form(value: str, archive_url: str) -> None:
    result = invoke("timeline", "lotte-van-dijk", "--db", archive_url, "--since", value)
    message = assert_usage_error(result, "podium timeline")
    assert f"'{value}' is not a date; use the form YYYY-MM-DD" in message


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "2025-03-01", "--until", "2025-02-28"],
        ["--until", "2025-02-28", "--since", "2025-03-01"],
    ],
)
def test_a_range_that_ends_before_it_starts_is_refused(args: list[str], archive_url: str) -> None:
    result = invoke("timeline", "lotte-van-dijk", "--db", archive_url, *args)
    message = assert_usage_error(result, "podium timeline")
    assert message == (
        "podium: error: --since 2025-03-01 is after --until 2025-02-28: no day is in that range"
    )


def test_a_one_day_range_is_fine(archive_url: str) -> None:
    result = invoke(
        "timeline", "lotte-van-dijk", "--db", archive_url, "--since", "2025-03-01", "--until",
        "2025-03-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@click.command()
@click.option("--lang", type=LANG)
@click.option("--hashtag", type=HASHTAG)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), callback=check_date_range)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), callback=check_date_range)
def probe(lang: str | None, hashtag: str | None, since: object, until: object) -> None:
    """Echoes what the shared param types made of the input (what `podium search` uses)."""
    click.echo(f"{lang}|{hashtag}")


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--lang", "NL"], "nl|None"),
        (["--lang", "und"], "und|None"),
        (["--lang", "ja"], "ja|None"),
        (["--hashtag", "#Schaatsen"], "None|#Schaatsen"),
        (["--hashtag", " über "], "None|über"),
        (["--since", "2025-01-01", "--until", "2025-01-02"], "None|None"),
    ],
)
def test_language_and_hashtag_types_accept(args: list[str], shown: str) -> None:
    result = CliRunner().invoke(probe, args)
    assert result.exit_code == 0 and result.stdout.strip() == shown


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--lang", "xx"], "'xx' is not a language code; use ISO 639-1"),
        (["--lang", "english"], "'english' is not a language code"),
        (["--lang", "zh-cn"], "'zh-cn' is not a language code"),
        (["--lang", ""], "is not a language code"),
        (["--hashtag", ""], "the hashtag is empty"),
        (["--hashtag", "#"], "the hashtag is empty"),
        (["--hashtag", "two words"], "is not one hashtag"),
        (["--since", "2025-02-02", "--until", "2025-02-01"], "is after --until"),
    ],
)
def test_language_and_hashtag_types_refuse(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(probe, args)
    assert result.exit_code == 2 and needle in result.stderr


# --- -o into a folder that does not exist -----------------------------------------------------


def test_timeline_into_a_missing_folder_names_the_folder(tmp_path: Path, archive_url: str) -> None:
    target = tmp_path / "nope" / "lotte.html"
    result = invoke("timeline", "lotte-van-dijk", "--db", archive_url, "-o", str(target))
    message = assert_usage_error(result, "podium timeline")
    assert f"the folder '{target.parent}' does not exist" in message
    assert ".part" not in result.stderr and not target.parent.exists()


def test_timeline_into_an_existing_folder_writes(tmp_path: Path, archive_url: str) -> None:
    target = tmp_path / "lotte.csv"
    result = invoke("timeline", "lotte-van-dijk", "--db", archive_url, "-o", str(target))
    assert result.exit_code == 0 and target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_demo_into_a_missing_folder_names_it_before_anything_runs(
    tmp_path: Path, no_child: list[object]
) -> None:
    db = tmp_path / "demo.db"
    out = tmp_path / "missing" / "demo-out"
    result = invoke("demo", "--db", f"sqlite:///{db}", "-o", str(out))
    message = assert_usage_error(result, "podium demo")
    assert f"the folder '{out.parent}' does not exist" in message
    assert not db.exists() and no_child == []
    afile = tmp_path / "a-file"
    afile.write_text("x")
    result = invoke("demo", "--db", f"sqlite:///{db}", "-o", str(afile))
    assert "is a file" in assert_usage_error(result, "podium demo")


# --- the roster's country -------------------------------------------------------------------


def test_a_bad_country_names_file_line_and_key(tmp_path: Path, archive_url: str) -> None:
    roster = tmp_path / "bad.toml"
    roster.write_text(ROSTER + '\n[[athlete]]\nslug = "b"\nname = "B"\n\ncountry = "XX"\n')
    result = invoke("athletes", "sync", "--db", archive_url, "--roster", str(roster))
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert (
        f"{roster}, line 13, key 'athlete[2].country': 'XX' is not an ISO 3166-1 alpha-2 "
        "country code" in result.stderr
    )
