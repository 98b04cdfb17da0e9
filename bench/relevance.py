"""Guide search relevance: everyday queries (bench/relevance_cases.tsv: colloquial Chinese,
traditional characters, English, pinyin) against the demo guide, each asked of the guide
page itself (GET /<lang>/guide/?q=…, the HTML a person reads, "did you mean" included),
on a fresh SQLite file and a fresh PostgreSQL database.  Prints the share of queries with
an acceptable entry first (top 1) and among the first five (top 5), per group and
overall, and the misses with what came first instead.

    .venv/bin/python bench/relevance.py [--no-postgres] [--json out.json] [--cases FILE]

PostgreSQL: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1/loushi_bench, with
``_relevance`` appended, dropped and re-created).  Figures, not pass/fail (target: ≥ 90 %
in the top 5); tests/test_guide_relevance.py keeps a dozen of the cases as a test.
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ROOT / "bench" / "relevance_cases.tsv"
GROUPS = {"zh": "Chinese (colloquial)", "hant": "traditional characters", "en": "English", "pinyin": "pinyin"}


@dataclass(frozen=True)
class Case:
    group: str
    query: str
    slugs: frozenset[str]

    @property
    def lang(self) -> str:
        return "en" if self.group == "en" else "zh"


def load_cases(path: Path = CASES) -> list[Case]:
    """The cases of the TSV file: group, query, acceptable slugs (space-separated)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        group, query, slugs = line.split("\t")
        cases.append(Case(group, query, frozenset(slugs.split())))
    return cases


def listed_slugs(html: str, lang: str) -> list[str]:
    """The entries the results block lists, in page order (results, or the closest
    matches of "did you mean" when nothing matched every word)."""
    section = html.split('id="guide-results"', 1)[1].split("</section>", 1)[0]
    seen: list[str] = []
    for slug in re.findall(r'href="/' + lang + r'/guide/([a-z0-9-]+)"', section):
        if slug not in seen:
            seen.append(slug)
    return seen


def ask(client, case: Case) -> list[str]:
    response = client.get(f"/{case.lang}/guide/", query_string={"q": case.query})
    assert response.status_code == 200, (case.query, response.status_code)
    return listed_slugs(response.get_data(as_text=True), case.lang)


def rank(listed: list[str], case: Case) -> int | None:
    """1-based position of the first acceptable entry, None when none is listed."""
    return next((i + 1 for i, slug in enumerate(listed) if slug in case.slugs), None)


def run(label: str, url: str, cases: list[Case]) -> dict:
    from app.extensions import db
    from bench.common import seeded_app

    instance = Path(tempfile.mkdtemp(prefix="loushi-relevance-"))
    app = seeded_app(url, instance)
    app.config["PAGE_CACHE_ENABLED"] = False
    rows = []
    with app.app_context():
        client = app.test_client()
        for case in cases:
            listed = ask(client, case)
            rows.append({"group": case.group, "query": case.query, "rank": rank(listed, case), "listed": listed[:5],
                         "acceptable": sorted(case.slugs)})
        db.session.remove()
        db.engine.dispose()
    return {"label": label, "rows": rows}


def shares(rows: list[dict]) -> dict[str, tuple[int, float, float]]:
    """{group: (cases, share in top 1, share in top 5)}, plus "all"."""
    out = {}
    for group in [*GROUPS, "all"]:
        mine = [r for r in rows if group == "all" or r["group"] == group]
        if mine:
            top1 = sum(1 for r in mine if r["rank"] == 1) / len(mine)
            top5 = sum(1 for r in mine if r["rank"] is not None and r["rank"] <= 5) / len(mine)
            out[group] = (len(mine), top1, top5)
    return out


def table(results: list[dict]) -> list[str]:
    lines = ["| group | cases | " + " | ".join(f"{r['label']} top 1 | {r['label']} top 5" for r in results) + " |",
             "|---|---|" + "---|---|" * len(results)]
    per = [shares(r["rows"]) for r in results]
    for group in [*GROUPS, "all"]:
        if group not in per[0]:
            continue
        name = "**all**" if group == "all" else GROUPS[group]
        cells = " | ".join(f"{s[group][1]:.0%} | {s[group][2]:.0%}" for s in per)
        lines.append(f"| {name} | {per[0][group][0]} | {cells} |")
    return lines


def misses(result: dict) -> list[str]:
    out = []
    for r in result["rows"]:
        if r["rank"] == 1:
            continue
        where = "not in the top 5" if r["rank"] is None or r["rank"] > 5 else f"#{r['rank']}"
        out.append(f"- [{r['group']}] {r['query']} → {where} (listed: {', '.join(r['listed']) or 'nothing'}; "
                   f"wanted: {', '.join(r['acceptable'])})")
    return out


def main() -> None:
    from bench.common import databases, parser, write_json

    p = parser(__doc__)
    p.add_argument("--cases", default=str(CASES))
    args = p.parse_args()
    cases = load_cases(Path(args.cases))
    # PostgreSQL: BENCH_DATABASE_URL + "_relevance" (default loushi_bench_relevance)
    results = [run(label, url, cases) for label, (url,) in databases("relevance", args.no_postgres, database="loushi_bench",
                                                                     suffix="_relevance")]

    print(f"\nGuide search relevance — {len(cases)} everyday queries against the demo guide "
          f"(bench/relevance_cases.tsv), asked of /<lang>/guide/?q= (results, else the \"did you mean\" list)\n")
    print("\n".join(table(results)))
    for r in results:
        missed = misses(r)
        print(f"\n{r['label']}: not first ({len(missed)}):\n")
        print("\n".join(missed) or "- none")
    write_json(args.json, args, results)


if __name__ == "__main__":
    main()
