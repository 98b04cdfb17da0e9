"""Search text for Chinese and English: one tokenizer used for indexing and querying,
so SQLite (FTS5) and PostgreSQL (tsvector, 'simple' configuration) match the same way.

* Chinese: words from jieba's search-mode segmentation **and** every character bigram of
  each Chinese run, so a 2-character word (落户, 税务, 消防, 停车) is found inside any
  longer word whatever the segmenter decided;
* English and digits: lower-cased and Snowball-stemmed (registration ≈ register);
* pinyin: each Chinese word also yields its full pinyin (``luohu``) and initials (``lh``),
  and each Chinese run every pair of adjacent syllables (``tingche``, ``chewei``), kept in
  a third column.

Both sides first fold the text (``fold``): NFKC (full-width letters and digits become
ASCII) and traditional characters become simplified through OpenCC's ``t2s`` tables, so
落戶 finds 落户.  A change to this folding changes what is indexed: rebuild the search
documents afterwards (``flask --app wsgi guide-reindex``).

A query is read as people write it (``query_terms``): question words and particles
(怎么办, 如何, 在哪里, 了, 吗 …) are dropped before the Chinese is cut into bigrams; a
Chinese bigram also matches its pinyin (户口 finds "hukou" in an English title); an ASCII
word of three or more pinyin syllables (``tingchewei``) also matches its syllable pairs.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import jieba
import opencc
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
STOP_WORDS = frozenset(
    "a an and are at be by can do does for from get how i in is it me my need of on or our please should the to "
    "want we what when where which who with you your".split()
)
# Question words and particles of a Chinese query (whole words of jieba's cut): a query
# need not match them.  A run is split where one stood (户口怎么迁 → 户口 | 迁), so no
# bigram spans one (了怎, 么办).  A query made only of them searches for them as typed.
QUESTION_WORDS = frozenset(
    "怎么办 怎么样 怎么 怎样 咋办 咋 如何 为什么 什么 啥 哪里 哪儿 哪 哪些 在哪 在哪里 在哪儿 去哪 去哪里 找谁 谁 "
    "请问 请 我要 我想 想要 我们 我 想 要 需要 能 能否 可以 是否 有没有 多久 在 吗 呢 了 吧 啊 呀 的 得 "
    "办理 办 一下 手续 流程".split()
)
PINYIN_SEGMENTATIONS = 3  # at most this many readings of an ASCII word as pinyin

_converter: opencc.OpenCC | None = None


def fold(text: str) -> str:
    """The text as the index and the queries see it: NFKC-normalised (ｈｕｋｏｕ → hukou)
    and traditional characters converted to simplified (落戶 → 落户) with OpenCC's data."""
    global _converter
    text = unicodedata.normalize("NFKC", text or "")
    if not CJK_RUN.search(text):
        return text
    if _converter is None:
        with _lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter.convert(text)


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _segment(run: str) -> list[str]:
    with _lock:  # jieba's lazy initialisation is not thread-safe
        return [w for w in jieba.cut_for_search(run) if w.strip()]


def _cut(run: str) -> list[str]:
    """jieba's precise cut (each character in exactly one word)."""
    with _lock:
        return [w for w in jieba.cut(run) if w.strip()]


def _content_runs(run: str, at_words: bool = True) -> list[str]:
    """The parts of a Chinese run between its question words and particles.  With
    ``at_words`` each part is also cut at jieba's word boundaries (外国人工作许可 →
    外国人 | 工作 | 许可, so no required bigram spans two words: 人工, 作许), single
    characters in a row staying together (被骗)."""
    parts, current = [], ""
    for word in _cut(run) + [""]:
        if not word or word in QUESTION_WORDS or (at_words and len(word) != 1):
            if current:
                parts.append(current)
            current = ""
            if word and word not in QUESTION_WORDS:
                parts.append(word)
        else:
            current += word
    return parts


@lru_cache(maxsize=1)
def _syllables() -> tuple[frozenset[str], frozenset[str]]:
    """Every toneless pinyin syllable of pypinyin's dictionary (ü as v, as the index
    spells it), and every proper prefix of one."""
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    readings = {r for value in pinyin_dict.values() for r in value.split(",")}
    toneless = {convert(r, Style.NORMAL, strict=True) for r in readings}
    # (without the vowel-less interjections n, ng, m, hm, hng: they would split any word)
    syllables = frozenset(s for s in toneless if s.isascii() and s.isalpha() and set(s) & set("aeiouv"))
    return syllables, frozenset(s[:i] for s in syllables for i in range(1, len(s)))


def pinyin_syllables(word: str, partial: bool = False, limit: int = PINYIN_SEGMENTATIONS) -> list[list[str]]:
    """Readings of an ASCII word as pinyin syllables, those of the fewest syllables
    (``tingchewei`` → [["ting", "che", "wei"]]; ``fangan`` → fang-an and fan-gan); with
    ``partial`` the last one may be the start of a syllable still being typed.  [] when
    it is not pinyin."""
    syllables, prefixes = _syllables()
    word = word.lower()
    found: list[list[str]] = []

    def walk(start: int, path: list[str]) -> None:
        if len(found) >= 4 * limit:
            return
        if start == len(word):
            found.append(path)
            return
        for end in range(min(len(word), start + 6), start, -1):
            piece = word[start:end]
            if piece in syllables or (partial and end == len(word) and piece in prefixes):
                walk(end, path + [piece])

    if word.isascii() and word.isalpha() and len(word) <= 40:
        walk(0, [])
    fewest = min((len(r) for r in found), default=0)  # she-bao, not she-ba-o
    return [r for r in found if len(r) == fewest][:limit]


def _pinyin(text: str) -> str:
    joined = "".join(lazy_pinyin(text))
    return joined if joined.isascii() and joined.isalnum() else ""


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _latin_tokens(text: str) -> list[str]:
    return [_stem(w) for w in LATIN_WORD.findall(text.lower())]


def index_tokens(text: str) -> str:
    """Space-separated tokens for the text column of the index."""
    text = fold(text)
    tokens: list[str] = []
    for run in CJK_RUN.findall(text):
        tokens += _segment(run)
        tokens += _bigrams(run)
    tokens += _latin_tokens(CJK_RUN.sub(" ", text))
    return " ".join(tokens)


def pinyin_tokens(text: str, initials: bool | None = True) -> str:
    """Full pinyin and initials of each Chinese word (``落户`` → ``luohu lh``), and every
    pair of adjacent syllables of each Chinese run (``停车位`` → ``tingche chewei``);
    ``initials=False``: the full pinyin and the pairs alone, ``initials=None``: the
    initials alone."""
    tokens: list[str] = []
    for run in CJK_RUN.findall(fold(text)):
        for word in _segment(run):
            syllables = lazy_pinyin(word)
            if initials is not None:
                tokens.append("".join(syllables))
            if initials is not False and len(word) > 1:
                tokens.append("".join(s[0] for s in lazy_pinyin(word, style=Style.FIRST_LETTER) if s))
        if initials is not None:
            syllables = lazy_pinyin(run)
            tokens += [a + b for a, b in zip(syllables, syllables[1:])]
    return " ".join(t for t in tokens if t.isascii() and t.isalnum())


def _chinese_groups(runs: list[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for run in runs:
        if len(run) == 1:
            groups.append([run + "*"])
            continue
        for gram in _bigrams(run):
            reading = _pinyin(gram)
            groups.append([gram, reading] if reading else [gram])
    return groups


def query_terms(query: str, mode: str = "all") -> list[list[str]]:
    """The query as groups of alternatives: every group must match (AND), any
    alternative in a group may (OR); a token ending in ``*`` matches as a prefix, and an
    alternative of tokens joined by ``+`` needs all of them.

    Chinese runs lose their question words and particles, then become the bigrams of
    each word (all required), so a query needs no segmenter agreement beyond where its
    words end; a bigram also matches its pinyin; a lone Chinese character matches words
    that start with it.  ``mode="any"`` (the closest matches, any group may match):
    every bigram of what is left of a run, across words too, and no lone characters
    beside longer groups (they would match almost anything).  Latin words are
    stemmed, a word of three or more pinyin syllables also matches its syllable pairs,
    and the word still being typed (the last, with no space after it) matches as a
    prefix, for search-as-you-type."""
    query = fold((query or "")[:MAX_QUERY_CHARS])
    runs = CJK_RUN.findall(query)
    content = [part for run in runs for part in _content_runs(run, at_words=mode == "all")]
    words = LATIN_WORD.findall(CJK_RUN.sub(" ", query).lower())
    typing = bool(words) and query[-1:].isascii() and query[-1:].isalnum()
    if content or any(w not in STOP_WORDS for w in words):
        runs = content  # else a query of question words only: search for them as typed
    groups = _chinese_groups(runs)
    if mode == "any" and (any(len(run) > 1 for run in runs) or any(w not in STOP_WORDS for w in words)):
        groups = [g for g in groups if not g[0].endswith("*")]
    if any(w not in STOP_WORDS for w in words) or groups:
        words = [w for i, w in enumerate(words) if w not in STOP_WORDS or (typing and i == len(words) - 1)]
    for i, word in enumerate(words):
        last = typing and i == len(words) - 1
        alternatives = sorted({_stem(word), word})
        if last:
            alternatives = [a + "*" for a in alternatives]
        for reading in pinyin_syllables(word, partial=last):
            if len(reading) > 2:
                pairs = [a + b for a, b in zip(reading, reading[1:])]
                if last:
                    pairs[-1] += "*"
                alternatives.append("+".join(pairs))
        groups.append(alternatives)
    seen, unique = set(), []
    for group in groups:
        key = tuple(group)
        if key not in seen:
            seen.add(key)
            unique.append(group)
    return unique[:MAX_QUERY_TERMS]


def highlight_terms(query: str) -> list[str]:
    """What to mark in results: the Chinese the person typed (whole runs, their words
    other than question words and the bigrams of longer words), and the Latin words."""
    query = fold((query or "")[:MAX_QUERY_CHARS])
    runs = CJK_RUN.findall(query)
    words = [w for run in runs for w in _cut(run) if len(w) > 1 and w not in QUESTION_WORDS]
    grams = [g for w in words if len(w) > 2 for g in _bigrams(w)]  # 停车场 → 停车 (the closest matches)
    terms = runs + [p for run in runs for p in _content_runs(run)] + words + grams
    terms += [w for w in LATIN_WORD.findall(CJK_RUN.sub(" ", query).lower()) if len(w) > 1]
    return sorted(set(terms), key=len, reverse=True)[:MAX_QUERY_TERMS]


MODES = ("all", "any")  # every group must match, or any of them (the closest matches)


def _expression(query: str, term, and_: str, or_: str, mode: str = "all", groups: list[list[str]] | None = None) -> str | None:
    groups = query_terms(query, mode) if groups is None else groups
    if not groups:
        return None

    def token(t: str) -> str:
        return term(t[:-1], True) if t.endswith("*") else term(t, False)

    def alternative(a: str) -> str:
        return "(" + and_.join(token(t) for t in a.split("+")) + ")" if "+" in a else token(a)

    return (and_ if mode == "all" else or_).join("(" + or_.join(alternative(a) for a in group) + ")" for group in groups)


def fts5_match(query: str, mode: str = "all", groups: list[list[str]] | None = None) -> str | None:
    """An FTS5 MATCH expression, or None when the query has nothing to search for
    (``groups``: of ``query_terms`` already made, instead of the query's).  Every token
    is quoted, so the person's text can never become FTS syntax."""
    return _expression(query, lambda t, prefix: f'"{t}" *' if prefix else f'"{t}"', " AND ", " OR ", mode, groups)


def tsquery(query: str, mode: str = "all", groups: list[list[str]] | None = None) -> str | None:
    """A PostgreSQL ``to_tsquery('simple', …)`` expression (tokens quoted), or None."""
    return _expression(query, lambda t, prefix: f"'{t}':*" if prefix else f"'{t}'", " & ", " | ", mode, groups)
