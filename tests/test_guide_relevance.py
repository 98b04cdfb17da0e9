"""Relevance of the guide search on the demo guide: a dozen everyday queries of
bench/relevance_cases.tsv (colloquial Chinese, traditional characters, English, pinyin)
must keep finding their entry first, on SQLite and on PostgreSQL, asked of the guide
page as a person asks it.  The whole set, with figures: `make bench-relevance`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from bench.relevance import ask, load_cases, rank

CASES = {case.query: case for case in load_cases()}

FIRST = [
    "户口怎么迁",  # question word dropped: 户口 AND 迁*
    "电梯坏了",  # nothing matches 坏: the closest match is the lift entry
    "加班不给钱",
    "被骗了",
    "停车位",
    "落戶",  # traditional characters
    "電梯壞了",
    "開發票",
    "hukou",
    "work permit",
    "tingchewei",  # whole-word pinyin by syllable pairs
    "luohu",
    "居住证积分怎么算",
]
TOP5 = ["员工体检", "公司注册", "免费法律咨询"]


@pytest.fixture
def demo_guide(app, demo):
    from app.demo.guide_data import ENTRIES
    from app.guide.services import load_entries
    from app.org.models import Department

    with app.app_context():
        load_entries(ENTRIES, {d.code: d for d in db.session.scalars(sa.select(Department))})
        db.session.commit()
        db.session.remove()


def test_the_cases_are_the_benchmarks():
    assert len(CASES) >= 100
    assert all(q in CASES for q in FIRST + TOP5)


def test_everyday_queries_find_their_entry(client, demo_guide):
    first = {q: rank(ask(client, CASES[q]), CASES[q]) for q in FIRST}
    assert first == {q: 1 for q in FIRST}
    top5 = {q: rank(ask(client, CASES[q]), CASES[q]) for q in TOP5}
    assert all(r is not None and r <= 5 for r in top5.values()), top5
