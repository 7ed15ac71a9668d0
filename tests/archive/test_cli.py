"""The podium command through click's CliRunner: exit codes, stdout and stderr apart."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def run(*args: str, input: str | None = None) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def all_commands() -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []

    def walk(prefix: str, cmd: click.Command) -> None:
        out.append((prefix, cmd))
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(f"{prefix} {name}".strip(), sub)

    walk("", cli)
    return out


@pytest.mark.parametrize(
    ("name", "cmd"), all_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_and_option_has_help(name: str, cmd: click.Command) -> None:
    assert cmd.help, f"podium {name} has no help"
    for param in cmd.params:
        if isinstance(param, click.Option) and param.name not in ("help", "version"):
            assert param.help, f"podium {name} {param.opts[0]} has no help"
    result = run(*name.split(), "--help")
    assert result.exit_code == 0 and "Usage: podium" in result.output


@pytest.mark.parametrize(
    "name", [n for n, c in all_commands() if n and not isinstance(c, click.Group)]
)
def test_readme_lists_every_command(name: str) -> None:
    assert f"podium {name}" in README.read_text(encoding="utf-8")


def test_init_twice_then_sync_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init").exit_code == 0
    again = run("init")
    assert again.exit_code == 0 and "archive ready" in again.stderr
    roster = tmp_path / "roster.toml"
    roster.write_text(
        '[[athlete]]\nslug = "lotte-van-dijk"\nname = "Lotte van Dijk"\n'
        '  [[athlete.account]]\n  platform = "tiktok"\n  handle = "lotte.dijk"\n'
    )
    synced = run("athletes", "sync", "--roster", str(roster))
    assert synced.exit_code == 0 and "1 added" in synced.stderr
    listed = run("athletes", "list", "--format", "json")
    assert json.loads(listed.stdout) == [
        {
            "slug": "lotte-van-dijk",
            "name": "Lotte van Dijk",
            "sport": None,
            "country": None,
            "accounts": ["tiktok:lotte.dijk"],
            "posts": 0,
        }
    ]


def test_init_on_postgresql(pg_url: str) -> None:
    assert run("init", "--db", pg_url).exit_code == 0
    assert run("athletes", "list", "--db", pg_url).exit_code == 0


def test_the_shipped_roster_loads_with_only_known_handles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    run("init", "--db", url)
    assert run("athletes", "sync", "--db", url).exit_code == 0
    rows = json.loads(run("athletes", "list", "--db", url, "--format", "json").stdout)
    assert len(rows) == 7
    assert {r["slug"]: r["accounts"] for r in rows}["jutta-leerdam"] == ["tiktok:juttaleerdam"]
    assert sum(len(r["accounts"]) for r in rows) == 1  # no invented handles


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["athletes", "list", "--db", "sqlite:////nonexistent/dir/x.db"], "podium init"),
        (
            ["athletes", "list", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/x"],
            "cannot reach",
        ),
        (["athletes", "list", "--db", "nosuchdb://x"], "bad database URL"),
    ],
)
def test_bad_database_gives_one_line(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_roster_names_file_line_and_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    run("init", "--db", url)
    roster = tmp_path / "bad.toml"
    roster.write_text('[[athlete]]\nslug = "ok-one"\nname = "A"\n\n[[athlete]]\nname = "B"\n')
    result = CliRunner().invoke(cli, ["athletes", "sync", "--db", url, "--roster", str(roster)])
    assert result.exit_code == 1
    assert "bad.toml, line 5, key 'athlete[2].slug': missing" in result.stderr


def test_bad_toml_syntax_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text("[crawl]\nbatch_size = = 3\n")
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path), "init", "--db", f"sqlite:///{tmp_path / 'a.db'}"]
    )
    assert result.exit_code == 1 and "podium.toml" in result.stderr and "line 2" in result.stderr


def test_wrong_type_in_podium_toml(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text('[crawl]\nbatch_size = "many"\n')
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path), "init", "--db", f"sqlite:///{tmp_path / 'a.db'}"]
    )
    assert "line 2, key 'crawl.batch_size': must be int" in result.stderr


def test_normalize_text_prints_the_contract() -> None:
    text = (
        "@lotte.dijk Wat een avond in Thialf, goud op de duizend meter en een baanrecord "
        "erbij #schaatsen @femke.kok ♬ Ijskoud - De Rijders"
    )
    result = run("normalize-text", text, "--author", "lotte.dijk")
    out = json.loads(result.stdout)
    assert list(out) == [
        "language",
        "language_confidence",
        "declared_language",
        "hashtags",
        "mentions",
        "sound",
        "author",
        "body",
        "normalizer_version",
    ]
    assert out["language"] == "nl" and out["author"] == "lotte.dijk"
    assert out["hashtags"] == [{"display": "schaatsen", "key": "schaatsen"}]
    assert out["mentions"] == [{"display": "femke.kok", "key": "femke.kok"}]
    assert out["sound"] == {
        "title": "Ijskoud",
        "artist": "De Rijders",
        "is_original": None,
        "platform_sound_id": None,
    }
    assert out["body"].startswith("Wat een avond") and "♬" not in out["body"]
    assert "♬" not in result.stdout or "\\u" not in result.stdout  # UTF-8, not escaped


def test_normalize_text_reads_stdin_and_dash_text() -> None:
    piped = json.loads(run("normalize-text", "-", input="Schön war's heute #über").stdout)
    assert piped["hashtags"] == [{"display": "über", "key": "über"}]
    dashed = json.loads(run("normalize-text", "--", "-5 graden en toch trainen #ijs").stdout)
    assert dashed["body"].startswith("-5 graden")


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["init", "--nope"])
    assert result.exit_code == 2 and "No such option" in result.stderr


def test_an_x_url_is_refused_with_a_reason() -> None:
    result = CliRunner().invoke(cli, ["crawl", "--url", "https://x.com/someone/status/1"])
    assert result.exit_code == 1 and "embed" in result.stderr


def test_every_csv_output_follows_one_bom_rule(tmp_path: Path) -> None:
    """Athletes list, search, timeline, runs and problems: UTF-8 with a BOM, then the header."""
    from archive.export.formats import CSV_BOM

    url = f"sqlite:///{tmp_path / 'a.db'}"
    run("init", "--db", url)
    roster = tmp_path / "roster.toml"
    roster.write_text('[[athlete]]\nslug = "lotte-van-dijk"\nname = "Lotte van Dijk"\n')
    run("athletes", "sync", "--db", url, "--roster", str(roster))
    outputs = {
        "athletes list": run("athletes", "list", "--db", url, "--format", "csv"),
        "search": run("search", "goud", "--db", url, "--format", "csv"),
        "timeline": run("timeline", "lotte-van-dijk", "--db", url, "--format", "csv"),
        "runs": run("runs", "--db", url, "--format", "csv"),
        "problems": run("problems", "--db", url, "--format", "csv"),
    }
    for name, result in outputs.items():
        assert result.exit_code == 0, name
        data = result.stdout_bytes
        assert data.startswith(CSV_BOM.encode("utf-8")), name
        assert data.count(CSV_BOM.encode("utf-8")) == 1, name
        header = data.decode("utf-8-sig").splitlines()[0]
        assert header[0].isalpha() and "," in header, name
    for name in ("athletes list", "search", "timeline", "runs", "problems"):
        assert "byte-order mark" in " ".join(run(*name.split(), "--help").stdout.split()), name


def test_counts_are_singular_for_one(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from archive.crawl_progress import ProgressLine
    from archive.report import plural

    assert [plural(n, "post") for n in (0, 1, 2)] == ["0 posts", "1 post", "2 posts"]
    assert plural(1, "child", "children") == "1 child" and plural(3, "child", "children") == (
        "3 children"
    )
    url = f"sqlite:///{tmp_path / 'a.db'}"
    run("init", "--db", url)
    roster = tmp_path / "roster.toml"
    roster.write_text(
        '[[athlete]]\nslug = "lotte-van-dijk"\nname = "Lotte van Dijk"\n'
        '  [[athlete.account]]\n  platform = "tiktok"\n  handle = "lotte.dijk"\n'
    )
    synced = run("athletes", "sync", "--db", url, "--roster", str(roster))
    assert "1 athlete (1 added, 0 updated), 1 account added" in synced.stderr

    stream = io.StringIO()
    job = SimpleNamespace(describe=lambda: "tiktok:roster")
    ProgressLine(stream).done(
        SimpleNamespace(job=job, status="finished", seconds=1.0, run={"pages": 1, "problems": 1})
    )
    assert "finished: 1 page, 0 new" in stream.getvalue() and "1 problem (" in stream.getvalue()


def test_the_demo_page_links_no_dead_local_server() -> None:
    from archive.export import safe_link
    from demo.job import without_dead_links

    root = "http://127.0.0.1:37879"
    card = " · ".join(
        [
            "<footer>language nl",
            safe_link("https://www.tiktok.com/@lotte/video/7300000000000000001", "original post"),
            safe_link(f"{root}/tiktok/api/creator/item_list/?secUid=x&cursor=0", "fetched from"),
            "first seen 2026-12-03",
            "in " + safe_link(f"{root}/news/articles/goud.html", "Goud voor Lotte"),
            "in " + safe_link("https://sport.example.nl/goud", "Elders") + "</footer>",
        ]
    )
    shown = "".join(without_dead_links([card], root))
    assert root not in shown and "fetched from" not in shown
    assert 'href="https://www.tiktok.com/@lotte/video/7300000000000000001"' in shown
    assert "in <bdi>Goud voor Lotte</bdi>" in shown
    assert 'href="https://sport.example.nl/goud"' in shown
    other_port = "".join(without_dead_links([card], "http://127.0.0.1:3787"))
    assert other_port == card  # only the demo's own server (same port) is taken out
