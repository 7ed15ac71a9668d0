"""`podium parse`: saved payloads to records, without the archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from tests.conftest import fixture_path

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
        fixture_path("payloads", "tiktok", "video_page.html"),
        fixture_path("payloads", "bluesky", "author_feed_page1.json"),
        next(fixture_path("payloads", "youtube").iterdir()),
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
    path = fixture_path("payloads", "bluesky", "author_feed_page1.json")
    code, out, _ = parse(str(path), "--format", "ndjson")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == len(json.loads(parse(str(path))[1])[0]["posts"])
    assert all(r["file"] == str(path) and r["kind"] == "author_feed" for r in lines)


def test_a_bad_file_gets_a_reason_and_exit_1_while_others_print(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.json"
    bad.write_text('{"feed": [{"post": ', encoding="utf-8")
    good = fixture_path("payloads", "tiktok", "oembed.json")
    code, out, err = parse(str(bad), str(good))
    data = json.loads(out)
    assert code == 1
    assert data[0]["error"] and "\n" not in data[0]["error"] and data[0]["posts"] == []
    assert data[1]["error"] is None and data[1]["posts"]
    assert "truncated.json" in err


def test_platform_option_and_article_metadata() -> None:
    article = fixture_path("payloads", "news", "article_with_embeds.html")
    code, out, _ = parse(str(article), "--platform", "news")
    data = json.loads(out)[0]
    assert code == 0 and data["kind"] == "article"
    assert data["article"]["url"] and data["article"]["embeds"]


def test_missing_file_is_a_usage_error() -> None:
    code, _, err = parse("/nonexistent/page.html")
    assert code == 2 and "does not exist" in err


def _bad_batch(tmp_path: Path) -> list[Path]:
    """60 files: good fixtures, one truncated, one 100k deep, one with a lone surrogate."""
    good = [
        fixture_path("payloads", "tiktok", "oembed.json"),
        fixture_path("payloads", "bluesky", "author_feed_page1.json"),
    ]
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"feed": [{"post": ', encoding="utf-8")
    surrogate = tmp_path / "surrogate.json"
    feed = json.loads(
        fixture_path("payloads", "bluesky", "author_feed_page1.json").read_text("utf-8")
    )
    feed["feed"][0]["post"]["record"]["text"] = "Gold \ud800 today \x00!"
    surrogate.write_text(json.dumps(feed), encoding="utf-8")  # ASCII: "\ud800" stays an escape
    files = [good[i % 2] for i in range(57)]
    files[10:10] = [deep]
    files[30:30] = [truncated]
    files[50:50] = [surrogate]
    return files


def test_one_bad_file_in_a_batch_costs_only_itself(tmp_path: Path) -> None:
    files = _bad_batch(tmp_path)
    code, out, err = parse(*map(str, files))
    data = json.loads(out)
    assert code == 1
    assert [d["file"] for d in data] == [str(f) for f in files]
    errors = {Path(d["file"]).name: d["error"] for d in data if d["error"]}
    assert set(errors) == {"deep.json", "truncated.json"}
    assert all("\n" not in e and len(e) <= 300 for e in errors.values())
    assert "nested deeper" in errors["deep.json"]
    assert all(d["posts"] for d in data if not d["error"])
    assert err.count("podium: ") == 2 and "deep.json" in err and "truncated.json" in err


def test_ndjson_batch_prints_every_readable_file_and_a_line_per_error(tmp_path: Path) -> None:
    files = _bad_batch(tmp_path)
    code, out, _ = parse(*map(str, files), "--format", "ndjson")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert {line["file"] for line in lines} == {str(f) for f in files}
    assert sum(1 for line in lines if "error" in line) == 2


def test_lone_surrogate_and_nul_are_printed_repaired_with_the_repair_listed(
    tmp_path: Path,
) -> None:
    files = _bad_batch(tmp_path)
    surrogate = next(f for f in files if f.name == "surrogate.json")
    code, out, _ = parse(str(surrogate))
    out.encode("utf-8")  # printable: strict UTF-8
    posts = json.loads(out)[0]["posts"]
    assert code == 0 and len(posts) == 4
    assert posts[0]["caption"] == "Gold \ufffd today \ufffd!"
    assert posts[0]["repairs"] == ["caption: 1 lone surrogate, 1 NUL replaced by U+FFFD"]
    assert all(p["repairs"] == [] for p in posts[1:])


def test_a_file_parse_file_cannot_handle_costs_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive.parse_output

    real = archive.parse_output.parse_file

    def flaky(path: Path, **kwargs: object) -> dict[str, object]:
        if path.name == "oembed.json":
            raise RuntimeError("a bug\nwith two lines")
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(archive.parse_output, "parse_file", flaky)
    good = fixture_path("payloads", "bluesky", "author_feed_page1.json")
    code, out, err = parse(str(fixture_path("payloads", "tiktok", "oembed.json")), str(good))
    data = json.loads(out)
    assert code == 1
    assert data[0]["error"] == "internal error (RuntimeError: a bug with two lines)"
    assert data[1]["error"] is None and data[1]["posts"]
    assert "oembed.json" in err


def test_what_is_no_payload_gets_its_own_error(tmp_path) -> None:
    """Random bytes, an empty file, a SQLite file and a folder: an error each, exit status 1."""
    import random
    import sqlite3

    from click.testing import CliRunner

    from archive.cli import cli

    (tmp_path / "random.bin").write_bytes(random.Random(7).randbytes(512))
    (tmp_path / "empty.txt").write_bytes(b"")
    sqlite3.connect(tmp_path / "archive.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    (tmp_path / "folder").mkdir()
    names = ["random.bin", "empty.txt", "archive.sqlite", "folder"]
    result = CliRunner().invoke(
        cli, ["parse", *(str(tmp_path / n) for n in names), "--format", "ndjson"]
    )
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"].rsplit("/", 1)[-1] for line in lines] == names
    assert all(line["error"].startswith("not a payload Podium knows") for line in lines)


def test_an_array_of_instagram_items_without_user_prints_authorless_posts() -> None:
    path = fixture_path("payloads", "instagram", "item_array_reduced.json")
    code, out, err = parse(str(path))
    [data] = json.loads(out)
    assert code == 0 and data["error"] is None, err
    assert (data["platform"], data["kind"]) == ("instagram", "item_array")
    assert [
        (p["platform_post_id"], p["author"], p["author_id"], p["posted_at"]) for p in data["posts"]
    ] == [
        ("DAbCdEfGhIr", None, None, "2024-11-10T00:53:20Z"),
        ("DAbCdEfGhIq", None, None, "2024-11-08T21:06:40Z"),
    ]
    assert [h["key"] for h in data["posts"][0]["hashtags"]] == ["schaatsen", "wk2025"]
    assert data["posts"][0]["sound"]["is_original"] is True
