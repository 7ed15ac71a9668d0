"""``podium serve`` over plain HTTP (Starlette's TestClient, in process): every route, bad
parameters, escaping, the security headers, read-only, the JSON API's shapes."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from archive import config as config_mod
from archive.cli import cli
from archive.web import create_app, read_only_engine
from archive.web.app import CSP
from archive.web.recent import Recent
from archive.web.text import caption_diff, is_http
from tests.web.conftest import HOSTILE_SLUG, DemoArchive

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def ro_engine(demo_archive: DemoArchive) -> Iterator[Engine]:
    engine = read_only_engine(demo_archive.url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def client(demo_archive: DemoArchive, ro_engine: Engine) -> TestClient:
    settings = config_mod.load(demo_archive.config_dir, database_url=demo_archive.url)
    roster = config_mod.load_roster(settings.roster_path)
    return TestClient(create_app(ro_engine, settings, roster))


def first_post_id(client: TestClient, slug: str = "lotte-van-dijk") -> int:
    return int(client.get(f"/api/athletes/{slug}").json()["posts"][0]["id"])


def first_sound_id(client: TestClient) -> int:
    return int(client.get("/api/athletes/lotte-van-dijk").json()["top"]["sounds"][0]["id"])


# --- every page ------------------------------------------------------------------------------


def test_home_lists_the_athletes_with_links(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert 'href="/athletes/lotte-van-dijk"' in r.text
    assert "Haruka Aoyama" in r.text


def test_search_shows_total_highlights_and_downloads(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": "schaatsen"}).json()
    assert api["total"] > 0
    r = client.get("/search", params={"q": "schaatsen"})
    assert r.status_code == 200
    assert f"<strong>{api['total']:,}</strong>" in r.text
    assert re.search(r"<mark>schaatsen</mark>", r.text, re.IGNORECASE)
    assert 'href="/search.csv?q=schaatsen"' in r.text
    assert f'href="/posts/{api["results"][0]["post_id"]}"' in r.text


def test_search_pages_differ_and_stop_at_the_last(client: TestClient) -> None:
    one = client.get("/api/search", params={"q": "#schaatsen", "sort": "date"}).json()
    assert one["pages"] >= 2, "the demo has more than one page of #schaatsen"
    two = client.get("/api/search", params={"q": "#schaatsen", "sort": "date", "page": 2}).json()
    ids_one = {h["post_id"] for h in one["results"]}
    ids_two = {h["post_id"] for h in two["results"]}
    assert ids_one and ids_two and not ids_one & ids_two
    html = client.get("/search", params={"q": "#schaatsen", "sort": "date"}).text
    assert 'rel="next" href="/search?q=%23schaatsen&amp;sort=date&amp;page=2"' in html


def test_a_hashtag_alone_is_a_search(client: TestClient) -> None:
    by_tag = client.get("/api/search", params={"hashtag": "schaatsen"}).json()
    by_q = client.get("/api/search", params={"q": "#schaatsen"}).json()
    assert by_tag["total"] == by_q["total"] > 0


def test_search_without_words_shows_the_form_and_athletes(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 200
    assert 'name="q"' in r.text and 'href="/athletes/lotte-van-dijk"' in r.text


def test_athlete_page_has_chart_accounts_tops_and_posts(client: TestClient) -> None:
    data = client.get("/api/athletes/lotte-van-dijk").json()
    r = client.get("/athletes/lotte-van-dijk")
    assert r.status_code == 200
    assert "<h1" in r.text and "Lotte van Dijk" in r.text
    assert '<svg viewBox="0 0 860' in r.text  # the export's posting-rhythm chart
    assert (
        data["top"]["hashtags"] and f"#<bdi>{data['top']['hashtags'][0]['display']}</bdi>" in r.text
    )
    assert {a["platform"] for a in data["accounts"]} == {
        "tiktok",
        "instagram",
        "bluesky",
        "mastodon",
        "youtube",
    }
    assert all(a["health"]["state"] for a in data["accounts"])
    assert len(data["posts"]) == 30 and data["next_after"] == data["posts"][-1]["id"]
    posted = [p["posted_at"] for p in data["posts"] if p["posted_at"]]
    assert posted == sorted(posted, reverse=True)


def test_athlete_timeline_continues_with_older_posts(client: TestClient) -> None:
    one = client.get("/api/athletes/lotte-van-dijk").json()
    two = client.get("/api/athletes/lotte-van-dijk", params={"after": one["next_after"]}).json()
    assert two["posts"]
    assert not {p["id"] for p in one["posts"]} & {p["id"] for p in two["posts"]}
    assert two["posts"][0]["posted_at"] <= one["posts"][-1]["posted_at"]


def test_athlete_filters_narrow_posts_chart_and_tops(client: TestClient) -> None:
    every = client.get("/api/athletes/lotte-van-dijk").json()
    tiktok = client.get("/api/athletes/lotte-van-dijk", params={"platform": "tiktok"}).json()
    assert {p["platform"] for p in tiktok["posts"]} == {"tiktok"}
    assert {w["platform"] for w in tiktok["weeks"]} == {"tiktok"}
    assert 0 < tiktok["total"] < every["total"]
    nl = client.get("/api/athletes/lotte-van-dijk", params={"lang": "nl"}).json()
    assert nl["posts"] and {p["language"] for p in nl["posts"]} <= {"nl", "und"}
    dated = client.get(
        "/api/athletes/lotte-van-dijk", params={"since": "2026-01-01", "until": "2026-01-31"}
    ).json()
    assert all("2026-01-01" <= p["posted_at"][:10] <= "2026-01-31" for p in dated["posts"])


def test_post_page_shows_history_counts_tags_articles(
    client: TestClient, demo_archive: DemoArchive
) -> None:
    pid = demo_archive.hostile["script"]
    data = client.get(f"/api/posts/{pid}").json()
    assert len(data["versions"]) == 2 and data["edits"] == 1
    changes = [(p["kind"], p["text"]) for p in data["versions"][1]["changes"]]
    assert [c for c in changes if c[0] != "same"] == [
        ("removed", "500m"),
        ("added", "1000m"),
        ("added", " <b>bold</b>"),
    ]
    assert len(data["snapshots"]) == 2
    assert data["hashtags"] == ["xsstest"] and data["mentions"] == ["eve.hostile"]
    assert data["articles"][0]["title"].startswith("<script>")
    r = client.get(f"/posts/{pid}")
    assert r.status_code == 200
    assert "<del>500m</del><ins>1000m</ins>" in r.text
    assert "<ins> &lt;b&gt;bold&lt;/b&gt;</ins>" in r.text
    assert 'href="/search?q=%23xsstest&amp;sort=date"' in r.text
    assert 'href="/search?q=%40eve.hostile&amp;sort=date"' in r.text
    assert f'href="/sounds/{data["sound"]["id"]}"' in r.text
    assert 'class="spark"' in r.text and 'class="avail"' in r.text


def every_post(client: TestClient, slug: str) -> list[dict]:  # type: ignore[type-arg]
    """The athlete's whole timeline, page after page."""
    posts, after = [], None
    while True:
        page = client.get(f"/api/athletes/{slug}", params={"after": after} if after else {})
        posts += page.json()["posts"]
        after = page.json()["next_after"]
        if after is None:
            return posts


def test_paging_walks_each_timeline_once(client: TestClient) -> None:
    for athlete in client.get("/api/athletes").json():
        posts = every_post(client, athlete["slug"])
        assert len(posts) == len({p["id"] for p in posts}) == athlete["posts"], athlete["slug"]


def test_a_deleted_post_says_when_it_was_found_missing(client: TestClient) -> None:
    deleted = [
        p["id"]
        for athlete in client.get("/api/athletes").json()
        for p in every_post(client, athlete["slug"])
        if p["availability"] == "deleted"
    ]
    assert deleted, "the demo's later snapshot deletes posts"
    avail = client.get(f"/api/posts/{deleted[0]}").json()["availability"]
    assert avail["state"] == "deleted"
    assert avail["missing_since"] > avail["last_seen_at"]
    html = client.get(f"/posts/{deleted[0]}").text
    assert "found missing by the full sweep of" in html
    assert html.count('fill="#c53030"') == 1  # the deleted stretch of the band


def test_sound_page_lists_its_posts(client: TestClient) -> None:
    sid = first_sound_id(client)
    data = client.get(f"/api/sounds/{sid}").json()
    assert data["sound"]["id"] == sid and data["sound"]["posts"] >= len(data["posts"]) > 0
    assert client.get(f"/sounds/{sid}").status_code == 200


def test_status_page_shows_sources_accounts_and_runs(client: TestClient) -> None:
    data = client.get("/api/status").json()
    assert data["runs"] and data["accounts"] and data["targets"]
    r = client.get("/status")
    assert r.status_code == 200
    assert f'<td class="num">{data["runs"][0]["id"]}</td>' in r.text
    assert "lotte-van-dijk" in r.text


# --- headers, methods, read-only -------------------------------------------------------------

ROUTES = [
    "/",
    "/search?q=goud",
    "/athletes/lotte-van-dijk",
    "/status",
    "/api/athletes",
    "/api/status",
    "/static/style.css",
    "/posts/999999999",
    "/nowhere",
]


@pytest.mark.parametrize("path", ROUTES)
def test_every_response_carries_the_csp(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-security-policy"] == CSP
    assert "script-src 'none'" in CSP and "unsafe-inline" not in CSP
    assert r.headers["x-content-type-options"] == "nosniff"


def test_pages_carry_no_script_and_nothing_from_elsewhere(client: TestClient) -> None:
    for path in ("/", "/search?q=goud", "/athletes/lotte-van-dijk", "/status"):
        html = client.get(path).text
        assert "<script" not in html.lower()
        loaded = re.findall(r'\ssrc="([^"]*)"', html) + re.findall(
            r'<link[^>]*href="([^"]*)"', html
        )
        assert loaded and all(u.startswith("/static/") for u in loaded), (path, loaded)
        assert " style=" not in html and "<style" not in html  # the CSP forbids inline styles


def test_no_route_writes(client: TestClient) -> None:
    for route in client.app.routes:  # type: ignore[attr-defined]
        methods = getattr(route, "methods", None)
        if methods is not None:
            assert set(methods) <= {"GET", "HEAD"}, route.path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = client.request(method, "/search?q=goud")
        assert r.status_code == 405 and "read-only" in r.text


def test_the_archive_is_opened_read_only(ro_engine: Engine) -> None:
    with ro_engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.exec_driver_sql("CREATE TABLE web_probe (x INTEGER)")


def test_serve_binds_to_localhost_by_default() -> None:
    serve = cli.commands["serve"]
    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"
    r = CliRunner().invoke(cli, ["serve", "--help"])
    assert r.exit_code == 0 and "127.0.0.1" in r.output


def test_serve_refuses_a_missing_archive_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(cli, ["serve", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert r.exit_code == 1
    assert "no archive at" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "none.db").exists()


# --- bad parameters --------------------------------------------------------------------------

BAD = [
    ("/search?q=goud&since=2026-02-30", 400, "not a date"),
    ("/search?q=goud&since=2026-03-01&until=2026-02-01", 400, "after until"),
    ("/search?q=goud&platform=myspace", 400, "unknown platform"),
    ("/search?q=goud&lang=xx1", 400, "not a language code"),
    ("/search?q=goud&sort=random", 400, "unknown sort"),
    ("/search?q=goud&page=0", 400, "page"),
    ("/search?q=goud&page=abc", 400, "page"),
    ("/search?q=goud&page=26", 400, "page"),
    ("/search?q=goud&hashtag=a%20b", 400, "not one hashtag"),
    ("/search?q=-training", 400, "exclusions only"),
    ("/search?q=" + "a" * 600, 400, "q"),
    ("/search?q=goud&athlete=lotte", 404, "did you mean"),
    ("/search?platform=tiktok", 400, "nothing to search for"),
    ("/search.csv?platform=tiktok", 400, "nothing to search for"),
    ("/search.csv?q=goud&limit=0", 400, "limit"),
    ("/search.ndjson?q=goud&limit=100001", 400, "limit"),
    ("/athletes/nobody", 404, "no athlete"),
    ("/athletes/lotte-van-dijk?after=abc", 400, "after"),
    ("/athletes/lotte-van-dijk?after=99999999", 400, "no post 99999999"),
    (f"/athletes/lotte-van-dijk?after={2**70}", 400, "after"),
    ("/athletes/lotte-van-dijk?since=yesterday", 400, "not a date"),
    ("/posts/abc", 400, "post_id"),
    ("/posts/0", 400, "post_id"),
    (f"/posts/{2**70}", 400, "post_id"),
    ("/posts/99999999", 404, "no post 99999999"),
    ("/sounds/99999999", 404, "no sound"),
    ("/status?runs=0", 400, "runs"),
    ("/api/runs?platform=myspace", 400, "unknown spider"),
    ("/api/search", 400, "nothing to search for"),
]


@pytest.mark.parametrize(("path", "status", "message"), BAD)
def test_bad_parameters_are_4xx_with_a_message(
    client: TestClient, path: str, status: int, message: str
) -> None:
    page = client.get(path)
    assert page.status_code == status, page.text[:500]
    if path.startswith("/api/"):
        assert message in page.json()["error"]
        return
    assert "text/html" in page.headers["content-type"]
    assert message in page.text
    base, _, query = path.partition("?")
    if not base.startswith("/search."):
        api = client.get("/api" + base + ("?" + query if query else ""))
        assert api.status_code == status and message in api.json()["error"]


def test_odd_input_is_never_a_server_error(client: TestClient) -> None:
    for q in ("%00", "%ff%fe", "%ed%a0%80", '"', "*", "OR", "@", "#", "五輪", "😀", "' OR 1=1 --"):
        for path in (f"/search?q={q}", f"/api/search?q={q}", f"/search?q=x&sound={q}"):
            r = client.get(path)
            assert r.status_code < 500, (path, r.text[:300])


# --- escaping ----------------------------------------------------------------------------------


def test_hostile_names_and_captions_are_escaped(
    client: TestClient, demo_archive: DemoArchive
) -> None:
    pages = [
        f"/athletes/{HOSTILE_SLUG}",
        "/search?q=%23xsstest&sort=date",
        "/",
        *(f"/posts/{pid}" for pid in demo_archive.hostile.values()),
    ]
    for path in pages:
        html = client.get(path).text
        assert "<script>" not in html and "<img src=x" not in html, path
        assert 'href="javascript:' not in html.lower(), path
        assert "<b>bold" not in html and "<b>skating" not in html, path
    athlete = client.get(f"/athletes/{HOSTILE_SLUG}").text
    assert "&lt;img src=x onerror=" in athlete
    post = client.get(f"/posts/{demo_archive.hostile['script']}").text
    assert "&lt;script&gt;" in post
    onerror = client.get(f"/posts/{demo_archive.hostile['onerror']}").text
    assert "javascript:alert(&#39;url&#39;)" in onerror  # shown as text, not linked


def test_only_http_links_are_links() -> None:
    assert is_http("https://www.tiktok.com/@a/video/1") and is_http("http://x.example/")
    for url in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "/posts/1",
        "",
        None,
        "https:///nohost",
    ):
        assert not is_http(url), url


# --- the JSON API --------------------------------------------------------------------------------


def test_api_shapes(client: TestClient) -> None:
    athletes = client.get("/api/athletes").json()
    assert {"slug", "name", "sport", "country", "accounts", "posts"} <= set(athletes[0])
    search = client.get("/api/search", params={"q": "goud"}).json()
    assert {"request", "query", "total", "page", "pages", "per_page", "results"} <= set(search)
    assert {
        "post_id",
        "platform",
        "url",
        "athlete",
        "posted_at",
        "snippet",
        "snippet_pieces",
    } <= set(search["results"][0])
    athlete = client.get("/api/athletes/lotte-van-dijk").json()
    assert {"athlete", "accounts", "total", "weeks", "top", "posts", "next_after"} <= set(athlete)
    assert "chart_svg" not in athlete
    post = client.get(f"/api/posts/{first_post_id(client)}").json()
    assert {
        "post",
        "versions",
        "snapshots",
        "hashtags",
        "mentions",
        "sound",
        "articles",
        "availability",
    } <= set(post)
    assert "search_text" not in post["post"] and "svg" not in post["availability"]
    status = client.get("/api/status").json()
    assert {"targets", "accounts", "runs", "totals", "scheduler_jobs"} <= set(status)
    runs = client.get("/api/runs", params={"platform": "bluesky", "limit": 2}).json()
    assert 0 < len(runs) <= 2 and {r["spider"] for r in runs} == {"bluesky"}


def test_openapi_schema_is_published_without_cdn_docs(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/search", "/api/athletes/{slug}", "/api/posts/{post_id}", "/api/status"):
        assert "get" in schema["paths"][path]
    assert client.get("/docs").status_code == 404


def test_downloads_are_csv_with_bom_and_ndjson(client: TestClient) -> None:
    total = client.get("/api/search", params={"q": "#schaatsen"}).json()["total"]
    r = client.get("/search.csv", params={"q": "#schaatsen", "limit": 5000})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == total and rows[0]["platform"]
    lines = client.get("/search.ndjson", params={"q": "#schaatsen", "limit": 3}).text.splitlines()
    assert len(lines) == 3 and all("post_id" in json.loads(x) for x in lines)


def test_caption_diff_marks_words_added_and_removed() -> None:
    pieces = caption_diff("Goud op de 500m vandaag", "Goud op de 1000m vandaag!")
    assert [(p.kind, p.text) for p in pieces if p.kind != "same"] == [
        ("removed", "500m"),
        ("added", "1000m"),
        ("added", "!"),
    ]
    assert "".join(p.text for p in pieces if p.kind != "removed") == "Goud op de 1000m vandaag!"


def test_recent_keeps_a_value_for_its_time_then_reads_again() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    kept = Recent(seconds=3600)
    assert [kept.get("k", compute) for _ in range(3)] == [1, 1, 1]
    assert kept.get("other", compute) == 2
    fresh = Recent(seconds=0)
    assert [fresh.get("k", compute) for _ in range(2)] == [3, 4]
