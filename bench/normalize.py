"""Benchmark: captions/s through normalize_text beside bare langdetect.detect on the same texts.

Run from the repo root: ``python bench/normalize.py [N]`` (default 2000 captions). The goal is a
ratio of at least 4 (issue 12): langdetect cannot run on every caption, so fastText answers
first and langdetect is asked only where fastText is unsure or for Danish/Norwegian/Swedish
(``archive/language.py``); the normalizer's own work (body, tags, mentions, sound, cleaning) is
in the ratio too. Both sides load their models before the clock starts.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import langdetect
from langdetect.lang_detect_exception import LangDetectException

from archive.normalize import normalize_text
from archive.textfold import fold

SENTENCES = {
    "nl": [
        "Wat een geweldige dag op het ijs vandaag",
        "Ik ben zo trots op mijn hele ploeg",
        "Morgen weer vroeg op voor de volgende training",
        "Dank jullie wel voor alle steun de afgelopen weken",
        "Dit was de zwaarste race van mijn leven",
    ],
    "en": [
        "What an amazing day on the ice today",
        "So proud of the whole team and everyone who helped",
        "Back to training early tomorrow morning",
        "Thank you all for the support over the last weeks",
        "This was the hardest race of my life",
    ],
    "de": [
        "Was für ein großartiger Tag auf dem Eis",
        "Ich bin so stolz auf die ganze Mannschaft",
        "Morgen geht es früh wieder zum Training",
        "Danke euch allen für die Unterstützung",
        "Das war das härteste Rennen meines Lebens",
    ],
    "no": [
        "For en fantastisk dag på isen i dag",
        "Jeg er så stolt av hele laget mitt",
        "I morgen er det tidlig opp til trening igjen",
        "Tusen takk for all støtten de siste ukene",
        "Dette var det tøffeste løpet i mitt liv",
    ],
    "fr": [
        "Quelle journée incroyable sur la glace aujourd'hui",
        "Tellement fière de toute l'équipe",
        "Demain retour à l'entraînement très tôt",
        "Merci à tous pour votre soutien ces dernières semaines",
    ],
    "es": [
        "Qué día tan increíble en el hielo hoy",
        "Muy orgullosa de todo el equipo",
        "Mañana volvemos temprano a entrenar",
        "Gracias a todos por el apoyo estas semanas",
    ],
    "ja": [
        "今日は氷の上で最高の一日でした",
        "チームのみんなを本当に誇りに思います",
        "明日も朝早くから練習です",
        "応援してくれた皆さん本当にありがとうございました",
    ],
    "ko": [
        "오늘은 빙판 위에서 정말 멋진 하루였어요",
        "우리 팀 모두가 너무 자랑스러워요",
        "내일도 아침 일찍 훈련하러 갑니다",
        "응원해주신 모든 분들께 감사드립니다",
    ],
    "zh": [
        "今天在冰上度过了美好的一天",
        "我为我们整个团队感到非常骄傲",
        "明天一早又要去训练了",
        "感谢大家这几周以来的支持和鼓励",
    ],
}
HASHTAGS = ["#olympics", "#speedskating", "#teamNL", "#über", "#日本代表", "#2026Olympics", "#gold"]
MENTIONS = ["@coach.jansen", "@team_norway", "@femke.kok", "@the.federation"]
EMOJI = ["🥇", "🔥", "🙌", "❤️", "🇳🇱", "🏃🏽‍♀️", "💪"]
SOUNDS = ["♬ original sound - skater.one", "♬ Originalton - Team", "♬ Good Feeling - Band X"]


LATIN = {"nl", "en", "de", "no", "fr", "es"}


def make_captions(n: int, seed: int = 2026) -> list[str]:
    """``n`` captions: 1-3 sentences of one language, tags, mentions, emoji, sometimes a sound."""
    rng = random.Random(seed)
    languages = sorted(SENTENCES)
    captions = []
    for i in range(n):
        lang = languages[i % len(languages)]
        parts = rng.sample(SENTENCES[lang], k=rng.randint(1, 3))
        caption = ". ".join(parts) + rng.choice([".", "!", "!!", ""])
        if rng.random() < 0.6:
            caption += " " + " ".join(rng.sample(HASHTAGS, k=rng.randint(1, 4)))
        if rng.random() < 0.4:
            caption = rng.choice(MENTIONS) + " " + caption
        if rng.random() < 0.5:
            caption += " " + "".join(rng.choices(EMOJI, k=rng.randint(1, 3)))
        if rng.random() < 0.3:
            caption += "\n" + rng.choice(SOUNDS)
        if rng.random() < 0.05:
            caption = "".join(rng.choices(EMOJI, k=3)) + " " + rng.choice(HASHTAGS)
        captions.append(caption)
    return captions


def bare_detect(texts: list[str]) -> None:
    for text in texts:
        with contextlib.suppress(LangDetectException):
            langdetect.detect(text)


def normalizer(texts: list[str]) -> None:
    for text in texts:
        normalize_text(text, platform="tiktok")


def folder(texts: list[str]) -> None:
    for text in texts:
        fold(text)


def rate(func: object, texts: list[str], repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in texts per second."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(texts)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("captions", nargs="?", type=int, default=2000, help="default 2000")
    n = parser.parse_args().captions
    texts = make_captions(n)
    langdetect.DetectorFactory.seed = 0
    # Warm-up: load langdetect's profiles (shared by both) and fill the fold table.
    bare_detect(texts[:50])
    normalizer(texts[:50])
    folder(texts)

    bare = rate(bare_detect, texts)
    ours = rate(normalizer, texts)
    folded = rate(folder, texts)
    print(f"captions:                 {n}")
    print(f"langdetect.detect:        {bare:10.0f} captions/s")
    print(f"normalize_text:           {ours:10.0f} captions/s")
    print(f"ratio (normalizer/bare):  {ours / bare:10.2f}   (goal >= 4)")
    latin = [t for i, t in enumerate(texts) if sorted(SENTENCES)[i % len(SENTENCES)] in LATIN]
    latin_ratio = rate(normalizer, latin, 1) / rate(bare_detect, latin, 1)
    print(f"ratio, Latin-script only: {latin_ratio:10.2f}   (no script rules help here)")
    print(f"textfold.fold:            {folded:10.0f} captions/s")


if __name__ == "__main__":
    main()
