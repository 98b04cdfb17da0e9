"""One benchmark report (`make bench`): runs bench/pages_bench.py, bench/weight_bench.py and
the benchmarks of the earlier issues (guide, intake, wall, boards) one after the other,
each as a subprocess with --json, and writes bench/REPORT.md: the machine, ONE summary
table of every public page and partial (req/s, p50, p99, ratio to the bare endpoint of
the same run, target, met/missed, per database), write throughput, SQL statement counts,
page weight with the third-party check, the other issues' targets, and each script's own
output as appendices.

    .venv/bin/python bench/report.py [--quick] [--no-postgres] [--only pages,weight,guide,relevance,intake,wall,boards]
                                     [--pages-seconds S] [--pages-rounds R] [--out bench/REPORT.md]

Default durations take about 25-30 minutes on 2 cores; --quick (1-2 s per URL, smaller data)
about 13 minutes, for checking the report's format — its figures are not meant to be
quoted.  Targets: every full public page ≥ 60 % of the bare endpoint, every partial
≥ 80 %, first load of any public page ≤ 60 KB compressed, no third-party request.
Figures only: the exit status is 0 even when a target is missed (1 if a script failed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name: (script, full-run arguments, --quick arguments)
SCRIPTS = {
    "pages": ("pages_bench.py", ["--seconds", "2", "--rounds", "3", "--group", "6"], ["--seconds", "1", "--rounds", "1", "--group", "6"]),
    "weight": ("weight_bench.py", [], []),
    "guide": ("guide_bench.py", ["--entries", "10000", "--seconds", "5"], ["--entries", "1000", "--seconds", "2"]),
    "relevance": ("relevance.py", [], []),
    "intake": ("intake_bench.py", ["--seconds", "5"], ["--seconds", "2"]),
    "wall": ("wall_bench.py", ["--wishes", "10000", "--seconds", "4"], ["--wishes", "1000", "--seconds", "2"]),
    "boards": ("boards_bench.py", ["--requests", "100000", "--seconds", "4"], ["--requests", "10000", "--seconds", "2"]),
}
NO_PG = {"pages", "guide", "relevance", "intake", "wall", "boards"}


# --- the machine --------------------------------------------------------------------------


def _cmd(*args: str) -> str:
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=30)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine(no_postgres: bool) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines() if line.startswith("model name")), platform.processor())
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), 0)
    osname = next((line.split("=", 1)[1].strip('"') for line in _read("/etc/os-release").splitlines() if line.startswith("PRETTY_NAME=")), platform.platform())
    pg = "not used (--no-postgres)"
    if not no_postgres:
        try:
            import sqlalchemy as sa

            from app.config import normalize_database_url

            url = normalize_database_url(os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/loushi_bench"))
            engine = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres")
            with engine.connect() as conn:
                pg = conn.execute(sa.text("SHOW server_version")).scalar_one()
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            pg = f"unavailable ({type(exc).__name__})"
    redis_version = "unavailable"
    try:
        import redis

        redis_version = redis.Redis.from_url(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0", socket_timeout=2).info("server")["redis_version"]
    except Exception:  # noqa: BLE001
        pass
    try:
        import gunicorn

        gunicorn_version = gunicorn.__version__
    except ImportError:
        gunicorn_version = "missing"
    wrk = _cmd("wrk", "-v").splitlines()[0] if shutil.which("wrk") else "missing (Python threads used)"
    commit = _cmd("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_cmd("git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"))
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram": f"{mem_kb / 1024 / 1024:.1f} GiB" if mem_kb else "?", "os": osname,
        "kernel": platform.release(), "python": platform.python_version(), "postgres": pg, "sqlite": sqlite3.sqlite_version,
        "redis": redis_version, "redis_used": bool(os.environ.get("REDIS_URL")), "gunicorn": gunicorn_version, "wrk": wrk,
        "chromium": _cmd(os.environ.get("CHROMIUM", "/usr/bin/chromium"), "--version") or "missing",
        "commit": commit + (" (+ uncommitted changes)" if dirty else ""),
    }


# --- running the scripts ------------------------------------------------------------------


def run_script(name: str, quick: bool, no_postgres: bool, extra: list[str], workdir: Path) -> dict:
    script, full, short = SCRIPTS[name]
    json_path = workdir / f"{name}.json"
    args = (short if quick else full) + extra + (["--no-postgres"] if no_postgres and name in NO_PG else []) + ["--json", str(json_path)]
    cmd = [sys.executable, str(ROOT / "bench" / script), *args]
    log = workdir / f"{name}.stderr"
    print(f"[bench] {' '.join(['bench/' + script, *args[:-2]])} …", flush=True)
    started = time.perf_counter()
    with log.open("wb") as err:
        done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)  # noqa: S603 - our own scripts
    elapsed = time.perf_counter() - started
    print(f"[bench] {script}: {'ok' if done.returncode == 0 else f'FAILED ({done.returncode})'} in {elapsed / 60:.1f} min", flush=True)
    data = json.loads(json_path.read_text()) if done.returncode == 0 and json_path.exists() else None
    return {"name": name, "command": "bench/" + script + " " + " ".join(args[:-2]), "returncode": done.returncode, "seconds": elapsed,
            "stdout": done.stdout, "stderr_tail": "\n".join(log.read_text(errors="replace").splitlines()[-30:]), "data": data}


# --- the report ---------------------------------------------------------------------------


def _pct(x) -> str:
    return "–" if x is None else f"{x:.0%}"


def _ms(x) -> str:
    if x is None or x != x:
        return "–"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def _data(runs: dict, name: str) -> dict:
    """What script ``name`` wrote with --json ({} when it did not run or failed)."""
    return (runs.get(name) or {}).get("data") or {}


def _results(runs: dict, name: str) -> list[dict]:
    return _data(runs, name).get("results", [])


def summary_table(pages: dict) -> list[str]:
    dbs = pages["results"]
    out = [
        "| page / partial | kind | URL | target | " + " | ".join(
            f"{r['label']} req/s | p50 ms | p99 ms | ratio | with cookies | verdict" for r in dbs) + " |",
        "|---|---|---|---|" + "---|---|---|---|---|---|" * len(dbs),
    ]
    urls = dbs[0]["urls"]
    for u in urls:
        cells = []
        for r in dbs:
            res = r["http"]["results"]
            plain, cookie = res.get(f"{u['key']}|no cookies"), res.get(f"{u['key']}|cookies")
            main = plain or cookie
            if main is None:
                cells.append("– | – | – | – | – | –")
                continue
            with_cookies = _pct(cookie["ratio"]) if cookie and plain else ("(only)" if cookie else "no cookie set")
            cells.append(f"{main['rps']:.0f} | {_ms(main['p50'])} | {_ms(main['p99'])} | {_pct(main['ratio'])} | {with_cookies} "
                         f"| {_verdict(main['ratio'] >= u['target'])}")
        method = "POST " if u["method"] == "POST" else ""
        out.append(f"| {u['label']} | {u['kind']} | `{method}{u['path']}` | ≥ {u['target']:.0%} | " + " | ".join(cells) + " |")
    return out


def write_table(runs: dict) -> list[str]:
    out = ["| write | database | bare req/s | write req/s | ratio | target | answers = rows? | source |", "|---|---|---|---|---|---|---|---|"]
    for r in _results(runs, "intake"):
        ok = r["form_seen"].get("ok", 0)
        ratio = r["form"] / r["bare"]
        out.append(f"| request filing (POST /zh/requests/new) | {r['label']} | {r['bare']:.0f} | {r['form']:.0f} | {ratio:.1%} "
                   f"| ≥ {r['target']:.0%} ({_verdict(ratio >= r['target'])}) | {ok} = {r['rows']}: {'yes' if ok == r['rows'] else 'NO'} | intake_bench |")
    for r in _results(runs, "wall"):
        s = r["support"]
        ok, rows, count = s["seen"].get("ok", 0), s["rows"] - s["before"][1], s["count"] - s["before"][0]
        out.append(f"| wish support (POST /zh/wall/<id>/support, htmx) | {r['label']} | {s['bare']:.0f} | {s['rate']:.0f} | {s['rate'] / s['bare']:.1%} "
                   f"| – | {ok} = {rows} = {count}: {'yes' if ok == rows == count else 'NO'} | wall_bench |")
    for r in _results(runs, "pages"):
        w = r["writes"]
        if w:
            out.append(f"| event registration (POST {w['path']}) | {r['label']} | {w['bare']:.0f} | {w['rate']:.0f} | {w['rate'] / w['bare']:.1%} "
                       f"| – | {w['ok']} = {w['rows']}: {'yes' if w['ok'] == w['rows'] else 'NO'} | pages_bench |")
    return out


def query_table(runs: dict) -> list[str]:
    out = []
    pages = (runs.get("pages") or {}).get("data")
    if pages:
        dbs = pages["results"]
        out += ["| page / partial | kind | " + " | ".join(f"{r['label']} uncached | {r['label']} repeat" for r in dbs) + " |",
                "|---|---|" + "---|---|" * len(dbs)]
        for u in dbs[0]["urls"]:
            out.append(f"| {u['label']} | {u['kind']} | " + " | ".join(
                f"{r['statements'][u['key']]['built']} | {r['statements'][u['key']]['repeat']}" for r in dbs) + " |")
        out.append("\nuncached = one request with the page cache and cache versions cleared; repeat = the same request "
                   "again (0 when it is served from the page cache).  On SQLite the count includes the explicit BEGIN "
                   "of a transaction.\n")
    scaling = []
    for r in _results(runs, "wall"):
        for key, name in (("full", "/zh/wall/"), ("top", "/zh/wall/?sort=top"), ("more", "/zh/wall/?page=2 (htmx)")):
            s, l = r["small"][key][0], r["large"][key][0]
            scaling.append(f"| {name} | {r['label']} | {s} @{r['small_n']} wishes | {l} @{r['total']} wishes | {'yes' if s == l else 'NO'} |")
    for r in _results(runs, "boards"):
        s, l = r["small"], r["large"]
        scaling.append(f"| /zh/boards/shanghai-tower | {r['label']} | {s['statements']} @{s['total']:,} requests "
                       f"| {l['statements']} @{l['total']:,} requests | {'yes' if s['statements'] == l['statements'] else 'NO'} |")
    if scaling:
        out += ["Statements as the data grows (from wall_bench and boards_bench):\n",
                "| page | database | small | large | constant? |", "|---|---|---|---|---|", *scaling]
    return out


def weight_table(runs: dict) -> list[str]:
    weight = (runs.get("weight") or {}).get("data")
    if not weight:
        return ["(weight_bench did not run)"]
    target = weight["target_kb"] * 1024
    by = {}
    for r in weight["rows"]:
        by.setdefault(r["key"], {"label": r["label"]})[r["lang"]] = r
    out = [f"| page | zh: requests, gzip bodies + headers | en: requests, gzip bodies + headers | raw (zh) | third-party | verdict (≤ {weight['target_kb']} KB, none) |",
           "|---|---|---|---|---|---|"]
    for key, v in by.items():
        cells, ok, third = [], True, []
        for lang in ("zh", "en"):
            r = v.get(lang)
            if r is None:
                cells.append("–")
                continue
            total = r["gzip"] + r["headers"]
            ok = ok and total <= target and r["status"] < 400
            third += r["third_party"]
            cells.append(f"{r['count']}, {total / 1024:.1f} KB")
        raw = v.get("zh", {}).get("raw", 0)
        out.append(f"| {v['label']} | {cells[0]} | {cells[1]} | {raw / 1024:.1f} KB | {len(third) or 'none'} | {_verdict(ok and not third)} |")
    return out


def other_targets(runs: dict) -> list[str]:
    out = ["| issue | measure | database | figure | target | verdict |", "|---|---|---|---|---|---|"]
    guide = _data(runs, "guide")
    for r in _results(runs, "guide"):
        ratio = r["large"][1] / r["small"][1]
        out.append(f"| guide | search p95 @{guide['args']['entries']:,} ÷ p95 @100 | {r['label']} | {ratio:.2f}× | ≤ 1.5× | {_verdict(ratio <= 1.5)} |")
        full, part = r["full"] / r["bare"], r["partial"] / r["bare"]
        out.append(f"| guide | /zh/guide/?q=落户 full page (page cache on) | {r['label']} | {full:.0%} | ≥ 60 % | {_verdict(full >= 0.6)} |")
        out.append(f"| guide | /zh/guide/?q=落户 htmx partial (page cache on) | {r['label']} | {part:.0%} | ≥ 80 % | {_verdict(part >= 0.8)} |")
    for r in _results(runs, "intake"):
        ratio = r["form"] / r["bare"]
        out.append(f"| intake | form POST ÷ bare | {r['label']} | {ratio:.1%} | ≥ {r['target']:.0%} | {_verdict(ratio >= r['target'])} |")
    for r in _results(runs, "wall"):
        m = r["cached"]
        out.append(f"| wall | /zh/wall/ (page cache on) ÷ bare | {r['label']} | {m['full'] / m['bare']:.0%} | ≥ 60 % | {_verdict(m['full'] / m['bare'] >= 0.6)} |")
    for r in _results(runs, "boards"):
        ratio = r["small"]["http"]["board"] / r["large"]["http"]["board"]
        out.append(f"| boards | board req/s @{r['small']['total']:,} ÷ @{r['large']['total']:,} | {r['label']} | {ratio:.2f}× | ≤ 2× | {_verdict(ratio <= 2)} |")
    return out


def relevance_section(runs: dict) -> list[str]:
    data = (runs.get("relevance") or {}).get("data")
    if not data:
        return ["(relevance.py did not run)"]
    from bench.relevance import table

    cases = len(data["results"][0]["rows"])
    return [f"{cases} everyday queries (bench/relevance_cases.tsv: colloquial Chinese, traditional characters, English, "
            "pinyin) asked of `/<lang>/guide/?q=` on the demo guide; share with an acceptable entry first (top 1) and "
            "among the first five (top 5, target ≥ 90 %).  The misses are in the appendix.\n", *table(data["results"])]


def report(mach: dict, runs: dict, started: datetime, load_before, load_after, quick: bool, total_s: float) -> str:
    L: list[str] = []
    L.append("# Benchmark report\n")
    L.append(f"Generated by `make bench` (`bench/report.py{' --quick' if quick else ''}`) on {started:%Y-%m-%d %H:%M} UTC, "
             f"commit {mach['commit']}; the whole run took {total_s / 60:.1f} min.")
    if quick:
        L.append("\n**Quick run (--quick): 1–2 s per URL, one round, smaller data sets, on a shared machine — these figures "
                 "show the report's format and are not to be quoted.**")
    L.append("\n## Machine\n")
    L.append("| | |\n|---|---|")
    for k, v in (("CPU", f"{mach['cpu']}, {mach['cores']} cores"), ("RAM", mach["ram"]), ("OS", f"{mach['os']} (kernel {mach['kernel']})"),
                 ("Python", mach["python"]), ("PostgreSQL (server)", mach["postgres"]), ("SQLite", mach["sqlite"]),
                 ("Redis", f"{mach['redis']} ({'REDIS_URL set: page cache shared' if mach['redis_used'] else 'REDIS_URL unset: the page cache is in each worker'})"),
                 ("gunicorn", f"{mach['gunicorn']}, 2 sync workers, rate limiting off"), ("load generator", mach["wrk"] + " (wrk -t2 -c8 on the same machine)"),
                 ("Chromium", mach["chromium"]),
                 ("load average (1/5/15 min)", "before " + " / ".join(f"{x:.2f}" for x in load_before) + ", after "
                  + " / ".join(f"{x:.2f}" for x in load_after))):
        L.append(f"| {k} | {v} |")
    L.append("\nDurations:\n")
    for name, r in runs.items():
        L.append(f"- `{r['command']}` — {r['seconds'] / 60:.1f} min" + ("" if r["returncode"] == 0 else f" — **FAILED (exit {r['returncode']})**"))

    pages = (runs.get("pages") or {}).get("data")
    L.append("\n## Public pages and partials\n")
    if pages:
        args = pages["args"]
        L.append(f"req/s and latency under `wrk -t2 -c8` for {args['seconds']} s per URL, median of {args['rounds']} round(s); "
                 f"ratio = req/s ÷ the mean of the bare Flask endpoint (`GET /bare`, bench/wsgi_bench.py) measured just "
                 f"before and after each group of {args['group']} URLs on the same server.  The figures are for a request "
                 "without cookies (what wrk sends: every full page then starts a new session and sets its cookie); "
                 "'with cookies' is the ratio with the cookies of a first view (a returning browser).  The verdict uses the "
                 "first.  Page cache on (the default).  Targets: full page ≥ 60 %, partial ≥ 80 %.\n")
        for r in pages["results"]:
            h = r["http"]
            L.append(f"- {r['label']}: bare {h['bare']:.0f} req/s (median; runs {min(h['bare_runs']):.0f}–{max(h['bare_runs']):.0f}), "
                     f"load average {h['load'][0]:.2f} → {h['load'][1]:.2f}")
        L.append("")
        L += summary_table(pages)
        missed = []
        for r in pages["results"]:
            for u in r["urls"]:
                m = r["http"]["results"].get(f"{u['key']}|no cookies") or r["http"]["results"].get(f"{u['key']}|cookies")
                if m and m["ratio"] < u["target"]:
                    missed.append(f"{u['label']} ({r['label']} {m['ratio']:.0%})")
        L.append(f"\nMissed: {len(missed)} of {sum(len(r['urls']) for r in pages['results'])} — " + ("; ".join(missed) if missed else "none") + ".")
        notes = [f"- {u['label']}: {u['note']}" for u in pages["results"][0]["urls"] if u["note"]]
        if notes:
            L.append("\n" + "\n".join(notes))
    else:
        L.append("(pages_bench did not run)")

    L.append("\n## Write throughput\n")
    L += write_table(runs)
    L.append("\n## SQL statements per request\n")
    L += query_table(runs)
    L.append("\n## Page weight (first load, gzip as nginx would send it) and third-party requests\n")
    L.append("Chromium with an empty cache loads each page from gunicorn on 127.0.0.1; every response body counted, "
             "text types gzipped at level 6 (what `gzip on; gzip_comp_level 6` sends), plus response headers.  "
             "Any request to another host is aborted and counted as third-party.\n")
    L += weight_table(runs)
    L.append("\n## Guide search relevance\n")
    L += relevance_section(runs)
    L.append("\n## Targets of the earlier issues\n")
    L += other_targets(runs)
    L.append("\n## Appendices: each script's output\n")
    for name, r in runs.items():
        L.append(f"### {name}: `{r['command']}` ({r['seconds'] / 60:.1f} min)\n")
        if r["returncode"] != 0:
            L.append(f"**Failed (exit {r['returncode']}).** Last lines of its stderr:\n\n```\n{r['stderr_tail']}\n```\n")
        L.append(r["stdout"].strip() + "\n")
    return "\n".join(L) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short durations and small data: checks the format, not for quoting")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(SCRIPTS))
    parser.add_argument("--pages-seconds", default="", help="override pages_bench --seconds")
    parser.add_argument("--pages-rounds", default="", help="override pages_bench --rounds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "REPORT.md"))
    args = parser.parse_args()

    names = [n for n in SCRIPTS if not args.only or n in args.only.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="loushi-bench-report-"))
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    load_before = os.getloadavg()
    mach = machine(args.no_postgres)
    runs = {}
    for name in names:
        extra = []
        if name == "pages":
            extra += ["--seconds", args.pages_seconds] if args.pages_seconds else []
            extra += ["--rounds", args.pages_rounds] if args.pages_rounds else []
        runs[name] = run_script(name, args.quick, args.no_postgres, extra, workdir)
    load_after = os.getloadavg()
    text = report(mach, runs, started, load_before, load_after, args.quick, time.perf_counter() - t0)
    Path(args.out).write_text(text)
    print(f"[bench] wrote {args.out} ({(time.perf_counter() - t0) / 60:.1f} min; logs in {workdir})")
    sys.exit(1 if any(r["returncode"] != 0 for r in runs.values()) else 0)


if __name__ == "__main__":
    main()
