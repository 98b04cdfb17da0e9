"""Fragment or full page: one helper decides, and always sends Vary: HX-Request."""

from __future__ import annotations

import pytest

from app.core.rendering import render, wants_fragment


@pytest.mark.parametrize(
    "headers, fragment",
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-Boosted": "true"}, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
        ({"HX-Request": "false"}, False),
    ],
)
def test_wants_fragment(app, headers, fragment):
    with app.test_request_context("/zh/", headers=headers):
        assert wants_fragment() is fragment


def test_render_picks_the_partial_and_sets_vary(app, tmp_path):
    from jinja2 import DictLoader, ChoiceLoader

    original = app.jinja_loader
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"t/_part.html": "<p>part {{ x }}</p>", "t/page.html": "<html>{% include 't/_part.html' %}</html>"}), original]
    )
    try:
        with app.test_request_context("/zh/", headers={"HX-Request": "true"}):
            response = render("t/page.html", "t/_part.html", status=422, x=1)
            assert response.get_data(as_text=True) == "<p>part 1</p>" and response.status_code == 422
            assert "HX-Request" in response.headers["Vary"]
        with app.test_request_context("/zh/"):
            response = render("t/page.html", "t/_part.html", x=2)
            assert response.get_data(as_text=True) == "<html><p>part 2</p></html>"
            assert "HX-Request" in response.headers["Vary"]
    finally:
        app.jinja_env.loader = original


def test_every_template_compiles(app):
    names = [n for n in app.jinja_env.list_templates() if n.endswith(".html")]
    assert "base.html" in names
    for name in names:
        app.jinja_env.get_template(name)
