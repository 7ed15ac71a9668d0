"""Kill a crawl at any point, run it again plainly: the archive equals an uninterrupted crawl.

Each case SIGKILLs a real `podium crawl` of one demo spider (the parent process and its Scrapy
child together, as a power cut or the OOM killer would) at a seeded point: mid-fetch, mid-batch,
mid-commit, or just before a finished listing is recorded. The same crawl then runs again,
plainly (not ``--full``), and every table is compared by natural keys with an archive that one
uninterrupted crawl made. Two scenarios: a first crawl of an empty archive, and an incremental
crawl of the demo's "later" snapshot over a finished crawl of its "early" one (the case where a
stop rule trusting a half-stored listing lost posts for good).

Seeded (``PODIUM_RELIABILITY_SEED``) and bounded: every child has a timeout.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy as sa

from archive import config as config_mod
from archive import db, store
from archive.crawl import SPIDERS
from demo.job import demo_settings
from demo.server import DemoServer
from tests.conftest import REPO
from tests.reliability.killswitch import POINTS

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("PODIUM_RELIABILITY_SEED") or 20261203)
TIMEOUT = 180


@dataclass(frozen=True)
class Case:
    scenario: str  # "first": an empty archive; "later": incremental over a finished early crawl
    spider: str
    point: str
    fraction: float  # where in the crawl: n = ceil(fraction * how many of that point it passes)

    @property
    def id(self) -> str:
        return f"{self.scenario}-{self.spider}-{self.point}-{self.fraction:.2f}"


def _cases() -> list[Case]:
    rng = random.Random(SEED)
    cases = [Case("first", s, p, rng.random()) for s in SPIDERS for p in POINTS]
    for spider in ("bluesky", "mastodon"):
        for point in ("item", "commit"):
            cases.append(Case("later", spider, point, rng.random()))
    return cases


CASES = _cases()


# --- the world: a demo server, a template archive, the references -------------------------------


class World:
    def __init__(self, root: Path, server: DemoServer) -> None:
        self.root, self.server = root, server
        self.config = root / "config"
        self.config.mkdir()
        template_url = self.sqlite_url("template")
        self.settings, self.env = demo_settings(server, self.config, template_url)
        db.upgrade(template_url)
        engine = db.make_engine(template_url)
        store.sync_roster(engine, config_mod.load_roster(self.settings.roster_path))
        engine.dispose()
        self._references: dict[tuple[str, str], tuple[dict[str, Any], dict[str, int]]] = {}

    def sqlite_url(self, name: str) -> str:
        return f"sqlite:///{self.root / name}.db"

    def fresh(self, name: str) -> str:
        shutil.copy(self.root / "template.db", self.root / f"{name}.db")
        return self.sqlite_url(name)

    def crawl(
        self, url: str, spider: str, *, kill_at: str = "", counts: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **self.env,
            "PODIUM_CONFIG_DIR": str(self.config),
            "PODIUM_TEST_KILL_AT": kill_at,
            "PODIUM_TEST_COUNT_FILE": str(counts or ""),
            "PYTHONPATH": str(REPO),
        }
        return subprocess.run(
            [sys.executable, "-m", "tests.reliability.drive", str(self.config), url, spider],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def prepare(self, scenario: str, name: str, spider: str) -> str:
        """An archive ready for the crawl under test (the server left on its snapshot)."""
        url = self.fresh(name)
        self.server.set_snapshot("early")
        if scenario == "later":
            assert self.crawl(url, spider).returncode == 0
            self.server.set_snapshot("later")
        return url

    def reference(self, scenario: str, spider: str) -> tuple[dict[str, Any], dict[str, int]]:
        """What one uninterrupted crawl archives, and how many of each kill point it passed."""
        key = (scenario, spider)
        if key not in self._references:
            url = self.prepare(scenario, f"ref-{scenario}-{spider}", spider)
            counts = self.root / f"ref-{scenario}-{spider}.json"
            done = self.crawl(url, spider, counts=counts)
            assert done.returncode == 0, done.stderr[-2000:]
            self._references[key] = (
                content(url),
                json.loads(counts.read_text(encoding="utf-8")),
            )
        return self._references[key]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with DemoServer() as server:
        yield World(tmp_path_factory.mktemp("crash"), server)


# --- comparing archives by natural keys ---------------------------------------------------------

_POST = "p.platform || ':' || p.platform_post_id"
CONTENT = {
    "post": f"""SELECT {_POST}, p.url, p.kind, p.posted_at, p.edited_at, p.caption, p.body,
        p.source_kind, p.language, p.declared_language, p.is_repost, p.is_pinned,
        p.availability, p.views, p.likes, p.comments, p.shares, p.saves, p.normalizer_version,
        p.search_text, a.platform || ':' || coalesce(a.platform_account_id, a.handle_key),
        s.sound_key, r.sha256
        FROM post p LEFT JOIN account a ON a.id = p.account_id
        LEFT JOIN sound s ON s.id = p.sound_id LEFT JOIN raw_payload r ON r.id = p.raw_payload_id""",
    "post_version": f"""SELECT {_POST}, v.body_hash, v.source_kind, v.caption, v.body, v.edited_at
        FROM post_version v JOIN post p ON p.id = v.post_id""",
    "metric_snapshot": f"""SELECT {_POST}, m.views, m.likes, m.comments, m.shares, m.saves
        FROM metric_snapshot m JOIN post p ON p.id = m.post_id""",
    "hashtag": "SELECT key, display FROM hashtag",
    "post_hashtag": f"""SELECT {_POST}, h.key, ph.position
        FROM post_hashtag ph JOIN post p ON p.id = ph.post_id JOIN hashtag h ON h.id = ph.hashtag_id""",
    "mention": f"""SELECT {_POST}, m.platform, m.key, m.display, m.position
        FROM mention m JOIN post p ON p.id = m.post_id""",
    "sound": "SELECT platform, sound_key, platform_sound_id, title, artist, is_original FROM sound",
    "account": """SELECT a.platform, a.platform_account_id, a.handle, a.handle_key, a.display_name,
        t.slug FROM account a LEFT JOIN athlete t ON t.id = a.athlete_id""",
    "athlete": "SELECT slug, name, sport, country, languages FROM athlete",
    "article": """SELECT a.url, a.title, a.published_at, a.author, a.publisher, a.language,
        a.description, r.sha256 FROM article a LEFT JOIN raw_payload r ON r.id = a.raw_payload_id""",
    "article_embed": """SELECT a.url, e.position, e.platform, e.url, e.platform_post_id,
        p.platform || ':' || p.platform_post_id
        FROM article_embed e JOIN article a ON a.id = e.article_id
        LEFT JOIN post p ON p.id = e.post_id""",
    # Payloads of posts and articles; a problem's payload depends on where the kill fell.
    "raw_payload": """SELECT r.sha256, r.source_url, r.parser_kind, r.size FROM raw_payload r
        WHERE r.id IN (SELECT raw_payload_id FROM post UNION SELECT raw_payload_id FROM article)""",
}


def content(url: str) -> dict[str, Any]:
    """Every archive table as a sorted multiset of rows keyed by natural keys, not row ids."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        out = {
            table: sorted((tuple(map(repr, row)) for row in conn.execute(sa.text(sql))), key=str)
            for table, sql in CONTENT.items()
        }
    engine.dispose()
    return out


def runs(url: str) -> list[tuple[str, str | None]]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, finish_reason FROM crawl_run ORDER BY id"))
        out = [(r.status, r.finish_reason) for r in rows]
    engine.dispose()
    return out


# --- the cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_killed_crawl_run_again_equals_an_uninterrupted_one(world: World, case: Case) -> None:
    want, counts = world.reference(case.scenario, case.spider)
    if not counts.get(case.point):
        pytest.skip(f"an uninterrupted {case.spider} crawl never passes {case.point}")
    n = max(1, math.ceil(case.fraction * counts[case.point]))
    url = world.prepare(case.scenario, f"case-{case.id}", case.spider)
    before = len(runs(url))

    killed = world.crawl(url, case.spider, kill_at=f"{case.point}:{n}")
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-2000:])
    assert runs(url)[before][0] == "running"  # nobody could close it

    again = world.crawl(url, case.spider)  # plainly: not --full
    assert again.returncode == 0, again.stderr[-2000:]
    got = content(url)
    for table in CONTENT:
        assert got[table] == want[table], f"{table} after a kill at {case.point} #{n}"
    statuses = [status for status, _ in runs(url)[before:]]
    assert statuses[0] == "interrupted"  # closed when the next crawl opened the archive
    assert "running" not in statuses


def test_the_cases_spread_over_every_point_and_spider() -> None:
    assert len(CASES) >= 20
    assert {c.point for c in CASES} == set(POINTS)
    assert {c.spider for c in CASES} == set(SPIDERS)


# --- a callback that raises ---------------------------------------------------------------------


def test_a_spider_error_is_a_problem_and_the_run_is_not_finished(world: World) -> None:
    """A callback that raises loses what it had not yielded yet: that must never be silent, and
    the listing must be read again by the next plain crawl."""
    want, _ = world.reference("first", "bluesky")
    url = world.prepare("first", "spider-error", "bluesky")
    os.environ["PODIUM_TEST_RAISE_AT"] = "2"
    try:
        hurt = world.crawl(url, "bluesky")
    finally:
        del os.environ["PODIUM_TEST_RAISE_AT"]
    assert hurt.returncode == 0 and hurt.stdout.strip() == "incomplete", hurt.stderr[-2000:]
    engine = db.make_engine(url)
    with engine.connect() as conn:
        problems = conn.execute(
            sa.text("SELECT reason, source_url, raw_payload_id FROM problem")
        ).all()
        run = conn.execute(sa.text("SELECT status, errors, problems FROM crawl_run")).one()
    engine.dispose()
    bugs = [p for p in problems if "RuntimeError: a spider bug" in p.reason]
    assert len(bugs) == 1, problems
    [problem] = bugs
    assert "RuntimeError: a spider bug" in problem.reason
    assert "getAuthorFeed" in problem.source_url and problem.raw_payload_id is not None
    assert run.status == "incomplete" and run.problems == len(problems)
    assert "the listing broke off" in run.errors

    assert world.crawl(url, "bluesky").returncode == 0
    got = content(url)
    assert got["post"] == want["post"]


# --- the parent dies: its crawl stops -----------------------------------------------------------


def test_a_crawl_whose_parent_was_killed_stops_and_is_closed_interrupted(
    world: World, tmp_path: Path
) -> None:
    config = tmp_path / "slow"
    shutil.copytree(world.config, config)
    toml = (config / "podium.toml").read_text(encoding="utf-8")
    (config / "podium.toml").write_text(
        toml.replace("download_delay = 0.0", "download_delay = 1.0"), encoding="utf-8"
    )
    url = world.fresh("orphan")
    world.server.set_snapshot("early")
    env = {**os.environ, **world.env, "PODIUM_CONFIG_DIR": str(config)}
    parent = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "crawl", "--platform", "bluesky", "--db", url],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        child = _wait_for_child(parent.pid)
        time.sleep(2.0)  # let it fetch and store something
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        gone, alive = psutil.wait_procs([child], timeout=45)
        assert child in gone and not alive, "the crawl outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
    assert runs(url) == [("interrupted", "parent_died")]


def _wait_for_child(pid: int) -> psutil.Process:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = psutil.Process(pid).children()
        scrapy = [k for k in kids if "scrapy" in " ".join(k.cmdline())]
        if scrapy:
            return scrapy[0]
        time.sleep(0.1)
    raise AssertionError("podium crawl started no Scrapy child")


def test_status_closes_a_run_whose_process_is_gone(world: World) -> None:
    url = world.fresh("status")
    engine = db.make_engine(url)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = store.start_crawl_run(
        engine, spider="bluesky", target="bluesky:x", athlete_slug=None, full_sweep=False
    )
    mine = store.start_crawl_run(
        engine, spider="mastodon", target="mastodon:x", athlete_slug=None, full_sweep=False
    )
    with db.writer(engine).begin() as conn:
        conn.execute(
            sa.text("UPDATE crawl_run SET pid = :pid WHERE id = :id"),
            {"pid": dead.pid, "id": run_id},
        )
    engine.dispose()
    env = {**os.environ, **world.env, "PODIUM_CONFIG_DIR": str(world.config)}
    shown = subprocess.run(
        [sys.executable, "-m", "archive.cli", "status", "--db", url, "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert [s for s, _ in runs(url)] == ["interrupted", "running"]  # this process still runs
    assert mine == run_id + 1
