"""Instagram on the demo site: ``web_profile_info``, the v1 user feed, post JSON, embeds.

- ``/api/v1/users/web_profile_info/?username=`` gives the GraphQL edge format with the first 12
  posts and ``page_info.end_cursor`` (FORMATS.md §2.3).
- ``/api/v1/feed/user/<user pk>/?count=12&max_id=<cursor>`` gives v1 items (§2.4) with
  ``next_max_id``/``more_available``. Cursors are ``<media pk>_<owner pk>`` of the last post seen:
  the end_cursor of web_profile_info is a valid ``max_id``.
- ``/p/<shortcode>/?__a=1&__d=dis`` (also ``/reel/``) and ``/api/v1/media/<pk>/info/`` give
  ``{"items": [<v1 item>]}``; without ``__a`` the post page is HTML with og: tags.
"""

from __future__ import annotations

import html
import re
from typing import Any

from demo.content import PUBLIC_HOSTS, Account, Post, World, b64_chars, num, render
from demo.render.web import (
    Request,
    Response,
    html_response,
    json_response,
    not_found,
)

HOST = PUBLIC_HOSTS["instagram"]
CDN = "https://scontent-ams2-1.cdninstagram.com/v/t51.29350-15"
PAGE_SIZE = 12
_POST_PATH = re.compile(r"^/(p|reel|tv)/([\w-]+)/?$")
_FEED_PATH = re.compile(r"^/api/v1/feed/user/(\d+)/?$")
_MEDIA_INFO_PATH = re.compile(r"^/api/v1/media/(\d+)(?:_\d+)?/info/?$")


def permalink(post: Post) -> str:
    """``https://www.instagram.com/p/<shortcode>/`` (``/reel/`` for reels)."""
    kind = "reel" if post.kind == "reel" else "p"
    return f"{HOST}/{kind}/{post.post_id}/"


def caption_text(world: World, post: Post, snapshot: str) -> str:
    """The caption as the snapshot shows it."""
    return render(world, post.caption_in(snapshot), "instagram").text


def cursor_of(post: Post) -> str:
    """``<media pk>_<owner pk>``: the paging cursor after this post."""
    return f"{post.extra['pk']}_{post.account.account_id}"


def _image(post: Post, n: int = 0) -> str:
    oe = format(1_771_000_000 + num("oe", post.post_id) % 10_000_000, "X")
    return (
        f"{CDN}/{post.extra['pk']}_{n}_n.jpg?stp=dst-jpg_e35&_nc_ht=scontent-ams2-1."
        f"cdninstagram.com&oh=00_{b64_chars(40, 'oh', post.post_id, n)}&oe={oe}"
    )


def _user(acc: Account) -> dict[str, Any]:
    return {
        "pk": int(acc.account_id),
        "pk_id": acc.account_id,
        "id": acc.account_id,
        "username": acc.handle,
        "full_name": acc.name,
        "is_private": False,
        "is_verified": False,
        "profile_pic_id": f"{num('pic', acc.key) % 10**18}_{acc.account_id}",
        "profile_pic_url": f"https://scontent-ams2-1.cdninstagram.com/v/t51.2885-19/{acc.account_id}_n.jpg",
    }


def _counts(post: Post, snapshot: str) -> dict[str, int]:
    return post.counts(snapshot)


def _mentioned(world: World, post: Post, snapshot: str) -> list[Account]:
    rendered = render(world, post.caption_in(snapshot), "instagram")
    return [acc for kind, *_rest, acc in rendered.spans if kind == "mention" and acc is not None]


def edge_node(world: World, post: Post, snapshot: str) -> dict[str, Any]:
    """A GraphQL timeline node (``edges[].node``) of web_profile_info."""
    acc = post.account
    counts = _counts(post, snapshot)
    caption = caption_text(world, post, snapshot)
    typename = {"reel": "GraphVideo", "carousel": "GraphSidecar"}.get(post.kind, "GraphImage")
    node: dict[str, Any] = {
        "__typename": typename,
        "id": post.extra["pk"],
        "shortcode": post.post_id,
        "dimensions": {"height": 1350, "width": 1080},
        "display_url": _image(post),
        "edge_media_to_tagged_user": {
            "edges": [
                {
                    "node": {
                        "user": {
                            "full_name": m.name,
                            "id": m.account_id,
                            "is_verified": False,
                            "username": m.handle,
                        }
                    }
                }
                for m in _mentioned(world, post, snapshot)
            ]
        },
        "fact_check_overall_rating": None,
        "fact_check_information": None,
        "gating_info": None,
        "sharing_friction_info": {"should_have_sharing_friction": False, "bloks_app_url": None},
        "media_overlay_info": None,
        "media_preview": None,
        "owner": {"id": acc.account_id, "username": acc.handle},
        "is_video": post.kind == "reel",
        "has_upcoming_event": False,
        "accessibility_caption": None if post.kind == "reel" else f"Photo by {acc.name}.",
        "edge_media_to_caption": {"edges": [{"node": {"text": caption}}] if caption else []},
        "edge_media_to_comment": {"count": counts["comments"]},
        "comments_disabled": False,
        "taken_at_timestamp": int(post.created_at.timestamp()),
        "edge_liked_by": {"count": counts["likes"]},
        "edge_media_preview_like": {"count": counts["likes"]},
        "location": None,
        "nft_asset_info": None,
        "thumbnail_src": _image(post),
        "thumbnail_resources": [
            {"src": _image(post), "config_width": w, "config_height": w} for w in (150, 320, 640)
        ],
        "coauthor_producers": [],
        "pinned_for_users": [],
        "viewer_can_reshare": True,
        "like_and_view_counts_disabled": False,
        "product_type": "clips" if post.kind == "reel" else "feed",
        "clips_music_attribution_info": None,
    }
    if post.kind == "reel":
        sound = post.sound
        assert sound is not None
        node.update(
            {
                "video_url": f"https://scontent-ams2-1.cdninstagram.com/o1/v/t16/{post.extra['pk']}.mp4",
                "video_view_count": counts["views"],
                "video_duration": float(sound.duration),
                "has_audio": True,
                "clips_music_attribution_info": {
                    "artist_name": sound.artist,
                    "song_name": sound.title,
                    "uses_original_audio": sound.original,
                    "should_mute_audio": False,
                    "should_mute_audio_reason": "",
                    "audio_id": sound.id,
                },
            }
        )
    if post.kind == "carousel":
        node["edge_sidecar_to_children"] = {
            "edges": [
                {
                    "node": {
                        "__typename": "GraphImage",
                        "id": f"{post.extra['pk']}{i}",
                        "shortcode": post.post_id,
                        "display_url": _image(post, i),
                        "is_video": False,
                        "dimensions": {"height": 1350, "width": 1080},
                    }
                }
                for i in range(int(post.extra.get("carousel", 2)) or 2)
            ]
        }
    return node


def _clips_metadata(post: Post) -> dict[str, Any]:
    sound = post.sound
    assert sound is not None
    acc = post.account
    meta: dict[str, Any] = {
        "clips_creation_entry_point": "clips",
        "music_canonical_id": sound.id,
        "audio_type": "original_sounds" if sound.original else "licensed_music",
        "music_info": None,
        "original_sound_info": None,
        "is_shared_to_fb": False,
    }
    if sound.original:
        meta["original_sound_info"] = {
            "audio_asset_id": sound.id,
            "music_canonical_id": sound.id,
            "original_audio_title": sound.title,
            "ig_artist": {
                "pk": int(acc.account_id),
                "pk_id": acc.account_id,
                "username": acc.handle,
                "full_name": acc.name,
                "is_verified": False,
                "is_private": False,
            },
            "duration_in_ms": sound.duration * 1000,
            "is_explicit": False,
            "consumption_info": {
                "is_trending_in_clips": False,
                "should_mute_audio_reason": "",
                "is_bookmarked": False,
            },
            "audio_parts": [],
            "original_audio_subtype": "default",
        }
    else:
        meta["music_info"] = {
            "music_asset_info": {
                "audio_cluster_id": str(num("cluster", sound.id) % 10**16),
                "id": sound.id,
                "audio_asset_id": sound.id,
                "title": sound.title,
                "display_artist": sound.artist,
                "duration_in_ms": sound.duration * 1000,
                "is_explicit": False,
                "progressive_download_url": f"https://scontent-ams2-1.cdninstagram.com/o1/v/t2/{sound.id}.m4a",
            },
            "music_consumption_info": {
                "should_mute_audio": False,
                "should_mute_audio_reason": "",
                "is_bookmarked": False,
            },
        }
    return meta


def v1_item(world: World, post: Post, snapshot: str) -> dict[str, Any]:
    """The v1 media item (``api/v1`` feed, media info, ``?__a=1``)."""
    acc = post.account
    counts = _counts(post, snapshot)
    taken_at = int(post.created_at.timestamp())
    caption = caption_text(world, post, snapshot)
    media_type = {"reel": 2, "carousel": 8}.get(post.kind, 1)
    edited = post.edited_in(snapshot)
    item: dict[str, Any] = {
        "taken_at": taken_at,
        "pk": post.extra["pk"],
        "id": cursor_of(post),
        "code": post.post_id,
        "media_type": media_type,
        "product_type": {"reel": "clips", "carousel": "carousel_container"}.get(post.kind, "feed"),
        "user": _user(acc),
        "owner": _user(acc),
        "caption": {
            "pk": str(num("caption-pk", post.post_id, edited) % 10**17 + 17_800_000_000_000_000),
            "user_id": acc.account_id,
            "text": caption,
            "type": 1,
            "created_at": taken_at + 1,
            "created_at_utc": taken_at + 1,
            "content_type": "comment",
            "status": "Active",
            "bit_flags": 0,
            "did_report_as_spam": False,
            "share_enabled": False,
            "media_id": post.extra["pk"],
            "has_translation": True,
            "is_covered": False,
            "private_reply_status": 0,
        }
        if caption
        else None,
        "caption_is_edited": edited,
        "like_count": counts["likes"],
        "comment_count": counts["comments"],
        "has_liked": False,
        "like_and_view_counts_disabled": False,
        "comments_disabled": False,
        "original_width": 1080,
        "original_height": 1350,
        "image_versions2": {
            "candidates": [
                {"url": _image(post), "width": w, "height": int(w * 1.25)} for w in (1080, 640, 320)
            ]
        },
        "usertags": {
            "in": [
                {
                    "user": {
                        "pk": int(m.account_id),
                        "pk_id": m.account_id,
                        "username": m.handle,
                        "full_name": m.name,
                        "is_verified": False,
                    },
                    "position": [0.5, 0.5],
                }
                for m in _mentioned(world, post, snapshot)
            ]
        },
        "coauthor_producers": [],
        "location": None,
        "is_paid_partnership": False,
        "organic_tracking_token": b64_chars(48, "ott", post.post_id),
        "clips_metadata": None,
    }
    if post.kind == "reel":
        sound = post.sound
        assert sound is not None
        item.update(
            {
                "play_count": counts["views"],
                "ig_play_count": counts["views"],
                "video_duration": float(sound.duration),
                "has_audio": True,
                "video_versions": [
                    {
                        "type": 101,
                        "width": 720,
                        "height": 1280,
                        "url": f"https://scontent-ams2-1.cdninstagram.com/o1/v/t16/{post.extra['pk']}.mp4",
                    }
                ],
                "clips_metadata": _clips_metadata(post),
            }
        )
    if post.kind == "carousel":
        n = int(post.extra.get("carousel", 2)) or 2
        item["carousel_media_count"] = n
        item["carousel_media"] = [
            {
                "id": f"{post.extra['pk']}{i}_{acc.account_id}",
                "media_type": 1,
                "image_versions2": {
                    "candidates": [{"url": _image(post, i), "width": 1080, "height": 1350}]
                },
                "original_width": 1080,
                "original_height": 1350,
            }
            for i in range(n)
        ]
    return item


def _profile_info(world: World, req: Request) -> Response:
    acc = world.find_account("instagram", req.arg("username"))
    if acc is None:
        return json_response({"data": {"user": None}, "status": "ok"}, status=404)
    posts = world.listing(acc, req.snapshot)
    first = posts[:PAGE_SIZE]
    more = len(posts) > PAGE_SIZE
    user = {
        "biography": acc.bio,
        "bio_links": [
            {
                "title": "",
                "lynx_url": "",
                "url": f"https://{acc.athlete}.example",
                "link_type": "external",
            }
        ],
        "external_url": f"https://{acc.athlete}.example",
        "edge_followed_by": {
            "count": acc.followers + (len(posts) * 23 if req.snapshot == "later" else 0)
        },
        "fbid": str(17_841_400_000_000_000 + num("fbid", acc.key) % 10**12),
        "edge_follow": {"count": acc.following},
        "full_name": acc.name,
        "id": acc.account_id,
        "is_business_account": False,
        "is_professional_account": True,
        "category_name": "Athlete",
        "is_private": False,
        "is_verified": False,
        "profile_pic_url": _user(acc)["profile_pic_url"],
        "profile_pic_url_hd": _user(acc)["profile_pic_url"],
        "username": acc.handle,
        "edge_felix_video_timeline": {
            "count": 0,
            "page_info": {"has_next_page": False, "end_cursor": None},
            "edges": [],
        },
        "edge_owner_to_timeline_media": {
            "count": len(posts),
            "page_info": {
                "has_next_page": more,
                "end_cursor": cursor_of(first[-1]) if more else None,
            },
            "edges": [{"node": edge_node(world, p, req.snapshot)} for p in first],
        },
        "edge_saved_media": {"count": 0, "edges": []},
        "edge_media_collections": {"count": 0, "edges": []},
        "edge_related_profiles": {"edges": []},
    }
    return json_response({"data": {"user": user}, "status": "ok"})


def _feed(world: World, req: Request, user_id: str) -> Response:
    acc = next((a for a in world.platform_accounts["instagram"] if a.account_id == user_id), None)
    if acc is None:
        return json_response({"message": "User not found", "status": "fail"}, status=404)
    count = max(1, min(req.int_arg("count", PAGE_SIZE), 50))
    posts = world.listing(acc, req.snapshot)
    max_id = req.arg("max_id")
    if max_id:
        try:
            pk = int(max_id.split("_")[0])
        except ValueError:
            return json_response({"message": "Invalid max_id", "status": "fail"}, status=400)
        posts = [p for p in posts if int(p.extra["pk"]) < pk]
    page = posts[:count]
    more = len(posts) > count
    body: dict[str, Any] = {
        "items": [v1_item(world, p, req.snapshot) for p in page],
        "num_results": len(page),
        "more_available": more,
        "user": _user(acc),
        "auto_load_more_enabled": True,
        "status": "ok",
    }
    if more:
        body["next_max_id"] = cursor_of(page[-1])
    return json_response(body)


def _item_response(world: World, req: Request, post: Post | None) -> Response:
    if post is None or not post.visible(req.snapshot):
        return json_response(
            {"message": "Media not found or unavailable", "status": "fail"}, status=404
        )
    return json_response(
        {
            "items": [v1_item(world, post, req.snapshot)],
            "num_results": 1,
            "more_available": False,
            "auto_load_more_enabled": False,
            "status": "ok",
        }
    )


def _post_page(world: World, req: Request, post: Post | None) -> Response:
    if post is None or not post.visible(req.snapshot):
        return html_response(
            "<!DOCTYPE html><html><head><title>Page not found • Instagram</title></head>"
            "<body><h2>Sorry, this page isn't available.</h2></body></html>",
            status=404,
        )
    acc = post.account
    caption = caption_text(world, post, req.snapshot)
    counts = post.counts(req.snapshot)
    date = f"{post.created_at:%B} {post.created_at.day}, {post.created_at:%Y}"
    description = (
        f"{counts['likes']} likes, {counts['comments']} comments - {acc.handle} on {date}: "
        f'"{caption}". '
    )
    title = f'{acc.name} on Instagram: "{caption}"'
    esc = html.escape
    return html_response(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title>"
        f'<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{esc(title)}">'
        f'<meta property="og:description" content="{esc(description)}">'
        f'<meta property="og:url" content="{permalink(post)}">'
        f'<meta property="og:image" content="{esc(_image(post))}">'
        f'<meta property="instapp:owner_user_id" content="{acc.account_id}">'
        f'<link rel="canonical" href="{permalink(post)}">'
        "</head><body></body></html>"
    )


def _by_shortcode(world: World, code: str) -> Post | None:
    return world.post("instagram", code)


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/instagram``."""
    path = req.path
    if path.rstrip("/") == "/api/v1/users/web_profile_info":
        return _profile_info(world, req)
    if match := _FEED_PATH.match(path):
        return _feed(world, req, match.group(1))
    if match := _MEDIA_INFO_PATH.match(path):
        pk = match.group(1)
        post = next((p for p in world.posts["instagram"].values() if p.extra["pk"] == pk), None)
        return _item_response(world, req, post)
    if match := _POST_PATH.match(path):
        post = _by_shortcode(world, match.group(2))
        if req.arg("__a") == "1":
            return _item_response(world, req, post)
        return _post_page(world, req, post)
    return not_found()


# --- embeds ------------------------------------------------------------------------------------

_BQ_STYLE = (
    " background:#FFF; border:0; border-radius:3px; box-shadow:0 0 1px 0 rgba(0,0,0,0.5),0 1px "
    "10px 0 rgba(0,0,0,0.15); margin: 1px; max-width:540px; min-width:326px; padding:0; "
    "width:99.375%; width:-webkit-calc(100% - 2px); width:calc(100% - 2px);"
)
_DUTCH_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def captioned_blockquote(world: World, post: Post, snapshot: str) -> str:
    """The legacy v12 captioned embed (caption, "Een bericht gedeeld door …", ``<time>``)."""
    acc = post.account
    link = f"{permalink(post)}?utm_source=ig_embed&amp;utm_medium=loading"
    caption = html.escape(caption_text(world, post, snapshot), quote=False)
    when = post.created_at
    shown = f"{when.day} {_DUTCH_MONTHS[when.month - 1]} {when.year} om {when:%H:%M} UTC"
    return (
        f'<blockquote class="instagram-media" data-instgrm-captioned '
        f'data-instgrm-permalink="{link}" data-instgrm-version="12" style="{_BQ_STYLE}">'
        '<div style="padding:16px;"> '
        f'<a href="{link}" style=" background:#FFFFFF; line-height:0; padding:0 0; '
        'text-align:center; text-decoration:none; width:100%;" target="_blank"> '
        '<div style=" display: flex; flex-direction: row; align-items: center;"></div>'
        '<div style="padding: 19% 0;"></div></a> '
        '<p style=" margin:8px 0 0 0; padding:0 4px;"> '
        f'<a href="{link}" style=" color:#000; font-family:Arial,sans-serif; font-size:14px; '
        "font-style:normal; font-weight:normal; line-height:17px; text-decoration:none; "
        f'word-wrap:break-word;" target="_blank">{caption}</a></p> '
        '<p style=" color:#c9c8cd; font-family:Arial,sans-serif; font-size:14px; '
        "line-height:17px; margin-bottom:0; margin-top:8px; overflow:hidden; padding:8px 0 7px; "
        'text-align:center; text-overflow:ellipsis; white-space:nowrap;">Een bericht gedeeld '
        f'door <a href="{HOST}/{acc.handle}/?utm_source=ig_embed&amp;utm_medium=loading" '
        'style=" color:#c9c8cd; font-family:Arial,sans-serif; font-size:14px; font-style:normal; '
        f'font-weight:normal; line-height:17px;" target="_blank"> {html.escape(acc.name)}</a> '
        f'(@{acc.handle}) op <time style=" font-family:Arial,sans-serif; font-size:14px; '
        f'line-height:17px;" datetime="{when.replace(microsecond=0).isoformat()}">{shown}</time>'
        "</p></div></blockquote> "
        '<script async src="//www.instagram.com/embed.js"></script>'
    )


def url_only_blockquote(post: Post) -> str:
    """The v14 embed: permalink and "shared by" line only, no caption and no time."""
    acc = post.account
    link = f"{permalink(post)}?utm_source=ig_embed&amp;utm_campaign=loading"
    return (
        f'<blockquote class="instagram-media" data-instgrm-permalink="{link}" '
        f'data-instgrm-version="14" style="{_BQ_STYLE}"><div style="padding:16px;"> '
        f'<a href="{link}" style=" background:#FFFFFF; line-height:0; padding:0 0; '
        'text-align:center; text-decoration:none; width:100%;" target="_blank"> '
        '<div style="padding: 19% 0;"></div> <div style="display:block; height:50px; '
        'margin:0 auto 12px; width:50px;"><svg width="50px" height="50px" viewBox="0 0 60 60" '
        'version="1.1" xmlns="https://www.w3.org/2000/svg"><g stroke="none" stroke-width="1" '
        'fill="none" fill-rule="evenodd"></g></svg></div><div style="padding-top: 8px;"> '
        '<div style=" color:#3897f0; font-family:Arial,sans-serif; font-size:14px; '
        'font-style:normal; font-weight:550; line-height:18px;">Dit bericht op Instagram '
        "bekijken</div></div></a>"
        '<p style=" color:#c9c8cd; font-family:Arial,sans-serif; font-size:14px; '
        "line-height:17px; margin-bottom:0; margin-top:8px; overflow:hidden; padding:8px 0 7px; "
        f'text-align:center; text-overflow:ellipsis; white-space:nowrap;"><a href="{link}" '
        'style=" color:#c9c8cd; font-family:Arial,sans-serif; font-size:14px; font-style:normal; '
        'font-weight:normal; line-height:17px; text-decoration:none;" target="_blank">Een '
        f"bericht gedeeld door {html.escape(acc.name)} (@{acc.handle})</a></p></div>"
        '</blockquote> <script async src="//www.instagram.com/embed.js"></script>'
    )
