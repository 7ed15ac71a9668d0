"""TikTok on the demo site: profile and video pages, ``api/creator/item_list``, oEmbed, embeds.

Shapes follow FORMATS.md §1 (``__UNIVERSAL_DATA_FOR_REHYDRATION__``, the web ``itemStruct``, the
item_list cursor in milliseconds, the oEmbed blockquote). Canonical URLs in payloads are
``https://www.tiktok.com/...``; the demo serves them under ``{root}/tiktok``.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from demo.content import (
    EARLY_AT,
    LATER_AT,
    PUBLIC_HOSTS,
    TIKTOK_DELETED_STATUS,
    Account,
    Post,
    World,
    b64_chars,
    num,
    render,
)
from demo.render.web import (
    Request,
    Response,
    dumps,
    html_response,
    json_response,
    not_found,
)

HOST = PUBLIC_HOSTS["tiktok"]
CDN = "https://p16-sign-va.tiktokcdn.com"
PLAY = "https://v16-webapp-prime.tiktok.com/video/tos/maliva"
DEFAULT_COUNT = 15
MAX_COUNT = 35
_VIDEO_PATH = re.compile(r"^/@([^/]+)/(video|photo)/(\d+)/?$")
_PROFILE_PATH = re.compile(r"^/@([^/]+)/?$")


def video_url(post: Post) -> str:
    """The canonical URL of a TikTok post."""
    kind = "photo" if post.kind == "photo" else "video"
    return f"{HOST}/@{post.account.handle}/{kind}/{post.post_id}"


def caption_text(world: World, post: Post, snapshot: str) -> str:
    """``desc`` as the snapshot shows it (with the trailing space TikTok often leaves)."""
    text = render(world, post.caption_in(snapshot), "tiktok").text
    return text + " " if post.extra.get("trailing_space") else text


def _round(n: int) -> int:
    """TikTok rounds large counts in ``stats`` (1500000); ``statsV2`` keeps them exact."""
    if n < 1_000_000:
        return n
    return round(n, -5)


def _signed(path: str, *parts: object) -> str:
    expires = int(LATER_AT.timestamp()) + 86_400 * 30
    signature = b64_chars(27, *parts)
    return f"{CDN}/{path}~tplv-tiktokx-origin.image?x-expires={expires}&x-signature={signature}%3D"


def _author(acc: Account) -> dict[str, Any]:
    avatar = _signed(f"tos-maliva-avt-0068/{acc.account_id[-12:]}", "avatar", acc.key)
    return {
        "id": acc.account_id,
        "uniqueId": acc.handle,
        "nickname": acc.name,
        "avatarThumb": avatar,
        "avatarMedium": avatar,
        "avatarLarger": avatar,
        "signature": acc.bio,
        "verified": False,
        "secUid": acc.sec_uid,
        "secret": False,
        "ftc": False,
        "relation": 0,
        "openFavorite": False,
        "commentSetting": 0,
        "duetSetting": 0,
        "stitchSetting": 0,
        "privateAccount": False,
        "downloadSetting": 0,
        "isADVirtual": False,
        "isEmbedBanned": False,
    }


def _account_stats(world: World, acc: Account, snapshot: str) -> dict[str, int]:
    posts = world.listing(acc, snapshot)
    hearts = sum(p.counts(snapshot)["likes"] for p in posts)
    followers = acc.followers + (len(posts) * 37 if snapshot == "later" else 0)
    return {
        "followerCount": followers,
        "followingCount": acc.following,
        "heart": hearts,
        "heartCount": hearts,
        "videoCount": len(posts),
        "diggCount": 0,
        "friendCount": acc.following // 3,
    }


def _music(post: Post) -> dict[str, Any]:
    sound = post.sound
    assert sound is not None
    cover = _signed(f"tos-maliva-avt-0068/{sound.id[-10:]}", "music", sound.id)
    return {
        "id": sound.id,
        "title": sound.title,
        "playUrl": f"https://sf16-ies-music-va.tiktokcdn.com/obj/tos-useast2a-ve-2774/{sound.id}.mp3",
        "coverThumb": cover,
        "coverMedium": cover,
        "coverLarge": cover,
        "authorName": sound.artist,
        "original": sound.original,
        "duration": sound.duration,
        "album": sound.album,
        "isCopyrighted": not sound.original,
    }


def music_url(post: Post) -> str:
    """``https://www.tiktok.com/music/<slug>-<id>`` (the id is the number at the end)."""
    assert post.sound is not None
    slug = re.sub(r"[^\w]+", "-", post.sound.title).strip("-") or "sound"
    return f"{HOST}/music/{slug}-{post.sound.id}"


def _text_extra(world: World, post: Post, snapshot: str) -> list[dict[str, Any]]:
    rendered = render(world, post.caption_in(snapshot), "tiktok")
    out: list[dict[str, Any]] = []
    for kind, start, end, value, acc in rendered.spans:
        entry: dict[str, Any] = {
            "awemeId": "",
            "start": start,
            "end": end,
            "hashtagId": "",
            "hashtagName": "",
            "isCommerce": False,
            "secUid": "",
            "subType": 0,
            "type": 1,
            "userId": "",
            "userUniqueId": "",
        }
        if kind == "tag":
            entry["hashtagName"] = value
            entry["hashtagId"] = str(num("tt-tag", value.lower()) % 10**16)
        elif kind == "mention" and acc is not None:
            entry.update(type=0, userId=acc.account_id, userUniqueId=acc.handle, secUid=acc.sec_uid)
        else:
            continue
        out.append(entry)
    # TikTok links only the tags it recognised: some posts miss their last hashtag here.
    tags = [e for e in out if e["hashtagName"]]
    if tags and num("incomplete", post.post_id) % 5 == 0:
        out.remove(tags[-1])
    return out


def item_struct(world: World, post: Post, snapshot: str, *, page: bool) -> dict[str, Any]:
    """The web ``itemStruct``; ``page`` picks the video-page variant (string counts, statsV2)."""
    counts = post.counts(snapshot)
    desc = caption_text(world, post, snapshot)
    extra = _text_extra(world, post, snapshot)
    created = int(post.created_at.timestamp())
    cover = _signed(f"tos-maliva-p-0068/{post.post_id[-12:]}", "cover", post.post_id)
    stats: dict[str, Any] = {
        "diggCount": _round(counts["likes"]),
        "shareCount": _round(counts["shares"]),
        "commentCount": _round(counts["comments"]),
        "playCount": _round(counts["views"]),
        "collectCount": str(counts["saves"]) if page else counts["saves"],
    }
    duration = int(post.extra.get("duration", 0))
    item: dict[str, Any] = {
        "id": post.post_id,
        "desc": desc,
        "createTime": str(created) if page else created,
        "scheduleTime": 0,
        "video": {
            "id": post.post_id,
            "height": 1024,
            "width": 576,
            "duration": duration,
            "ratio": "540p",
            "cover": cover,
            "originCover": cover,
            "dynamicCover": cover,
            "playAddr": f"{PLAY}/{post.post_id}/?a=1988&expire={created + 10**7}",
            "downloadAddr": f"{PLAY}/{post.post_id}/dl/?a=1988&expire={created + 10**7}",
            "format": "mp4",
            "definition": "540p",
            "codecType": "h264",
            "bitrate": 400_000 + num("br", post.post_id) % 600_000,
            "VQScore": "67.5",
        },
        "author": _author(post.account),
        "music": _music(post),
        "challenges": [
            {
                "id": e["hashtagId"],
                "title": e["hashtagName"],
                "desc": "",
                "profileLarger": "",
                "profileMedium": "",
                "profileThumb": "",
                "coverLarger": "",
                "coverMedium": "",
                "coverThumb": "",
            }
            for e in extra
            if e["hashtagName"]
        ],
        "stats": stats,
        "warnInfo": [],
        "originalItem": False,
        "officalItem": False,
        "textExtra": extra,
        "secret": False,
        "forFriend": False,
        "digged": False,
        "itemCommentStatus": 0,
        "takeDown": 0,
        "effectStickers": [],
        "privateItem": False,
        "duetEnabled": True,
        "stitchEnabled": True,
        "stickersOnItem": [],
        "isAd": False,
        "shareEnabled": True,
        "comments": [],
        "duetDisplay": 0,
        "stitchDisplay": 0,
        "indexEnabled": True,
        "diversificationLabels": [
            "Sports",
            "Winter Sports" if "sk" in post.account.sport else "Athletics",
        ],
        "locationCreated": {"nl": "NL", "ja": "JP", "no": "NO", "de": "DE"}.get(
            post.language, "GB"
        ),
        "suggestedWords": [],
        "contents": [{"desc": desc, "textExtra": extra}],
        "duetInfo": {"duetFromId": "0"},
        "authorStats": _account_stats(world, post.account, snapshot),
        "CategoryType": 119,
        "IsAigc": False,
        "AIGCDescription": "",
        "isPinnedItem": post.pinned_in_later and snapshot == "later",
    }
    if post.kind == "photo":
        item["imagePost"] = {
            "images": [
                {
                    "imageURL": {
                        "urlList": [
                            _signed(
                                f"tos-maliva-i-photomode/{post.post_id}-{i}",
                                "photo",
                                post.post_id,
                                i,
                            )
                        ]
                    },
                    "imageWidth": 1080,
                    "imageHeight": 1440,
                }
                for i in range(3)
            ],
            "cover": {"imageURL": {"urlList": [cover]}},
            "title": "",
        }
    if page:
        item["statsV2"] = {
            "diggCount": str(counts["likes"]),
            "shareCount": str(counts["shares"]),
            "commentCount": str(counts["comments"]),
            "playCount": str(counts["views"]),
            "collectCount": str(counts["saves"]),
            "repostCount": "0",
        }
        item["authorStatsV2"] = {k: str(v) for k, v in item["authorStats"].items()}
    return item


# --- pages -------------------------------------------------------------------------------------


def _scope(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "__DEFAULT_SCOPE__": {
            "webapp.app-context": {
                "language": "en",
                "region": "NL",
                "appId": 1988,
                "appType": "m",
                "user": {},
                "wid": "7200000000000000000",
                "webIdCreatedTime": "1739000000",
                "odinId": "7200000000000000001",
                "nonce": "demo",
                "botType": "others",
                "requestId": "20260210120000DEMO",
                "clusterRegion": "EU",
            },
            "webapp.biz-context": {
                "os": "linux",
                "isMobile": False,
                "isAndroid": False,
                "isIOS": False,
                "jumpType": "",
                "navList": [],
            },
            "webapp.i18n-translation": {"lang": "en"},
            "seo.abtest": {"canonical": "", "pageId": "", "vidList": [], "parameters": {}},
            "webapp.a-b": {"parameters": {}},
            **extra,
        }
    }


def _page(title: str, canonical: str, data: dict[str, Any]) -> str:
    # "<" is escaped so the JSON can never close the script early, as TikTok does with "\u002F".
    payload = dumps(data).replace("<", "\\u003c")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<link rel="canonical" href="{html.escape(canonical)}">'
        f'<meta property="og:title" content="{html.escape(title)}">'
        '</head><body><div id="app"></div>'
        '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
        f"{payload}</script>"
        '<script src="https://lf16-tiktok-web.tiktokcdn-us.com/obj/tiktok-web/webapp/main.js" '
        "async></script></body></html>"
    )


def challenge_page(path: str) -> str:
    """The HTTP-200 JS challenge shell TikTok serves to clients it distrusts (no data script)."""
    blob = base64.b64encode(
        dumps(
            {
                "v": "a",
                "a": "sha256",
                "c": b64_chars(32, "challenge", path),
                "d": 4,
            }
        ).encode()
    ).decode()
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>TikTok - Make Your Day</title>'
        '</head><body><div id="cs" style="display:none"></div>'
        f'<input type="hidden" id="wci" value="{b64_chars(16, "wci", path)}">'
        f'<input type="hidden" id="rci" value="{b64_chars(16, "rci", path)}">'
        f'<input type="hidden" id="rs" value="{blob}">'
        "<script>/* verifying your browser */</script></body></html>"
    )


def _video_page(world: World, req: Request, post_id: str) -> Response:
    post = world.post("tiktok", post_id)
    if post is not None and post.blocked_in_later and req.snapshot == "later":
        cookie = f"_wafchallengeid={b64_chars(24, 'waf', post_id)}; Path=/; HttpOnly"
        return html_response(challenge_page(req.path), headers={"Set-Cookie": cookie})
    if post is None or not post.visible(req.snapshot):
        detail: dict[str, Any] = {
            "statusCode": TIKTOK_DELETED_STATUS,
            "statusMsg": "item is not available",
            "shareMeta": {},
        }
        data = _scope({"webapp.video-detail": detail})
        return html_response(_page("TikTok - Make Your Day", f"{HOST}/", data))
    item = item_struct(world, post, req.snapshot, page=True)
    share = {"title": f"{post.account.name} on TikTok", "desc": item["desc"]}
    detail = {
        "itemInfo": {"itemStruct": item},
        "shareMeta": share,
        "statusCode": 0,
        "statusMsg": "",
    }
    key = "webapp.photo-detail" if post.kind == "photo" else "webapp.video-detail"
    title = f"{item['desc'][:60].strip()} | TikTok"
    return html_response(_page(title, video_url(post), _scope({key: detail})))


def _profile_page(world: World, req: Request, handle: str) -> Response:
    acc = world.find_account("tiktok", handle)
    if acc is None:
        detail: dict[str, Any] = {
            "statusCode": 10221,
            "statusMsg": "user not exist",
            "userInfo": {},
        }
        return html_response(
            _page("TikTok - Make Your Day", f"{HOST}/", _scope({"webapp.user-detail": detail}))
        )
    stats = _account_stats(world, acc, req.snapshot)
    user = {
        **_author(acc),
        "createTime": int(acc.created_at.timestamp()),
        "bioLink": {"link": f"{acc.athlete}.example", "risk": 0},
        "language": acc.languages[0],
        "uniqueIdModifyTime": 0,
        "nickNameModifyTime": int(acc.created_at.timestamp()) + 86_400,
        "roomId": "",
        "canExpPlaylist": True,
        "profileEmbedPermission": 1,
    }
    detail = {
        "userInfo": {
            "user": user,
            "stats": {**stats, "followerCount": _round(stats["followerCount"])},
            "statsV2": {k: str(v) for k, v in stats.items()},
            "itemList": [],
        },
        "shareMeta": {"title": f"{acc.name} on TikTok", "desc": acc.bio},
        "statusCode": 0,
        "statusMsg": "",
        "needFix": False,
    }
    title = f"{acc.name} (@{acc.handle}) | TikTok"
    return html_response(
        _page(title, f"{HOST}/@{acc.handle}", _scope({"webapp.user-detail": detail}))
    )


def _item_list(world: World, req: Request) -> Response:
    sec_uid = req.arg("secUid")
    acc = next((a for a in world.platform_accounts["tiktok"] if a.sec_uid == sec_uid), None)
    count = max(1, min(req.int_arg("count", DEFAULT_COUNT), MAX_COUNT))
    cursor = req.int_arg("cursor", 0)
    oldest_first = req.arg("type", "1") == "0"
    now_ms = int((LATER_AT if req.snapshot == "later" else EARLY_AT).timestamp() * 1000)
    extra = {
        "fatal_item_ids": [],
        "logid": f"2026021012000{num('logid', req.path) % 10**9}",
        "now": now_ms,
    }
    if acc is None:
        return json_response(
            {
                "extra": extra,
                "hasMore": False,
                "hasMorePrevious": False,
                "itemList": [],
                "statusCode": 0,
                "status_code": 0,
                "status_msg": "",
            }
        )
    listed = world.listing(acc, req.snapshot)
    pinned = [p for p in listed if p.pinned_in_later and req.snapshot == "later"]
    ordinary = [p for p in listed if p not in pinned]
    if oldest_first:
        ordinary.reverse()
        rest = [p for p in ordinary if int(p.created_at.timestamp()) * 1000 > cursor]
    else:
        rest = [p for p in ordinary if cursor <= 0 or int(p.created_at.timestamp()) * 1000 < cursor]
    page = rest[:count]
    first_page = not oldest_first and bool(page) and page[0] is ordinary[0]
    items = [
        item_struct(world, p, req.snapshot, page=False)
        for p in ([*pinned, *page] if first_page else page)
    ]
    more = len(rest) > count
    next_cursor = int(page[-1].created_at.timestamp()) * 1000 if page else cursor
    return json_response(
        {
            "cursor": str(next_cursor),
            "extra": extra,
            "hasMore": more,
            "hasMorePrevious": more,
            "itemList": items,
            "log_pb": {"impr_id": extra["logid"]},
            "statusCode": 0,
            "status_code": 0,
            "status_msg": "",
        }
    )


def blockquote(world: World, post: Post, snapshot: str, *, oembed: bool = True) -> str:
    """The embed blockquote TikTok's embed code and oEmbed ``html`` give (FORMATS.md §1.6)."""
    rendered = render(world, post.caption_in(snapshot), "tiktok")
    text, parts, pos = rendered.text, [], 0
    for kind, start, end, value, _acc in rendered.spans:
        if kind not in ("tag", "mention"):
            continue
        parts.append(html.escape(text[pos:start], quote=False))
        if kind == "tag":
            parts.append(
                f'<a title="{html.escape(value)}" target="_blank" '
                f'href="{HOST}/tag/{html.escape(value)}?refer=embed">#{html.escape(value)}</a>'
            )
        else:
            parts.append(
                f'<a target="_blank" title="@{html.escape(value)}" '
                f'href="{HOST}/@{html.escape(value)}?refer=embed">@{html.escape(value)}</a>'
            )
        pos = end
    parts.append(html.escape(text[pos:], quote=False))
    handle = post.account.handle
    assert post.sound is not None
    sound = html.escape(f"♬ {post.sound.title} - {post.sound.artist}")
    embed_from = ' data-embed-from="oembed"' if oembed else ""
    return (
        f'<blockquote class="tiktok-embed" cite="{video_url(post)}" '
        f'data-video-id="{post.post_id}"{embed_from} style="max-width:605px; min-width:325px;"> '
        f'<section> <a target="_blank" title="@{handle}" href="{HOST}/@{handle}?refer=embed">'
        f"@{handle}</a> <p>{''.join(parts)}</p> "
        f'<a target="_blank" title="{sound}" href="{music_url(post)}?refer=embed">{sound}</a> '
        '</section> </blockquote> <script async src="https://www.tiktok.com/embed.js"></script>'
    )


def url_only_blockquote(post: Post) -> str:
    """An embed that carries only the video URL and id (the caption is loaded by embed.js)."""
    return (
        f'<blockquote class="tiktok-embed" cite="{video_url(post)}" '
        f'data-video-id="{post.post_id}" style="max-width: 605px;min-width: 325px;"> '
        "<section></section> </blockquote> "
        '<script async src="https://www.tiktok.com/embed.js"></script>'
    )


def _oembed(world: World, req: Request) -> Response:
    match = re.search(r"/(?:video|photo)/(\d+)", req.arg("url"))
    post = world.post("tiktok", match.group(1)) if match else None
    if post is None or not post.visible(req.snapshot):
        return json_response(
            {"code": 400, "message": "Something went wrong", "status_msg": "Something went wrong"},
            status=400,
        )
    acc = post.account
    return json_response(
        {
            "version": "1.0",
            "type": "video",
            "title": caption_text(world, post, req.snapshot),
            "author_url": f"{HOST}/@{acc.handle}",
            "author_name": acc.name,
            "width": "100%",
            "height": "100%",
            "html": blockquote(world, post, req.snapshot),
            "thumbnail_width": 576,
            "thumbnail_height": 1024,
            "thumbnail_url": _signed(
                f"tos-maliva-p-0068/{post.post_id[-12:]}", "cover", post.post_id
            ),
            "provider_url": HOST,
            "provider_name": "TikTok",
            "author_unique_id": acc.handle,
            "embed_product_id": post.post_id,
            "embed_type": "video",
        }
    )


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/tiktok``."""
    path = req.path
    if path in (
        "/api/creator/item_list/",
        "/api/creator/item_list",
        "/api/post/item_list/",
        "/api/post/item_list",
    ):
        return _item_list(world, req)
    if path in ("/oembed", "/oembed/"):
        return _oembed(world, req)
    if match := _VIDEO_PATH.match(path):
        return _video_page(world, req, match.group(3))
    if match := _PROFILE_PATH.match(path):
        return _profile_page(world, req, match.group(1))
    return not_found()


def created_ms(post: Post) -> int:
    """The item_list cursor value of a post (createTime * 1000)."""
    return int(post.created_at.timestamp()) * 1000


__all__ = ["blockquote", "created_ms", "handle", "item_struct", "url_only_blockquote", "video_url"]
