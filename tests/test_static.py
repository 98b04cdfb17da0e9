"""Vendored htmx is the recorded version; the page loads only first-party assets."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_vendored_htmx_matches_recorded_sha256():
    readme = (ROOT / "static/vendor/htmx/README.md").read_text(encoding="utf-8")
    match = re.search(r"`(htmx-(2\.\d+\.\d+)\.min\.js)` \| \2 .*\| `([0-9a-f]{64})` \|", readme)
    assert match, "static/vendor/htmx/README.md must record file, version and sha256"
    name, version, digest = match.groups()
    data = (ROOT / "static/vendor/htmx" / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    assert f'version:"{version}"' in data.decode() or version in data.decode()[:200] or version in data.decode()


def test_base_page_configures_htmx_safely(client):
    html = client.get("/zh/").get_data(as_text=True)
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    config = json.loads(meta.group(1))
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False and config["selfRequestsOnly"] is True
    assert config["historyRestoreAsHxRequest"] is False
    assert {"code": "422", "swap": True} in config["responseHandling"]
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/vendor/htmx/htmx-2.0.11.min.js", "/static/js/app.js", "/static/js/picker.js"]
    assets = re.findall(r'src="([^"]+)"', html) + [
        href for rel, href in re.findall(r'<link rel="([^"]+)" href="([^"]+)"', html) if rel != "alternate"
    ]
    assert assets and all(a.startswith("/static/") for a in assets), f"assets only from our origin: {assets}"
    alternates = re.findall(r'<link rel="alternate" hreflang="[^"]+" href="([^"]+)"', html)
    assert alternates and all(a.startswith("http://localhost/") for a in alternates)


def test_static_files_are_served(client):
    for path in ("/static/css/site.css", "/static/css/print.css", "/static/js/app.js", "/static/vendor/htmx/htmx-2.0.11.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
