"""The decisions of a crawl, without a child process: which crawls to start, what a child's
stderr says, and how its crawl_run is closed once it is gone."""

from __future__ import annotations

import sys

import pytest

from archive import config
from archive.crawl import (
    TAIL_LINES,
    BadURLError,
    ChildOutput,
    CrawlJob,
    Progress,
    RunEnding,
    crawl_argv,
    judge_ending,
    plan,
    read_progress,
)
from archive.errors import ArchiveError

ROSTER = config.Roster(
    athletes=(
        config.AthleteConfig(
            "ana-perez",
            "Ana Pérez",
            accounts=(
                config.AccountConfig("tiktok", "ana.perez"),
                config.AccountConfig("bluesky", "ana.bsky.social"),
            ),
        ),
        config.AthleteConfig(
            "ben-okafor",
            "Ben Okafor",
            accounts=(
                config.AccountConfig("tiktok", "ben.okafor"),
                config.AccountConfig("youtube", "UCabcdefghijklmnopqrstuv"),
            ),
        ),
    ),
    news=(config.NewsSourceConfig("sport-nl", "Sport NL", feeds=("https://sport.example/rss",)),),
)


# --- planning ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "roster", "expected"),
    [
        pytest.param(
            {},
            ROSTER,
            [
                ("tiktok", {}, "tiktok:roster"),
                ("bluesky", {}, "bluesky:roster"),
                ("youtube", {}, "youtube:roster"),
                ("news", {}, "news:roster"),
            ],
            id="every-spider-with-accounts-and-the-news",
        ),
        pytest.param(
            {"athlete": "ana-perez"},
            ROSTER,
            [
                ("tiktok", {"athlete": "ana-perez"}, "tiktok:ana-perez"),
                ("bluesky", {"athlete": "ana-perez"}, "bluesky:ana-perez"),
            ],
            id="one-athletes-accounts-and-no-news",
        ),
        pytest.param(
            {"platform": "youtube"}, ROSTER, [("youtube", {}, "youtube:roster")], id="one-platform"
        ),
        pytest.param(
            {"athlete": "ana-perez", "platform": "youtube"},
            ROSTER,
            [],
            id="an-athlete-without-that-platform",
        ),
        pytest.param(
            {"platform": "news", "athlete": "ana-perez"}, ROSTER, [], id="news-no-athlete"
        ),
        pytest.param(
            {"full": True, "platform": "tiktok"},
            ROSTER,
            [("tiktok", {"full": "1"}, "tiktok:roster")],
            id="a-full-sweep",
        ),
        pytest.param(
            {"full": True, "platform": "news"},
            ROSTER,
            [("news", {"full": "1"}, "news:roster")],
            id="a-full-news-sweep",
        ),
        pytest.param(
            {},
            config.Roster(athletes=ROSTER.athletes),
            [
                ("tiktok", {}, "tiktok:roster"),
                ("bluesky", {}, "bluesky:roster"),
                ("youtube", {}, "youtube:roster"),
            ],
            id="no-news-sources-no-news-crawl",
        ),
        pytest.param({}, config.Roster(), [], id="an-empty-roster"),
        pytest.param(
            {
                "urls": [
                    "https://www.tiktok.com/@a/video/1",
                    "https://bsky.app/profile/a.bsky.social/post/3kabcdefghi2x",
                    "https://www.tiktok.com/@a/video/2",
                ],
                "full": True,
            },
            ROSTER,
            [
                (
                    "tiktok",
                    {
                        "urls": "https://www.tiktok.com/@a/video/1 https://www.tiktok.com/@a/video/2",
                        "full": "1",
                    },
                    "tiktok:urls",
                ),
                (
                    "bluesky",
                    {
                        "urls": "https://bsky.app/profile/a.bsky.social/post/3kabcdefghi2x",
                        "full": "1",
                    },
                    "bluesky:urls",
                ),
            ],
            id="urls-one-crawl-per-spider",
        ),
        pytest.param(
            {"urls": ["https://x.com/a/status/1", "https://sport.example/a"], "platform": "news"},
            ROSTER,
            [("news", {"urls": "https://x.com/a/status/1 https://sport.example/a"}, "news:urls")],
            id="urls-all-to-the-platform-named",
        ),
    ],
)
def test_plan(
    options: dict[str, object], roster: config.Roster, expected: list[tuple[object, ...]]
) -> None:
    jobs = plan(config.load(environ={}), roster, **options)
    assert [(j.spider, dict(j.args), j.target) for j in jobs] == expected


@pytest.mark.parametrize(
    ("url", "spider"),
    [
        ("https://www.tiktok.com/@lotte.dijk/video/7300000000000000001", "tiktok"),
        ("https://www.instagram.com/p/DAbCdEfGhIj/", "instagram"),
        ("https://bsky.app/profile/lotte.bsky.social/post/3kabcdefghi2x", "bluesky"),
        ("https://schaats.example/@lotte/115343567159311096", "mastodon"),
        ("https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv", "youtube"),
        ("https://sport.example.nl/schaatsen/goud-voor-lotte", "news"),
        ("http://127.0.0.1:8000/tiktok/@lotte/video/1", "tiktok"),
    ],
)
def test_crawl_urls_go_to_the_right_spider(url: str, spider: str) -> None:
    settings = config.load(environ={"PODIUM_TIKTOK_BASE_URL": "http://127.0.0.1:8000/tiktok"})
    [job] = plan(settings, config.Roster(), urls=[url])
    assert job.spider == spider and job.args["urls"] == url


def test_plan_checks_urls_itself() -> None:
    settings = config.load(environ={})
    with pytest.raises(BadURLError) as caught:
        plan(settings, config.Roster(), urls=["https://bsky.app/profile/a/post/1", "notaurl"])
    assert str(caught.value) == "'notaurl': not a URL (give http:// or https://)"


def test_an_x_url_is_refused_unless_a_platform_is_named() -> None:
    with pytest.raises(ArchiveError, match="embed them") as caught:
        plan(config.load(environ={}), config.Roster(), urls=["https://x.com/a/status/1"])
    assert "https://x.com/a/status/1" in str(caught.value)


# --- the child -----------------------------------------------------------------------------


def test_crawl_argv_passes_the_run_the_log_level_and_the_jobs_args() -> None:
    job = CrawlJob("tiktok", {"athlete": "ana-perez", "full": "1"}, "tiktok:ana-perez")
    assert crawl_argv(job, 42, "DEBUG") == [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "tiktok",
        "-s",
        "PODIUM_CRAWL_RUN_ID=42",
        "-s",
        "LOG_LEVEL=DEBUG",
        "-a",
        "athlete=ana-perez",
        "-a",
        "full=1",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("PODIUM-PROGRESS pages=3 posts=41 errors=0", Progress(3, 41, 0)),
        ("2026-02-01 [podium] INFO: PODIUM-PROGRESS pages=12 posts=7 errors=2", Progress(12, 7, 2)),
        ("PODIUM-PROGRESS pages=3 posts=41", None),
        ("ERROR: Spider error processing <GET https://example.org>", None),
        ("", None),
    ],
    ids=["bare", "in-a-log-line", "incomplete", "a-log-line", "empty"],
)
def test_read_progress(line: str, expected: Progress | None) -> None:
    assert read_progress(line) == expected


def test_child_output_reports_progress_and_keeps_the_last_other_lines() -> None:
    job = CrawlJob("bluesky")
    reports: list[tuple[CrawlJob, Progress]] = []
    lines: list[str] = []
    output = ChildOutput(job, lambda j, p: reports.append((j, p)), lines.append)
    logged = [f"line {n}\n" for n in range(TAIL_LINES + 5)]
    output.read(["PODIUM-PROGRESS pages=1 posts=2 errors=0\n", *logged])
    output.take("PODIUM-PROGRESS pages=2 posts=9 errors=1")
    assert reports == [(job, Progress(1, 2, 0)), (job, Progress(2, 9, 1))]
    assert output.progress == Progress(2, 9, 1)
    assert lines == [line.rstrip("\n") for line in logged]
    assert output.tail == lines[-TAIL_LINES:]


def test_child_output_without_listeners_only_records() -> None:
    output = ChildOutput(CrawlJob("news"))
    output.read(
        ["PODIUM-PROGRESS pages=4 posts=0 errors=0\n", "Traceback (most recent call last)\n"]
    )
    assert output.progress == Progress(4, 0, 0)
    assert output.tail == ["Traceback (most recent call last)"]


# --- how a run is closed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exit_code", "tail", "timed_out_after", "expected"),
    [
        pytest.param(
            "running",
            -9,
            ["x"],
            1800.0,
            RunEnding("killed", "timeout after 1800 s", "killed at its timeout"),
            id="killed-at-its-timeout",
        ),
        pytest.param(
            "finished",
            0,
            [],
            29.6,
            RunEnding("killed", "timeout after 30 s", "killed at its timeout"),
            id="killed-even-when-it-had-closed-its-run",
        ),
        pytest.param(
            "running",
            1,
            ["Traceback (most recent call last)", "RuntimeError: boom", "  "],
            None,
            RunEnding("failed", "child exited with 1", "RuntimeError: boom"),
            id="died-before-closing-its-run",
        ),
        pytest.param(
            "running",
            0,
            [],
            None,
            RunEnding("failed", "child exited with 0", "no output"),
            id="exited-cleanly-but-never-closed-its-run",
        ),
        pytest.param(
            "running",
            -11,
            ["E" * 600],
            None,
            RunEnding("failed", "child exited with -11", "E" * 500),
            id="the-last-line-is-cut-to-500",
        ),
        pytest.param(
            "finished",
            1,
            ["Unhandled error in Deferred"],
            None,
            RunEnding("failed", "child exited with 1", "Unhandled error in Deferred"),
            id="closed-as-finished-then-exited-non-zero",
        ),
        pytest.param(
            "incomplete",
            2,
            [],
            None,
            RunEnding("failed", "child exited with 2", "no output"),
            id="closed-as-incomplete-then-exited-non-zero",
        ),
        pytest.param("finished", 0, ["done"], None, RunEnding(), id="finished"),
        pytest.param("incomplete", 0, [], None, RunEnding(), id="incomplete-stands"),
        pytest.param("failed", 1, ["x"], None, RunEnding(), id="its-own-failure-stands"),
        pytest.param(None, 0, [], None, RunEnding(), id="no-run-row"),
    ],
)
def test_judge_ending(
    status: str | None,
    exit_code: int,
    tail: list[str],
    timed_out_after: float | None,
    expected: RunEnding,
) -> None:
    assert judge_ending(status, exit_code, tail, timed_out_after=timed_out_after) == expected
