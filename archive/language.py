"""Language detection for captions: script rules, then langdetect (fixed seed), then a prior."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import regex
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

__all__ = ["MIN_CONFIDENCE", "MIN_LETTERS", "PRIOR_MARGIN", "UNDETERMINED", "detect_language"]

UNDETERMINED = "und"

#: Fewer letters than this (after hashtags, mentions, URLs and emoji are gone) → ``und``.
#: Han, kana and hangul carry about a word each, so they count ``_CJK_WEIGHT`` letters.
MIN_LETTERS = 12
_CJK_WEIGHT = 3

#: A top probability below this → ``und``.
MIN_CONFIDENCE = 0.5

#: A prior language within this much of the top candidate wins the tie (short Dutch
#: reads as Afrikaans, Norwegian as Danish).
PRIOR_MARGIN = 0.35

#: Script rules decide only when CJK letters make up at least this share of all letters
#: and there are at least two kana (or hangul) letters: a ``ツ`` smiley in an English
#: caption does not make it Japanese.
_SCRIPT_SHARE = 0.3
_SCRIPT_MIN = 2

#: Languages langdetect confuses on short text, whatever the probabilities say (short Dutch
#: comes out as Afrikaans at 0.99999). When the top answer is a sibling of a prior language and
#: not itself in the prior, the prior language is taken, with the top answer's confidence.
_SIBLINGS: dict[str, frozenset[str]] = {
    "nl": frozenset({"af"}),
    "af": frozenset({"nl"}),
    "no": frozenset({"da", "sv"}),
    "da": frozenset({"no", "sv"}),
    "sv": frozenset({"no", "da"}),
    "cs": frozenset({"sk"}),
    "sk": frozenset({"cs"}),
    "hr": frozenset({"sl"}),
    "sl": frozenset({"hr"}),
}

# langdetect speaks a few codes that are not plain ISO 639-1.
_CODE_MAP = {"zh-cn": "zh", "zh-tw": "zh"}

# What the caller should already have removed; we remove it again, cheaply, to be safe.
# URLs, #hashtags and @handles (any platform's shape, incl. ``@user@instance``).
_NOISE_RE = regex.compile(
    r"(?:https?://|www\.)\S+|[#＃@][\p{L}\p{M}\p{N}_.@\-]*",
)
_LETTER_RE = regex.compile(r"\p{L}")
_ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
_KANA_RE = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_HANGUL_RE = regex.compile(r"\p{Hangul}")
_HAN_RE = regex.compile(r"\p{Han}")

# Fixed seed: the same caption always gets the same answer (langdetect samples n-grams at random).
DetectorFactory.seed = 0
_SEED = 0

# langdetect's Detector, with its hot loops written as list comprehensions and C-level string
# operations. Same arithmetic in the same order, so results are identical to langdetect's own
# (tests/archive/test_language.py checks this); only faster.
_LATIN_RE = re.compile(r"[A-z]")  # langdetect's own 'A' <= ch <= 'z' (includes [\]^_`)
# langdetect: ch >= U+0300 and not in the Latin Extended Additional block (U+1E00-U+1EFF).
_NON_LATIN_RE = re.compile("[\u0300-\u1dff\u1f00-\U0010ffff]")
_SPACES_RE = re.compile(" {2,}")


class _FastDetector(Detector):  # type: ignore[misc]
    text: str

    def __init__(self, factory: DetectorFactory) -> None:
        super().__init__(factory)
        self.seed = _SEED

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # langdetect drops a space that follows a space, one character at a time.
        self.text += _SPACES_RE.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        text: str = self.text
        if text.isascii():
            return
        latin_count = len(_LATIN_RE.findall(text))
        non_latin_count = len(_NON_LATIN_RE.findall(text))
        if latin_count * 2 < non_latin_count:
            self.text = _LATIN_RE.sub("", text)

    def _update_lang_prob(self, prob: list[float], word: str, alpha: float) -> bool:
        lang_prob_map = self.word_lang_prob_map.get(word)
        if lang_prob_map is None:
            return False
        weight = alpha / self.BASE_FREQ
        # Equal lengths by construction; strict=True costs a quarter of this hot loop.
        prob[:] = [p * (weight + q) for p, q in zip(prob, lang_prob_map)]  # noqa: B905
        return True

    def _normalize_prob(self, prob: list[float]) -> float:
        sump = sum(prob)
        prob[:] = [p / sump for p in prob]
        return max(prob)


_factory: DetectorFactory | None = None
_factory_lock = threading.Lock()


def _get_factory() -> DetectorFactory:
    """langdetect's global factory: its ~55 profiles are loaded once, on first use."""
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                detector_factory.init_factory()
                _factory = detector_factory._factory
    return _factory


def _plain_code(code: str) -> str:
    return _CODE_MAP.get(code, code)


def _candidates(text: str) -> list[tuple[str, float]]:
    """langdetect's candidates (probability > 0.1), best first, codes made plain and merged."""
    detector = _FastDetector(_get_factory())
    detector.append(text)
    try:
        found: list[Any] = detector.get_probabilities()
    except LangDetectException:  # no usable n-grams (digits, symbols only)
        return []
    merged: dict[str, float] = {}
    for item in found:
        code = _plain_code(item.lang)
        merged[code] = merged.get(code, 0.0) + item.prob
    return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))


def _letter_weight(text: str) -> tuple[int, int, int, int]:
    """(weighted letter count, kana, hangul, han) of ``text``."""
    if text.isascii():
        return len(_ASCII_LETTER_RE.findall(text)), 0, 0, 0
    letters = len(_LETTER_RE.findall(text))
    kana = len(_KANA_RE.findall(text))
    hangul = len(_HANGUL_RE.findall(text))
    han = len(_HAN_RE.findall(text))
    cjk = kana + hangul + han
    return letters - cjk + _CJK_WEIGHT * cjk, kana, hangul, han


def detect_clean(text: str, prior: Sequence[str] = ()) -> tuple[str, float]:
    """:func:`detect_language` for text already stripped of hashtags, mentions, URLs and emoji."""
    weight, kana, hangul, han = _letter_weight(text)
    if weight < MIN_LETTERS:
        return UNDETERMINED, 0.0
    by_script = _script_language(weight, kana, hangul, han)
    if by_script:
        return by_script, 1.0
    candidates = _candidates(text)
    if not candidates:
        return UNDETERMINED, 0.0
    top_code, top_prob = candidates[0]
    if prior:
        preferred = _prefer_prior(candidates, [_normalize_prior(p) for p in prior])
        if preferred:
            return preferred
    if top_prob < MIN_CONFIDENCE:
        return UNDETERMINED, 0.0
    return top_code, top_prob


def _script_language(weight: int, kana: int, hangul: int, han: int) -> str | None:
    """``ja`` or ``ko`` when the script alone decides, else None.

    Kana exists only in Japanese, hangul only in Korean; Han alone is zh or ja (langdetect's call).
    """
    cjk = kana + hangul + han
    if not cjk or cjk < _SCRIPT_SHARE * (weight - (_CJK_WEIGHT - 1) * cjk):
        return None
    if kana >= _SCRIPT_MIN and kana >= hangul:
        return "ja"
    if hangul >= _SCRIPT_MIN:
        return "ko"
    return None


def _prefer_prior(
    candidates: Sequence[tuple[str, float]], wanted: Sequence[str]
) -> tuple[str, float] | None:
    """The athlete's usual language when it nearly ties the top guess, or when the top guess is
    its known look-alike (short Dutch read as Afrikaans); None to keep the top guess."""
    top_code, top_prob = candidates[0]
    if top_code in wanted:
        return None
    for code, prob in candidates[1:]:
        if code in wanted and prob >= top_prob - PRIOR_MARGIN:
            return code, prob
    for code in wanted:
        if top_code in _SIBLINGS.get(code, ()):
            return code, top_prob
    return None


def _normalize_prior(code: str) -> str:
    return _plain_code(code.strip().lower().replace("_", "-")).split("-")[0]


def detect_language(text: str, *, prior: Sequence[str] = ()) -> tuple[str, float]:
    """Return ``(ISO 639-1 code, confidence)`` for ``text``, or ``("und", 0.0)``.

    The caller removes hashtags, mentions, URLs and emoji first; they are removed here again in
    case it did not. Kana → ``ja`` and hangul → ``ko`` (confidence 1.0) where those scripts carry
    the text; otherwise langdetect with a fixed seed. ``und`` when fewer than
    :data:`MIN_LETTERS` letters remain or the top probability is below :data:`MIN_CONFIDENCE`.
    ``prior`` (the athlete's usual languages, best first) breaks near-ties when the top answer is
    not in it: a prior language within :data:`PRIOR_MARGIN` of the top candidate is taken, with
    its own probability; failing that, a prior language whose close sibling won (``af`` for
    ``nl``, ``da`` for ``no``) is taken, with the winner's probability.
    """
    return detect_clean(_NOISE_RE.sub(" ", text), prior)
