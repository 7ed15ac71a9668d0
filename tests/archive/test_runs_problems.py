"""`podium runs` and `podium problems`: the crawl history and what fell short, from the store."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy.engine import Engine

from archive import store
from archive.cli import cli
from archive.records import Payload
from archive.store import utcnow


def _history(engine: Engine) -> tuple[int, int]:
    ok = store.start_crawl_run(
        engine, spider="bluesky", target="bluesky:roster", athlete_slug=None, full_sweep=False
    )
    store.finish_crawl_run(engine, ok, status="finished", reason="finished", pages=3)
    short = store.start_crawl_run(
        engine,
        spider="tiktok",
        target="tiktok:lotte",
        athlete_slug="lotte",
        full_sweep=True,
        started_by="scheduler",
    )
    body = b'{"itemList": [\x1b[2J'
    problem = store.record_problem(
        engine,
        reason="TikTok item_list: malformed JSON",
        platform="tiktok",
        source_url="https://www.tiktok.com/api/creator/item_list/?cursor=0",
        payload=Payload(body, "https://www.tiktok.com/api/creator/item_list/", utcnow(), "tiktok"),
        crawl_run_id=short,
    )
    store.finish_crawl_run(
        engine, short, status="incomplete", reason="1 shortfalls", errors="malformed JSON"
    )
    return short, problem


def test_runs_and_problems(archive_url: str, engine: Engine) -> None:
    short, problem = _history(engine)
    run = CliRunner().invoke
    out = run(cli, ["runs", "--db", archive_url, "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["target"], r["status"], r["started_by"]) for r in rows] == [
        ("tiktok:lotte", "incomplete", "scheduler"),
        ("bluesky:roster", "finished", "manual"),
    ]
    assert rows[0]["problems"] == 1
    only = run(cli, ["runs", "--db", archive_url, "--platform", "bluesky", "--format", "ndjson"])
    assert [json.loads(line)["spider"] for line in only.output.splitlines()] == ["bluesky"]

    listed = run(cli, ["problems", "--db", archive_url, "--run", str(short), "--format", "csv"])
    assert listed.exit_code == 0 and "malformed JSON" in listed.output
    none = run(cli, ["problems", "--db", archive_url, "--platform", "mastodon"])
    assert none.exit_code == 0 and "no problems" in none.output

    shown = run(cli, ["problems", "show", str(problem), "--db", archive_url])
    assert shown.exit_code == 0, shown.output
    assert "reason: TikTok item_list: malformed JSON" in shown.output
    assert "\x1b" not in shown.output and '{"itemList": [' in shown.output  # no terminal escapes
    raw = run(cli, ["problems", "show", str(problem), "--payload-only", "--db", archive_url])
    assert raw.stdout_bytes == b'{"itemList": [\x1b[2J'
    missing = run(cli, ["problems", "show", "999", "--db", archive_url])
    assert missing.exit_code == 1 and "no problem 999" in missing.output
