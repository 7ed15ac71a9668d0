"""Synthetic multilingual captions with Zipf-like word frequencies, and a fast bulk loader.

Shared by bench/search.py and bench/export.py. Captions mix Dutch, English, German, French,
Spanish, Japanese, Chinese and Korean; each language has a head of real words and a long tail of
made-up ones, drawn with weights 1/rank^1.05, so a few words are everywhere and most are rare.
``search_text`` is produced by the real ``archive.textfold.fold``.
"""

from __future__ import annotations

import bisect
import itertools
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from archive.textfold import fold

HEADS = {
    "nl": [
        "de",
        "het",
        "een",
        "en",
        "van",
        "ik",
        "op",
        "vandaag",
        "training",
        "schaatsen",
        "goud",
        "wedstrijd",
        "ploeg",
        "ijs",
        "baan",
        "morgen",
        "weer",
        "samen",
        "dank",
        "iedereen",
        "seizoen",
        "record",
        "sprint",
        "race",
        "meter",
        "thialf",
        "zware",
        "mooie",
        "trots",
        "blij",
        "kou",
        "wereldbeker",
        "finale",
        "tijd",
        "snel",
        "sterk",
        "team",
        "coach",
    ],
    "en": [
        "the",
        "a",
        "and",
        "to",
        "of",
        "in",
        "today",
        "training",
        "race",
        "gold",
        "world",
        "record",
        "team",
        "season",
        "medal",
        "final",
        "thanks",
        "everyone",
        "proud",
        "happy",
        "tomorrow",
        "again",
        "fast",
        "strong",
        "coach",
        "ice",
        "track",
        "sprint",
        "personal",
        "best",
        "night",
        "day",
        "week",
        "love",
        "great",
    ],
    "de": [
        "der",
        "die",
        "das",
        "und",
        "ich",
        "heute",
        "training",
        "rennen",
        "gold",
        "welt",
        "rekord",
        "mannschaft",
        "saison",
        "medaille",
        "finale",
        "danke",
        "alle",
        "stolz",
        "glücklich",
        "morgen",
        "wieder",
        "schnell",
        "stark",
        "trainer",
        "eis",
        "bahn",
        "mädchen",
        "über",
        "schön",
    ],
    "fr": [
        "le",
        "la",
        "les",
        "et",
        "de",
        "je",
        "aujourd",
        "hui",
        "entraînement",
        "course",
        "or",
        "monde",
        "record",
        "équipe",
        "saison",
        "médaille",
        "finale",
        "merci",
        "tous",
        "fier",
        "heureux",
        "demain",
        "encore",
        "vite",
        "fort",
        "glace",
        "piste",
    ],
    "es": [
        "el",
        "la",
        "los",
        "y",
        "de",
        "hoy",
        "entrenamiento",
        "carrera",
        "oro",
        "mundo",
        "récord",
        "equipo",
        "temporada",
        "medalla",
        "final",
        "gracias",
        "todos",
        "orgulloso",
        "feliz",
        "mañana",
        "otra",
        "rápido",
        "fuerte",
        "hielo",
        "pista",
    ],
}
CJK_HEADS = {
    "ja": [
        "金メダル",
        "五輪",
        "練習",
        "試合",
        "今日",
        "明日",
        "ありがとう",
        "応援",
        "世界",
        "記録",
        "優勝",
        "選手",
        "最高",
        "頑張り",
        "スケート",
        "氷",
        "チーム",
        "決勝",
        "嬉しい",
        "幸せ",
    ],
    "zh": [
        "金牌",
        "奥运",
        "训练",
        "比赛",
        "今天",
        "明天",
        "谢谢",
        "加油",
        "世界",
        "纪录",
        "冠军",
        "运动员",
        "最好",
        "努力",
        "滑冰",
        "冰",
        "团队",
        "决赛",
        "开心",
        "幸福",
    ],
    "ko": [
        "금메달",
        "올림픽",
        "훈련",
        "경기",
        "오늘",
        "내일",
        "감사",
        "응원",
        "세계",
        "기록",
        "우승",
        "선수",
        "최고",
        "노력",
        "스케이트",
        "얼음",
        "팀",
        "결승",
        "행복",
    ],
}
SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ten",
    "sa",
    "vel",
    "dor",
    "un",
    "li",
    "bra",
    "tes",
    "mo",
    "gan",
    "pi",
    "fel",
    "or",
    "ast",
    "qui",
    "zen",
    "lu",
    "har",
    "ne",
    "tov",
]
KANA = "かきくけこさしすせそたちつてとなにぬねのまみむめもらりるれろアイウエオカキクケコ"
HANZI = "天地人山水火木金土日月风云雨雪花草鸟鱼龙虎马牛羊心手口目耳足"
HANGUL = "가나다라마바사아자차카타파하고노도로모보소오조초"
EMOJI = ["🥇", "🥈", "🥉", "⛸", "🏃", "❤", "🔥", "💪", "🙏", "🇳🇱", "🎉", "😍"]
TAIL = 6000
ZIPF_S = 1.05


def _tail_word(rng: random.Random, lang: str) -> str:
    if lang in ("ja", "zh", "ko"):
        alphabet = {"ja": KANA, "zh": HANZI, "ko": HANGUL}[lang]
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 4)))
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


@dataclass
class Language:
    """A vocabulary with cumulative Zipf weights."""

    code: str
    words: list[str]
    cum: list[float]

    def draw(self, rng: random.Random, k: int) -> list[str]:
        """k words, Zipf-distributed."""
        return rng.choices(self.words, cum_weights=self.cum, k=k)


def languages(seed: int = 42) -> list[Language]:
    """The vocabularies: real head words first, then a long invented tail."""
    rng = random.Random(seed)
    out = []
    for code, head in [*HEADS.items(), *CJK_HEADS.items()]:
        words = list(dict.fromkeys(head + [_tail_word(rng, code) for _ in range(TAIL)]))
        cum = list(itertools.accumulate(1 / (r + 1) ** ZIPF_S for r in range(len(words))))
        out.append(Language(code, words, cum))
    return out


HASHTAGS = [f"tag{i}" for i in range(2000)]
_TAG_CUM = list(itertools.accumulate(1 / (r + 1) ** ZIPF_S for r in range(len(HASHTAGS))))
_LANG_WEIGHTS = [30, 25, 12, 8, 7, 8, 5, 5]  # nl en de fr es ja zh ko


def caption(rng: random.Random, langs: list[Language]) -> tuple[str, str, list[str]]:
    """(caption, language, hashtags) for one post."""
    lang = rng.choices(langs, weights=_LANG_WEIGHTS)[0]
    if lang.code in CJK_HEADS:
        text = "".join(
            w + (rng.choice("。！、") if rng.random() < 0.2 else "")
            for w in lang.draw(rng, rng.randint(4, 12))
        )
    else:
        text = " ".join(lang.draw(rng, rng.randint(6, 24)))
        text = text[0].upper() + text[1:]
    tags = list(
        dict.fromkeys(rng.choices(HASHTAGS, cum_weights=_TAG_CUM, k=rng.choice((0, 1, 1, 2, 3))))
    )
    if tags:
        text += " " + " ".join("#" + t for t in tags)
    if rng.random() < 0.3:
        text += " " + rng.choice(EMOJI)
    return text, lang.code, tags


def posts(
    n: int, seed: int = 7, start: datetime = datetime(2022, 1, 1, tzinfo=UTC)
) -> Iterator[tuple[int, str, str, datetime, list[str]]]:
    """(n_index, caption, language, posted_at, hashtags) for n posts, over about four years."""
    rng = random.Random(seed)
    langs = languages()
    step = timedelta(days=4 * 365) / max(n, 1)
    for i in range(n):
        text, lang, tags = caption(rng, langs)
        yield i, text, lang, start + step * i, tags


PLATFORMS = ("tiktok", "instagram", "bluesky", "mastodon", "youtube")


def bulk_load(
    path: str, n: int, *, athletes: int = 50, seed: int = 7, history: bool = False
) -> None:
    """Fill a migrated, empty SQLite archive with n posts by direct SQL, then rebuild FTS.

    The FTS triggers are dropped for the load and put back afterwards (one 'rebuild' is much
    faster than a trigger per row). With ``history``, every third post gets a second caption
    version and a second count snapshot.
    """
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    triggers = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='post'"
    ).fetchall()
    now = "2026-03-01 00:00:00.000000"
    with con:
        for name, _ in triggers:
            con.execute(f"DROP TRIGGER {name}")
        con.executemany(
            "INSERT INTO athlete(id, slug, name, sport, country, created_at, "
            "updated_at) VALUES (?, ?, ?, 'speed skating', 'NL', ?, ?)",
            [(a + 1, f"athlete-{a}", f"Athlete {a}", now, now) for a in range(athletes)],
        )
        accounts = [
            (
                a * len(PLATFORMS) + p + 1,
                a + 1,
                plat,
                f"id{a}-{p}",
                f"handle{a}.{plat}",
                f"handle{a}.{plat}",
                now,
                now,
            )
            for a in range(athletes)
            for p, plat in enumerate(PLATFORMS)
        ]
        con.executemany(
            "INSERT INTO account(id, athlete_id, platform, platform_account_id, "
            "handle, handle_key, first_seen_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            accounts,
        )
        con.executemany(
            "INSERT INTO hashtag(id, key, display) VALUES (?, ?, ?)",
            [(i + 1, t, t) for i, t in enumerate(HASHTAGS)],
        )
        tag_id = {t: i + 1 for i, t in enumerate(HASHTAGS)}
        con.executemany(
            "INSERT INTO sound(id, platform, sound_key, title, artist, is_original) "
            "VALUES (?, 'tiktok', ?, ?, ?, 0)",
            [(i + 1, f"id:{i}", f"Song {i}", f"Artist {i % 50}") for i in range(500)],
        )
        rows, tag_rows, versions, snaps = [], [], [], []
        rng = random.Random(seed + 1)
        for i, text, lang, posted, tags in posts(n, seed):
            pid = i + 1
            acc = accounts[i % len(accounts)]
            ts = posted.strftime("%Y-%m-%d %H:%M:%S.%f")
            likes = rng.randint(0, 50_000)
            rows.append(
                (
                    pid,
                    acc[2],
                    f"p{pid}",
                    acc[0],
                    f"https://example.org/{acc[2]}/{pid}",
                    ts,
                    text,
                    text,
                    lang,
                    (i % 500) + 1 if acc[2] == "tiktok" else None,
                    likes,
                    likes * 10,
                    ts,
                    now,
                    fold(text),
                )
            )
            tag_rows += [(pid, tag_id[t], k) for k, t in enumerate(tags)]
            versions.append((pid, f"h{pid}", text, ts))
            snaps.append((pid, ts, likes))
            if history and i % 3 == 0:
                versions.append((pid, f"h{pid}b", text + " (edited)", now))
                snaps.append((pid, now, likes + 1))
            if len(rows) >= 20_000:
                _flush(con, rows, tag_rows, versions, snaps)
        _flush(con, rows, tag_rows, versions, snaps)
        con.execute("INSERT INTO post_fts(post_fts) VALUES ('rebuild')")
        for _, sql in triggers:
            con.execute(sql)
    con.execute("PRAGMA optimize")
    con.execute("INSERT INTO post_fts(post_fts) VALUES ('optimize')")
    con.commit()
    con.close()


def _flush(
    con: sqlite3.Connection, rows: list, tag_rows: list, versions: list, snaps: list
) -> None:
    con.executemany(
        "INSERT INTO post(id, platform, platform_post_id, account_id, url, posted_at, caption, "
        "body, source_kind, language, language_confidence, sound_id, is_repost, is_pinned, "
        "availability, likes, views, first_seen_at, last_seen_at, normalizer_version, "
        "search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'platform', ?, 0.9, ?, 0, 0, 'active', "
        "?, ?, ?, ?, 'bench', ?)",
        rows,
    )
    con.executemany(
        "INSERT INTO post_hashtag(post_id, hashtag_id, position) VALUES (?, ?, ?)", tag_rows
    )
    con.executemany(
        "INSERT INTO post_version(post_id, body_hash, source_kind, caption, body, "
        "observed_at) VALUES (?, ?, 'platform', ?, ?3, ?)",
        versions,
    )
    con.executemany(
        "INSERT INTO metric_snapshot(post_id, captured_at, likes) VALUES (?, ?, ?)", snaps
    )
    for lst in (rows, tag_rows, versions, snaps):
        lst.clear()


def sample_words(langs: list[Language], lang: str, ranks: range) -> list[str]:
    """Words of a language at the given frequency ranks."""
    words = next(x for x in langs if x.code == lang).words
    return [words[r] for r in ranks if r < len(words)]


def rank_of(lang: Language, fraction: float) -> int:
    """The rank below which ``fraction`` of the draws fall."""
    return bisect.bisect_left(lang.cum, fraction * lang.cum[-1])
