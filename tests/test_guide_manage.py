"""Staff editing of the guide: permissions, both languages, rows, preview, 422, history, audit."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.models import AuditLog
from app.extensions import db
from app.guide.models import GuideEntry, GuideRevision
from tests.conftest import csrf_from, text_of
from tests.guide_fixtures import make_entries


@pytest.fixture
def guide(app, demo):
    return make_entries(app)


def form_fields(html: str) -> dict[str, str]:
    """The values of a rendered form, as a browser would send them (no buttons)."""
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "y"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = _unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = _unescape(body.lstrip("\n"))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        first = re.search(r'<option[^>]*value="([^"]*)"', body)
        data[name] = (selected.group(1) or selected.group(2)) if selected else (first.group(1) if first else "")
    return data


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


def test_staff_edit_their_department_and_not_others(client, guide, auth):
    auth.login("staff@example.com")  # staff of market regulation
    assert client.get("/en/council/guide/food-licence/edit").status_code == 200
    assert client.get("/en/council/guide/hukou/edit").status_code == 403
    listing = text_of(client.get("/en/council/guide/"))
    assert "Food business licence" in listing and "Hukou" not in listing
    token = csrf_from(client.get("/en/council/").get_data(as_text=True))
    assert client.post("/en/council/guide/hukou/status", data={"csrf_token": token, "status": "suspended"}).status_code == 403


def test_council_members_cannot_edit_the_guide(client, guide, auth):
    auth.login("council@example.com")
    assert client.get("/en/council/guide/").status_code == 403
    assert client.get("/en/council/guide/food-licence/edit").status_code == 403


def test_edit_save_records_revision_and_audit(app, client, guide, auth):
    auth.login("staff@example.com")
    page = client.get("/zh/council/guide/food-licence/edit")
    html = page.get_data(as_text=True)
    assert "中英文对照填写" in text_of(page)
    data = form_fields(html)
    assert data["title_zh"] == "食品经营许可证办理" and data["version"] == "1"
    data.update(title_en="Food business licence (canteens and cafés)", promised_days="3", note="shorter promise")
    data["materials-1-name_zh"] = "食品安全管理制度"
    data["materials-1-name_en"] = "Food safety rules"
    data["save"] = "y"
    # the form shows one blank material row only after "add a material"; add it first
    grow = dict(data, add_material="y")
    grow.pop("save")
    grown = client.post("/zh/council/guide/food-licence/edit", data=grow)
    assert grown.status_code == 200 and 'name="materials-1-name_zh"' in grown.get_data(as_text=True)
    response = client.post("/zh/council/guide/food-licence/edit", data=data)
    assert response.status_code == 303
    assert "已保存" in text_of(client.get(response.location))
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "food-licence"))
        assert entry.version == 2 and entry.promised_days == 3
        assert [m["name_zh"] for m in entry.materials] == ["身份证", "食品安全管理制度"]
        revisions = db.session.scalars(sa.select(GuideRevision).where(GuideRevision.entry_id == entry.id).order_by(GuideRevision.version)).all()
        assert [r.version for r in revisions] == [1, 2] and revisions[1].note == "shorter promise"
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "guide.update", AuditLog.target_id == str(entry.id)))
        assert log.actor.email == "staff@example.com"
        assert log.before["promised_days"] == 5 and log.after["promised_days"] == 3
    history = text_of(client.get("/zh/council/guide/food-licence/history"))
    assert "shorter promise" in history and "staff@example.com" in history and "promised_days" in history
    # and the public page shows the change
    assert "3 个工作日" in text_of(client.get("/zh/guide/food-licence"))


def test_invalid_edit_is_422_with_everything_kept(app, client, guide, auth):
    auth.login("admin@example.com")
    data = form_fields(client.get("/en/council/guide/tax-setup/edit").get_data(as_text=True))
    data.update(title_zh="", summary_en="My careful English summary", promised_days="30", legal_days="10", online_url="http://insecure.example.com", save="y")
    response = client.post("/en/council/guide/tax-setup/edit", data=data)
    assert response.status_code == 422
    text, html = text_of(response), response.get_data(as_text=True)
    assert "Please correct the following" in text
    assert "The statutory limit cannot be shorter than the promised one." in text
    assert "Use an https:// link." in text
    assert "My careful English summary" in html and 'value="30"' in html
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "tax-setup"))
        assert entry.title_zh == "新办企业税务登记与发票申领" and entry.version == 1


def test_preview_shows_the_entry_without_saving(app, client, guide, auth):
    auth.login("admin@example.com")
    data = form_fields(client.get("/en/council/guide/tax-setup/edit").get_data(as_text=True))
    data.update(title_en="A previewed title", preview="y")
    response = client.post("/en/council/guide/tax-setup/edit", data=data)
    assert response.status_code == 200
    assert "Preview (not saved yet)" in text_of(response) and "A previewed title" in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(GuideEntry.title_en).where(GuideEntry.slug == "tax-setup")) != "A previewed title"


def test_two_editors_cannot_overwrite_each_other(app, client, guide, auth):
    auth.login("admin@example.com")
    first = form_fields(client.get("/en/council/guide/tax-setup/edit").get_data(as_text=True))
    second = dict(first)
    first.update(title_en="First editor's title", save="y")
    assert client.post("/en/council/guide/tax-setup/edit", data=first).status_code == 303
    second.update(title_en="Second editor's title", save="y")
    response = client.post("/en/council/guide/tax-setup/edit", data=second)
    assert response.status_code == 409
    assert "Someone else saved this entry" in text_of(response)
    assert "Second editor&#39;s title" in response.get_data(as_text=True)  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(sa.select(GuideEntry.title_en).where(GuideEntry.slug == "tax-setup")) == "First editor's title"


def test_create_suspend_and_publish(app, client, guide, auth):
    auth.login("staff@example.com")
    data = form_fields(client.get("/zh/council/guide/new").get_data(as_text=True))
    data.update(
        slug="outdoor-ads", category="market", audience="enterprise", status="active",
        title_zh="户外广告设置备案", title_en="Registering an outdoor sign", summary_zh="楼宇外立面广告需备案。",
        summary_en="Signs on the facade must be registered.", promised_days="5", legal_days="20", save="y",
    )
    data["is_free"] = "y"
    response = client.post("/zh/council/guide/new", data=data)
    assert response.status_code == 303, text_of(response)
    assert "户外广告设置备案" in text_of(client.get("/zh/guide/?q=广告"))
    token = csrf_from(client.get("/zh/council/").get_data(as_text=True))
    assert client.post("/zh/council/guide/outdoor-ads/status", data={"csrf_token": token, "status": "suspended"}).status_code == 303
    assert client.get("/zh/guide/outdoor-ads").status_code == 404
    assert "户外广告设置备案" not in text_of(client.get("/zh/guide/?q=广告"))
    assert client.post("/zh/council/guide/outdoor-ads/status", data={"csrf_token": token, "status": "active"}).status_code == 303
    assert client.get("/zh/guide/outdoor-ads").status_code == 200
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action.like("guide.%")).order_by(AuditLog.id)).all()
        assert actions[-3:] == ["guide.create", "guide.update", "guide.update"]


def test_duplicate_slug_is_refused(client, guide, auth):
    auth.login("admin@example.com")
    data = form_fields(client.get("/en/council/guide/new").get_data(as_text=True))
    data.update(slug="hukou", category="talent", audience="both", status="active", title_zh="重复", summary_zh="重复", save="y", is_free="y")
    response = client.post("/en/council/guide/new", data=data)
    assert response.status_code == 422 and "Another entry already uses this address." in text_of(response)


def test_dashboard_links_to_guide_editing_for_editors_only(client, guide, auth):
    auth.login("staff@example.com")
    assert 'href="/zh/council/guide/"' in client.get("/zh/council/").get_data(as_text=True)
    auth.logout()
    auth.login("council@example.com")
    assert 'href="/zh/council/guide/"' not in client.get("/zh/council/").get_data(as_text=True)
