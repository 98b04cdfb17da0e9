"""Accessibility: every page type, in zh and en, has no serious or critical axe-core
violation of WCAG 2.x A/AA (nor of axe's best practices), as Chromium with JavaScript on
shows it.

The pages come from the shared inventory (``tests/quality/pages.py``); each person's
session is carried into a browser context by copying the test client's cookies.  axe-core
comes from ``make node-tools`` (npm ``axe-core``); without it the test is skipped loudly,
and under CI (``CI=true``) that is a failure.

Our CSP (``script-src 'self'``) would block an inline script, which is what
``add_script_tag(path=…)`` injects.  Rather than turn the CSP off (``bypass_csp``), the test
serves axe from a same-origin URL that only this test's browser context answers (a
Playwright route), and adds it with ``add_script_tag(url=…)``: the pages are audited with
their real CSP in force."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.quality.pages import LANGS, site  # noqa: F401  (fixture)
from tests.tools import tool_missing

pytestmark = [pytest.mark.browser, pytest.mark.dbindependent]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/static/__test__/axe.min.js"  # answered by the route below, never by the app
# WCAG 2.0–2.2 level A and AA, plus axe's best-practice rules (landmarks, heading order,
# unique access keys, …); a serious or critical finding of any of them fails the test.
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")
LOCALES = {"zh": "zh-CN", "en": "en-US"}


def _axe_script() -> str:
    if not AXE.exists():
        tool_missing("ACCESSIBILITY CHECK NOT RUN: node_modules/axe-core is missing. Run `make node-tools` (npm).")
    return AXE.read_text(encoding="utf-8")


def _open_as(browser, live_server, site, who: str, lang: str, axe: str):  # noqa: F811
    context = browser.new_context(base_url=live_server, java_script_enabled=True, locale=LOCALES[lang])
    context.add_cookies(site.cookies(who, live_server))
    context.route(f"**{AXE_URL}", lambda route: route.fulfill(status=200, content_type="text/javascript", body=axe))
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _load(page, target):
    """Open one inventory page; a page that is the answer to a POST (the form shown again
    with its errors) is opened by sending that POST from the browser's own session."""
    if target.form is None:
        return page.goto(target.path)

    def post(route):
        headers = {**route.request.headers, "content-type": "application/x-www-form-urlencoded"}
        route.fulfill(response=route.fetch(method="POST", headers=headers, post_data=urlencode(target.form)))

    page.route(f"**{target.path}", post)
    try:
        return page.goto(target.path)
    finally:
        page.unroute(f"**{target.path}")


def _describe(target, violation) -> str:
    nodes = "; ".join(", ".join(n["target"]) if isinstance(n["target"][0], str) else str(n["target"]) for n in violation["nodes"][:8])
    more = f" (+{len(violation['nodes']) - 8} more)" if len(violation["nodes"]) > 8 else ""
    return f"{target.id} {target.path} [{target.who}]: {violation['impact']} {violation['id']}: {violation['help']} → {nodes}{more}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_no_serious_accessibility_violation(browser, live_server, site, lang):  # noqa: F811
    axe = _axe_script()
    problems: list[str] = []
    contexts = {}
    try:
        for target in site.pages_in(lang):
            if target.who not in contexts:
                contexts[target.who] = _open_as(browser, live_server, site, target.who, lang, axe)
            page = contexts[target.who][1]
            response = _load(page, target)
            if response is None or response.status != target.status or urlsplit(page.url).path != urlsplit(target.path).path:
                problems.append(f"{target.id} {target.path}: status {response and response.status} at {page.url} (expected {target.status})")
                continue
            page.add_script_tag(url=AXE_URL)
            result = page.evaluate("""async (tags) => {
                const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.map(n => ({target: n.target}))}));
            }""", RULE_TAGS)
            problems += [_describe(target, v) for v in result if v["impact"] in BLOCKING]
    finally:
        for context, _page in contexts.values():
            context.close()
    assert not problems, f"{len(problems)} serious/critical accessibility violation(s) in {lang}:\n" + "\n".join(problems)
