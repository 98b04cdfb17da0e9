"""Stored and reflected XSS, in a real browser (scorecard #14).

A corpus of payloads goes through every public text field (request form, wish form, event
registration, track form, add-information, rating comment, reopen reason) and the staff
fields that the public sees (public reply, board decisions, notices, events, roster, guide
entries).  Then every page that shows them is opened in Chromium **with the
Content-Security-Policy bypassed** — so this tests the escaping itself, not the CSP that
would stop most of it anyway — and we check that no dialog opened, that no payload called
``window.__xss``, that no payload added a script, an event-handler attribute, an htmx
attribute or a ``javascript:`` URL to the DOM, and that the payload text is shown as text."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.browser.conftest import sign_in
from tests.conftest import csrf_from
from tests.guide_fixtures import BASE, make_entries

pytestmark = pytest.mark.browser

# Each payload would call __xss(n) (or alert) if it ever ran.
CORPUS = [
    "<script>__xss(1);alert(1)</script>",
    "<img src=x onerror=__xss(2)>",
    "<svg onload=__xss(3)>",
    "\"'><img src=x onerror=__xss(4)>",
    "javascript:__xss(5)",
    '<a href="javascript:__xss(6)">xss6</a>',
    "{{7*7}} {% if 1 %}tpl{% endif %} ${7*7} #{7*7}",
    '<div hx-get="/zh/?xss=8" hx-trigger="load" hx-on::load="__xss(8)">xss8</div>',
    "\u202egnp.exe\u202c \u200b<b>xss9</b>",
    "</textarea></title><script>__xss(10)</script>",
    '<iframe srcdoc="<script>parent.__xss(11)</script>"></iframe>',
    "<details open ontoggle=__xss(12)>",
    "<input autofocus onfocus=__xss(13)>",
    '<meta http-equiv="refresh" content="0;url=javascript:__xss(14)">',
    "]]></content><script>__xss(15)</script>",
    "' onmouseover='__xss(16)' x='",
]
FULL = " ¦ ".join(CORPUS)
# for short fields (names: 30–60 characters)
SHORT = ["<img src=x onerror=__xss(2)>", "<svg onload=__xss(3)>", "\"><svg onload=__xss(4)>", "{{7*7}}<b>xss</b>"]
# text that must be visible wherever FULL is shown (it only survives as text)
VISIBLE = ["<img src=x onerror=__xss(2)>", "<svg onload=__xss(3)>", "{{7*7}}", "javascript:__xss(5)"]


def pack(limit: int) -> list[str]:
    """The corpus in pieces of at most ``limit`` characters (every payload in one piece)."""
    pieces, current = [], ""
    for payload in CORPUS:
        candidate = f"{current} ¦ {payload}" if current else payload
        if len(candidate) > limit:
            pieces.append(current)
            candidate = payload
        current = candidate
    return pieces + [current]


INIT = "window.__xssHits = []; window.__xss = function (n) { window.__xssHits.push(n); };"

# What a payload could have added to the DOM.  The app itself has no on* attribute, no
# javascript: URL, no srcdoc, no iframe/object/embed/base and no attribute mentioning xss
# except form values (escaped), so any of those is a payload that got through.
SCAN = r"""() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (["iframe", "object", "embed", "base", "frame"].includes(tag)) bad.push(tag);
    if (tag === "script" && /xss/i.test(el.textContent)) bad.push("script: " + el.textContent.slice(0, 60));
    if (tag === "meta" && el.httpEquiv && el.httpEquiv.toLowerCase() === "refresh") bad.push("meta refresh");
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value;
      const where = tag + "[" + name + "=" + value.slice(0, 60) + "]";
      if (name.startsWith("on")) bad.push(where);
      else if (name === "srcdoc") bad.push(where);
      else if (/^(data-)?hx-/.test(name) && /xss/i.test(value)) bad.push(where);
      else if (/^\s*javascript:/i.test(value) && name !== "value") bad.push(where);
    }
  }
  return bad;
}"""


@pytest.fixture
def xss_page(browser, live_server):
    """A page whose browser ignores the CSP, so only escaping stands between a payload and
    execution; dialogs are recorded and dismissed."""
    context = browser.new_context(base_url=live_server, bypass_csp=True, locale="zh-CN")
    context.add_init_script(INIT)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.dialogs = []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()


def check(pg, url: str | None = None, visible: list[str] | tuple = (), status: int = 200):
    if url is not None:
        response = pg.goto(url)
        assert response is not None and response.status == status, (url, response and response.status)
    pg.wait_for_load_state("load")
    pg.wait_for_timeout(150)  # let an injected autofocus/htmx "load" trigger have its chance
    where = url or pg.url
    assert pg.dialogs == [], (where, pg.dialogs)
    assert pg.evaluate("() => window.__xssHits") == [], where
    assert pg.evaluate(SCAN) == [], where
    if visible:
        text = pg.evaluate("() => document.body.innerText")
        missing = [v for v in visible if v not in text]
        assert not missing, (where, missing)


# --- putting the payloads in ---------------------------------------------------------------


def _get_form(client, url):
    html = client.get(url).get_data(as_text=True)
    return html, csrf_from(html)


def _file_request(client, company: str, contact: str, description: str) -> tuple[str, str]:
    html, token = _get_form(client, "/zh/requests/new")
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/zh/requests/new", data={
        "csrf_token": token, "submission_key": key, "service": "food-licence", "building": "shanghai-tower",
        "company_name": company, "contact_name": contact, "phone": "13812345678", "email": "",
        "description": description, "reply_lang": "zh", "consent": "y",
    })
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    page = client.get(response.location).get_data(as_text=True)
    number = re.search(r"LS-\d{4}-\d{6}", page).group(0)
    code = re.search(r'id="access-code">([^<]+)<', page).group(1)
    return number, code


def _advance(app, number: str, to: str) -> None:
    from app.auth.models import User
    from app.intake import services
    from app.intake.models import ServiceRequest

    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        path = ["assigned", "in_progress", "resolved"]
        for stage in path[: path.index(to) + 1]:
            services.change_stage(req, stage, admin, "")
        db.session.commit()
        db.session.remove()


def _staff_client(app, email: str):
    from tests.conftest import Auth

    staff = app.test_client()
    assert Auth(staff).login(email).status_code == 303
    return staff


def _seed(app) -> dict:
    from app.auth.models import User
    from app.guide.services import create_entry
    from app.org.models import Department
    from app.wall.models import Wish
    from app.wall.services import approve

    make_entries(app)
    client = app.test_client()
    out: dict = {"requests": []}
    # requests: company/contact/description, then reply, information, rating, reopen
    for i, company in enumerate(pack(120)):
        out["requests"].append(_file_request(client, company, SHORT[i % len(SHORT)], FULL))
    (n0, c0), (n1, c1), (n2, c2) = out["requests"][:3]
    for number, code in out["requests"][:3]:
        assert client.get(f"/zh/requests/{number}?code={code}").status_code == 303  # unlocks in this session
    html, token = _get_form(client, f"/zh/requests/{n0}")
    assert client.post(f"/zh/requests/{n0}/info", data={"csrf_token": token, "body": pack(2000)[0]}).status_code == 303
    staff = _staff_client(app, "staff@example.com")
    html, token = _get_form(staff, f"/zh/council/requests/{n0}")
    for visibility in ("public", "internal"):
        reply = staff.post(f"/zh/council/requests/{n0}/reply", data={"csrf_token": token, "body": FULL, "visibility": visibility})
        assert reply.status_code in (200, 303), reply.status_code
    _advance(app, n1, "resolved")
    _advance(app, n2, "resolved")
    html, token = _get_form(client, f"/zh/requests/{n1}")
    assert client.post(f"/zh/requests/{n1}/rate", data={"csrf_token": token, "rating": "2", "comment": pack(500)[0]}).status_code == 303
    html, token = _get_form(client, f"/zh/requests/{n2}")
    assert client.post(f"/zh/requests/{n2}/reopen", data={"csrf_token": token, "reason": pack(1000)[0]}).status_code == 303

    # wishes: body, name to show, private contact; all but the last approved; one reported
    tokens = []
    for i, body in enumerate(pack(300)):
        wisher = app.test_client()
        html = wisher.get("/zh/wall/new").get_data(as_text=True)
        started = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
        response = wisher.post("/zh/wall/new", data={
            "csrf_token": csrf_from(html), "started": started, "building": "shanghai-tower", "website": "",
            "body": body, "display_name": SHORT[i % len(SHORT)], "contact": SHORT[(i + 1) % len(SHORT)],
        })
        assert response.status_code == 303, response.get_data(as_text=True)[:400]
        tokens.append(response.location)
    out["mine"] = tokens[0]
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        wishes = db.session.scalars(sa.select(Wish).order_by(Wish.id)).all()
        for wish in wishes[:-1]:
            approve(wish, admin)
        db.session.commit()
        out["wish_ids"] = [w.id for w in wishes]
        db.session.remove()
    reporter = app.test_client()
    wid = out["wish_ids"][0]
    html, token = _get_form(reporter, f"/zh/wall/{wid}/report")
    assert reporter.post(f"/zh/wall/{wid}/report", data={"csrf_token": token, "reason": pack(500)[0]}).status_code in (200, 303)

    # the board, through the council member's forms: decision, notice, event, roster
    council = _staff_client(app, "council@example.com")
    base = "/zh/council/boards/shanghai-tower"
    from app.core.timeutil import utcnow
    from app.core.workdays import SHANGHAI

    start = (utcnow() + timedelta(days=3)).astimezone(SHANGHAI)
    forms = {
        "decisions": {"held_on": (start - timedelta(days=6)).strftime("%Y-%m-%d"), "topic_zh": pack(200)[0], "topic_en": pack(200)[1],
                      "decision_zh": FULL, "decision_en": FULL, "follow_up_zh": FULL, "follow_up_en": FULL, "status": "open"},
        "notices": {"title_zh": pack(200)[0], "title_en": pack(200)[1], "body_zh": FULL, "body_en": FULL},
        "events": {"title_zh": pack(200)[0], "title_en": pack(200)[1], "description_zh": FULL, "description_en": FULL,
                   "place_zh": pack(200)[2], "place_en": pack(200)[3], "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                   "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "seats": "30"},
        "members": {"role": "member", "name_zh": SHORT[0], "name_en": SHORT[1], "org_zh": pack(160)[0], "org_en": pack(200)[1],
                    "title_zh": pack(120)[0], "title_en": pack(160)[1]},
    }
    for kind, data in forms.items():
        html, token = _get_form(council, f"{base}/{kind}/new")
        response = council.post(f"{base}/{kind}/new", data=dict(data, csrf_token=token))
        assert response.status_code == 303, (kind, response.status_code, response.get_data(as_text=True)[:600])
    from app.boards.models import Event

    with app.app_context():
        event = db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
        out["event"] = event.id
    # an event registration with a payload as the name
    registrant = app.test_client()
    url = f"/zh/boards/shanghai-tower/events/{out['event']}"
    html, token = _get_form(registrant, url)
    assert registrant.post(url, data={"csrf_token": token, "name": SHORT[1], "phone": "13900001111"}).status_code == 303

    # a guide entry with payloads in its fields (as staff would save it)
    with app.app_context():
        dept = db.session.scalar(sa.select(Department).where(Department.code == "market"))
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        data = dict(BASE, slug="xss-entry", department=dept, category="business", title_zh=pack(160)[0], title_en=pack(200)[1],
                    summary_zh=FULL, summary_en=FULL, location_zh=pack(200)[2], hours_zh=SHORT[0], complaint_zh=pack(200)[3],
                    legal_basis_zh=FULL, council_role_zh=FULL, online_url="javascript:__xss(41)",
                    conditions=[{"zh": FULL, "en": FULL}],
                    materials=[{"name_zh": pack(200)[0], "name_en": SHORT[2], "form": "copy", "copies": 1, "source_zh": SHORT[3],
                                "source_en": SHORT[0], "template_url": "javascript:__xss(40)"}],
                    steps=[{"title_zh": pack(200)[1], "title_en": SHORT[1], "detail_zh": FULL, "detail_en": FULL}])
        create_entry(data, actor=admin)
        db.session.commit()
        db.session.remove()
    return out


# --- the test ------------------------------------------------------------------------------


def test_payloads_never_run_and_show_as_text(app, demo, xss_page, monkeypatch):
    for name in ("INTAKE_LIMIT", "TRACK_LIMIT", "EVENT_REGISTER_LIMIT", "WALL_POST_LIMIT_PER_IP", "WALL_POST_LIMIT_PER_BROWSER",
                 "WALL_REPORT_LIMIT"):
        monkeypatch.setitem(app.config, name, "1000 per hour")
    monkeypatch.setitem(app.config, "PAGE_CACHE_ENABLED", False)
    seeded = _seed(app)
    pg = xss_page
    (n0, c0), (n1, c1), (n2, c2) = seeded["requests"][:3]

    # the requester's pages (status page after the access code; replies, information,
    # rating comment, reopen reason)
    check(pg, f"/zh/requests/{n0}?code={c0}", VISIBLE)
    check(pg, f"/en/requests/{n1}?code={c1}", ["<svg onload=__xss(3)>"])
    check(pg, f"/zh/requests/{n2}?code={c2}", ["<img src=x onerror=__xss(2)>"])
    check(pg, seeded["mine"], ["<svg onload=__xss(3)>"])  # the wish author's page

    # public pages
    for url in ("/zh/wall/", "/en/wall/?sort=top", "/zh/boards/shanghai-tower", "/en/boards/shanghai-tower"):
        check(pg, url, ["<svg onload=__xss(3)>"])
    check(pg, "/zh/boards/shanghai-tower/screen")
    check(pg, f"/zh/boards/shanghai-tower/events/{seeded['event']}", VISIBLE)
    check(pg, "/zh/boards/")
    check(pg, "/zh/guide/xss-entry", VISIBLE)
    check(pg, "/en/guide/xss-entry", VISIBLE)
    check(pg, "/zh/boards/shanghai-tower/feed.atom")  # XML: must stay inert too

    # reflected: search box, and forms sent back with 422 keep what was typed, escaped
    check(pg, "/zh/guide/?q=" + "%22%3E%3Csvg%20onload%3D__xss(30)%3E")
    assert pg.locator("input[name=q]").first.input_value() == '"><svg onload=__xss(30)>'
    pg.goto("/zh/track")
    pg.evaluate("""p => { for (const n of ["tracking_no", "code"]) {
        const el = document.querySelector(`[name=${n}]`); el.removeAttribute("maxlength"); el.value = p; } }""",
                "\"'><svg onload=__xss(31)>")
    with pg.expect_navigation():
        pg.locator("form[action$='/track'] [type=submit]").click()
    check(pg)
    assert pg.locator("[name=tracking_no]").input_value() == "\"'><svg onload=__xss(31)>"
    pg.goto("/en/requests/new")
    pg.locator("#company_name").fill(CORPUS[3])
    pg.locator("#contact_name").fill(SHORT[2])
    pg.locator("#description").fill(FULL)  # no consent: the form comes back with 422
    with pg.expect_navigation():
        pg.locator("form[action$='/requests/new'] [type=submit]").last.click()
    check(pg)
    from app.core.text import strip_controls  # what every form's text fields drop (bidi, zero-width)

    assert pg.locator("#description").input_value() == strip_controls(FULL)

    # the workspace: request page, moderation queue and a wish, board editing, audit
    sign_in(pg, app, "admin@example.com", "zh")
    check(pg, f"/zh/council/requests/{n0}", VISIBLE)
    check(pg, f"/zh/council/requests/{n2}", ["<img src=x onerror=__xss(2)>"])
    check(pg, "/zh/council/requests/")
    check(pg, "/zh/council/wall/", [CORPUS[13]])  # the wish still waiting for review
    check(pg, "/zh/council/wall/?queue=reported")
    check(pg, f"/zh/council/wall/{seeded['wish_ids'][0]}", ["<svg onload=__xss(3)>"])
    check(pg, "/zh/council/boards/shanghai-tower/", ["<svg onload=__xss(3)>"])
    check(pg, "/zh/council/audit/", ["<svg onload=__xss(3)>"])
    check(pg, "/zh/council/")
