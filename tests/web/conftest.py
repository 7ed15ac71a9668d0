"""The demo archive once per session (``podium demo``), with hostile posts added, and a real
``podium serve`` (uvicorn) on a free port over it."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from archive import config as config_mod
from archive import db, store
from archive.normalize import normalize_post
from archive.records import RawArticle, RawEmbed, RawPost, RawSound
from demo.job import DEMO_CONFIG
from demo.site import roster_toml

REPO = Path(__file__).resolve().parents[2]

#: What the hostile captions and names try: change the title, open a dialog, add an element.
PWNED = "document.title='pwned';document.body.setAttribute('data-pwned','1')"
HOSTILE_NAME = f"<img src=x onerror=\"{PWNED};alert('name')\">Eve Hostile"
SCRIPT_CAPTION = f"<script>{PWNED};alert('script')</script> Goud op de 500m! #xsstest @eve.hostile"
ONERROR_CAPTION = f"<img src=x onerror=\"{PWNED};alert('onerror')\"> zilver #xsstest"
LINK_CAPTION = "<a href=\"javascript:alert('link')\">klik</a> brons #xsstest"
EDITED_CAPTION = SCRIPT_CAPTION.replace("Goud op de 500m!", "Goud op de 1000m! <b>bold</b>")
JS_URL = "javascript:alert('url')"
HOSTILE_SLUG = "eve-hostile"


@dataclass(frozen=True)
class DemoArchive:
    """The archive's URL, the config folder ``podium serve`` reads, and the hostile posts' ids."""

    url: str
    config_dir: Path
    hostile: dict[str, int]


def _add_hostile(url: str) -> dict[str, int]:
    """An athlete with a hostile name and three hostile posts (one edited, one with a
    javascript: URL, one embedded in an article whose link is javascript:)."""
    engine = db.make_engine(url)
    roster = config_mod.Roster(
        athletes=(
            config_mod.AthleteConfig(
                slug=HOSTILE_SLUG,
                name=HOSTILE_NAME,
                sport="<b>skating</b>",
                country="NL",
                accounts=(config_mod.AccountConfig("tiktok", "eve.hostile"),),
            ),
        )
    )
    store.sync_roster(engine, roster)
    first = datetime(2026, 2, 10, 9, tzinfo=UTC)
    later = datetime(2026, 2, 11, 9, tzinfo=UTC)

    def raw(pid: str, caption: str, url: str, likes: int) -> RawPost:
        return RawPost(
            platform="tiktok",
            platform_post_id=pid,
            url=url,
            author_handle="eve.hostile",
            posted_at=datetime(2026, 2, 9, 20, tzinfo=UTC),
            caption=caption,
            counts={"likes": likes, "views": likes * 10},
            sound=RawSound("<script>alert('sound')</script>", "Eve", False, "9900000000000000001"),
        )

    posts = [
        raw("990001", SCRIPT_CAPTION, "https://www.tiktok.com/@eve.hostile/video/990001", 5),
        raw("990002", ONERROR_CAPTION, JS_URL, 7),
        raw("990003", LINK_CAPTION, "https://www.tiktok.com/@eve.hostile/video/990003", 9),
    ]
    result = store.upsert_posts(engine, [normalize_post(p, fetched_at=first) for p in posts])
    edited = raw("990001", EDITED_CAPTION, "https://www.tiktok.com/@eve.hostile/video/990001", 50)
    store.upsert_posts(engine, [normalize_post(edited, fetched_at=later)])
    article = RawArticle(
        url="javascript:alert('article')",
        title="<script>alert('article')</script>Nieuws",
        embeds=[
            RawEmbed("tiktok", "https://www.tiktok.com/@eve.hostile/video/990001", "990001", 0)
        ],
    )
    store.upsert_article(engine, article, published_at=later, observed_at=later)
    engine.dispose()
    return {
        "script": result.post_ids[("tiktok", "990001")],
        "onerror": result.post_ids[("tiktok", "990002")],
        "link": result.post_ids[("tiktok", "990003")],
    }


def _build_demo(folder: Path) -> Path:
    """``podium demo`` into ``folder/demo.db`` once, however many pytest-xdist workers ask
    (a file lock in the folder they share); later callers get the built file."""
    folder.mkdir(parents=True, exist_ok=True)
    built = folder / "demo.db"
    with (folder / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "built").exists():
            return built
        prebuilt = os.environ.get("PODIUM_TEST_DEMO_DB")
        if prebuilt:  # a `podium demo` archive built earlier: saves minutes when iterating
            shutil.copyfile(prebuilt, built)
        else:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "archive.cli",
                    "demo",
                    "--db",
                    f"sqlite:///{built}",
                    "-o",
                    str(folder / "out"),
                ],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert done.returncode == 0, done.stderr[-3000:]
        (folder / "built").touch()
    return built


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DemoArchive:
    """``podium demo`` (built once per run), copied into this worker's own folder, plus the
    hostile posts."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # pytest-xdist: each worker has a base under a shared one
        shared = shared.parent
    built = _build_demo(shared / "web-demo-build")
    folder = tmp_path_factory.mktemp("web-demo")
    con = sqlite3.connect(built)  # a consistent copy of the WAL database
    try:
        con.execute("VACUUM INTO ?", (str(folder / "demo.db"),))
    finally:
        con.close()
    url = f"sqlite:///{folder / 'demo.db'}"
    config_dir = folder / "config"
    config_dir.mkdir()
    (config_dir / "podium.toml").write_text(DEMO_CONFIG, encoding="utf-8")
    (config_dir / "athletes.toml").write_text(roster_toml("http://127.0.0.1:9"), encoding="utf-8")
    return DemoArchive(url, config_dir, _add_hostile(url))


def free_port() -> int:
    """A TCP port nothing listens on (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    """A running ``podium serve``."""

    base: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="session")
def live_server(
    demo_archive: DemoArchive, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``podium serve`` (uvicorn) over the demo archive on a free port, stopped after."""
    port = free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archive.cli",
            "--config",
            str(demo_archive.config_dir),
            "serve",
            "--db",
            demo_archive.url,
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/api/athletes", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"podium serve did not start: {Path(log.name).read_text()[-2000:]}")
        time.sleep(0.3)
    try:
        yield LiveServer(base, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
