"""`podium parse`: saved payloads to records, without the archive."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from archive.cli import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
POST_KEYS = {
    "platform",
    "platform_post_id",
    "url",
    "author",
    "author_id",
    "posted_at",
    "caption",
    "body",
    "language",
    "declared_language",
    "hashtags",
    "mentions",
    "sound",
    "counts",
    "availability",
    "is_repost",
}


def parse(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_has_one_object_per_file_with_detected_kinds() -> None:
    files = [
        FIXTURES / "tiktok" / "video_page.html",
        FIXTURES / "bluesky" / "author_feed_page1.json",
        FIXTURES / "youtube" / next(p.name for p in (FIXTURES / "youtube").iterdir()),
    ]
    code, out, _ = parse(*map(str, files))
    assert code == 0
    data = json.loads(out)
    assert [d["file"] for d in data] == [str(f) for f in files]
    assert [(d["platform"], d["kind"]) for d in data][:2] == [
        ("tiktok", "video_page"),
        ("bluesky", "author_feed"),
    ]
    for d in data:
        assert set(d) >= {"file", "platform", "kind", "posts", "accounts", "article", "error"}
        assert d["error"] is None and d["posts"]
        for post in d["posts"]:
            assert set(post) >= POST_KEYS
            assert post["posted_at"] is None or post["posted_at"].endswith("Z")
            assert set(post["counts"]) == {"views", "likes", "comments", "shares", "saves"}


def test_ndjson_prints_one_post_per_line_with_file_and_kind() -> None:
    path = FIXTURES / "bluesky" / "author_feed_page1.json"
    code, out, _ = parse(str(path), "--format", "ndjson")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == len(json.loads(parse(str(path))[1])[0]["posts"])
    assert all(r["file"] == str(path) and r["kind"] == "author_feed" for r in lines)


def test_a_bad_file_gets_a_reason_and_exit_1_while_others_print(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.json"
    bad.write_text('{"feed": [{"post": ', encoding="utf-8")
    good = FIXTURES / "tiktok" / "oembed.json"
    code, out, err = parse(str(bad), str(good))
    data = json.loads(out)
    assert code == 1
    assert data[0]["error"] and "\n" not in data[0]["error"] and data[0]["posts"] == []
    assert data[1]["error"] is None and data[1]["posts"]
    assert "truncated.json" in err


def test_platform_option_and_article_metadata() -> None:
    article = FIXTURES / "news" / "article_with_embeds.html"
    code, out, _ = parse(str(article), "--platform", "news")
    data = json.loads(out)[0]
    assert code == 0 and data["kind"] == "article"
    assert data["article"]["url"] and data["article"]["embeds"]


def test_missing_file_is_a_usage_error() -> None:
    code, _, err = parse("/nonexistent/page.html")
    assert code == 2 and "does not exist" in err
