"""Every page type, in zh and en, is valid HTML by the Nu HTML Checker (vnu).

The pages come from the shared inventory (``tests/quality/pages.py``), fetched with the
Flask test client of the right person; htmx partials are not full documents and are not
in it.  All pages go to one vnu run (one JVM start: it is slow to start).  vnu comes from
``make node-tools`` (npm ``vnu-jar``) and runs on the machine's Java; without either the
test is skipped loudly, and under CI (``CI=true``) that is a failure."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.quality.pages import site  # noqa: F401  (fixture)
from tests.tools import tool_missing

pytestmark = [pytest.mark.slow, pytest.mark.dbindependent]

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _missing(reason: str):
    tool_missing(f"HTML CHECK NOT RUN: {reason}. Run `make node-tools` (npm) and install Java 11+ (apt-get install -y default-jre-headless).")


def _java() -> str:
    java = shutil.which("java") or ("/usr/bin/java" if os.path.exists("/usr/bin/java") else None)
    if not VNU.exists():
        _missing(f"{VNU.relative_to(ROOT)} is missing")
    if java is None:
        _missing("no java on PATH")
    return java


def _file_name(page) -> str:
    return re.sub(r"[^a-z0-9]+", "-", page.id.lower()).strip("-") + ".html"


def test_every_page_is_valid_html(site, tmp_path):  # noqa: F811
    java = _java()
    written: dict[str, object] = {}
    wrong_status = []
    for page in site.pages:
        response = site.fetch(page)
        if response.status_code != page.status:
            wrong_status.append(f"{page.id} {page.path}: {response.status_code} (expected {page.status})")
            continue
        assert response.mimetype == "text/html", (page.id, response.mimetype)
        name = _file_name(page)
        (tmp_path / name).write_bytes(response.get_data())
        written[name] = page
    assert not wrong_status, "\n".join(wrong_status)

    files = [str(tmp_path / name) for name in written]
    result = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--errors-only", *files],
                            capture_output=True, text=True, timeout=300)
    # vnu writes its JSON report to stderr and exits 1 when it found errors.
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    errors = []
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error") and message.get("subType") != "fatal":
            continue
        name = Path(message.get("url", "")).name
        page = written.get(name)
        where = f"{page.id} {page.path}" if page else name
        errors.append(f"{where} line {message.get('lastLine', '?')}: {message.get('message')}  [{message.get('extract', '').strip()[:120]}]")
    assert not errors, f"{len(errors)} HTML error(s):\n" + "\n".join(errors)
    assert result.returncode == 0, result.stderr[-2000:]
