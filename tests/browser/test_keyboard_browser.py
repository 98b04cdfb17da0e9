"""Every journey with the keyboard alone: after the first ``goto`` these tests only use
``page.keyboard`` (Tab, Shift+Tab, Enter, Space, arrow keys, typing; Chinese text through
``keyboard.insert_text``, as an input method would put it in) — no ``click()``, no
``fill()``.  Locators are used only to read the page.

* An office worker files a request from the home page, meets the error summary on the
  way (focus lands on it, its links move focus to the field), and gets a tracking number;
  with JavaScript (searchable service list, inline checks) and without.
* A council member signs in and approves one wish and rejects another with a reason; the
  htmx in-place update keeps focus inside ``main`` (and on the +1 button after a support,
  and on its link when the dashboard's counts refresh themselves).
* Every element reached by Tab shows a visible focus indicator and is on screen: at every
  stop of the journeys above, and on every stop of a set of key public and workspace
  pages (opened one after another with ``goto``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import tr
from tests.browser.test_wall_browser import approved_wish
from tests.guide_fixtures import make_entries

pytestmark = pytest.mark.browser

SERVICE = "food-licence"
SERVICE_ZH = "食品经营许可证办理"
SERVICE_QUERY = "食品经营"
BUILDING = "shanghai-tower"
BUILDING_ZH = "上海中心大厦"
DESCRIPTION = "我们想在大厦 B1 开设员工咖啡厅，需要办理食品经营许可证。请问需要哪些材料？"
COMPANY = "上海星辰咨询有限公司"
CONTACT = "王磊"
PHONE = "13812345678"
TRACKING_RE = re.compile(r"^LS-\d{4}-\d{6}$")
MAX_TABS = 80

# What the focused element is, and whether a focus indicator is drawn around it.
ACTIVE_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== "none";
    const rect = el.getBoundingClientRect();
    const onScreen = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
        && rect.top < innerHeight && rect.left < innerWidth && style.visibility !== "hidden";
    return {
        tag: el.tagName.toLowerCase(), id: el.id || "", name: el.getAttribute("name") || "",
        type: el.getAttribute("type") || "", href: el.getAttribute("href") || "",
        cls: el.className || "", text: (el.innerText || el.value || "").trim().slice(0, 60),
        inMain: !!el.closest("main"), visibleFocus: outline || shadow, onScreen: onScreen,
        focusVisible: el.matches(":focus-visible"),
    };
}"""


def active(pg) -> dict | None:
    return pg.evaluate(ACTIVE_JS)


def describe(info: dict | None) -> str:
    if info is None:
        return "<body>"
    return f"<{info['tag']} id={info['id']!r} name={info['name']!r} href={info['href']!r} text={info['text']!r}>"


class Keyboard:
    """Tab through a page, recording every stop and checking its focus indicator."""

    def __init__(self, pg):
        self.pg = pg

    def press(self, key: str) -> dict | None:
        self.pg.keyboard.press(key)
        info = active(self.pg)
        return info

    def tab_until(self, matches, *, shift: bool = False, limit: int = MAX_TABS) -> dict:
        """Press Tab (Shift+Tab) until ``matches(info)``; every stop must show its focus."""
        seen = []
        for _ in range(limit):
            info = self.press("Shift+Tab" if shift else "Tab")
            assert info is not None, f"focus fell back to <body> after {[describe(s) for s in seen]}"
            seen.append(info)
            assert info["visibleFocus"], f"no visible focus indicator on {describe(info)}"
            assert info["onScreen"], f"focused but not on screen: {describe(info)}"
            if matches(info):
                return info
        raise AssertionError(f"not reached in {limit} tabs: {[describe(s) for s in seen]}")

    def tab(self) -> dict:
        """One Tab: the next stop (checked like every other)."""
        return self.tab_until(lambda i: True, limit=1)

    def tab_to_id(self, element_id: str, **kw) -> dict:
        return self.tab_until(lambda i: i["id"] == element_id, **kw)


def focused_id(pg) -> str:
    info = active(pg)
    return info["id"] if info else ""


def enter_and_wait(pg, key: str = "Enter", status: int = 200):
    with pg.expect_navigation() as navigation:
        pg.keyboard.press(key)
    response = navigation.value
    assert response is not None and response.status == status, (response and response.status, pg.url)
    return response


@pytest.fixture
def service(app, demo):
    make_entries(app)
    return SERVICE


# --- 1. an office worker files a request --------------------------------------------------


def choose_option(pg, select_id: str, wanted: str) -> None:
    """With focus on a closed <select>, press the arrow key as often as it takes to reach
    the option whose text is ``wanted`` — in one go, as a person holding the key would —
    then check that the choice stuck (no late inline check puts an older one back)."""
    index = pg.evaluate(
        """([id, wanted]) => {
            const options = Array.from(document.getElementById(id).options).filter(o => !o.disabled);
            const at = options.findIndex(o => o.selected);
            const to = options.findIndex(o => o.textContent.trim() === wanted);
            return [at, to];
        }""",
        [select_id, wanted],
    )
    at, to = index
    assert to >= 0, f"no option {wanted!r} in #{select_id}"
    for _ in range(abs(to - at)):
        pg.keyboard.press("ArrowDown" if to > at else "ArrowUp")
    pg.wait_for_timeout(700)  # room for any inline check to come back
    assert focused_id(pg) == select_id, f"focus left #{select_id}: {describe(active(pg))}"
    expect(pg.locator(f"#{select_id} option:checked")).to_have_text(wanted)


def file_request_by_keyboard(pg, app, javascript: bool) -> str:
    kb = Keyboard(pg)
    pg.goto("/zh/")
    # The skip link comes first.
    first = kb.tab()
    assert first["cls"] == "skip-link", describe(first)
    form_url = "/zh/requests/new"
    kb.tab_until(lambda i: i["href"] == form_url and i["inMain"])
    enter_and_wait(pg)
    assert pg.url.endswith(form_url), pg.url
    assert pg.locator("h1").inner_text() == tr(app, "zh", "File a request")

    # Inside main: first the emergency notice's tap-to-call numbers, each a Tab stop, then
    # the "urgent" box (left unticked), then the service (its picker with JavaScript).
    first_in_main = kb.tab_until(lambda i: i["inMain"])
    assert first_in_main["href"].startswith("tel:"), describe(first_in_main)
    kb.tab_until(lambda i: i["id"] == "urgent")
    kb.tab()
    if javascript:
        # The service picker (a combobox fed by the guide's search): type, ↓ to the
        # service, Enter chooses it and does not send the form.
        assert focused_id(pg) == "service-input", describe(active(pg))
        pg.keyboard.insert_text(SERVICE_QUERY)
        expect(pg.locator("#service-listbox")).to_be_visible()
        for _ in range(10):
            pg.keyboard.press("ArrowDown")
            current = pg.locator("#service-input").get_attribute("aria-activedescendant")
            if current and pg.locator(f"#{current}").inner_text().startswith(SERVICE_ZH):
                break
        pg.keyboard.press("Enter")
        pg.wait_for_timeout(300)
        assert pg.url.endswith(form_url), "Enter in the picker sent the form"
        expect(pg.locator(".error-summary")).to_have_count(0)
        expect(pg.locator("#service-input")).to_have_value(SERVICE_ZH)
        expect(pg.locator("#service option:checked")).to_have_text(SERVICE_ZH)
        assert focused_id(pg) == "service-input", describe(active(pg))
    else:
        assert focused_id(pg) == "service", describe(active(pg))
        choose_option(pg, "service", SERVICE_ZH)
    expect(pg.locator("#service option:checked")).to_have_text(SERVICE_ZH)

    kb.tab()
    assert focused_id(pg) == "building", describe(active(pg))
    choose_option(pg, "building", BUILDING_ZH)

    kb.tab()
    assert focused_id(pg) == "description", describe(active(pg))
    pg.keyboard.insert_text(DESCRIPTION)

    kb.tab()
    assert focused_id(pg) == "attachments", describe(active(pg))  # passed over: no file to add

    kb.tab()
    assert focused_id(pg) == "company_name", describe(active(pg))
    pg.keyboard.insert_text(COMPANY)
    kb.tab()
    assert focused_id(pg) == "contact_name", describe(active(pg))
    pg.keyboard.insert_text(CONTACT)
    kb.tab()
    assert focused_id(pg) == "phone", describe(active(pg))  # left empty on purpose
    kb.tab()
    assert focused_id(pg) == "email", describe(active(pg))

    # The reply language: one Tab stop for the radio group, arrows to choose.
    info = kb.tab()
    assert info["name"] == "reply_lang" and info["type"] == "radio", describe(info)
    pg.keyboard.press("ArrowDown")
    assert pg.locator("input[name=reply_lang]:checked").get_attribute("value") == "en"
    pg.keyboard.press("ArrowUp")
    assert pg.locator("input[name=reply_lang]:checked").get_attribute("value") == "zh"

    # The notice's link to the full privacy page, then "do not list publicly" (left unticked).
    info = kb.tab()
    assert info["href"].endswith("/zh/privacy"), describe(info)
    kb.tab()
    assert focused_id(pg) == "unlisted", describe(active(pg))
    kb.tab()
    assert focused_id(pg) == "consent", describe(active(pg))
    pg.keyboard.press("Space")
    assert pg.locator("#consent").is_checked()

    info = kb.tab()
    assert info["tag"] == "button" and info["type"] == "submit", describe(info)
    enter_and_wait(pg, status=422)

    # 422: focus is on the error summary, whose link takes focus to the phone field.
    assert pg.url.endswith(form_url), pg.url
    summary = pg.locator(".error-summary")
    expect(summary).to_contain_text(tr(app, "zh", "Enter a phone number."))
    summary_focus = active(pg)
    assert summary_focus and "error-summary" in summary_focus["cls"], describe(summary_focus)
    assert summary_focus["visibleFocus"], "the focused error summary shows no focus indicator"
    link = kb.tab_until(lambda i: i["href"] == "#phone")
    assert pg.evaluate("() => !!document.activeElement.closest('.error-summary')"), describe(link)
    pg.keyboard.press("Enter")
    expect(pg.locator("#phone")).to_be_focused()
    assert pg.locator("#description").input_value() == DESCRIPTION  # everything kept
    assert pg.locator("#consent").is_checked()
    pg.keyboard.type(PHONE)

    # On to the button: past e-mail, reply language and the (still ticked) consent.
    info = kb.tab_until(lambda i: i["tag"] == "button" and i["type"] == "submit")
    assert pg.locator("#consent").is_checked()
    enter_and_wait(pg)

    assert re.search(r"/zh/requests/LS-\d{4}-\d{6}/submitted$", pg.url), pg.url
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Request received")
    number = pg.locator("#tracking-no").inner_text().strip()
    assert TRACKING_RE.match(number), number
    return number


def test_file_a_request_by_keyboard_with_javascript(page, app, service):
    file_request_by_keyboard(page, app, javascript=True)
    page.problems.assert_clean(expected_statuses=(422,))


def test_file_a_request_by_keyboard_without_javascript(nojs_page, app, service):
    file_request_by_keyboard(nojs_page, app, javascript=False)
    nojs_page.problems.assert_clean(expected_statuses=(422,))


# --- 2. a council member moderates wishes ---------------------------------------------------


def pending_wish(app, text: str) -> int:
    """A wish waiting for moderation in the council member's building; its id."""
    from app.extensions import db
    from app.org.models import Building
    from app.wall.services import post_wish

    with app.app_context():
        building = db.session.scalar(db.select(Building).where(Building.slug == BUILDING))
        wish, _token = post_wish(building, text, "", "", "zh")
        db.session.commit()
        wish_id = wish.id
        db.session.remove()
    return wish_id


def wish_state(app, wish_id: int) -> tuple[str, str | None]:
    from app.extensions import db
    from app.wall.models import Wish

    with app.app_context():
        wish = db.session.get(Wish, wish_id)
        state = (wish.status, wish.reject_reason)
        db.session.remove()
    return state


def sign_in_by_keyboard(pg, app, kb: Keyboard, email: str) -> None:
    pg.goto("/zh/")
    kb.tab_until(lambda i: i["href"] == "/zh/login")
    enter_and_wait(pg)
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Staff sign-in")
    kb.tab_to_id("email")
    pg.keyboard.type(email)
    kb.tab()
    assert focused_id(pg) == "password", describe(active(pg))
    from tests.conftest import DEMO_PASSWORD

    pg.keyboard.type(DEMO_PASSWORD)
    kb.tab()
    assert focused_id(pg) == "remember", describe(active(pg))
    info = kb.tab()
    assert info["tag"] in ("button", "input") and info["type"] == "submit", describe(info)
    enter_and_wait(pg)
    expect(pg.locator("#flash")).to_contain_text(tr(app, "zh", "You are signed in."))


def focus_in_main(pg, inside: str) -> None:
    """After an in-place update focus is inside ``main`` and inside ``inside`` (not <body>)."""
    pg.wait_for_function(
        "(sel) => { const el = document.activeElement; return !!el && el !== document.body && !!el.closest('main') && !!el.closest(sel); }",
        arg=inside,
        timeout=5_000,
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_moderate_wishes_by_keyboard(new_context, app, demo, javascript):
    """With JavaScript the row is updated in place and focus stays in it; without, the
    form posts and the queue comes back with the message."""
    from tests.browser.conftest import mark_document, same_document

    pg = new_context(javascript=javascript)
    kb = Keyboard(pg)
    approve_id = pending_wish(app, "希望在 B2 停车场增加电动车充电桩")
    reject_id = pending_wish(app, "加我微信领优惠券 wx123456")
    sign_in_by_keyboard(pg, app, kb, "council@example.com")

    # From the workspace to the moderation queue.
    kb.tab_until(lambda i: i["inMain"] and i["href"] == "/zh/council/wall/")
    enter_and_wait(pg)
    assert pg.locator("h1").inner_text() == tr(app, "zh", "Wish moderation")
    mark_document(pg)

    # Approve the first: Tab to its button, Enter; focus stays in its (new) row.
    approve_row = f"#mod-{approve_id}"
    approved = tr(app, "zh", "Approved: the wish is on the wall.")
    kb.tab_until(lambda i: i["tag"] == "button" and i["text"] == tr(app, "zh", "Approve")
                 and pg.evaluate("(sel) => !!document.activeElement.closest(sel)", approve_row))
    if javascript:
        pg.keyboard.press("Enter")
        expect(pg.locator(f"{approve_row} .flash-success")).to_have_text(approved)
        focus_in_main(pg, approve_row)
        assert same_document(pg), "approving reloaded the page"
    else:
        enter_and_wait(pg)
        assert pg.url.endswith("/zh/council/wall/"), pg.url
        expect(pg.locator("#flash")).to_contain_text(approved)
    assert wish_state(app, approve_id)[0] == "approved"

    # Reject the second with a reason: Tab (or Shift+Tab: the queue lists the newest
    # first) on from where focus was left.
    reject_row = f"#mod-{reject_id}"
    before = pg.evaluate("(sel) => !!(document.querySelector(sel).compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING)", reject_row)
    kb.tab_until(shift=before, matches=lambda i: i["tag"] == "input" and i["name"] == "reason"
                 and pg.evaluate("(sel) => !!document.activeElement.closest(sel)", reject_row))
    pg.keyboard.insert_text("广告")
    info = kb.tab()
    assert info["tag"] == "button" and info["text"] == tr(app, "zh", "Reject"), describe(info)
    if javascript:
        pg.keyboard.press("Space")
        expect(pg.locator(f"{reject_row} .flash-success")).to_have_text(tr(app, "zh", "Rejected."))
        focus_in_main(pg, reject_row)
        assert same_document(pg), "rejecting reloaded the page"
        # Tab goes on from there, inside main, not back to the top of the page.
        info = kb.tab()
        assert info["inMain"], describe(info)
    else:
        enter_and_wait(pg, "Space")
        expect(pg.locator("#flash")).to_contain_text(tr(app, "zh", "Rejected."))
        expect(pg.locator(reject_row)).to_have_count(0)  # no longer waiting
    assert wish_state(app, reject_id) == ("rejected", "广告")
    pg.problems.assert_clean()


def test_support_a_wish_by_keyboard(page, app, demo):
    """The +1 is updated in place and focus stays on it (its new state is announced)."""
    from tests.browser.conftest import mark_document, same_document

    pg = page
    kb = Keyboard(pg)
    wish_id = approved_wish(app, "希望午休时段开放屋顶花园")
    pg.goto("/zh/wall/")
    mark_document(pg)
    card = f"#wish-{wish_id}"
    kb.tab_until(lambda i: i["tag"] == "button" and pg.evaluate("(sel) => !!document.activeElement.closest(sel)", card))
    pg.keyboard.press("Enter")
    expect(pg.locator(f"{card} .support-count")).to_have_text("1")
    pg.wait_for_function("(sel) => document.activeElement === document.querySelector(sel + ' .support-button')", arg=card)
    expect(pg.locator(f"{card} .support-button")).to_have_attribute("aria-pressed", "true")
    assert same_document(pg)
    pg.problems.assert_clean()


# --- 3. a visible focus indicator on every Tab stop ------------------------------------------


KEY_PAGES = ["/zh/", "/zh/guide/", "/zh/requests/new", "/zh/track", "/zh/wall/", "/zh/wall/new",
             "/zh/boards/", f"/zh/boards/{BUILDING}", "/zh/login"]


def walk_tab_order(pg, limit: int = 150) -> list[dict]:
    """Every Tab stop of the page from its start until focus leaves the document."""
    stops = []
    for _ in range(limit):
        pg.keyboard.press("Tab")
        info = active(pg)
        if info is None or (stops and info == stops[0]):
            return stops
        stops.append(info)
    return stops


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_every_tab_stop_shows_focus(new_context, app, service, javascript):
    pg = new_context(javascript=javascript)
    for url in KEY_PAGES:
        pg.goto(url)
        stops = walk_tab_order(pg)
        assert len(stops) > 3, (url, stops)
        assert stops[0]["cls"] == "skip-link", (url, describe(stops[0]))
        hidden = [describe(s) for s in stops if not s["visibleFocus"]]
        assert not hidden, f"{url}: no visible focus indicator on {hidden}"
        off = [describe(s) for s in stops if not s["onScreen"]]
        assert not off, f"{url}: focused but not on screen: {off}"
        kinds = {(s["tag"], s["type"]) for s in stops if s["inMain"]}
        if url in ("/zh/requests/new", "/zh/wall/new", "/zh/login", "/zh/track"):
            assert any(tag == "button" or _type == "submit" for tag, _type in kinds), (url, kinds)
            assert any(tag in ("input", "textarea", "select") for tag, _type in kinds), (url, kinds)

    # The skip link takes focus to main.
    pg.goto("/zh/requests/new")
    pg.keyboard.press("Tab")
    pg.keyboard.press("Enter")
    expect(pg.locator("main")).to_be_focused()
    pg.keyboard.press("Tab")
    info = active(pg)
    assert info and info["inMain"], describe(info)
    pg.problems.assert_clean()


WORKSPACE_PAGES = ["/zh/council/", "/zh/council/wall/", "/zh/council/wall/resources", "/zh/council/requests/",
                   "/zh/council/account/", f"/zh/council/boards/{BUILDING}/"]


def test_workspace_tab_stops_show_focus(page, app, demo):
    pg = page
    pending_wish(app, "希望大堂增设快递柜")
    sign_in_by_keyboard(pg, app, Keyboard(pg), "council@example.com")
    for url in WORKSPACE_PAGES:
        response = pg.goto(url)
        assert response.status == 200, (url, response.status)
        stops = walk_tab_order(pg, limit=250)
        assert any(s["inMain"] for s in stops), url
        hidden = [describe(s) for s in stops if not s["visibleFocus"]]
        assert not hidden, f"{url}: no visible focus indicator on {hidden}"
        off = [describe(s) for s in stops if not s["onScreen"]]
        assert not off, f"{url}: focused but not on screen: {off}"
    pg.problems.assert_clean()


def test_dashboard_refresh_keeps_keyboard_focus(page, app, demo):
    """The dashboard's counts refresh themselves (htmx, every 60 s); a keyboard user
    resting on one of its links keeps focus on that link in the new counts."""
    pg = page
    kb = Keyboard(pg)
    pending_wish(app, "希望大堂增设快递柜")
    sign_in_by_keyboard(pg, app, kb, "council@example.com")
    kb.tab_until(lambda i: i["href"] == "/zh/council/wall/?queue=pending")
    pg.evaluate("() => { window.__before = document.activeElement; }")
    # What the 60-second timer does, now.
    pg.evaluate("""() => htmx.ajax('GET', '/zh/council/', {source: document.querySelector('#counts'),
        target: '#counts', select: '#counts', swap: 'outerHTML'})""")
    pg.wait_for_function("() => !window.__before.isConnected")
    pg.wait_for_function("() => document.activeElement.getAttribute('href') === '/zh/council/wall/?queue=pending'")
    info = active(pg)
    assert info["inMain"] and info["visibleFocus"], describe(info)
    pg.problems.assert_clean()
