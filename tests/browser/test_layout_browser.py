"""Layout is tested, not assumed (issue 17): every page type of the shared inventory
(``tests/quality/pages.py``: public and staff, zh and en) at 390 and 1280 px in Chromium,
failing when

* the text boxes of two sibling elements overlap,
* the page scrolls sideways (``scrollWidth > innerWidth``),
* a ``dt`` and its ``dd`` are neither on one row nor stacked directly,
* a heading or a number is clipped (``scrollWidth > clientWidth`` with overflow hidden).

A screenshot of each page is written to ``$LAYOUT_SCREENSHOTS`` (default ``screenshots/``
at the repository root, ignored by git) as ``<page>-<lang>-<width>.png``.  ``LAYOUT_PAGES``
(a part of a page name, e.g. ``request status``) limits the run to those pages."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.test_accessibility import LOCALES, _load
from tests.quality.pages import LANGS, site  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (390, 1280)
# Every page, the lobby screen (a TV page) included, at a phone width too: someone opens its link on a phone.
WIDE_ONLY: set[str] = set()

# In page JS: the problems of the document as it is laid out now.
CHECK = r"""() => {
  const problems = [];
  const W = window.innerWidth;
  const se = document.scrollingElement;
  if (se.scrollWidth > W + 1) problems.push(`scrolls sideways: ${se.scrollWidth} > ${W}`);
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none" || parseFloat(s.opacity) === 0) return false;
    // not rendered, though laid out: the content of a closed <details> (content-visibility)
    if (el.checkVisibility && !el.checkVisibility()) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const positioned = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const p = getComputedStyle(e).position;
      if (p === "absolute" || p === "fixed" || p === "sticky") return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.classList.length ? "." + [...el.classList].join(".") : "");
  const hasText = (el) => (el.innerText || "").trim().length > 0;
  // the line boxes of an element's text (each line on its own: inline siblings that
  // wrap share lines without overlapping)
  const textBox = (el) => {
    const rects = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim() || positioned(n.parentElement) || !visible(n.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) if (r.width > 1 && r.height > 1) rects.push(r);
      if (rects.length > 400) break;
    }
    return rects.length ? rects : null;
  };
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 &&
                        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 4;
  const overlap = (as, bs) => as.some(a => bs.some(b => hit(a, b)));
  const main = document.querySelector("main") || document.body;
  for (const parent of [document.body, ...document.body.querySelectorAll("*")]) {
    const kids = [...parent.children].filter(k => visible(k) && hasText(k) && !positioned(k) &&
                                               !["SCRIPT", "STYLE", "TEMPLATE", "OPTION", "TR"].includes(k.tagName));
    if (kids.length < 2 || kids.length > 80) continue;
    const boxes = kids.map(textBox);
    for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
      if (boxes[i] && boxes[j] && overlap(boxes[i], boxes[j])) {
        problems.push(`text overlaps: ${name(kids[i])} "${kids[i].innerText.trim().slice(0, 20)}" and ${name(kids[j])} "${kids[j].innerText.trim().slice(0, 20)}"`);
      }
    }
  }
  for (const dt of document.querySelectorAll("dt")) {
    const dd = dt.nextElementSibling;
    if (!dd || dd.tagName !== "DD" || !visible(dt) || !visible(dd)) continue;
    const a = dt.getBoundingClientRect(), b = dd.getBoundingClientRect();
    const sameRow = Math.abs(a.top - b.top) < Math.max(a.height, 24) && b.left >= a.left - 1;
    const stacked = b.top >= a.bottom - 2 && b.top - a.bottom < 24 && Math.abs(b.left - a.left) < 24;
    if (!sameRow && !stacked) problems.push(`dt "${dt.innerText.trim().slice(0, 20)}" and its dd are apart`);
  }
  for (const el of main.querySelectorAll("h1, h2, h3, h4, .tracking-no, .access-code, .figure, [class*=count], [class*=number]")) {
    if (!visible(el)) continue;
    const s = getComputedStyle(el);
    const hides = (v) => v === "hidden" || v === "clip";
    if ((hides(s.overflowX) || hides(s.overflow)) && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`clipped: ${name(el)} "${el.innerText.trim().slice(0, 20)}"`);
    }
  }
  return problems;
}"""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_laid_out_without_overlap_clipping_or_sideways_scroll(browser, live_server, site, lang):  # noqa: F811
    folder = Path(os.environ.get("LAYOUT_SCREENSHOTS") or ROOT / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    contexts = {}
    try:
        only = os.environ.get("LAYOUT_PAGES")  # e.g. "request status" to look at a few pages
        for target in site.pages_in(lang):
            if only and only not in target.name:
                continue
            if target.who not in contexts:
                context = browser.new_context(base_url=live_server, locale=LOCALES[lang], viewport={"width": WIDTHS[0], "height": 844})
                context.add_cookies(site.cookies(target.who, live_server))
                page = context.new_page()
                page.set_default_timeout(15_000)
                contexts[target.who] = (context, page)
            page = contexts[target.who][1]
            for width in WIDTHS:
                if width < 800 and target.name in WIDE_ONLY:
                    continue
                page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
                response = _load(page, target)
                if response is None or response.status != target.status or urlsplit(page.url).path != urlsplit(target.path).path:
                    problems.append(f"{target.id} @{width}: status {response and response.status} at {page.url}")
                    continue
                page.evaluate("document.fonts.ready")
                page.screenshot(path=str(folder / f"{_slug(target.name)}-{lang}-{width}.png"), full_page=True)
                problems += [f"{target.id} {target.path} @{width}px: {p}" for p in page.evaluate(CHECK)]
    finally:
        for context, _page in contexts.values():
            context.close()
    assert not problems, f"{len(problems)} layout problem(s) in {lang}:\n" + "\n".join(problems)
