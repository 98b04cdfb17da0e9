"""Page-cache benchmark under varied load: req/s of groups of public pages, each group a
list of many different URLs that wrk visits in random order (a Lua script picks one per
request), with the page cache on (after one warm-up pass: mostly cache hits) and off
(every request builds its page), served by gunicorn (2 sync workers) on 127.0.0.1.

    .venv/bin/python bench/cache_bench.py [--seconds 5] [--redis redis://127.0.0.1:6379/2] [--postgres URL]

Groups (zh and en alike):
* guide: the guide index with ten searches, four category filters, and every entry's page;
* boards: the boards index, each street's index and every building's board;
* screen: every building's lobby screen (the full page and the htmx poll);
* forms: the staff sign-in, the request form, the tracking look-up (pages with a form).

wrk sends no cookies, like a first visit.  Data: seed_demo(guide=True); SQLite in a
temporary folder (or ``--postgres``, dropped and re-created).  Rate limiting off.  With
``--redis`` the cache lives in that Redis database (flushed first).  Prints a markdown
table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drain, fresh_postgres, seeded_app, start_server, stop_server  # noqa: E402
from bench.guide_bench import QUERIES  # noqa: E402

LUA = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local hx = os.getenv("BENCH_HX") == "1"
math.randomseed(os.time())
request = function()
  local headers = {}
  if hx then headers["HX-Request"] = "true" end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
"""


def _paths(app) -> dict[str, list[str]]:
    import sqlalchemy as sa
    import urllib.parse

    from app.org.models import Building, Street
    from app.extensions import db
    from app.guide.models import GuideEntry

    with app.app_context():
        entries = db.session.scalars(sa.select(GuideEntry.slug)).all()
        buildings = db.session.scalars(sa.select(Building.slug)).all()
        streets = db.session.scalars(sa.select(Street.code)).all()
        db.session.remove()
    groups: dict[str, list[str]] = {"guide": [], "boards": [], "screen": [], "forms": []}
    for lang in ("zh", "en"):
        groups["guide"] += [f"/{lang}/guide/?q={urllib.parse.quote(q)}" for q in QUERIES]
        groups["guide"] += [f"/{lang}/guide/?category={c}" for c in ("business", "talent", "health", "tax")]
        groups["guide"] += [f"/{lang}/guide/{slug}" for slug in entries]
        groups["boards"] += [f"/{lang}/boards/"] + [f"/{lang}/boards/?street={s}" for s in streets]
        groups["boards"] += [f"/{lang}/boards/{slug}" for slug in buildings]
        groups["screen"] += [f"/{lang}/boards/{slug}/screen" for slug in buildings]
        groups["forms"] += [f"/{lang}/login", f"/{lang}/requests/new", f"/{lang}/track"]
    return groups


def _server(url: str, instance: Path, cache: bool, redis_url: str, log: Path):
    """gunicorn as the other benchmarks start it (bench/common.py), with the cache in ``redis_url`` (or in process)."""
    os.environ.pop("REDIS_URL", None)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    server, port = start_server(url, instance, log, cache=cache)
    return server, f"http://127.0.0.1:{port}"


def _wrk(base: str, paths: list[str], seconds: float, hx: bool, folder: Path) -> float:
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = folder / "varied.lua"
    script.write_text(LUA)
    env = dict(os.environ, BENCH_PATHS=str(listing), BENCH_HX="1" if hx else "0")
    done = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds:g}s", "-s", str(script), base],  # noqa: S603,S607
                          capture_output=True, text=True, timeout=seconds + 60, env=env)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stdout} {done.stderr}")
    out = done.stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        print(f"    warning: {bad.group(1)} non-2xx answers")
    drain(base)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--redis", default="", help="REDIS_URL for the servers (the cache lives there)")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (dropped and re-created) instead of SQLite")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="loushi-bench-cache-"))
    url = fresh_postgres(args.postgres) if args.postgres else f"sqlite:///{folder / 'bench.sqlite3'}"
    app = seeded_app(url, folder / "instance")
    groups = _paths(app)
    groups["screen (htmx poll)"] = groups["screen"]
    results: dict[str, dict[str, float]] = {name: {} for name in groups}
    for cache in (False, True):
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
        server, base = _server(url, folder / "instance", cache, args.redis, folder / "gunicorn.log")
        try:
            urllib.request.urlopen(base + "/bare", timeout=5).close()  # noqa: S310
            for name, paths in groups.items():
                hx = name.endswith("(htmx poll)")
                kept = []
                for path in paths:  # warm-up: each URL once (fills the cache when it is on); 200s only
                    request = urllib.request.Request(base + path, headers={"HX-Request": "true"} if hx else {})
                    try:
                        urllib.request.urlopen(request, timeout=30).close()  # noqa: S310
                        kept.append(path)
                    except urllib.error.HTTPError:
                        pass
                groups[name] = paths = kept
                results[name]["on" if cache else "off"] = _wrk(base, paths, args.seconds, hx, folder)
            results.setdefault("bare", {})["on" if cache else "off"] = _wrk(base, ["/bare"], args.seconds, False, folder)
        finally:
            stop_server(server)

    where = "PostgreSQL" if args.postgres else "SQLite"
    store = "Redis" if args.redis else "files (instance/page-cache)"
    print(f"\nVaried load — {where}, cache store {store}, gunicorn 2 sync workers, wrk -t2 -c8, {args.seconds:g} s per group, "
          f"random URL per request, no cookies\n")
    print("| group | URLs | cache off (built path) req/s | cache on req/s |")
    print("|---|---|---|---|")
    for name, figures in results.items():
        count = len(groups.get(name, ["/bare"]))
        print(f"| {name} | {count} | {figures['off']:.0f} | {figures['on']:.0f} |")


if __name__ == "__main__":
    main()
