"""What Podium exposes (issue 8): no crawl listens on a port, no message shows a database
password, and no export lets a caption spoof the page around it or carry control characters.

The crawl is a real child (`python -m scrapy crawl bluesky`) against a local HTTP server that
holds its first request open, so the crawl is certainly running while its sockets are listed
(from /proc: psutil is not a dependency). Checked by hand the other way round: with a settings
module that turns the extensions back on, the same listing shows the telnet console's port and
RemoteControl's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.conf import build_component_list
from scrapy.utils.project import get_project_settings
from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive import db, store
from archive.cli import cli
from archive.config import AccountConfig, AthleteConfig, Roster
from archive.crawl import CrawlJob, run_crawl_job
from archive.errors import DatabaseError
from archive.export import FORMATS, export_timeline
from archive.normalize import normalize_post
from archive.records import RawArticle, RawEmbed, RawPost, RawSound
from tests.test_scheduler import Account, write_config

REPO = Path(__file__).resolve().parent.parent.parent
LISTENING_EXTENSIONS = (
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
)

# --- listening sockets, from /proc ---------------------------------------------------------------

_TCP_LISTEN = "0A"
_UDP_UNCONNECTED = "07"


def _table(pid: int, name: str) -> dict[int, tuple[str, str, str]]:
    """Socket inode -> (local address, remote address, state) for /proc/<pid>/net/<name>."""
    rows: dict[int, tuple[str, str, str]] = {}
    try:
        lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
    except OSError:
        return rows
    for line in lines:
        fields = line.split()
        rows[int(fields[9])] = (fields[1], fields[2], fields[3])
    return rows


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def listening(pid: int) -> list[str]:
    """The ports a process listens on: TCP sockets in LISTEN, UDP sockets bound but unconnected."""
    mine = _socket_inodes(pid)
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for inode, (local, remote, state) in _table(pid, proto).items():
            if inode not in mine:
                continue
            port = int(local.rsplit(":", 1)[1], 16)
            tcp_listen = proto.startswith("tcp") and state == _TCP_LISTEN
            udp_bound = (
                proto.startswith("udp")
                and state == _UDP_UNCONNECTED
                and port
                and not remote.strip("0:")
            )
            if tcp_listen or udp_bound:
                found.append(f"{proto} port {port}")
    return found


def children_of(pid: int) -> list[int]:
    """Every descendant of a process (from /proc/<pid>/stat)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text[text.rfind(")") + 2 :].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# --- 1. no crawl listens on any port -------------------------------------------------------------


class HeldServer:
    """A local HTTP server that holds every request open until ``release()``, then 404s."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requested.set()
                server.released.wait(60)
                body = b'{"error": "NotFound"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HeldServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_the_socket_listing_sees_a_listening_port() -> None:
    """The check below is only worth something if it finds a port that is open."""
    with HeldServer() as server:
        assert f"tcp port {server.port}" in listening(os.getpid())


@pytest.mark.slow
def test_a_running_crawl_listens_on_no_port(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.upgrade(sqlite_url)
    folder = write_config(tmp_path / "config", accounts=(Account("ana", "ana.bsky.example"),))
    with HeldServer() as server:
        monkeypatch.setenv("PODIUM_BLUESKY_BASE_URL", f"http://127.0.0.1:{server.port}")
        settings = config_mod.load(folder, database_url=sqlite_url)
        engine = db.make_engine(sqlite_url)
        store.sync_roster(engine, config_mod.load_roster(settings.roster_path))
        engine.dispose()
        outcome: list[Any] = []
        crawl = threading.Thread(
            target=lambda: outcome.append(
                run_crawl_job(CrawlJob("bluesky", {}, "bluesky:test"), settings, timeout=120)
            ),
            daemon=True,
        )
        crawl.start()
        assert server.requested.wait(90), "the crawl never reached the local server"
        crawls = [p for p in children_of(os.getpid()) if "scrapy crawl" in _cmdline(p)]
        assert crawls, "no child crawl found"
        # The engine has started (it is fetching): extensions that listen are up by now. Look a
        # few times, in case one started late.
        for _ in range(5):
            for pid in crawls + [c for p in crawls for c in children_of(p)]:
                assert listening(pid) == [], f"crawl {pid} ({_cmdline(pid)}) listens"
            time.sleep(0.2)
        server.released.set()
        crawl.join(120)
    assert outcome and outcome[0].exit_code is not None, "the crawl did not end"


def test_project_settings_turn_off_every_listening_extension(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert not set(LISTENING_EXTENSIONS) & set(
        build_component_list(settings.getwithbase("EXTENSIONS"))
    )
    # A flag turned back on (`-s REMOTE_CONTROL_ENABLED=True`) does not bring them back, and
    # no spider's custom_settings does either.
    settings.set("REMOTE_CONTROL_ENABLED", True, priority="cmdline")
    settings.set("TELNETCONSOLE_ENABLED", True, priority="cmdline")
    loader = get_spider_loader(settings)
    for name in loader.list():
        spider_settings = settings.copy()
        loader.load(name).update_settings(spider_settings)
        enabled = build_component_list(spider_settings.getwithbase("EXTENSIONS"))
        assert not set(LISTENING_EXTENSIONS) & set(enabled), name


# --- 2. no password in a message about a database URL --------------------------------------------

PASSWORD = "s3cret"
MALFORMED_URLS = [
    "postgresql+psycopg://postgres:s3cret@127.0.0.1:notaport/podium",
    "postgresql+psycopg//postgres:s3cret@127.0.0.1/podium",
    "nosuchdialect://postgres:s3cret@127.0.0.1/podium",
    "postgresql+psycopg://postgres:s3cret@[::1/podium",
    "postgresql+psycopg://postgres:s3cret@@127.0.0.1:1/podium",
    "postgresql+psycopg://postgres:s3cret/x@127.0.0.1:1/podium",
    "postgresql+psycopg://postgres:s3cret@127.0.0.1:99999/podium",
    "postgres:s3cret@127.0.0.1/podium",
]
GOOD_URLS = [
    "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/podium",  # nothing listens there
    "postgresql+psycopg://postgres:s3cret@127.0.0.1:5432/podium_exposure_no_such_db",
    "postgresql+psycopg://postgres@127.0.0.1:1/podium?password=s3cret",
]
URLS = MALFORMED_URLS + GOOD_URLS
PODIUM_COMMANDS = [
    ["init"],
    ["status"],
    ["search", "goud"],
    ["crawl"],
    ["athletes", "list"],
]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return write_config(tmp_path / "config", accounts=(Account("ana", "ana.bsky.example"),))


def assert_one_clean_line(exit_code: int, stdout: str, stderr: str) -> None:
    assert exit_code != 0, stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert PASSWORD not in stderr and PASSWORD not in stdout, stderr


@pytest.mark.parametrize("url", URLS)
def test_safe_url_masks_the_password(url: str) -> None:
    assert PASSWORD not in db.safe_url(url)
    assert db.safe_url(url).count("***") == 1
    assert PASSWORD not in make_engine_error(url)


def make_engine_error(url: str) -> str:
    """make_engine's message about a URL ('' when SQLAlchemy took it)."""
    try:
        engine = db.make_engine(url)
    except DatabaseError as exc:
        return str(exc)
    engine.dispose()
    return ""


def test_settings_repr_masks_the_password(config_dir: Path) -> None:
    settings = config_mod.load(config_dir, database_url=GOOD_URLS[0])
    assert PASSWORD not in repr(settings)
    assert settings.database_url == GOOD_URLS[0]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("command", PODIUM_COMMANDS, ids=" ".join)
def test_podium_commands_show_no_password(
    command: list[str], url: str, config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config_dir), *command, "--db", url])
    assert_one_clean_line(result.exit_code, result.stdout, result.stderr)


def _run(argv: list[str], config_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_CONFIG_DIR"] = str(config_dir)
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("url", URLS)
def test_scheduler_shows_no_password(url: str, config_dir: Path, tmp_path: Path) -> None:
    done = _run([sys.executable, str(REPO / "scheduler.py"), "--db", url], config_dir, tmp_path)
    assert_one_clean_line(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("url", URLS)
def test_podium_schedule_shows_no_password(url: str, config_dir: Path, tmp_path: Path) -> None:
    # `podium schedule` becomes scheduler.py (execve): a subprocess, not CliRunner.
    argv = [sys.executable, "-c", "from archive.cli import main; main()", "schedule", "--db", url]
    done = _run(argv, config_dir, tmp_path)
    assert_one_clean_line(done.returncode, done.stdout, done.stderr)


# --- 3. exports: bidi isolation, no control characters -------------------------------------------

SPOOF = (
    "Gold for \u202egnp.exe\u202c today \u2066isolated\u2069 \u2067rtl\u2069 "
    "\u2068first\u2069 nul:\x00 bell:\x07 end"
)
SPOOF_SHOWN = SPOOF.replace("\x00", "\ufffd").replace("\x07", "\ufffd")
EVIL_NAME = "Ana \u202eSNEP\u2069 Ruiz\x00"
ROSTER = Roster(
    (
        AthleteConfig(
            "ana-ruiz",
            EVIL_NAME,
            "judo \u202e",
            "ES",
            accounts=(AccountConfig("tiktok", "ana.ruiz"),),
        ),
    )
)
SEEN = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def spoofed(sqlite_engine: Engine) -> Engine:
    """One post whose caption, versions, tags, sound and article title carry spoofing text."""
    store.sync_roster(sqlite_engine, ROSTER)
    first = RawPost(
        platform="tiktok",
        platform_post_id="1",
        url="https://example.org/tiktok/1",
        author_handle="ana.ruiz",
        posted_at=datetime(2026, 2, 1, 10, tzinfo=UTC),
        caption="Gold for today",
        counts={"likes": 1},
        sound=RawSound(title="Song \u202e\x00", artist="\u2066DJ"),
    )
    edited = RawPost(
        platform="tiktok",
        platform_post_id="1",
        url="https://example.org/tiktok/1",
        author_handle="ana.ruiz",
        posted_at=datetime(2026, 2, 1, 10, tzinfo=UTC),
        caption=SPOOF + " #goud\u202e @femke\u2069",
        counts={"likes": 2},
        sound=RawSound(title="Song \u202e\x00", artist="\u2066DJ"),
    )
    store.upsert_posts(sqlite_engine, [normalize_post(first, fetched_at=SEEN)])
    store.upsert_posts(sqlite_engine, [normalize_post(edited, fetched_at=SEEN.replace(day=2))])
    store.upsert_article(
        sqlite_engine,
        RawArticle(
            url="https://news.example.org/a",
            title="Title \u202e\x00 spoof",
            embeds=[RawEmbed("tiktok", "https://example.org/tiktok/1", "1", 0)],
        ),
        published_at=SEEN,
        observed_at=SEEN,
    )
    return sqlite_engine


def exported(engine: Engine, fmt: str) -> bytes:
    return "".join(export_timeline(engine, "ana-ruiz", fmt=fmt)).encode("utf-8")


def _isolated(el: Any) -> bool:
    return el.tag == "bdi" or el.get("dir") is not None


def _inside_isolation(el: Any) -> bool:
    return any(_isolated(e) for e in (el, *el.iterancestors()))


def test_every_format_is_free_of_control_characters(spoofed: Engine) -> None:
    for fmt in FORMATS:
        data = exported(spoofed, fmt)
        assert b"\x00" not in data, fmt
        assert not [c for c in data.decode("utf-8") if ord(c) < 32 and c not in "\t\n\r"], fmt
        assert b"\\u0000" not in data and b"\\u0007" not in data, fmt
    post = json.loads(exported(spoofed, "json"))["posts"][0]
    assert post["caption"].startswith(SPOOF_SHOWN)
    assert json.loads(exported(spoofed, "ndjson"))["caption"].startswith(SPOOF_SHOWN)
    row = next(csv.DictReader(io.StringIO(exported(spoofed, "csv").decode().lstrip("\ufeff"))))
    assert row["caption"].startswith(SPOOF_SHOWN)


def test_html_isolates_every_caption_and_name(spoofed: Engine) -> None:
    page = lxml.html.document_fromstring(exported(spoofed, "html").decode("utf-8"))
    captions = page.find_class("caption")
    assert len(captions) == 3  # the card's caption and its two versions
    for el in captions:
        assert _isolated(el), lxml.html.tostring(el)
    texts = [el.text_content() for el in captions]
    assert texts[0].startswith(SPOOF_SHOWN)  # preserved, bidi controls and all
    assert texts[1] == "Gold for today"
    # Names and other platform text: each inside an isolating element.
    for text in ("Ana \u202eSNEP\u2069 Ruiz\ufffd", "judo \u202e", "ana.ruiz", "goud", "femke"):
        holders = [
            el for el in page.iter() if el.text and text in el.text and el.tag not in ("title",)
        ]
        assert holders, text
        assert all(_isolated(el) for el in holders), text
    # Every piece of text with a bidi control sits inside an isolating element (tails belong to
    # the parent); the page's <title> has its own plain-text isolation, checked below.
    for el in page.iter():
        for value, holder in ((el.text, el), (el.tail, el.getparent())):
            if value and any(c in value for c in "\u202a\u202e\u2066\u2067\u2068\u2069"):
                assert holder is not None
                assert holder.tag == "title" or _inside_isolation(holder), (holder.tag, value)
    title = page.find(".//title").text
    assert title.startswith("\u2068Ana SNEP Ruiz\ufffd\u2069")  # FSI…PDI, controls inside gone
    sound = page.find_class("sound")[0]
    assert [b.text for b in sound.iter("bdi")] == ["Song \u202e\ufffd", "\u2066DJ"]
    articles = [a for a in page.iter("a") if "news.example.org" in a.get("href", "")]
    assert [a.text_content() for a in articles] == ["Title \u202e\ufffd spoof"]
    assert all(a.find("bdi") is not None for a in articles)


def test_no_nul_in_html_even_from_the_athlete_row(spoofed: Engine) -> None:
    data = exported(spoofed, "html")
    assert b"\x00" not in data
    assert "Ana \u202eSNEP\u2069 Ruiz\ufffd".encode() in data
