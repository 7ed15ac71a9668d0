"""yt-dlp's info dicts as the ``ytdlp_info`` kind of TikTok, Instagram and YouTube.

Fixtures (tests/fixtures/imports/ytdlp/) are composed after yt-dlp's output: an ``.info.json``
per video as ``--write-info-json`` saves it (``%(title)s [%(id)s].info.json``), and
``--dump-json`` lines. Field names and what each extractor puts in them follow yt-dlp's
extractors (tiktok.py ``_parse_aweme_video_web``, instagram.py ``_extract_product``) and its
output-template documentation (``epoch``: when the information was extracted).
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from archive.errors import ParseError
from archive.platforms import PARSER_KINDS, parse_payload
from archive.records import RawSound
from tests.conftest import FIXTURES

YTDLP = FIXTURES / "imports" / "ytdlp"
TIKTOK_INFO = YTDLP / "Nieuw PR op de 1500m! [7400786996756480001].info.json"
INSTAGRAM_INFO = YTDLP / "Video by lenaberg.skates [C9xLenaBrg1].info.json"


@pytest.mark.parametrize("platform", ["tiktok", "instagram", "youtube"])
def test_each_platform_has_the_ytdlp_kind(platform: str) -> None:
    assert "ytdlp_info" in PARSER_KINDS[platform]


def test_tiktok_info_json_as_a_raw_post() -> None:
    result = parse_payload(TIKTOK_INFO.read_bytes())
    assert (result.platform, result.parser_kind, result.problems) == ("tiktok", "ytdlp_info", [])
    post = asdict(result.posts[0])
    assert post.pop("raw")["epoch"] == 1723700000
    assert post == {
        "platform": "tiktok",
        "platform_post_id": "7400786996756480001",
        "url": "https://www.tiktok.com/@lenaberg.skates/video/7400786996756480001",
        "source_url": "https://www.tiktok.com/@lenaberg.skates/video/7400786996756480001",
        "source_kind": "platform",
        "kind": "video",
        "author_handle": "lenaberg.skates",
        "author_id": "6912345678901234567",
        "author_name": "Lena Berg 🇳🇱",
        "posted_at": 1723130000,
        "caption": "Nieuw PR op de 1500m! 🥇 #schaatsen #Thialf ",
        "counts": {"views": 230000, "likes": 14800, "comments": 44, "shares": 15},
        "sound": asdict(RawSound("Originalton", "Lena Berg 🇳🇱", True, None)),
        "hashtags": None,
        "hashtags_complete": False,
        "mentions": None,
        "mentions_complete": False,
        "declared_language": None,
        "availability": "active",
        "is_repost": False,
        "is_pinned": False,
        "athlete_slug": None,
        "edited_at": None,
        "media_urls": ["https://p16-sign-va.tiktokcdn.com/obj/cover.jpeg?x-expires=1790000000"],
        "repairs": [],
    }


def test_a_licensed_track_is_not_called_original() -> None:
    import json

    info = json.loads(TIKTOK_INFO.read_text(encoding="utf-8"))
    info.update(track="Big Fun", artists=["Evan Todd", "Alice Lee"])
    [post] = parse_payload(json.dumps(info)).posts
    assert post.sound == RawSound("Big Fun", "Evan Todd, Alice Lee", None, None)


def test_instagram_info_uses_channel_as_handle_and_shortcode_as_id() -> None:
    result = parse_payload(INSTAGRAM_INFO.read_bytes())
    [post] = result.posts
    assert (result.platform, result.parser_kind) == ("instagram", "ytdlp_info")
    assert (post.platform_post_id, post.author_handle, post.author_id, post.author_name) == (
        "C9xLenaBrg1",
        "lenaberg.skates",
        "1067250001",
        "Lena Berg",
    )
    assert post.url == "https://www.instagram.com/p/C9xLenaBrg1/"
    assert post.counts == {"likes": 2450, "comments": 70}  # view_count null: no count
    assert post.sound is None


def test_dump_json_lines_of_a_youtube_channel() -> None:
    result = parse_payload((YTDLP / "lenaberg_channel.jsonl").read_bytes())
    assert (result.platform, result.parser_kind) == ("youtube", "ytdlp_info")
    video, short = result.posts
    assert (
        video.caption
        == "Zo train ik voor de 1500 meter\n\nEen dag in Heerenveen met de ploeg.\n#schaatsen"
    )
    assert (video.author_id, video.author_handle, video.declared_language) == (
        "UCLenaBergFixture00000001",
        "lenaberg",
        "nl",
    )
    assert (video.kind, short.kind) == ("video", "short")
    assert short.url == "https://www.youtube.com/shorts/LbShort001B"
    assert short.caption == "Start van de 500 meter #shorts"  # no description: the title alone


def test_a_playlist_gives_its_entries_and_says_what_it_left_out() -> None:
    import json

    info = json.loads(TIKTOK_INFO.read_text(encoding="utf-8"))
    playlist = {
        "_type": "playlist",
        "id": "MS4wLjABAAAAlenaBerg",
        "title": "lenaberg.skates",
        "extractor_key": "TikTokUser",
        "entries": [
            info,
            None,
            {"_type": "url", "id": "1", "url": "https://www.tiktok.com/@x/video/1"},
        ],
    }
    result = parse_payload(json.dumps(playlist))
    assert [p.platform_post_id for p in result.posts] == ["7400786996756480001"]
    assert result.problems == ["yt-dlp entry 1: a flat-playlist reference, no data"]


def test_upload_date_when_there_is_no_timestamp() -> None:
    import json

    info = json.loads(TIKTOK_INFO.read_text(encoding="utf-8"))
    del info["timestamp"]
    [post] = parse_payload(json.dumps(info)).posts
    assert post.posted_at == "2024-08-08T00:00:00+00:00"


def test_a_site_podium_does_not_archive_is_not_recognised() -> None:
    with pytest.raises(ParseError, match="not a payload Podium knows"):
        parse_payload((YTDLP / "other_site [987654321].info.json").read_bytes())
