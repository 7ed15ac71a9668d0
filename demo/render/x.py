"""X on the demo site: ``/tweet-result?id=&token=`` syndication JSON (FORMATS.md §4.2).

Entity ``indices`` are code-point offsets into ``text``; an unknown id gives ``{}`` as the real
endpoint does for a tweet it cannot find.
"""

from __future__ import annotations

import html
from typing import Any

from demo.content import PUBLIC_HOSTS, Tweet, World, num, render
from demo.render.web import Request, Response, iso_z, json_response, not_found

HOST = PUBLIC_HOSTS["x"]


def status_url(tweet: Tweet) -> str:
    """``https://twitter.com/<handle>/status/<id>``."""
    return f"{HOST}/{tweet.handle}/status/{tweet.tweet_id}"


def tweet_json(world: World, tweet: Tweet) -> dict[str, Any]:
    """The syndication ``Tweet`` object."""
    rendered = render(world, tweet.caption, "x")
    hashtags, mentions = [], []
    for kind, start, end, value, _acc in rendered.spans:
        if kind == "tag":
            hashtags.append({"indices": [start, end], "text": value})
        elif kind == "mention":
            mentions.append(
                {
                    "id_str": str(num("xuser", value) % 10**18),
                    "indices": [start, end],
                    "name": value,
                    "screen_name": value,
                }
            )
    return {
        "__typename": "Tweet",
        "lang": tweet.language,
        "favorite_count": tweet.likes,
        "possibly_sensitive": False,
        "created_at": iso_z(tweet.created_at),
        "display_text_range": [0, len(rendered.text)],
        "entities": {"hashtags": hashtags, "urls": [], "user_mentions": mentions, "symbols": []},
        "id_str": tweet.tweet_id,
        "text": rendered.text,
        "user": {
            "id_str": tweet.user_id,
            "name": tweet.name,
            "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{tweet.user_id}/"
            "avatar_normal.jpg",
            "screen_name": tweet.handle,
            "verified": False,
            "is_blue_verified": False,
            "profile_image_shape": "Circle",
        },
        "edit_control": {
            "edit_tweet_ids": [tweet.tweet_id],
            "editable_until_msecs": str(int(tweet.created_at.timestamp() * 1000) + 3_600_000),
            "is_edit_eligible": True,
            "edits_remaining": "5",
        },
        "conversation_count": tweet.replies,
        "news_action_type": "conversation",
        "isEdited": False,
        "isStaleEdit": False,
    }


def blockquote(world: World, tweet: Tweet) -> str:
    """The publish.twitter.com embed (FORMATS.md §4.1)."""
    rendered = render(world, tweet.caption, "x")
    text, pos, parts = rendered.text, 0, []
    for kind, start, end, value, _acc in rendered.spans:
        parts.append(html.escape(text[pos:start], quote=False))
        if kind == "tag":
            parts.append(
                f'<a href="{HOST}/hashtag/{value}?src=hash&amp;ref_src=twsrc%5Etfw">'
                f"#{html.escape(value)}</a>"
            )
        elif kind == "mention":
            parts.append(f'<a href="{HOST}/{value}?ref_src=twsrc%5Etfw">@{html.escape(value)}</a>')
        else:
            parts.append(html.escape(text[start:end], quote=False))
        pos = end
    parts.append(html.escape(text[pos:], quote=False))
    when = tweet.created_at
    date = f"{when:%B} {when.day}, {when.year}"
    return (
        f'<blockquote class="twitter-tweet"><p lang="{tweet.language}" dir="ltr">'
        f"{''.join(parts)}</p>&mdash; {html.escape(tweet.name)} (@{tweet.handle}) "
        f'<a href="{status_url(tweet)}?ref_src=twsrc%5Etfw">{date}</a></blockquote> '
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    )


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/x``."""
    if req.path.rstrip("/") != "/tweet-result":
        return not_found()
    tweet = next((t for t in world.tweets if t.tweet_id == req.arg("id")), None)
    return json_response(tweet_json(world, tweet) if tweet else {})
