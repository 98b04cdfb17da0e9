"""Search text for Chinese and English: one tokenizer used for indexing and querying,
so SQLite (FTS5) and PostgreSQL (tsvector, 'simple' configuration) match the same way.

* Chinese: words from jieba's search-mode segmentation **and** every character bigram of
  each Chinese run, so a 2-character word (落户, 税务, 消防, 停车) is found inside any
  longer word whatever the segmenter decided;
* English and digits: lower-cased and Snowball-stemmed (registration ≈ register);
* pinyin: each Chinese word also yields its full pinyin (``luohu``) and initials (``lh``),
  kept in a third column.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import jieba
import snowballstemmer
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(60)
_lock = threading.Lock()
_stemmer = snowballstemmer.stemmer("english")

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12
# Dropped from queries (they are still indexed): they would only narrow a search.
STOP_WORDS = frozenset("a an and are at be by do does for from how i in is it my of on or the to what when where with".split())


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _segment(run: str) -> list[str]:
    with _lock:  # jieba's lazy initialisation is not thread-safe
        return [w for w in jieba.cut_for_search(run) if w.strip()]


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _latin_tokens(text: str) -> list[str]:
    return [_stem(w) for w in LATIN_WORD.findall(text.lower())]


def index_tokens(text: str) -> str:
    """Space-separated tokens for the text column of the index."""
    tokens: list[str] = []
    for run in CJK_RUN.findall(text or ""):
        tokens += _segment(run)
        tokens += _bigrams(run)
    tokens += _latin_tokens(CJK_RUN.sub(" ", text or ""))
    return " ".join(tokens)


def pinyin_tokens(text: str, initials: bool | None = True) -> str:
    """Full pinyin and initials of each Chinese word (``落户`` → ``luohu lh``);
    ``initials=False``: the full pinyin alone, ``initials=None``: the initials alone."""
    tokens: list[str] = []
    for run in CJK_RUN.findall(text or ""):
        for word in _segment(run):
            syllables = lazy_pinyin(word)
            if initials is not None:
                tokens.append("".join(syllables))
            if initials is not False and len(word) > 1:
                tokens.append("".join(s[0] for s in lazy_pinyin(word, style=Style.FIRST_LETTER) if s))
    return " ".join(t for t in tokens if t.isascii() and t.isalnum())


def query_terms(query: str) -> list[list[str]]:
    """The query as groups of alternatives: every group must match (AND), any token in a
    group may (OR); a token ending in ``*`` matches as a prefix.

    Chinese runs become their bigrams (all required), so a query needs no segmenter
    agreement; a lone Chinese character matches words that start with it.  Latin words
    are stemmed, and the word still being typed (the last, with no space after it)
    matches as a prefix, for search-as-you-type."""
    query = (query or "")[:MAX_QUERY_CHARS]
    groups: list[list[str]] = []
    for run in CJK_RUN.findall(query):
        if len(run) == 1:
            groups.append([run + "*"])
        else:
            groups.extend([gram] for gram in _bigrams(run))
    words = LATIN_WORD.findall(CJK_RUN.sub(" ", query).lower())
    typing = bool(words) and query[-1:].isascii() and query[-1:].isalnum()
    if any(w not in STOP_WORDS for w in words) or groups:
        words = [w for i, w in enumerate(words) if w not in STOP_WORDS or (typing and i == len(words) - 1)]
    for i, word in enumerate(words):
        alternatives = sorted({_stem(word), word})
        if typing and i == len(words) - 1:
            alternatives = [a + "*" for a in alternatives]
        groups.append(alternatives)
    seen, unique = set(), []
    for group in groups:
        key = tuple(group)
        if key not in seen:
            seen.add(key)
            unique.append(group)
    return unique[:MAX_QUERY_TERMS]


def highlight_terms(query: str) -> list[str]:
    """What to mark in results: the Chinese runs and Latin words the person typed."""
    query = (query or "")[:MAX_QUERY_CHARS]
    terms = CJK_RUN.findall(query) + [w for w in LATIN_WORD.findall(CJK_RUN.sub(" ", query).lower()) if len(w) > 1]
    return sorted(set(terms), key=len, reverse=True)[:MAX_QUERY_TERMS]


def _expression(query: str, term, and_: str, or_: str) -> str | None:
    groups = query_terms(query)
    if not groups:
        return None
    return and_.join("(" + or_.join(term(t[:-1], True) if t.endswith("*") else term(t, False) for t in group) + ")" for group in groups)


def fts5_match(query: str) -> str | None:
    """An FTS5 MATCH expression, or None when the query has nothing to search for.
    Every token is quoted, so the person's text can never become FTS syntax."""
    return _expression(query, lambda t, prefix: f'"{t}" *' if prefix else f'"{t}"', " AND ", " OR ")


def tsquery(query: str) -> str | None:
    """A PostgreSQL ``to_tsquery('simple', …)`` expression (tokens quoted), or None."""
    return _expression(query, lambda t, prefix: f"'{t}':*" if prefix else f"'{t}'", " & ", " | ")
