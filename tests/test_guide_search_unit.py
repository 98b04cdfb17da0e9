"""The tokenizer shared by indexing and querying (app/guide/search.py)."""

from __future__ import annotations

import re

import pytest

from app.guide.search import fts5_match, highlight_terms, index_tokens, pinyin_tokens, query_terms, tsquery


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
    assert query_terms("落户") == [["落户"]]
    assert query_terms("税") == [["税*"]]  # a lone character matches as a prefix
    assert query_terms("parking") == [["park*", "parking*"]]  # still typing
    assert query_terms("parking ") == [["park", "parking"]]
    assert query_terms("how to register") == [["regist*", "register*"]]  # stop words dropped
    assert len(query_terms(" ".join(f"w{i}" for i in range(50)))) == 12  # bounded


def test_highlight_terms():
    assert set(highlight_terms("人才落户 Parking")) == {"parking", "人才落户"}
