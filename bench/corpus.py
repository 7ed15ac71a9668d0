"""Synthetic multilingual captions with Zipf-like word frequencies, and a fast bulk loader.

Shared by bench/search.py and bench/export.py. Captions mix Dutch, English, German, French,
Spanish, Japanese, Chinese and Korean; each language has a head of real words and a long tail of
made-up ones, drawn with weights 1/rank^1.05, so a few words are everywhere and most are rare.
``search_text`` is produced by the real ``archive.textfold.fold``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import multiprocessing
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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


_LANG_CUM = list(itertools.accumulate(_LANG_WEIGHTS))
CHUNK = (
    20_000  # posts per generator chunk: each chunk has its own seed, so chunks build in parallel
)


@dataclass
class _Vocab:
    """A language's words, their folds, and Zipf cumulative weights (prepared once per process)."""

    code: str
    words: list[str]
    folded: list[str]
    cum: list[float]
    cjk: bool


@functools.cache
def _vocabs() -> tuple[list[_Vocab], list[str], list[str]]:
    """The vocabularies with their folds, the folded hashtags and the folded emoji."""
    vocabs = [
        _Vocab(x.code, x.words, [fold(w) for w in x.words], x.cum, x.code in CJK_HEADS)
        for x in languages()
    ]
    return vocabs, [fold(t) for t in HASHTAGS], [fold(e) for e in EMOJI]


def _generate(start: int, count: int, seed: int) -> list[tuple[str, str, str, list[str]]]:
    """(caption, search_text, language, hashtags) for posts start .. start+count-1.

    Words are drawn per language with Zipf weights; ``search_text`` is ``fold(caption)``: joined
    from the folds of the words (checked against the real ``fold`` on every 500th post), and by
    the real fold for CJK captions, whose bigrams run across words.
    """
    rng = random.Random(seed * 1_000_003 + start // CHUNK)
    vocabs, tag_folds, emoji_folds = _vocabs()
    rand, tot_lang, tot_tag = rng.random, _LANG_CUM[-1], _TAG_CUM[-1]
    out = []
    for i in range(count):
        v = vocabs[bisect.bisect(_LANG_CUM, rand() * tot_lang)]
        tot = v.cum[-1]
        if v.cjk:
            k = 4 + int(rand() * 9)
            idx = [bisect.bisect(v.cum, rand() * tot) for _ in range(k)]
            text = "".join(
                v.words[j] + ("。！、"[int(rand() * 3)] if rand() < 0.2 else "") for j in idx
            )
            folded = fold(text)
        else:
            k = 6 + int(rand() * 19)
            idx = [bisect.bisect(v.cum, rand() * tot) for _ in range(k)]
            text = " ".join([v.words[j] for j in idx])
            text = text[0].upper() + text[1:]
            folded = " ".join([v.folded[j] for j in idx])
        ntags = (0, 1, 1, 2, 3)[int(rand() * 5)]
        tags = list(
            dict.fromkeys([bisect.bisect(_TAG_CUM, rand() * tot_tag) for _ in range(ntags)])
        )
        if tags:
            text += " " + " ".join("#" + HASHTAGS[t] for t in tags)
            folded += " " + " ".join(tag_folds[t] for t in tags)
        if rand() < 0.3:
            e = int(rand() * len(EMOJI))
            text += " " + EMOJI[e]
            folded += " " + emoji_folds[e]
        if i % 500 == 0 and fold(text) != folded:
            raise AssertionError(f"corpus fold shortcut differs from fold() for {text!r}")
        out.append((text, folded, v.code, [HASHTAGS[t] for t in tags]))
    return out


def caption(rng: random.Random, langs: list[Language]) -> tuple[str, str, list[str]]:
    """(caption, language, hashtags) for one post (a one-off draw, seeded by ``rng``)."""
    text, _, lang, tags = _generate(0, 1, rng.randrange(1 << 30))[0]
    return text, lang, tags


def posts(
    n: int, seed: int = 7, start: datetime = datetime(2022, 1, 1, tzinfo=UTC)
) -> Iterator[tuple[int, str, str, datetime, list[str]]]:
    """(n_index, caption, language, posted_at, hashtags) for n posts, over about four years."""
    step = timedelta(days=4 * 365) / max(n, 1)
    for first in range(0, n, CHUNK):
        chunk = _generate(first, min(CHUNK, n - first), seed)
        for k, (text, _, lang, tags) in enumerate(chunk):
            yield first + k, text, lang, start + step * (first + k), tags


PLATFORMS = ("tiktok", "instagram", "bluesky", "mastodon", "youtube")


_NOW = "2026-03-01 00:00:00.000000"
_EPOCH = datetime(2022, 1, 1)
_SPAN_US = 4 * 365 * 86_400_000_000  # four years


def _chunk_rows(job: tuple[int, int, int, int, int, bool]) -> tuple[list[Any], ...]:
    """The rows of posts first .. first+count-1 (of n): post, post_hashtag, post_version,
    metric_snapshot. Runs in a worker process; deterministic for (seed, first)."""
    first, count, n, seed, athletes, history = job
    rng = random.Random(seed * 7919 + first)
    n_acc = athletes * len(PLATFORMS)
    rows, tag_rows, versions, snaps = [], [], [], []
    for k, (text, folded, lang, tags) in enumerate(_generate(first, count, seed)):
        i = first + k
        pid = i + 1
        acc = i % n_acc
        platform = PLATFORMS[acc % len(PLATFORMS)]
        ts = (_EPOCH + timedelta(microseconds=_SPAN_US * i // max(n, 1))).strftime(
            "%Y-%m-%d %H:%M:%S.%f"
        )
        likes = int(rng.random() * 50_001)
        sound = (i % 500) + 1 if platform == "tiktok" else None
        rows.append(
            (
                pid,
                platform,
                f"p{pid}",
                acc + 1,
                f"https://example.org/{platform}/{pid}",
                ts,
                text,
                text,
                lang,
                sound,
                likes,
                likes * 10,
                ts,
                _NOW,
                folded,
            )
        )
        tag_rows += [(pid, _TAG_ID[t], pos) for pos, t in enumerate(tags)]
        if history is not None:
            versions.append((pid, f"h{pid}", text, ts))
            snaps.append((pid, ts, likes))
        if history and i % 3 == 0:
            versions.append((pid, f"h{pid}b", text + " (edited)", _NOW))
            snaps.append((pid, _NOW, likes + 1))
    return rows, tag_rows, versions, snaps


_TAG_ID = {t: i + 1 for i, t in enumerate(HASHTAGS)}


def bulk_load(
    path: str,
    n: int,
    *,
    athletes: int = 50,
    seed: int = 7,
    history: bool | None = False,
    workers: int = 2,
) -> None:
    """Fill a migrated, empty SQLite archive with n posts by direct SQL, then rebuild FTS.

    Posts are generated in ``workers`` processes (chunks with seeds of their own) and inserted
    here. The triggers on post, post_hashtag and mention are dropped for the load and put back
    afterwards (one FTS 'rebuild' is much faster than a trigger per row). Every post has its
    first version and count snapshot; with ``history``, every third post gets a second caption
    version and a second count snapshot; with ``history=None``, there are no versions or
    snapshots (the search bench, which never reads them).
    """
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    triggers = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' "
        "AND tbl_name IN ('post', 'post_hashtag', 'mention')"
    ).fetchall()
    now = _NOW
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
        con.executemany(
            "INSERT INTO sound(id, platform, sound_key, title, artist, is_original) "
            "VALUES (?, 'tiktok', ?, ?, ?, 0)",
            [(i + 1, f"id:{i}", f"Song {i}", f"Artist {i % 50}") for i in range(500)],
        )
        jobs = [
            (first, min(CHUNK, n - first), n, seed, athletes, history)
            for first in range(0, n, CHUNK)
        ]
        if workers > 1 and len(jobs) > 1:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for chunk in pool.imap(_chunk_rows, jobs):
                    _flush(con, *chunk)
        else:
            for job in jobs:
                _flush(con, *_chunk_rows(job))
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
