"""Deterministic content of the demo site: accounts, posts, edits, deletions, reposts, articles.

Everything is generated from fixed seeds (``random.Random(<str>)`` hashes a str seed with
SHA-512, so nothing depends on ``PYTHONHASHSEED``). The world holds both snapshots at once: each
post says whether it is new in, edited in, deleted from or pinned in the "later" snapshot. The
renderers (:mod:`demo.render`) and :func:`demo.site.expected_facts` read the same
objects, so the facts can never disagree with the pages.
"""

from __future__ import annotations

import base64
import hashlib
import random
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from demo import captions as cap
from demo.articles import Article, build_articles

ROSTER_PATH = Path(__file__).with_name("roster.toml")

PLATFORMS = ("tiktok", "instagram", "bluesky", "mastodon", "youtube")
SNAPSHOTS = ("early", "later")

#: Posts are spread from START to EARLY_AT; "later" adds posts between EARLY_AT and LATER_AT.
START = datetime(2024, 2, 12, tzinfo=UTC)
EARLY_AT = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
LATER_AT = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)

#: Where each platform really lives: the canonical URLs inside payloads use these hosts.
PUBLIC_HOSTS = {
    "tiktok": "https://www.tiktok.com",
    "instagram": "https://www.instagram.com",
    "bluesky": "https://bsky.app",
    "youtube": "https://www.youtube.com",
    "x": "https://twitter.com",
}

#: TikTok ``webapp.video-detail.statusCode`` the demo sends for a deleted video (any code other
#: than 0, 10204 blocked, 10216/10222 private means "unavailable").
TIKTOK_DELETED_STATUS = 10217

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"

# A caption is a tuple of segments: ("text", s), ("tag", name-without-#), ("mention", slug or
# "@literal"), ("link", url). Platforms render mentions in their own handle form.
Segment = tuple[str, str]
Caption = tuple[Segment, ...]


def seeded(seed: str) -> random.Random:
    """A generator with a fixed seed (content, not cryptography)."""
    return random.Random(seed)  # noqa: S311


# --- ids ---------------------------------------------------------------------------------------


def digest(*parts: object) -> bytes:
    """SHA-256 of the parts: the source of every generated id."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def num(*parts: object) -> int:
    """A stable 64-bit number for the parts."""
    return int.from_bytes(digest(*parts)[:8], "big")


def b64_chars(n: int, *parts: object) -> str:
    """``n`` URL-safe base64 alphabet characters derived from the parts."""
    data = digest(*parts) + digest("more", *parts)
    return "".join(B64URL[b % 64] for b in data[:n])


def ms(dt: datetime) -> int:
    """Unix milliseconds."""
    return int(dt.timestamp() * 1000)


def tiktok_video_id(created: datetime, *parts: object) -> str:
    """A 19-digit id whose upper 32 bits are the creation time, as TikTok's are."""
    return str((int(created.timestamp()) << 32) | (num("tt", *parts) & 0xFFFFFFFF))


def instagram_pk(created: datetime, *parts: object) -> int:
    """Instagram media pk: milliseconds since Instagram's epoch << 23, plus shard and sequence."""
    return ((ms(created) - 1314220021721) << 23) | (num("ig", *parts) % (1 << 23))


def shortcode(pk: int) -> str:
    """The shortcode of a media pk (base64url digits, as yt-dlp's ``_id_to_pk`` reverses)."""
    out = ""
    while pk:
        pk, rest = divmod(pk, 64)
        out = B64URL[rest] + out
    return out


def bluesky_tid(created: datetime, clock: int) -> str:
    """A record key in TID form: microseconds << 10 | clock id, 13 base32-sortable characters."""
    value = (int(created.timestamp() * 1_000_000) << 10) | (clock % 1024)
    return "".join(B32_SORTABLE[(value >> (60 - 5 * i)) & 31] for i in range(13))


def bluesky_cid(*parts: object) -> str:
    """A CIDv1 look-alike (``bafyrei`` + base32 of a sha256)."""
    return "bafyrei" + base64.b32encode(digest("cid", *parts)).decode().lower().rstrip("=")[:52]


def bluesky_did(*parts: object) -> str:
    """A did:plc look-alike."""
    return "did:plc:" + base64.b32encode(digest("did", *parts)).decode().lower()[:24]


def snowflake(created: datetime, *parts: object) -> str:
    """A Mastodon-style id: milliseconds << 16 plus a sequence."""
    return str((ms(created) << 16) | (num("masto", *parts) % 65536))


def tweet_id(created: datetime, *parts: object) -> str:
    """An X snowflake: milliseconds since the Twitter epoch << 22."""
    return str(((ms(created) - 1288834974657) << 22) | (num("x", *parts) % (1 << 22)))


def youtube_video_id(*parts: object) -> str:
    """An 11-character video id (the last character from the 16 that real ids end with)."""
    return b64_chars(10, "yt", *parts) + "AEIMQUYcgkosw048"[num("yt-last", *parts) % 16]


# --- model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Athlete:
    """A roster athlete (fictional)."""

    slug: str
    name: str
    sport: str
    country: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Account:
    """One account on one platform; ``athlete`` is "" for accounts outside the roster."""

    platform: str
    handle: str
    athlete: str
    name: str
    account_id: str
    created_at: datetime
    followers: int
    following: int
    bio: str
    sport: str
    languages: tuple[str, ...]
    sec_uid: str = ""
    instance: str = ""
    username: str = ""

    @property
    def key(self) -> str:
        """``platform:handle``."""
        return f"{self.platform}:{self.handle}"


@dataclass(frozen=True)
class Sound:
    """A TikTok music object or an Instagram audio."""

    id: str
    title: str
    artist: str
    original: bool
    duration: int
    album: str = ""


@dataclass
class Post:
    """One post with both snapshots' state."""

    platform: str
    post_id: str
    account: Account
    created_at: datetime
    language: str
    caption: Caption
    kind: str
    counts_early: dict[str, int]
    counts_later: dict[str, int]
    tags_at: int = 0
    title: str = ""
    sound: Sound | None = None
    edited_caption: Caption | None = None
    edited_title: str | None = None
    edited_at: datetime | None = None
    new_in_later: bool = False
    deleted_in_later: bool = False
    pinned_in_later: bool = False
    blocked_in_later: bool = False
    malformed_page: bool = False
    story: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def visible(self, snapshot: str) -> bool:
        """Whether the post exists (is listed and answers) in the snapshot."""
        if snapshot == "early":
            return not self.new_in_later
        return not self.deleted_in_later

    def caption_in(self, snapshot: str) -> Caption:
        """The caption as the snapshot shows it."""
        if snapshot == "later" and self.edited_caption is not None:
            return self.edited_caption
        return self.caption

    def title_in(self, snapshot: str) -> str:
        """YouTube title as the snapshot shows it."""
        if snapshot == "later" and self.edited_title is not None:
            return self.edited_title
        return self.title

    def counts(self, snapshot: str) -> dict[str, int]:
        """Counts (views, likes, comments, shares, saves) as the snapshot shows them."""
        return self.counts_later if snapshot == "later" else self.counts_early

    def edited_in(self, snapshot: str) -> bool:
        """Whether the snapshot shows the edited version."""
        return snapshot == "later" and (
            self.edited_caption is not None or self.edited_title is not None
        )


@dataclass
class Repost:
    """A repost (Bluesky) or reblog (Mastodon) of someone else's post by ``by``."""

    platform: str
    repost_id: str
    by: Account
    post: Post
    created_at: datetime


@dataclass
class Tweet:
    """The X post embedded in an article (only reachable through the syndication route)."""

    tweet_id: str
    athlete: str
    handle: str
    name: str
    user_id: str
    created_at: datetime
    language: str
    caption: Caption
    likes: int
    replies: int


@dataclass
class World:
    """Everything the demo site serves."""

    athletes: list[Athlete]
    accounts: dict[str, Account]
    platform_accounts: dict[str, list[Account]]
    posts: dict[str, dict[str, Post]]
    by_account: dict[str, list[Post]]
    reposts: list[Repost]
    outsiders: list[Account]
    tweets: list[Tweet]
    articles: list[Article]
    roster_text: str

    def account_of(self, athlete: str, platform: str) -> Account | None:
        """The athlete's account on the platform, or None."""
        return next(
            (a for a in self.platform_accounts.get(platform, []) if a.athlete == athlete), None
        )

    def find_account(self, platform: str, handle: str) -> Account | None:
        """An account by handle (roster or outsider), case-insensitive."""
        handle = handle.lstrip("@").lower()
        for acc in [*self.platform_accounts.get(platform, []), *self.outsiders]:
            if acc.platform == platform and handle in {
                acc.handle.lower(),
                acc.account_id.lower(),
                acc.username.lower(),
            }:
                return acc
        return None

    def post(self, platform: str, post_id: str) -> Post | None:
        """A post by platform id, or None."""
        return self.posts.get(platform, {}).get(post_id)

    def listing(self, account: Account, snapshot: str) -> list[Post]:
        """The account's own posts visible in the snapshot, newest first."""
        return [p for p in self.by_account.get(account.key, []) if p.visible(snapshot)]


def mention_text(world: World, value: str, platform: str) -> tuple[str, Account | None]:
    """How a mention segment reads on a platform, and the account it points to."""
    if value.startswith("@"):
        return value, None
    acc = world.account_of(value, platform)
    if acc is None:
        athlete = next(a for a in world.athletes if a.slug == value)
        return athlete.name, None
    if platform == "mastodon":
        return "@" + acc.username, acc
    return "@" + acc.handle, acc


@dataclass
class Rendered:
    """Caption text plus spans (kind, start, end, value) in code points."""

    text: str
    spans: list[tuple[str, int, int, str, Account | None]]


def render(world: World, caption: Caption, platform: str) -> Rendered:
    """Render a caption for a platform: the text and where tags, mentions and links are."""
    text = ""
    spans: list[tuple[str, int, int, str, Account | None]] = []
    for kind, value in caption:
        if kind == "text":
            text += value
        elif kind == "tag":
            start = len(text)
            text += "#" + value
            spans.append(("tag", start, len(text), value, None))
        elif kind == "mention":
            shown, acc = mention_text(world, value, platform)
            start = len(text)
            text += shown
            if shown.startswith("@"):
                spans.append(("mention", start, len(text), shown[1:], acc))
        elif kind == "link":
            start = len(text)
            text += value
            spans.append(("link", start, len(text), value, None))
    return Rendered(text, spans)


# --- roster ------------------------------------------------------------------------------------


def load_roster_data() -> dict[str, Any]:
    """The parsed demo roster (roster.toml)."""
    return tomllib.loads(ROSTER_PATH.read_text(encoding="utf-8"))


_NICKNAMES = {"haruka-aoyama": "Haruka Aoyama 青山遥"}
_BIOS = {
    "nl": "{sport} 🇳🇱 | Dromen groot, trainen hard | Demo-atleet",
    "en": "{sport} | Dream big, train hard | Demo athlete",
    "ja": "{sport} 日本代表 | 夢に向かって毎日練習 | デモ選手",
    "de": "{sport} 🇩🇪 | Groß träumen, hart trainieren | Demo-Athlet",
    "no": "{sport} 🇳🇴 | Drøm stort, tren hardt | Demo-utøver",
}


def _account(platform: str, handle: str, athlete: Athlete) -> Account:
    seed = f"{platform}:{handle}"
    created = START - timedelta(days=300 + num("created", seed) % 1500)
    followers = 2_000 + num("followers", seed) % 240_000
    lang = athlete.languages[0]
    bio = _BIOS.get(lang, _BIOS["en"]).format(sport=athlete.sport.title())
    name = _NICKNAMES.get(athlete.slug, athlete.name) if platform == "tiktok" else athlete.name
    kw: dict[str, Any] = {}
    if platform == "tiktok":
        account_id = str(6_800_000_000_000_000_000 + num("ttuser", seed) % 10**17)
        kw["sec_uid"] = "MS4wLjABAAAA" + b64_chars(64, "secuid", seed)
        kw["username"] = handle
    elif platform == "instagram":
        account_id = str(1_000_000_000 + num("iguser", seed) % 60_000_000_000)
        kw["username"] = handle
    elif platform == "bluesky":
        account_id = bluesky_did(seed)
        kw["username"] = handle
    elif platform == "mastodon":
        username, _, instance = handle.partition("@")
        account_id = snowflake(created, seed)
        kw["username"] = username
        kw["instance"] = instance
    else:  # youtube: the handle is the channel id
        account_id = handle
        kw["username"] = athlete.name
    return Account(
        platform=platform,
        handle=handle,
        athlete=athlete.slug,
        name=name,
        account_id=account_id,
        created_at=created,
        followers=followers,
        following=50 + num("following", seed) % 900,
        bio=bio,
        sport=athlete.sport,
        languages=athlete.languages,
        **kw,
    )


# --- generation --------------------------------------------------------------------------------

SONGS = (
    Sound("7301228820398441217", "Cold Lines", "Nora Vale", False, 58, "Cold Lines"),
    Sound("7312460318825089793", "Blue Ice Anthem", "The Rinkside Club", False, 45),
    Sound("7287740190623156993", "Sprint (Radio Edit)", "Kaito Mori", False, 60),
    Sound("7330214508125669121", "Fjellvind", "Astrid & The Pines", False, 52),
    Sound("7265902735100577537", "Up - Up and Away", "Skyline Kids", False, 39),
    Sound("7341018273368819457", "Stadium Lights", "Mara Quell, DJ Fenn", False, 47),
)

#: The title TikTok shows for an original sound, per athlete (localized for some viewers).
ORIGINAL_SOUND_TITLES = {
    "sindre-haugland": "Originalton",
    "haruka-aoyama": "オリジナル楽曲",
}

_COUNTS_PER_ACCOUNT = {"tiktok": 15, "instagram": 15, "bluesky": 15, "mastodon": 16, "youtube": 16}
_LONG_FEED = ("bluesky", "haruka.bsky.example")  # enough posts for a second page at any limit
_LONG_FEED_POSTS = 104


def _tail(rng: random.Random, platform: str, lang: str, tags: list[str]) -> list[Segment]:
    segs: list[Segment] = []
    if platform == "instagram" and rng.random() < 0.4:
        segs.append(("text", "\n.\n.\n"))
    elif platform in ("instagram", "youtube") and rng.random() < 0.5:
        segs.append(("text", "\n\n"))
    else:
        segs.append(("text", " "))
    for n, tag in enumerate(tags):
        if n:
            segs.append(("text", " "))
        segs.append(("tag", tag))
    return segs


def compose(
    rng: random.Random,
    acc: Account,
    lang: str,
    mates: list[str],
    *,
    link: str | None = None,
) -> tuple[Caption, int]:
    """A caption in ``lang`` for ``acc``: opener, detail, maybe a team-mate and a link, tags.

    Returns the caption and the index of its first tag segment (where an edit inserts a line).
    """
    v = cap.vocab(acc.sport, lang)
    sep = "" if lang == "ja" else " "
    event, place = rng.choice(v["events"]), rng.choice(v["places"])
    opener = rng.choice(cap.OPENERS[lang]).format(event=event, place=place)
    opener = opener[0].upper() + opener[1:]
    emoji = rng.choice(v["emoji"])
    segs: list[Segment] = [("text", opener)]
    emoji_inline = rng.random() < 0.35
    if emoji_inline:
        segs.append(("text", " " + emoji))
    segs.append(("text", sep + rng.choice(v["details"])))
    if mates and rng.random() < 0.35:
        before, after = rng.choice(cap.MATE_LINES[lang]).split("{mate}")
        segs += [("text", sep + before), ("mention", rng.choice(mates)), ("text", after)]
    if link:
        segs += [("text", sep + cap.LINK_LINES[lang] + " "), ("link", link)]
    if not emoji_inline:
        segs.append(("text", " " + emoji * (2 if rng.random() < 0.3 else 1)))
    rest = list(v["tags"][1:])
    tags = [v["tags"][0], *rng.sample(rest, min(len(rest), rng.randint(1, 3)))]
    tail = _tail(rng, acc.platform, lang, tags)
    tags_at = len(segs)
    return (*segs, *tail), tags_at


def edit_caption(caption: Caption, tags_at: int, lang: str) -> Caption:
    """The caption with the language's edit line inserted before the hashtags."""
    sep = "" if lang == "ja" else " "
    line: Segment = ("text", sep + cap.EDIT_LINES[lang])
    return (*caption[:tags_at], line, *caption[tags_at:])


def _counts(platform: str, rng: random.Random, acc: Account, created: datetime) -> dict[str, int]:
    scale = acc.followers / 40_000
    views = int((3_000 + rng.random() * 120_000) * scale) + 100
    likes = max(3, int(views * (0.03 + rng.random() * 0.09)))
    comments = max(1, int(likes * (0.01 + rng.random() * 0.05)))
    shares = max(0, int(likes * rng.random() * 0.04))
    saves = max(0, int(likes * rng.random() * 0.06))
    if platform == "tiktok":
        return {
            "views": views,
            "likes": likes,
            "comments": comments,
            "shares": shares,
            "saves": saves,
        }
    if platform == "instagram":
        return {"views": views, "likes": likes, "comments": comments}
    if platform == "youtube":
        return {"views": views, "likes": likes}
    small = max(4, likes // 40)
    return {"likes": small, "comments": max(0, small // 8), "shares": max(0, small // 5)}


def _grow(counts: dict[str, int], rng: random.Random) -> dict[str, int]:
    grown = {
        k: int(v * (1.02 + rng.random() * 0.25)) + rng.randint(0, 3) for k, v in counts.items()
    }
    grown["likes"] = max(grown["likes"], counts["likes"] + 1)
    return grown


def _times(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    span = int((end - start).total_seconds())
    picked: set[int] = set()
    while len(picked) < n:
        t = rng.randrange(span)
        # athletes post between 06:00 and 22:00 UTC, and not twice in the same hour
        hour = (start + timedelta(seconds=t)).hour
        if 6 <= hour <= 22 and all(abs(t - o) > 3600 for o in picked):
            picked.add(t)
    return sorted((start + timedelta(seconds=t) for t in picked), reverse=True)


def _pick_language(rng: random.Random, languages: tuple[str, ...]) -> str:
    if len(languages) == 1 or rng.random() < 0.65:
        return languages[0]
    return languages[1]


def _mates(world_accounts: list[Account], acc: Account) -> list[str]:
    return [a.athlete for a in world_accounts if a.athlete and a.athlete != acc.athlete]


def _make_post(
    platform: str,
    acc: Account,
    created: datetime,
    lang: str,
    caption: Caption,
    tags_at: int,
    rng: random.Random,
    n: int,
) -> Post:
    seed = (acc.key, n, created.isoformat())
    counts = _counts(platform, rng, acc, created)
    post = Post(
        platform=platform,
        post_id="",
        account=acc,
        created_at=created,
        language=lang,
        caption=caption,
        kind="",
        counts_early=counts,
        counts_later=_grow(counts, rng),
        tags_at=tags_at,
    )
    if platform == "tiktok":
        post.post_id = tiktok_video_id(created, *seed)
        post.kind = "photo" if rng.random() < 0.12 else "video"
        if rng.random() < 0.4:
            title = ORIGINAL_SOUND_TITLES.get(acc.athlete, "original sound")
            music_id = str(int(post.post_id) + 1_000_000 + num("orig", *seed) % 1_000_000)
            post.sound = Sound(music_id, title, acc.name, True, 10 + rng.randrange(50))
        else:
            post.sound = rng.choice(SONGS)
        post.extra["trailing_space"] = rng.random() < 0.5
        post.extra["duration"] = 0 if post.kind == "photo" else 8 + rng.randrange(50)
    elif platform == "instagram":
        pk = instagram_pk(created, *seed)
        post.post_id = shortcode(pk)
        post.extra["pk"] = str(pk)
        roll = rng.random()
        post.kind = "reel" if roll < 0.4 else ("photo" if roll < 0.75 else "carousel")
        if post.kind == "reel":
            if rng.random() < 0.5:
                post.sound = Sound(
                    str(num("igaudio", *seed) % 10**16),
                    "Original audio",
                    acc.handle,
                    True,
                    15 + rng.randrange(40),
                )
            else:
                song = rng.choice(SONGS)
                post.sound = Sound(
                    str(num("igsong", song.id) % 10**16),
                    song.title,
                    song.artist,
                    False,
                    song.duration,
                )
        else:
            post.counts_early.pop("views")
            post.counts_later.pop("views")
        post.extra["carousel"] = 2 + rng.randrange(4) if post.kind == "carousel" else 0
    elif platform == "bluesky":
        rkey = bluesky_tid(created, num("clock", *seed))
        post.post_id = f"at://{acc.account_id}/app.bsky.feed.post/{rkey}"
        post.kind = "text"
        post.extra["rkey"] = rkey
        post.extra["cid"] = bluesky_cid(*seed)
        post.extra["images"] = 1 + rng.randrange(3) if rng.random() < 0.35 else 0
        post.extra["indexed_delay_ms"] = 150 + rng.randrange(2500)
    elif platform == "mastodon":
        post.post_id = snowflake(created, *seed)
        post.kind = "text"
        post.extra["media"] = 1 if rng.random() < 0.3 else 0
    elif platform == "youtube":
        post.post_id = youtube_video_id(*seed)
        short = rng.random() < 0.3
        post.kind = "short" if short else "video"
        v = cap.vocab(acc.sport, lang)
        title = rng.choice(cap.YOUTUBE_TITLES[lang]).format(
            event=rng.choice(v["events"]), place=rng.choice(v["places"])
        )
        title = title[0].upper() + title[1:]
        post.title = title + (" #shorts" if short else "")
        post.extra["updated_delay_h"] = 5 + rng.randrange(200)
    return post


def _story_posts(accounts: dict[str, Account]) -> list[tuple[str, Post]]:
    """Hand-written posts that articles embed (fixed dates and captions)."""
    out: list[tuple[str, Post]] = []

    def add(
        story: str,
        platform: str,
        handle: str,
        when: datetime,
        lang: str,
        caption: Caption,
        tags_at: int,
        kind: str,
        **extra: Any,
    ) -> Post:
        acc = accounts[f"{platform}:{handle}"]
        rng = seeded(f"story:{story}")
        post = _make_post(platform, acc, when, lang, caption, tags_at, rng, 0)
        post.story = story
        post.kind = kind
        for key, value in extra.items():
            if hasattr(post, key):
                setattr(post, key, value)
            else:
                post.extra[key] = value
        if platform == "instagram" and kind != "reel":
            post.counts_early.pop("views", None)
            post.counts_later.pop("views", None)
            post.extra["carousel"] = post.extra.get("carousel", 0) if kind == "carousel" else 0
        out.append((story, post))
        return post

    gold = (
        (
            "text",
            "Nog steeds geen woorden voor gisteravond. Vier jaar lang elke ochtend om zes "
            "uur op het ijs, en dan valt in één rit ineens alles op zijn plek. Baanrecord én "
            "goud, en een dikke knuffel voor ",
        ),
        ("mention", "haruka-aoyama"),
        ("text", " na de mooiste strijd van het seizoen 🥇 "),
        ("tag", "schaatsen"),
        ("text", " "),
        ("tag", "teamNL"),
        ("text", " "),
        ("tag", "goud"),
    )
    add(
        "lotte-gold-tiktok",
        "tiktok",
        "lottevandijk",
        datetime(2026, 2, 7, 21, 14, 9, tzinfo=UTC),
        "nl",
        gold,
        3,
        "video",
        sound=SONGS[0],
        trailing_space=True,
    )
    medal = (
        (
            "text",
            "De medaille is eindelijk thuis en hij is zwaarder dan ik had gedacht. Dank aan "
            "iedereen die al die jaren in mij is blijven geloven, dit is ook van jullie 🧡"
            "\n\n",
        ),
        ("tag", "schaatsen"),
        ("text", " "),
        ("tag", "teamNL"),
        ("text", " "),
        ("tag", "goud"),
        ("text", " "),
        ("tag", "Thialf"),
    )
    add(
        "lotte-medal-instagram",
        "instagram",
        "lotte.vandijk",
        datetime(2026, 2, 8, 10, 2, 55, tzinfo=UTC),
        "nl",
        medal,
        1,
        "carousel",
        carousel=3,
        sound=None,
    )
    training = (
        (
            "text",
            "Achter de schermen bij de training van vandaag: de sfeer in de groep is echt "
            "geweldig en we hebben heel veel zin in de topper van zondag ⚽️ ",
        ),
        ("tag", "voetbal"),
        ("text", " "),
        ("tag", "vrouwenvoetbal"),
        ("text", " "),
        ("tag", "teamwork"),
    )
    add(
        "mila-training-tiktok",
        "tiktok",
        "milaverhoeven10",
        datetime(2026, 2, 3, 17, 30, 41, tzinfo=UTC),
        "nl",
        training,
        1,
        "video",
        sound=SONGS[5],
        trailing_space=False,
    )
    inzell = (
        (
            "text",
            "インツェルでのワールドカップ、たくさんの応援ありがとうございました！"
            "次のレースに向けてしっかり準備していきます。⛸️ ",
        ),
        ("tag", "日本代表"),
        ("text", " "),
        ("tag", "ファイト"),
        ("text", " "),
        ("tag", "スピードスケート"),
    )
    add(
        "haruka-inzell-instagram",
        "instagram",
        "haruka_aoyama_skate",
        datetime(2026, 2, 5, 9, 12, 3, tzinfo=UTC),
        "ja",
        inzell,
        1,
        "photo",
        sound=None,
    )
    record = (
        (
            "text",
            "Ny personlig rekord i Vikersund i dag, 238 meter! Jeg har drømt om dette hoppet "
            "siden jeg var en liten gutt. Takk til ",
        ),
        ("mention", "ingrid-solberg"),
        ("text", " for heiingen på tribunen 🙌 "),
        ("tag", "skihopp"),
        ("text", " "),
        ("tag", "heiaNorge"),
        ("text", " "),
        ("tag", "sølv"),
    )
    add(
        "sindre-record-bluesky",
        "bluesky",
        "sindre.bsky.example",
        datetime(2026, 1, 25, 15, 41, 27, tzinfo=UTC),
        "no",
        record,
        3,
        "text",
        images=1,
    )
    camp = (
        (
            "text",
            "Die erste Woche im Trainingslager auf Mallorca ist geschafft. Lange Anstiege, "
            "viel Sonne und ehrlich gesagt ziemlich müde Beine. Im Video zeige ich euch "
            "unseren Alltag zwischen Rad, Essen und Schlaf.\n\n",
        ),
        ("tag", "Radsport"),
        ("text", " "),
        ("tag", "Trainingslager"),
        ("text", " "),
        ("tag", "überglücklich"),
    )
    add(
        "jonas-camp-youtube",
        "youtube",
        "UCSCkehWy5DM4VJ7KGm1UJlA",
        datetime(2026, 1, 28, 16, 0, 12, tzinfo=UTC),
        "de",
        camp,
        1,
        "video",
        title="Trainingslager auf Mallorca: so hart war die erste Woche",
    )
    back = (
        (
            "text",
            "Vandaag voor het eerst sinds de Spelen weer op het ijs in Thialf, en eerlijk "
            "gezegd voelde het gewoon als thuiskomen. Nu rustig opbouwen naar het WK ⛸️ ",
        ),
        ("tag", "schaatsen"),
        ("text", " "),
        ("tag", "Thialf"),
        ("text", " "),
        ("tag", "teamNL"),
    )
    add(
        "lotte-back-tiktok",
        "tiktok",
        "lottevandijk",
        datetime(2026, 2, 15, 18, 3, 30, tzinfo=UTC),
        "nl",
        back,
        1,
        "video",
        sound=SONGS[1],
        new_in_later=True,
        trailing_space=True,
    )
    return out


def _generate_account_posts(world_accounts: list[Account], acc: Account) -> list[Post]:
    platform = acc.platform
    rng = seeded(f"posts:{acc.key}")
    n = _COUNTS_PER_ACCOUNT[platform] + num("n", acc.key) % 6
    if (platform, acc.handle) == _LONG_FEED:
        n = _LONG_FEED_POSTS
    mates = _mates(world_accounts, acc)
    posts: list[Post] = []
    times = _times(rng, n, START, EARLY_AT - timedelta(days=1))
    new_count = 2 if world_accounts[0] is acc else 1
    new_times = _times(rng, new_count, EARLY_AT + timedelta(hours=2), LATER_AT - timedelta(hours=3))
    for i, when in enumerate([*new_times, *times]):
        lang = _pick_language(rng, acc.languages)
        link = None
        if platform in ("bluesky", "mastodon") and rng.random() < 0.15:
            page = num("blog", acc.key, i) % 900 + 100
            link = f"https://{acc.athlete}.example/blog/{when:%Y/%m}/{page}"
        post_mates = mates if platform != "youtube" else []
        caption, tags_at = compose(rng, acc, lang, post_mates, link=link)
        post = _make_post(platform, acc, when, lang, caption, tags_at, rng, i)
        post.new_in_later = i < new_count
        posts.append(post)
    return posts


def _outsider(platform: str, handle: str, name: str, lang: str) -> Account:
    created = START - timedelta(days=700)
    return Account(
        platform=platform,
        handle=handle,
        athlete="",
        name=name,
        account_id=bluesky_did("outsider", handle) if platform == "bluesky" else handle,
        created_at=created,
        followers=18_400,
        following=310,
        bio="Schaatsnieuws, uitslagen en verhalen van de baan (demo-account).",
        sport="speed skating",
        languages=(lang,),
        username=handle,
    )


@lru_cache(maxsize=1)
def build_world() -> World:
    """Generate the whole demo world (cached: it is pure)."""
    data = load_roster_data()
    athletes: list[Athlete] = []
    accounts: dict[str, Account] = {}
    platform_accounts: dict[str, list[Account]] = {p: [] for p in PLATFORMS}
    for raw in data["athlete"]:
        athlete = Athlete(
            raw["slug"], raw["name"], raw["sport"], raw["country"], tuple(raw["languages"])
        )
        athletes.append(athlete)
        for acc_raw in raw.get("account", []):
            acc = _account(acc_raw["platform"], acc_raw["handle"], athlete)
            accounts[acc.key] = acc
            platform_accounts[acc.platform].append(acc)

    posts: dict[str, dict[str, Post]] = {p: {} for p in PLATFORMS}
    by_account: dict[str, list[Post]] = {}
    for platform in PLATFORMS:
        for acc in platform_accounts[platform]:
            by_account[acc.key] = _generate_account_posts(platform_accounts[platform], acc)
    stories = _story_posts(accounts)
    for _, post in stories:
        by_account[post.account.key].append(post)
    for key, plist in by_account.items():
        plist.sort(key=lambda p: p.created_at, reverse=True)
        for post in plist:
            posts[post.platform][post.post_id] = post
        assert len({p.post_id for p in plist}) == len(plist), key
    story = dict(stories)
    _assign_roles(platform_accounts, by_account, story)

    outsiders = [_outsider("bluesky", "schaatsnieuws.bsky.example", "Schaatsnieuws Demo", "nl")]
    reposts = _reposts(platform_accounts, by_account, outsiders, posts)
    world = World(
        athletes=athletes,
        accounts=accounts,
        platform_accounts=platform_accounts,
        posts=posts,
        by_account=by_account,
        reposts=reposts,
        outsiders=outsiders,
        tweets=[_tweet()],
        articles=[],
        roster_text=ROSTER_PATH.read_text(encoding="utf-8"),
    )
    world.articles = build_articles(story, world.tweets)
    return world


def _plain(plist: list[Post]) -> list[Post]:
    """Posts that can take a role: old enough, no story, no role yet."""
    return [
        p
        for p in plist
        if not (
            p.story
            or p.new_in_later
            or p.deleted_in_later
            or p.edited_caption
            or p.edited_title
            or p.pinned_in_later
            or p.malformed_page
        )
    ]


def _assign_roles(
    platform_accounts: dict[str, list[Account]],
    by_account: dict[str, list[Post]],
    story: dict[str, Post],
) -> None:
    def acc_posts(platform: str, athlete: str) -> list[Post]:
        acc = next(a for a in platform_accounts[platform] if a.athlete == athlete)
        return _plain(by_account[acc.key])

    def edit(post: Post, minutes: int) -> None:
        post.edited_caption = edit_caption(post.caption, post.tags_at, post.language)
        post.edited_at = EARLY_AT + timedelta(minutes=minutes)

    edit(acc_posts("tiktok", "lotte-van-dijk")[2], 600)
    edit(acc_posts("instagram", "jonas-bruckner")[1], 900)
    edit(acc_posts("mastodon", "lotte-van-dijk")[1], 1300)
    yt = acc_posts("youtube", "grace-whitfield")[1]
    edit(yt, 2000)
    yt.edited_title = (
        yt.title.replace(" #shorts", "") + " (updated)" + (" #shorts" if yt.kind == "short" else "")
    )

    acc_posts("tiktok", "haruka-aoyama")[5].deleted_in_later = True
    acc_posts("instagram", "sindre-haugland")[4].deleted_in_later = True
    acc_posts("bluesky", "grace-whitfield")[3].deleted_in_later = True
    acc_posts("mastodon", "ingrid-solberg")[2].deleted_in_later = True
    acc_posts("youtube", "haruka-aoyama")[2].deleted_in_later = True

    acc_posts("tiktok", "lotte-van-dijk")[-1].pinned_in_later = True
    acc_posts("bluesky", "lotte-van-dijk")[-1].pinned_in_later = True

    story["mila-training-tiktok"].blocked_in_later = True
    acc_posts("mastodon", "jonas-bruckner")[3].malformed_page = True


def _reposts(
    platform_accounts: dict[str, list[Account]],
    by_account: dict[str, list[Post]],
    outsiders: list[Account],
    posts: dict[str, dict[str, Post]],
) -> list[Repost]:
    bsky = {a.athlete: a for a in platform_accounts["bluesky"]}
    masto = {a.athlete: a for a in platform_accounts["mastodon"]}
    out: list[Repost] = []
    # An outsider's post, reposted by Lotte on Bluesky.
    news = outsiders[0]
    when = datetime(2025, 11, 20, 8, 15, 2, tzinfo=UTC)
    caption: Caption = (
        (
            "text",
            "Wat een weekend in Thialf! Drie baanrecords en een uitverkochte tribune, zo "
            "mooi hebben we het schaatsen in jaren niet gezien. Lees het verslag: ",
        ),
        ("link", "https://schaatsnieuws.example/verslag/thialf-weekend"),
        ("text", " "),
        ("tag", "schaatsen"),
        ("text", " "),
        ("mention", "lotte-van-dijk"),
    )
    rng = seeded("outsider-post")
    outsider_post = _make_post("bluesky", news, when, "nl", caption, 3, rng, 0)
    posts["bluesky"][outsider_post.post_id] = outsider_post
    lotte = bsky["lotte-van-dijk"]
    out.append(
        Repost(
            "bluesky",
            bluesky_tid(when + timedelta(hours=2), 7),
            lotte,
            outsider_post,
            when + timedelta(hours=2, minutes=13),
        )
    )
    # Grace reposts one of Lotte's posts; Sindre boosts one of Ingrid's statuses.
    original = _plain(by_account[lotte.key])[6]
    at = original.created_at + timedelta(days=1, hours=3)
    out.append(Repost("bluesky", bluesky_tid(at, 9), bsky["grace-whitfield"], original, at))
    boosted = _plain(by_account[masto["ingrid-solberg"].key])[4]
    at = boosted.created_at + timedelta(hours=5, minutes=21)
    out.append(Repost("mastodon", snowflake(at, "reblog"), masto["sindre-haugland"], boosted, at))
    return out


def _tweet() -> Tweet:
    when = datetime(2026, 2, 1, 19, 45, 31, tzinfo=UTC)
    caption: Caption = (
        (
            "text",
            "Wat een avond in De Kuip! Twee keer achter en toch gewonnen, deze groep geeft "
            "echt nooit op. Volgende week weer thuis, kom allemaal kijken ⚽️🧡 ",
        ),
        ("tag", "vrouwenvoetbal"),
        ("text", " "),
        ("tag", "eredivisie"),
        ("text", " "),
        ("mention", "@FCDemoVrouwen"),
    )
    return Tweet(
        tweet_id=tweet_id(when, "mila"),
        athlete="mila-verhoeven",
        handle="MilaVerhoeven10",
        name="Mila Verhoeven",
        user_id=str(1_400_000_000_000_000_000 + num("xuser") % 10**17),
        created_at=when,
        language="nl",
        caption=caption,
        likes=4821,
        replies=112,
    )
