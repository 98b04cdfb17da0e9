"""Security baseline: headers, cookies, CSRF on every POST route, error pages, body size."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from app import create_app
from app.config import Config
from tests.conftest import DEMO_PASSWORD, csrf_from, text_of

PAGES = ["/zh/", "/en/", "/zh/login", "/en/login", "/zh/no-such-page", "/healthz"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    if response.mimetype == "text/html":
        assert "HX-Request" in response.headers["Vary"]


def test_templates_have_no_inline_script_style_or_event_handlers(app):
    from pathlib import Path

    bad = re.compile(r"<script>|<script(?![^>]*\bsrc=)[^>]*>|style=\"|\son[a-z]+=\"|hx-on|javascript:|hx-vals=['\"]js:")
    root = Path(app.template_folder)
    offenders = [str(p) for p in root.rglob("*.html") if bad.search(p.read_text(encoding="utf-8"))]
    assert not offenders


# Machine APIs authenticate each call with a key instead of a cookie, so they carry no
# CSRF token; only these may skip it.
API_PREFIX = "/api/"


def _post_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and r.endpoint != "static" and not r.rule.startswith(API_PREFIX)]


def test_only_the_key_authenticated_api_is_exempt_from_csrf(app):
    from app.extensions import csrf

    exempt = {getattr(b, "name", b) for b in csrf._exempt_blueprints}
    assert exempt <= {"open311", "hsds"} and not csrf._exempt_views  # hsds is read-only (GET)
    api_posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and r.rule.startswith(API_PREFIX)}
    assert api_posts and all(e.startswith("open311.") for e in api_posts)


def _url_for_rule(rule: Rule) -> str:
    values = {arg: ("zh" if arg == "lang_code" else "1") for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def test_there_are_post_routes_to_check(app):
    endpoints = {r.endpoint for r in _post_rules(app)}
    assert {"auth.login", "auth.logout"} <= endpoints


def test_every_post_route_rejects_a_missing_csrf_token(app, client, demo, auth):
    """Walks the URL map: any POST route without a token gets 400, signed in or not."""
    auth.login()
    for rule in _post_rules(app):
        url = _url_for_rule(rule)
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, f"{rule.endpoint} {url} accepted a POST without CSRF token"
        assert "请求无效" in text_of(response)
        # a wrong token is refused too
        response = client.post(url, data={"csrf_token": "forged"})
        assert response.status_code == 400, f"{rule.endpoint} accepted a forged token"


def test_csrf_token_in_htmx_header_is_accepted(client, demo):
    page = client.get("/zh/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/zh/login",
        data={"email": "admin@example.com", "password": DEMO_PASSWORD},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 303


def test_session_and_remember_cookies_are_locked_down_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    cfg = Config(instance_path=tmp_path)
    app = create_app(cfg)
    from app.demo import seed_demo
    from app.extensions import db
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
    client = app.test_client()
    page = client.get("/zh/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/zh/login",
        data={"email": "council@example.com", "password": DEMO_PASSWORD, "remember": "y", "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/zh/login"},
    )
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("loushi_session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with app.app_context():
        db.engine.dispose()


def test_error_pages_are_translated_with_incident_id_and_no_traceback(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    from app.config import TestingConfig

    app = create_app(TestingConfig(instance_path=tmp_path))

    @app.route("/<lang:lang_code>/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    @app.route("/<lang:lang_code>/abort-for-test/<int:code>")
    def abort_with(code):
        from flask import abort

        abort(code)

    client = app.test_client()
    expected = {
        400: ("请求无效", "Bad request"),
        403: ("无权访问", "Not allowed"),
        404: ("页面不存在", "Page not found"),
        413: ("内容过大", "Too large"),
        422: ("请检查您填写的内容", "Please check your input"),
        429: ("尝试次数过多", "Too many attempts"),
    }
    for code, (zh_title, en_title) in expected.items():
        for lang, title in (("zh", zh_title), ("en", en_title)):
            response = client.get(f"/{lang}/abort-for-test/{code}")
            assert response.status_code == code
            assert title in text_of(response)
            assert re.search(r"[0-9a-f]{12}", text_of(response))
    for lang, title, ref in (("zh", "系统出现问题", "事件编号："), ("en", "Something went wrong", "Incident reference: ")):
        response = client.get(f"/{lang}/boom-for-test")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert title in text_of(response)
        incident = re.search(ref + r"([0-9a-f]{12})", text_of(response)).group(1)
        assert "Traceback" not in body and "secret internals" not in body and "RuntimeError" not in body
        # the incident id in the log leads to the traceback
        assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    "path, code, zh_title, en_title",
    [("/{lang}/missing", 404, "页面不存在", "Page not found"), ("/{lang}/council/", 302, None, None)],
)
def test_404_in_both_languages(client, path, code, zh_title, en_title):
    for lang, title in (("zh", zh_title), ("en", en_title)):
        response = client.get(path.format(lang=lang))
        assert response.status_code == code
        if title:
            assert title in text_of(response)


def test_405_and_413_pages(app, client):
    response = client.put("/zh/login")
    assert response.status_code == 405
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/en/login", data={"email": "x" * 5000})
        assert response.status_code == 413
        assert "Too large" in text_of(response)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_reports_a_broken_database(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    from app.config import TestingConfig

    cfg = TestingConfig(instance_path=tmp_path)
    cfg.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app(cfg)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"
