"""Benchmark: caption language on real sentences, the normalizer beside bare langdetect.

Run from the repo root: ``python bench/language.py [--baseline-ref main] [--per-language N]``.

The corpus is real, human-written sentences from Tatoeba (https://tatoeba.org), as published in
the test sets of the Tatoeba Translation Challenge (github.com/Helsinki-NLP/Tatoeba-Challenge,
``data/test/<pair>/test.txt``): consecutive lines read from two or three places in each file, the
sentence in the language kept as written (duplicates dropped, nothing else chosen or changed).
Licence: CC BY 2.0 FR (Tatoeba's sentences); see ``bench/data/tatoeba/README.md``. 240–300
sentences a language for en nl de fr es it no pl ja ko; Danish and Swedish (100 each) are a
guard: rules that help Norwegian must not turn them into Norwegian.

Every third sentence is cut into a fragment of 2–6 words (4–12 characters for Japanese, which
has no spaces), at a place drawn from a seeded generator. Each text is measured twice: as it is,
and with hashtags, mentions, emoji and a URL added (the normalizer must see through them);
bare langdetect is given the text as it is, that is with all of those stripped.

Printed side by side: bare ``langdetect.detect``, the normalizer at ``--baseline-ref`` (git;
run from a copy of its ``archive/`` in a child process) and this checkout's normalizer, without
priors (no declared language, no usual languages), and this checkout's normalizer again with the
athlete's usual languages as they usually are (their own language and English). For each:
accuracy overall, on texts under 40 characters, coverage (share given a language, not ``und``),
accuracy per language, texts per second; and the share of texts with no words (emoji, hashtags,
mentions, URLs only) kept ``und``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import langdetect  # noqa: E402
from langdetect.lang_detect_exception import LangDetectException  # noqa: E402

DATA = ROOT / "bench" / "data" / "tatoeba"
LANGUAGES = ("en", "nl", "de", "fr", "es", "it", "no", "pl", "ja", "ko")
GUARD = ("da", "sv")
SHORT = 40

HASHTAGS = ("#olympics", "#speedskating", "#TeamNL", "#gold", "#Milano2026", "#träning", "#letsgo")
MENTIONS = ("@coach.jansen", "@team_norway", "@skate.union", "@mari@mastodon.social")
EMOJI = ("🥇", "🔥", "🙌", "❤️", "🇳🇱", "🏃🏽‍♀️", "💪", "😂")
URLS = ("https://example.org/news/123", "www.example.com/live", "https://t.co/AbC123")

# Runs a normalizer's normalize_text over texts (and priors) from stdin in a process of its own;
# prints the languages, the seconds they took, and the process's peak RSS in MB (models loaded).
_CHILD = """
import json, resource, sys, time
from archive.normalize import normalize_text
job = json.load(sys.stdin)
normalize_text("warm up, load the models once", platform="tiktok")
normalize_text("Nydelig dag i dag", platform="tiktok")
start = time.perf_counter()
languages = [
    normalize_text(t, platform="tiktok", prior=p).language
    for t, p in zip(job["texts"], job["priors"], strict=True)
]
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json.dump({"languages": languages, "seconds": seconds, "rss": rss}, sys.stdout)
"""


@dataclass(frozen=True)
class Sample:
    language: str
    clean: str  # the sentence or fragment as written
    noisy: str  # the same with hashtags, mentions, emoji and a URL


def fragment(text: str, language: str, rng: random.Random) -> str:
    """2–6 consecutive words (4–12 characters where words are not spaced)."""
    if language == "ja":
        size = rng.randint(4, 12)
        start = rng.randint(0, max(0, len(text) - size))
        return text[start : start + size]
    words = text.split()
    size = rng.randint(2, 6)
    start = rng.randint(0, max(0, len(words) - size))
    return " ".join(words[start : start + size])


def add_noise(text: str, rng: random.Random) -> str:
    """``text`` with 1–3 hashtags, a mention, 1–3 emoji and a URL, in caption-like places."""
    tags = " ".join(rng.sample(HASHTAGS, rng.randint(1, 3)))
    emoji = "".join(rng.choices(EMOJI, k=rng.randint(1, 3)))
    mention = rng.choice(MENTIONS)
    url = rng.choice(URLS)
    parts = [text, emoji] if rng.random() < 0.5 else [text + emoji]
    parts.insert(0 if rng.random() < 0.4 else len(parts), mention)
    parts.append(tags)
    parts.insert(rng.randint(1, len(parts)), url)
    return " ".join(parts)


def load(languages: Sequence[str], per_language: int) -> list[Sample]:
    samples = []
    for language in languages:
        lines = (DATA / f"{language}.txt").read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines[:per_language]):
            rng = random.Random(f"{language}:{index}")
            text = fragment(line, language, rng) if index % 3 == 2 else line
            samples.append(Sample(language, text, add_noise(text, rng)))
    return samples


def no_word_texts() -> list[str]:
    """Captions with nothing to read a language from: emoji, tags, mentions, URLs, digits."""
    rng = random.Random(7)
    texts = []
    for _ in range(100):
        parts = rng.sample(HASHTAGS, rng.randint(0, 3)) + rng.sample(MENTIONS, rng.randint(0, 1))
        parts += ["".join(rng.choices(EMOJI, k=rng.randint(1, 4)))]
        if rng.random() < 0.3:
            parts.append(rng.choice(URLS))
        if rng.random() < 0.2:
            parts.append(str(rng.randint(1, 2026)))
        rng.shuffle(parts)
        texts.append(" ".join(parts))
    return texts


def bare_langdetect(texts: Sequence[str]) -> tuple[list[str], float]:
    langdetect.DetectorFactory.seed = 0
    start = time.perf_counter()
    found = []
    for text in texts:
        try:
            found.append(langdetect.detect(text))
        except LangDetectException:
            found.append("und")
    seconds = time.perf_counter() - start
    return [{"zh-cn": "zh", "zh-tw": "zh"}.get(code, code) for code in found], seconds


def normalizer(root: Path) -> Callable[..., tuple[list[str], float, float]]:
    """The normalizer of the ``archive/`` under ``root``, run in a child process."""

    def run(
        texts: Sequence[str], priors: Sequence[Sequence[str]] | None = None
    ) -> tuple[list[str], float, float]:
        job = {"texts": list(texts), "priors": [list(p) for p in priors or [()] * len(texts)]}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        )
        out = json.loads(done.stdout)
        return out["languages"], out["seconds"], out["rss"]

    return run


def extract(ref: str, tmp: Path) -> Path:
    """A copy of ``archive/`` at git ``ref`` under ``tmp``."""
    tree = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "archive"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(tree)) as archive:
        archive.extractall(tmp, filter="data")
    return tmp


@dataclass
class Score:
    overall: float
    short: float
    coverage: float
    per_language: dict[str, float]
    rate: float


def score(
    truth: Sequence[str], lengths: Sequence[int], found: Sequence[str], seconds: float
) -> Score:
    right = [t == f for t, f in zip(truth, found, strict=True)]
    short = [r for r, n in zip(right, lengths, strict=True) if n < SHORT]
    per: dict[str, list[bool]] = {}
    for t, r in zip(truth, right, strict=True):
        per.setdefault(t, []).append(r)
    return Score(
        overall=sum(right) / len(right),
        short=sum(short) / len(short),
        coverage=sum(f != "und" for f in found) / len(found),
        per_language={k: sum(v) / len(v) for k, v in per.items()},
        rate=len(found) / seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-ref", default="main", help="git ref of the old normalizer")
    parser.add_argument("--per-language", type=int, default=300, help="sentences per language")
    args = parser.parse_args()

    samples = load(LANGUAGES, args.per_language)
    guard = load(GUARD, args.per_language)
    clean = [s.clean for s in samples]
    texts = clean + [s.noisy for s in samples]
    truth = [s.language for s in samples] * 2
    lengths = [len(s.clean) for s in samples] * 2
    guard_texts = [s.clean for s in guard] + [s.noisy for s in guard]
    guard_truth = [s.language for s in guard] * 2
    nothing = no_word_texts()
    short_count = sum(n < SHORT for n in lengths[: len(samples)])
    print(
        f"corpus: {len(samples)} texts in {len(LANGUAGES)} languages "
        f"({short_count} under {SHORT} characters), each as written and with hashtags, mentions,"
        f" emoji and a URL added ({len(texts)} in all); guard: {len(guard)} Danish and Swedish"
    )

    rows: dict[str, tuple[Score, float, float]] = {}
    found, seconds = bare_langdetect(clean)
    guard_found, _ = bare_langdetect([s.clean for s in guard])
    nothing_found, _ = bare_langdetect(nothing)
    rows["langdetect (stripped)"] = (
        score(truth[: len(clean)], lengths[: len(clean)], found, seconds),
        sum(s.language == f for s, f in zip(guard, guard_found, strict=True)) / len(guard),
        sum(f == "und" for f in nothing_found) / len(nothing),
    )
    # This process has loaded langdetect and nothing else of the kind (the normalizers run in
    # child processes).
    rss = {"langdetect": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    own_and_english = [[s.language, "en"] for s in samples] * 2
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            f"normalizer @{args.baseline_ref}": (
                normalizer(extract(args.baseline_ref, Path(tmp))),
                None,
            ),
            "normalizer (this)": (normalizer(ROOT), None),
            "this + prior (own, en)": (normalizer(ROOT), own_and_english),
        }
        for name, (run, priors) in runs.items():
            found, seconds, rss[name] = run(texts, priors)
            guard_found, _, _ = run(
                guard_texts, [[s.language, "en"] for s in guard] * 2 if priors else None
            )
            nothing_found, _, _ = run(nothing)
            rows[name] = (
                score(truth, lengths, found, seconds),
                sum(t == f for t, f in zip(guard_truth, guard_found, strict=True))
                / len(guard_truth),
                sum(f == "und" for f in nothing_found) / len(nothing),
            )

    width = max(len(n) for n in rows) + 2
    print(
        f"\n{'':{width}}{'overall':>9}{'<40 ch':>9}{'covered':>9}{'texts/s':>9}{'da+sv':>8}{'no-word und':>13}"
    )
    for name, (s, guard_accuracy, und_kept) in rows.items():
        print(
            f"{name:{width}}{s.overall:9.1%}{s.short:9.1%}{s.coverage:9.1%}{s.rate:9.0f}"
            f"{guard_accuracy:8.1%}{und_kept:13.0%}"
        )
    print(f"\n{'per language':{width}}" + "".join(f"{c:>6}" for c in LANGUAGES))
    for name, (s, _, _) in rows.items():
        print(f"{name:{width}}" + "".join(f"{s.per_language[c]:6.0%}" for c in LANGUAGES))
    print(
        "\npeak RSS of the process (models loaded): "
        + ", ".join(f"{name} {mb:.0f} MB" for name, mb in rss.items() if "prior" not in name)
    )
    print(
        "\ngoal: >= 95 % overall, >= 90 % under 40 characters, >= 97 % covered; no-word texts und"
    )


if __name__ == "__main__":
    main()
