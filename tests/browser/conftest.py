"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright.

Debian's ``/usr/bin/chromium`` is used when present, else Playwright's own Chromium
where one is installed.  Without either the tests are skipped with a loud notice,
except under CI (``CI=true``), where a skipped browser test is a failure."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.tools import tool_missing

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DEBIAN_CHROMIUM = "/usr/bin/chromium"


def _no_browser(reason: str):
    tool_missing(f"BROWSER TESTS NOT RUN: {reason}. Install Debian's chromium (apt-get install -y chromium).",
                 what="browser test")


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra always installs it
        _no_browser("the playwright package is not installed")
    pw = sync_playwright().start()
    executable = DEBIAN_CHROMIUM if os.path.exists(DEBIAN_CHROMIUM) else shutil.which("chromium")
    try:
        if executable:
            instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        else:
            instance = pw.chromium.launch(args=CHROMIUM_ARGS)  # Playwright's own build, if installed
    except Exception as exc:  # noqa: BLE001 - any launch failure means "no browser here"
        pw.stop()
        _no_browser(f"no Chromium could be started ({type(exc).__name__})")
    yield instance
    instance.close()
    pw.stop()


class PageProblems:
    """Console errors, page errors and CSP violations seen by a page."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def _console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m or "Refused to" in m]

    def assert_clean(self, expected_statuses: tuple[int, ...] = ()):
        """No CSP violation, no script error, no console error — except the browser's
        note about a response whose status the test provoked on purpose (say a 422)."""
        assert not self.csp_violations, self.csp_violations
        expected = tuple(f"responded with a status of {code} " for code in expected_statuses)
        unexpected = [m for m in self.console_errors if not any(e in m for e in expected)]
        assert not unexpected, unexpected
        assert not self.page_errors, self.page_errors


def _new_page(browser, base_url, javascript: bool, locale: str):
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = PageProblems(page)
    return context, page, problems


@pytest.fixture
def page(browser, live_server):
    context, pg, problems = _new_page(browser, live_server, True, "zh-CN")
    pg.problems = problems
    yield pg
    context.close()


@pytest.fixture
def nojs_page(browser, live_server):
    context, pg, problems = _new_page(browser, live_server, False, "en-US")
    pg.problems = problems
    yield pg
    context.close()


# --- helpers shared by the journeys --------------------------------------------------------


@pytest.fixture
def new_context(browser, live_server):
    """Open more browser contexts (own cookies: another person) in one test."""
    opened = []

    def open_page(javascript: bool, locale: str = "zh-CN"):
        context, pg, problems = _new_page(browser, live_server, javascript, locale)
        pg.problems = problems
        opened.append(context)
        return pg

    yield open_page
    for context in opened:
        context.close()


def tr(app, lang: str, text, **params) -> str:
    """``text`` (a msgid or a lazy string) as the app shows it in ``lang`` right now."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return gettext(text, **params) if isinstance(text, str) else str(text)


def zh_date(app, value) -> str:
    from flask_babel import force_locale, format_date

    with app.test_request_context("/zh/"), force_locale("zh"):
        return format_date(value)


def mark_document(pg) -> None:
    """A flag that survives only while no full navigation happens."""
    pg.evaluate("() => { window.__sameDocument = true; }")


def same_document(pg) -> bool:
    return pg.evaluate("() => window.__sameDocument === true")


def count_polls(pg) -> None:
    """Count the requests htmx starts from now on (counted in the page, as they start)."""
    pg.evaluate("""() => {
        window.__polls = 0;
        document.addEventListener("htmx:beforeRequest", () => { window.__polls += 1; });
    }""")


def polls(pg) -> int:
    return pg.evaluate("() => window.__polls")


def click_and_wait(pg, locator, status: int = 200):
    with pg.expect_navigation() as navigation:
        locator.click()
    response = navigation.value
    assert response is not None and response.status == status, (response and response.status, pg.url)
    return response


def sign_in(pg, app, email: str, lang: str = "en", password: str | None = None) -> None:
    """Sign in through the login form like a person; where the account has two-step
    sign-in on (the demo admin), type the authenticator app's current code too.  Ends
    on the workspace with the "signed in" message."""
    from playwright.sync_api import expect

    from tests.conftest import DEMO_PASSWORD, totp_code

    pg.goto(f"/{lang}/login")
    pg.locator("#email").fill(email)
    pg.locator("#password").fill(password or DEMO_PASSWORD)
    click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Sign in")))
    if "/login/two-step" in pg.url:
        expect(pg.locator("h1")).to_have_text(tr(app, lang, "Two-step sign-in"))
        pg.locator("#code").fill(totp_code(app, email))
        click_and_wait(pg, pg.get_by_role("button", name=tr(app, lang, "Continue")))
    expect(pg.locator("#flash")).to_contain_text(tr(app, lang, "You are signed in."))
