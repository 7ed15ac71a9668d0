"""``podium import`` on SQLite and PostgreSQL: every capture format, capture times, provenance,
idempotency, bad lines, authors off the roster, dry runs; the command through CliRunner.

Fixtures (tests/fixtures/imports/<tool>/) are composed, fictional (Lena Berg, @lenaberg.skates),
and follow each tool's documented output: Zeeschuimer's export lines (FORMATS.md §1.7), yt-dlp's
``.info.json`` and ``--dump-json``, instaloader's ``save_structure_to_file`` (pretty ``.json``,
compact ``.json.xz``, a Profile file and a caption ``.txt`` beside them), item lists, URL lists.
Files are copied to a temporary folder with fixed modification times: a capture without a time
of its own (instaloader, items) is observed at its file's.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import store
from archive.cli import cli
from archive.config import AccountConfig, AthleteConfig, Roster
from archive.importing import ImportOptions, ImportSummary, import_files, walk
from tests.conftest import FIXTURES

IMPORTS = FIXTURES / "imports"
LENA = AthleteConfig(
    "lena-berg",
    "Lena Berg",
    languages=("nl",),
    accounts=(
        AccountConfig("tiktok", "lenaberg.skates"),
        AccountConfig("instagram", "lenaberg.skates"),
        AccountConfig("youtube", "UCLenaBergFixture00000001"),
    ),
)
ROSTER = Roster((LENA,))
MTIME = datetime(2024, 8, 20, 12, 0, tzinfo=UTC)
T1 = datetime(2024, 8, 14, 2, 13, 20, 123000, tzinfo=UTC)
T2 = datetime(2024, 8, 15, 2, 13, 20, 123000, tzinfo=UTC)
T3 = datetime(2024, 8, 16, 2, 13, 20, 123000, tzinfo=UTC)
EPOCH = datetime.fromtimestamp(1723700000, UTC)
POST_A = "7400786996756480001"
TABLES = (
    "athlete",
    "account",
    "post",
    "post_version",
    "metric_snapshot",
    "hashtag",
    "post_hashtag",
    "mention",
    "sound",
    "raw_payload",
    "article",
    "article_embed",
    "crawl_run",
    "listing_run",
    "problem",
)


@pytest.fixture
def captures(tmp_path: Path) -> Path:
    """The import fixtures in a folder of their own, every file modified at MTIME."""
    folder = tmp_path / "captures"
    shutil.copytree(IMPORTS, folder)
    for path in folder.rglob("*"):
        os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return folder


def run_import(
    engine: Engine, *paths: Path, roster: Roster = ROSTER, **options: object
) -> ImportSummary:
    store.sync_roster(engine, roster)
    return import_files(engine, walk(paths), roster, ImportOptions(**options))  # type: ignore[arg-type]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def aware(value: object) -> datetime:
    """A time read back with plain SQL: SQLite gives text, PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def snapshots(engine: Engine, platform_post_id: str) -> list[tuple[datetime, int, int]]:
    found = rows(
        engine,
        "SELECT m.captured_at, m.views, m.likes FROM metric_snapshot m "
        "JOIN post p ON p.id = m.post_id WHERE p.platform_post_id = :pid ORDER BY m.captured_at",
        pid=platform_post_id,
    )
    return [(aware(at), views, likes) for at, views, likes in found]


# --- Zeeschuimer ------------------------------------------------------------------------------


def test_zeeschuimer_export_lands_at_its_capture_times(engine: Engine, captures: Path) -> None:
    export = captures / "zeeschuimer" / "lena_week.ndjson"
    summary = run_import(engine, export)
    assert (summary.files, summary.records, summary.posts) == (1, 9, 5)
    assert (summary.new, summary.updated, summary.unchanged) == (4, 1, 0)
    assert summary.skipped == {
        "linkedin.com items (no parser)": 1,
        "twitter.com items (no parser)": 1,
    }
    # the same post captured twice: two snapshots, each at its capture time
    assert snapshots(engine, POST_A) == [(T1, 150000, 12000), (T2, 180000, 13500)]
    [(first, last)] = rows(
        engine, "SELECT first_seen_at, last_seen_at FROM post WHERE platform_post_id = :p", p=POST_A
    )
    assert (aware(first), aware(last)) == (T1, T2)


def test_each_payload_keeps_its_provenance(engine: Engine, captures: Path) -> None:
    export = captures / "zeeschuimer" / "lena_week.ndjson"
    run_import(engine, export)
    found = rows(
        engine,
        "SELECT r.capture_tool, r.capture_file, r.capture_line, r.captured_at, r.fetched_at, "
        "r.source_url, r.parser_kind FROM raw_payload r JOIN post p ON p.raw_payload_id = r.id "
        "WHERE p.platform_post_id = :p",
        p=POST_A,
    )
    [(tool, file, line, captured, fetched, source, kind)] = found
    assert (tool, file, line) == ("zeeschuimer", str(export.resolve()), 7)
    assert aware(captured) == aware(fetched) == T2
    assert source.startswith("https://www.tiktok.com/api/post/item_list/")
    assert kind == "tiktok"


def test_bad_lines_are_reported_with_file_and_line_and_kept(engine: Engine, captures: Path) -> None:
    export = captures / "zeeschuimer" / "lena_week.ndjson"
    summary = run_import(engine, export)
    where = str(export.resolve())
    assert summary.problems == [
        f"{where}:4: malformed JSON (Unterminated string starting at column 123)",
        f"{where}:6: not a payload Podium knows: unrecognised JSON (object with keys desc)",
    ]
    kept = rows(engine, "SELECT reason, source_url FROM problem ORDER BY id")
    assert [r[0].split(":")[0] for r in kept] == ["zeeschuimer line 4", "zeeschuimer line 6"]
    assert {r[1] for r in kept} == {where}
    # every good line landed all the same
    assert rows(engine, "SELECT count(*) FROM post") == [(4,)]


def test_a_later_capture_adds_one_snapshot_at_its_capture_time(
    engine: Engine, captures: Path
) -> None:
    run_import(engine, captures / "zeeschuimer" / "lena_week.ndjson")
    before = counts(engine)
    later = run_import(engine, captures / "zeeschuimer" / "lena_later.ndjson.gz")
    assert (later.new, later.updated, later.unchanged) == (0, 1, 0)
    # one snapshot, and the capture's payload (its counts differ) beside the others
    grown = {"metric_snapshot": 1, "raw_payload": 1}
    assert counts(engine) == {t: n + grown.get(t, 0) for t, n in before.items()}
    assert snapshots(engine, POST_A)[-1] == (T3, 210000, 14100)
    assert rows(engine, "SELECT views FROM post WHERE platform_post_id = :p", p=POST_A) == [
        (210000,)
    ]


def test_an_earlier_capture_imported_last_fills_in_the_history(
    sqlite_engine: Engine, captures: Path
) -> None:
    run_import(sqlite_engine, captures / "zeeschuimer" / "lena_later.ndjson.gz")
    earlier = run_import(sqlite_engine, captures / "zeeschuimer" / "lena_week.ndjson")
    assert snapshots(sqlite_engine, POST_A) == [
        (T1, 150000, 12000),
        (T2, 180000, 13500),
        (T3, 210000, 14100),
    ]
    # the post stays as last seen
    assert rows(sqlite_engine, "SELECT views FROM post WHERE platform_post_id = :p", p=POST_A) == [
        (210000,)
    ]
    assert earlier.updated == 0


# --- idempotency, dry runs ----------------------------------------------------------------------


def test_importing_the_same_files_twice_changes_nothing(engine: Engine, captures: Path) -> None:
    paths = [captures / tool for tool in ("zeeschuimer", "ytdlp", "instaloader", "items")]
    first = run_import(engine, *paths)
    assert first.new > 0
    before = counts(engine)
    again = run_import(engine, *paths)
    assert counts(engine) == before
    assert (again.new, again.updated, again.unchanged) == (0, 0, first.posts)
    assert again.problems == first.problems


def test_a_dry_run_says_what_would_be_imported_and_writes_nothing(
    engine: Engine, captures: Path
) -> None:
    store.sync_roster(engine, ROSTER)
    before = counts(engine)
    files = walk([captures / "zeeschuimer", captures / "ytdlp"])
    dry = import_files(engine, files, ROSTER, ImportOptions(dry_run=True))
    assert counts(engine) == before
    real = import_files(engine, files, ROSTER, ImportOptions())
    assert (dry.new, dry.updated, dry.unchanged, dry.posts) == (
        real.new,
        real.updated,
        real.unchanged,
        real.posts,
    )
    assert dry.dry_run and dry.problems == real.problems


# --- authors -------------------------------------------------------------------------------------


def test_authors_off_the_roster_are_kept_on_accounts_without_an_athlete(
    engine: Engine, captures: Path
) -> None:
    summary = run_import(engine, captures / "items")
    assert summary.outside_roster == 3  # someone.else, a Mastodon and a Bluesky author
    assert len(summary.outside_accounts) == 3
    accounts = {(a.platform, a.handle): a.athlete for a in store.list_accounts(engine)}
    assert accounts[("tiktok", "someone.else")] is None
    assert accounts[("tiktok", "lenaberg.skates")] == "lena-berg"


def test_roster_only_skips_them(engine: Engine, captures: Path) -> None:
    summary = run_import(engine, captures / "items", roster_only=True)
    assert summary.skipped == {"posts by authors not on the roster (--roster-only)": 3}
    assert summary.outside_roster == 0
    handles = {a.handle for a in store.list_accounts(engine)}
    assert "someone.else" not in handles


def test_athlete_option_claims_every_post(sqlite_engine: Engine, captures: Path) -> None:
    roster = Roster((LENA, AthleteConfig("mila-jansen", "Mila Jansen")))
    summary = run_import(
        sqlite_engine,
        captures / "items" / "tiktok_items.ndjson",
        roster=roster,
        athlete="mila-jansen",
    )
    assert summary.outside_roster == 0
    accounts = {a.handle: a.athlete for a in store.list_accounts(sqlite_engine)}
    assert accounts["someone.else"] == "mila-jansen"


# --- yt-dlp, instaloader, items ----------------------------------------------------------------


def test_ytdlp_info_json_and_dump_lines(sqlite_engine: Engine, captures: Path) -> None:
    summary = run_import(sqlite_engine, captures / "ytdlp")
    assert summary.tools == {"ytdlp": 5}
    assert summary.skipped == {"yt-dlp Vimeo videos (a site Podium skips)": 1}
    assert summary.posts == 4 and summary.problems == []
    # observed at yt-dlp's epoch (when it extracted the info), not at import time
    assert snapshots(sqlite_engine, POST_A) == [(EPOCH, 230000, 14800)]
    youtube = rows(
        sqlite_engine,
        "SELECT p.platform_post_id, p.kind, a.platform_account_id FROM post p "
        "JOIN account a ON a.id = p.account_id WHERE p.platform = 'youtube' ORDER BY 1",
    )
    assert youtube == [
        ("LbShort001B", "short", "UCLenaBergFixture00000001"),
        ("LbVid00001A", "video", "UCLenaBergFixture00000001"),
    ]
    linked = {(a.platform, a.athlete) for a in store.list_accounts(sqlite_engine)}
    assert ("youtube", "lena-berg") in linked


def test_instaloader_folder(sqlite_engine: Engine, captures: Path) -> None:
    summary = run_import(sqlite_engine, captures / "instaloader")
    assert summary.skipped == {
        "instaloader Profile files (not posts)": 1,
        "files in folders that are no capture": 1,  # the caption .txt beside the JSON
    }
    assert summary.posts == 2 and summary.problems == []
    found = rows(
        sqlite_engine,
        "SELECT p.platform_post_id, p.first_seen_at, r.capture_tool, r.capture_line "
        "FROM post p JOIN raw_payload r ON r.id = p.raw_payload_id ORDER BY 1",
    )
    # instaloader keeps no capture time: its file's modification time is the observation's
    assert [(pid, aware(at), tool, line) for pid, at, tool, line in found] == [
        ("C9-LenaBrg4", MTIME, "instaloader", None),
        ("C9zLenaBrg3", MTIME, "instaloader", None),
    ]


def test_items_as_a_json_array_and_as_ndjson(sqlite_engine: Engine, captures: Path) -> None:
    summary = run_import(sqlite_engine, captures / "items")
    assert summary.tools == {"items": 7}
    platforms = rows(sqlite_engine, "SELECT platform, count(*) FROM post GROUP BY 1 ORDER BY 1")
    assert platforms == [("bluesky", 1), ("instagram", 1), ("mastodon", 1), ("tiktok", 2)]
    where = str((captures / "items" / "tiktok_items.ndjson").resolve())
    assert summary.problems == [f"{where}:2: not a post: a JSON int, not an object"]
    lines = rows(
        sqlite_engine,
        "SELECT r.capture_line FROM raw_payload r JOIN post p ON p.raw_payload_id = r.id "
        "WHERE p.platform = 'mastodon'",
    )
    assert lines == [(3,)]  # the array's third element


def test_a_broken_compressed_file_costs_itself(sqlite_engine: Engine, captures: Path) -> None:
    broken = captures / "zeeschuimer" / "broken.ndjson.xz"
    broken.write_bytes(b"\xfd7zXZ\x00" + b"\x00" * 40)
    summary = run_import(sqlite_engine, captures / "zeeschuimer")
    assert any(p.startswith(f"{broken.resolve()}: cannot read the file") for p in summary.problems)
    assert summary.posts == 6  # both other files landed


def test_the_format_can_be_forced(sqlite_engine: Engine, captures: Path) -> None:
    summary = run_import(
        sqlite_engine, captures / "ytdlp" / "lenaberg_channel.jsonl", fmt="instaloader"
    )
    assert summary.posts == 0
    assert summary.skipped == {"instaloader unknown files (not posts)": 2}


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    roster = tmp_path / "athletes.toml"
    roster.write_text(
        '[[athlete]]\nslug = "lena-berg"\nname = "Lena Berg"\nlanguages = ["nl"]\n'
        '  [[athlete.account]]\n  platform = "tiktok"\n  handle = "lenaberg.skates"\n'
        '  [[athlete.account]]\n  platform = "instagram"\n  handle = "lenaberg.skates"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PODIUM_ROSTER", str(roster))
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    assert CliRunner().invoke(cli, ["init", "--db", url]).exit_code == 0
    return url


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_command_imports_and_summarises(cli_env: str, captures: Path) -> None:
    result = invoke("import", str(captures / "zeeschuimer"), "--db", cli_env)
    assert result.exit_code == 1  # two bad lines: reported, the rest landed
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "2 files, 10 records (zeeschuimer 9)"  # the malformed line is no one's
    # the later export is read first (name order): the week's captures only add history
    assert lines[1] == "posts: 6 read, 4 new, 0 updated, 2 unchanged"
    assert "skipped: 1 linkedin.com items (no parser)" in lines
    assert "bad: 2 records skipped" in lines
    assert any(
        line.endswith(
            "lena_week.ndjson:4: malformed JSON (Unterminated string starting at column 123)"
        )
        for line in lines
    )
    again = invoke("import", str(captures / "zeeschuimer"), "--db", cli_env)
    assert "posts: 6 read, 0 new, 0 updated, 6 unchanged" in again.stderr


def test_the_command_with_a_clean_file_exits_0(cli_env: str, captures: Path) -> None:
    path = captures / "instaloader"
    result = invoke("import", str(path), "--db", cli_env, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:2] == [
        "dry run: 4 files, 3 records (instaloader 3)",
        "posts: 2 read, 2 new, 0 updated, 0 unchanged (would be: nothing written)",
    ]
    engine = sa.create_engine(cli_env)
    assert counts(engine) == dict.fromkeys(TABLES, 0)  # not even the roster was synced
    engine.dispose()


def test_the_command_refuses_an_unknown_athlete(cli_env: str, captures: Path) -> None:
    result = invoke("import", str(captures / "items"), "--athlete", "nobody", "--db", cli_env)
    assert result.exit_code == 2
    assert result.stderr.startswith("podium: error: ")


def test_the_command_with_nothing_to_import(cli_env: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("import", str(empty), "--db", cli_env)
    assert result.exit_code == 1
    assert result.stderr.startswith("podium: error: nothing to import")


def test_url_lists_are_crawled_as_crawl_url_does(
    cli_env: str, captures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive.crawl_progress

    asked: list[tuple[list[object], str]] = []

    def fake_run_jobs(jobs: list[object], s: object, **kw: object) -> list[object]:
        asked.append((jobs, str(kw.get("started_by"))))
        return []

    monkeypatch.setattr(archive.crawl_progress, "run_jobs", fake_run_jobs)
    urls = captures / "urls" / "lena_posts.txt"
    with urls.open("a", encoding="utf-8") as f:
        f.write("ftp://example.com/not-http\n")
    dry = invoke("import", str(urls), "--db", cli_env, "--dry-run")
    assert "dry run: would crawl 1 URL (tiktok:urls)" in dry.stderr
    assert asked == []
    result = invoke("import", str(urls), "--db", cli_env)
    assert result.exit_code == 1  # the ftp:// line
    assert f"{urls.resolve()}:6: 'ftp://example.com/not-http': not an http(s) URL" in result.stderr
    [(jobs, started_by)] = asked
    assert started_by == "import"
    assert sorted(j.describe() for j in jobs) == ["instagram:urls", "tiktok:urls", "youtube:urls"]


def test_podium_parse_reads_the_same_files(captures: Path) -> None:
    """The formats are payload kinds: `podium parse` reads an instaloader .json.xz too."""
    from archive.parse_output import parse_file

    xz = captures / "instaloader" / "lenaberg.skates" / "2024-08-11_00-33-20_UTC.json.xz"
    parsed = parse_file(xz)
    assert (parsed["error"], parsed["kind"]) == (None, "graphql_post")
    assert [p["platform_post_id"] for p in parsed["posts"]] == ["C9-LenaBrg4"]


def test_a_caption_file_that_starts_with_a_link_is_no_url_list(
    sqlite_engine: Engine, captures: Path
) -> None:
    caption = captures / "instaloader" / "lenaberg.skates" / "2024-08-10_00-33-20_UTC.txt"
    caption.write_text("https://knsb.nl/uitslagen\nWat een race! #schaatsen\n", encoding="utf-8")
    summary = run_import(sqlite_engine, captures / "instaloader")
    assert summary.urls == []
    assert summary.skipped["files in folders that are no capture"] == 1
    named = run_import(sqlite_engine, caption)  # named, it is read as a URL list
    assert named.urls == ["https://knsb.nl/uitslagen"]
