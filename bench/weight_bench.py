"""Page weight benchmark: what the first load of every public page type sends over the
wire, in zh and en, loaded by Chromium (Playwright) with an empty cache from gunicorn on
127.0.0.1; and a check that no request leaves 127.0.0.1 (third-party).

    .venv/bin/python bench/weight_bench.py [--json PATH] [--keep-going]

Data: as bench/pages_bench.py (seed_demo(guide=True), 100 more approved wishes, one pending
wish for its author's page), on a throwaway SQLite database.

Every request of a page load is recorded (URL, resource type, status, body size, response
header size) until the network is idle.  A request to any host other than 127.0.0.1 is
aborted (never sent) and listed as third-party.  The app does not compress (nginx does in
production: README, Deployment), so each body is reported raw and as `gzip on;
gzip_comp_level 6;` would send it: gzip level 6 for text/html, text/css,
application/javascript, text/javascript, image/svg+xml and application/json; other types
(binary images) as they are; a body that already has a Content-Encoding as received.
Target: the first load ≤ 60 KB compressed (gzip bodies + response headers as gunicorn
sends them; headers are small).  Chromium: /usr/bin/chromium (CHROMIUM env to change).
Prints markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import dispose, seeded_app, served  # noqa: E402
from bench.pages_bench import _targets, _urls  # noqa: E402
from bench.wall_bench import _insert_wishes  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GZIP_TYPES = ("text/html", "text/css", "application/javascript", "text/javascript", "image/svg+xml", "application/json")
TARGET_KB = 60


def _gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def _load_page(context, url: str) -> dict:
    requests: list[dict] = []
    third: list[str] = []

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            third.append(r.request.url)
            r.abort()

    page = context.new_page()
    page.route("**/*", route)

    def finished(request):
        response = request.response()
        if response is None:
            return
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - a redirect has no body
            body = b""
        headers = response.headers
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        encoded = headers.get("content-encoding")
        wire = int(headers["content-length"]) if encoded and "content-length" in headers else len(body)
        compressed = wire if encoded else (_gzip_size(body) if ctype in GZIP_TYPES and body else len(body))
        try:
            header_bytes = request.sizes()["responseHeadersSize"]
        except Exception:  # noqa: BLE001
            header_bytes = 0
        requests.append({"url": request.url, "type": request.resource_type, "status": response.status, "ctype": ctype,
                         "raw": len(body), "gzip": compressed, "headers": max(header_bytes, 0), "encoding": encoded or ""})

    page.on("requestfinished", finished)
    response = page.goto(url, wait_until="networkidle")
    status = response.status if response else 0
    page.close()
    return {"status": status, "requests": requests, "third_party": third}


def measure(base: str, paths: list[tuple[str, str, str]]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for key, label, path in paths:
                for lang in ("zh", "en"):
                    context = browser.new_context()  # an empty cache, no cookies
                    try:
                        result = _load_page(context, base + path.replace("/zh/", f"/{lang}/", 1))
                    finally:
                        context.close()
                    reqs = result["requests"]
                    out.append({"key": key, "label": label, "lang": lang, "path": path.replace("/zh/", f"/{lang}/", 1),
                                "status": result["status"], "count": len(reqs), "raw": sum(r["raw"] for r in reqs),
                                "gzip": sum(r["gzip"] for r in reqs), "headers": sum(r["headers"] for r in reqs),
                                "html_raw": next((r["raw"] for r in reqs if r["type"] == "document"), 0),
                                "html_gzip": next((r["gzip"] for r in reqs if r["type"] == "document"), 0),
                                "third_party": result["third_party"], "requests": reqs})
        finally:
            browser.close()
    return out


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def print_tables(rows: list[dict]) -> None:
    print("\nPage weight — first load in Chromium (empty cache), gunicorn on 127.0.0.1; gzip = what nginx "
          "`gzip on; gzip_comp_level 6` sends (text types level 6, images as they are)\n")
    print(f"| page | lang | status | requests | HTML raw / gzip | all bodies raw | all bodies gzip | + headers (target ≤ {TARGET_KB} KB) "
          "| verdict | third-party requests |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        total = r["gzip"] + r["headers"]
        verdict = "met" if total <= TARGET_KB * 1024 and not r["third_party"] else "**missed**"
        third = ", ".join(r["third_party"]) if r["third_party"] else "none"
        print(f"| {r['label']} | {r['lang']} | {r['status']} | {r['count']} | {_kb(r['html_raw'])} / {_kb(r['html_gzip'])} "
              f"| {_kb(r['raw'])} | {_kb(r['gzip'])} | {_kb(total)} | {verdict} | {third} |")
    assets: dict[str, dict] = {}
    for r in rows:
        for q in r["requests"]:
            if q["type"] != "document":
                assets[urllib.parse.urlsplit(q["url"]).path] = q
    print("\nShared resources (fetched once per empty cache; included in every row above):\n")
    print("| resource | type | raw | gzip |")
    print("|---|---|---|---|")
    for path, q in sorted(assets.items()):
        print(f"| `{path}` | {q['ctype']} | {_kb(q['raw'])} | {_kb(q['gzip'])} |")
    third = sorted({u for r in rows for u in r["third_party"]})
    print(f"\nThird-party requests (any host other than 127.0.0.1; aborted): {len(third)}"
          + ("" if not third else "\n\n" + "\n".join(f"- {u}" for u in third)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", default="", help="also write the results as JSON to this path")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="loushi-bench-weight-"))
    url = f"sqlite:///{instance / 'bench.sqlite3'}"
    app = seeded_app(url, instance)
    _insert_wishes(app, 0, 100)
    paths = [(u.key, u.label, u.path) for u in _urls(_targets(app)) if u.kind == "page"]
    dispose(app)
    with served(url, instance) as port:
        rows = measure(f"http://127.0.0.1:{port}", paths)
    print_tables(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "target_kb": TARGET_KB}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
