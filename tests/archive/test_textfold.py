"""archive.textfold: the one search transform for stored text and for queries (DESIGN.md §5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.records import Tag
from archive.textfold import fold, search_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sølv", "solv"),
        ("SØLV", "solv"),
        ("Mädchen", "madchen"),
        ("Straße STRASSE", "strasse strasse"),
        ("Æble Œuvre", "aeble oeuvre"),
        ("Đorđe Łódź Þór", "dorde lodz thor"),
        ("Iğdır İstanbul", "igdir istanbul"),
        ("ＦＵＬＬ ｗｉｄｔｈ", "full width"),
        ("ﬁnal", "final"),
        ("café\u0301", "cafe"),
        ("五輪", "五輪"),
        ("金", "金"),
        ("金メダル", "金メ メダ ダル"),
        ("五輪2026 Milano", "五輪 2026 milano"),
        ("東京で金メダル！", "東京 京で で金 金メ メダ ダル !"),
        ("ｶﾞﾝﾊﾞﾚ", "ガン ンバ バレ"),
        ("한국 선수단", "한국 선수 수단"),
        ("हिंदी", "हिंदी"),
        ("#Gold @Team.NL", "gold team.nl"),
        ("Gold🥇🥇!", "gold 🥇 🥇 !"),
        ("❤️ ❤", "❤ ❤"),
        ("🏃🏽‍♀️", "🏃 ♀"),
        ("  many\n\tspaces  ", "many spaces"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("stored", "query"),
    [("Zilver en Sølv!", "solv"), ("Ein Mädchen", "MADCHEN"), ("祝・五輪金メダル", "五輪")],
)
def test_query_and_text_fold_the_same_way(stored: str, query: str) -> None:
    assert fold(query) in fold(stored)


def test_search_text_is_the_folded_body() -> None:
    body = "Goud in Milano #Gold @Coach"
    assert search_text(body, [Tag("Gold", "gold")], [Tag("Coach", "coach")]) == fold(body)


@settings(max_examples=500, deadline=None)
@given(text=st.text())
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
