"""YouTube on the demo site: the channel Atom feed ``/feeds/videos.xml?channel_id=``.

Shaped like the real feed (FORMATS.md §3, real/youtube): ``yt:videoId``, ``media:group`` with the
description, ``media:starRating`` (likes) and ``media:statistics`` (views); the feed-level
``yt:channelId``/``id`` lack the ``UC`` prefix as in the real capture. Unlike the real feed (the
latest 15 entries), the demo feed holds **every** video of the channel, newest first.
"""

from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import escape, quoteattr

from demo.content import EARLY_AT, LATER_AT, PUBLIC_HOSTS, Account, Post, World, render
from demo.render.web import Request, Response, iso_offset, text_response, xml_response

HOST = PUBLIC_HOSTS["youtube"]
_FLASH = 'type="application/x-shockwave-flash" width="640" height="390"'
_THUMB = 'width="480" height="360"'
_NAMESPACES = (
    'xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom"'
)


def watch_url(post: Post) -> str:
    """The watch URL (``/shorts/<id>`` for Shorts)."""
    if post.kind == "short":
        return f"{HOST}/shorts/{post.post_id}"
    return f"{HOST}/watch?v={post.post_id}"


def description(world: World, post: Post, snapshot: str) -> str:
    """``media:description`` as the snapshot shows it."""
    return render(world, post.caption_in(snapshot), "youtube").text


def _entry(world: World, post: Post, snapshot: str) -> str:
    acc = post.account
    counts = post.counts(snapshot)
    updated = post.created_at + timedelta(hours=int(post.extra.get("updated_delay_h", 24)))
    if snapshot == "later":
        # stats refreshed: YouTube bumps <updated> when counts or metadata change
        updated = max(updated, LATER_AT - timedelta(hours=3))
    else:
        updated = min(updated, EARLY_AT - timedelta(hours=1))
    title = escape(post.title_in(snapshot))
    vid = post.post_id
    return f"""
 <entry>
  <id>yt:video:{vid}</id>
  <yt:videoId>{vid}</yt:videoId>
  <yt:channelId>{acc.account_id}</yt:channelId>
  <title>{title}</title>
  <link rel="alternate" href={quoteattr(watch_url(post))}/>
  <author>
   <name>{escape(acc.name)}</name>
   <uri>{HOST}/channel/{acc.account_id}</uri>
  </author>
  <published>{iso_offset(post.created_at)}</published>
  <updated>{iso_offset(updated)}</updated>
  <media:group>
   <media:title>{title}</media:title>
   <media:content url="{HOST}/v/{vid}?version=3" {_FLASH}/>
   <media:thumbnail url="https://i{1 + len(vid) % 4}.ytimg.com/vi/{vid}/hqdefault.jpg" {_THUMB}/>
   <media:description>{escape(description(world, post, snapshot))}</media:description>
   <media:community>
    <media:starRating count="{counts["likes"]}" average="5.00" min="1" max="5"/>
    <media:statistics views="{counts["views"]}"/>
   </media:community>
  </media:group>
 </entry>"""


def feed(world: World, acc: Account, snapshot: str) -> str:
    """The channel's Atom feed."""
    short_id = acc.account_id.removeprefix("UC")
    entries = "".join(_entry(world, p, snapshot) for p in world.listing(acc, snapshot))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed {_NAMESPACES}>
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={acc.account_id}"/>
 <id>yt:channel:{short_id}</id>
 <yt:channelId>{short_id}</yt:channelId>
 <title>{escape(acc.name)}</title>
 <link rel="alternate" href="{HOST}/channel/{acc.account_id}"/>
 <author>
  <name>{escape(acc.name)}</name>
  <uri>{HOST}/channel/{acc.account_id}</uri>
 </author>
 <published>{iso_offset(acc.created_at)}</published>{entries}
</feed>
"""


def handle(world: World, req: Request) -> Response:
    """Answer a request under ``{root}/youtube``."""
    if req.path.rstrip("/") != "/feeds/videos.xml":
        return text_response("Not Found\n", 404)
    channel = req.arg("channel_id")
    playlist = req.arg("playlist_id")
    if playlist.startswith("UU"):  # a channel's uploads playlist
        channel = "UC" + playlist[2:]
    acc = next((a for a in world.platform_accounts["youtube"] if a.account_id == channel), None)
    if acc is None:
        return text_response("Not Found\n", 404)
    return xml_response(feed(world, acc, req.snapshot), "application/atom+xml")
