"""The tokenizer shared by indexing and querying (app/guide/search.py)."""

from __future__ import annotations

import re

import pytest

from app.guide.search import fold, fts5_match, highlight_terms, index_tokens, pinyin_syllables, pinyin_tokens, query_terms, tsquery


def test_index_has_words_and_every_bigram_of_chinese_runs():
    tokens = index_tokens("非上海生源应届毕业生落户申请").split()
    assert "落户" in tokens and "生落" in tokens and "上海" in tokens  # bigrams and jieba words
    assert "registr" in index_tokens("Registration").split()  # stemmed, lower-cased


def test_pinyin_tokens():
    tokens = pinyin_tokens("人才落户").split()
    assert "luohu" in tokens and "lh" in tokens and "rencai" in tokens


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "-", "a OR b", "'; DROP TABLE x; --", "^col:", "x" * 5000, "😀"])
def test_query_syntax_never_leaks(query):
    for expression in (fts5_match(query), tsquery(query)):
        if expression is None:
            continue
        # only quoted tokens of letters, digits and CJK, joined by our own operators
        leftover = re.sub(r"\"[a-z0-9\u3400-\u9fff]+\"( \*)?|'[a-z0-9\u3400-\u9fff]+'(:\*)?|AND|OR|[&|()\s]", "", expression)
        assert leftover == "", expression


def test_query_terms_shape():
    assert query_terms("落户") == [["落户", "luohu"]]  # a bigram also matches its pinyin
    assert query_terms("税") == [["税*"]]  # a lone character matches as a prefix
    assert query_terms("parking") == [["park*", "parking*"]]  # still typing
    assert query_terms("parking ") == [["park", "parking"]]
    assert query_terms("how to register") == [["regist*", "register*"]]  # stop words dropped
    assert len(query_terms(" ".join(f"w{i}" for i in range(50)))) == 12  # bounded


def test_highlight_terms():
    assert set(highlight_terms("人才落户 Parking")) == {"parking", "人才落户", "人才", "落户"}


# --- queries as people write them -------------------------------------------------------


def test_fold_converts_traditional_to_simplified_and_full_width_to_ascii():
    assert fold("落戶") == "落户"
    assert fold("電梯壞了怎麼辦") == "电梯坏了怎么办"
    assert fold("公司註冊 開發票") == "公司注册 开发票"
    assert fold("ｈｕｋｏｕ　１２３") == "hukou 123"
    assert fold("落户 already simplified") == "落户 already simplified"


def test_traditional_query_and_traditional_text_meet_the_simplified_index():
    assert query_terms("落戶") == query_terms("落户")
    assert "落户" in index_tokens("人才引進落戶").split()  # the index side folds too
    assert "luohu" in pinyin_tokens("落戶").split()
    assert highlight_terms("落戶") == ["落户"]  # what is marked is what the page shows


@pytest.mark.parametrize(
    "query, expected",
    [
        ("电梯坏了怎么办", [["电梯", "dianti"], ["坏*"]]),  # no 了怎 / 么办 bigrams
        ("户口怎么迁", [["户口", "hukou"], ["迁*"]]),
        ("请问在哪里办理居住证", [["居住", "juzhu"], ["住证", "zhuzheng"]]),
        ("我要开发票", [["开发", "kaifa"], ["发票", "fapiao"]]),
        ("装修要备案吗", [["装修", "zhuangxiu"], ["备案", "beian"]]),
        ("被骗了", [["被骗", "beipian"]]),  # single characters in a row stay together
        ("外国人工作许可", [["外国", "waiguo"], ["国人", "guoren"], ["工作", "gongzuo"], ["许可", "xuke"]]),  # no 人工 / 作许
    ],
)
def test_question_words_and_particles_are_not_required(query, expected):
    assert query_terms(query) == expected


def test_particles_inside_words_stay():
    assert [["了解", "liaojie"], ["政策", "zhengce"]] == query_terms("了解政策")


def test_a_query_of_question_words_only_still_searches():
    assert query_terms("怎么办")
    assert query_terms("吗") == [["吗*"]]
    assert fts5_match("如何") is not None and tsquery("如何") is not None


def test_any_mode_keeps_the_bigrams_across_words_and_drops_lone_characters():
    assert query_terms("网上被骗钱了怎么办", "any") == [["网上", "wangshang"], ["上被", "shangbei"], ["被骗", "beipian"], ["骗钱", "pianqian"]]
    assert fts5_match("电梯坏了", "any") == '("电梯" OR "dianti") OR ("梯坏" OR "tihuai")'
    assert tsquery("电梯坏了") == "('电梯' | 'dianti') & ('坏':*)"


def test_pinyin_syllables():
    assert pinyin_syllables("tingchewei") == [["ting", "che", "wei"]]
    assert pinyin_syllables("xian") == [["xian"]]  # the fewest syllables
    assert sorted(pinyin_syllables("fangan")) == [["fan", "gan"], ["fang", "an"]]
    assert pinyin_syllables("lv") == [["lv"]]  # ü written v, as the index spells it
    for english in ("fire", "visa", "invoice", "parking", "tax"):
        assert pinyin_syllables(english) == [], english
    assert pinyin_syllables("tingchew", partial=True) == [["ting", "che", "w"]]


def test_whole_word_pinyin_matches_syllable_pairs():
    assert query_terms("tingchewei ") == [["tingchewei", "tingche+chewei"]]
    assert query_terms("lajifenlei ") == [["lajifenlei", "laji+jifen+fenlei"]]
    assert query_terms("tingchew") == [["tingchew*", "tingche+chew*"]]  # still typing
    assert query_terms("shebao ") == [["shebao"]]  # two syllables: the word is the pair
    assert query_terms("fire ") == [["fire"]]  # English stays English
    assert query_terms("invoice ") == [["invoic", "invoice"]]
    assert fts5_match("tingchewei ") == '("tingchewei" OR ("tingche" AND "chewei"))'
    assert tsquery("tingchewei ") == "('tingchewei' | ('tingche' & 'chewei'))"
    tokens = pinyin_tokens("地下车库停车月卡，车位紧张").split()
    assert {"tingche", "chewei", "yueka", "cheku"} <= set(tokens)


def test_highlight_marks_the_words_not_the_question():
    assert set(highlight_terms("电梯坏了怎么办")) == {"电梯坏了怎么办", "电梯", "坏"}
