"""archive.language: script rules, fixed-seed langdetect, thresholds and the prior."""

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
    ["🥇🔥🙌", "", "   ", "Goud!", "Top 🥇", "12345 678 !!!", "#olympicgames #speedskating @coach"],
)
def test_too_little_text_is_undetermined(text: str) -> None:
    assert detect_language(text) == ("und", 0.0)


def test_defensive_cleaning_of_tags_mentions_and_urls() -> None:
    text = CAPTIONS["nl"] + " #winning #champions @theteam https://example.org/news/today"
    assert detect_language(text)[0] == "nl"


def test_same_answer_every_time() -> None:
    text = "Mooie dag vandaag op het ijs"
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


def test_prior_breaks_a_near_tie_in_probability(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_candidates", lambda _text: [("es", 0.55), ("pt", 0.41)])
    text = "a caption long enough to pass the letter threshold"
    assert detect_language(text) == ("es", 0.55)
    assert detect_language(text, prior=["pt-BR"]) == ("pt", 0.41)
    assert detect_language(text, prior=["fr"]) == ("es", 0.55)


def test_prior_never_overrides_a_clear_winner() -> None:
    assert detect_language(CAPTIONS["en"], prior=["nl", "de"])[0] == "en"


@pytest.mark.parametrize("text", [*CAPTIONS.values(), "Goud gewonnen vandaag!", "Nydelig dag"])
def test_fast_detector_matches_langdetect(text: str) -> None:
    langdetect.DetectorFactory.seed = 0
    expected = [(p.lang, p.prob) for p in langdetect.detect_langs(text)]
    detector = language._FastDetector(language._get_factory())
    detector.append(text)
    assert [(p.lang, p.prob) for p in detector.get_probabilities()] == expected


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), prior=st.lists(st.sampled_from(["nl", "no", "en-US", "zh"])))
def test_never_raises(text: str, prior: list[str]) -> None:
    code, confidence = detect_language(text, prior=prior)
    assert code == "und" or (code.isalpha() and code.islower() and "-" not in code)
    assert 0.0 <= confidence <= 1.0
