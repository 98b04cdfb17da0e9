"""Issue 16, items 2, 3 and part of 11: what staff pages show and who reads it.

* Observers see a request's stages and public replies, never an internal note or what
  the requester wrote; the people handling the request do.
* Phone numbers and e-mail addresses typed inside free text are masked on staff pages
  until a logged reveal.
* Pages with personal data send ``Cache-Control: private, no-store`` and never enter the
  page cache.
* Staff-entered text loses bidirectional overrides (U+202E …) like the public's.
* Anonymous visitors sent from the workspace to the sign-in page collect one message."""

from __future__ import annotations

import re
from itertools import count

import pytest
import sqlalchemy as sa

from app.core.models import AuditLog
from app.core.timeutil import utcnow
from app.extensions import db
from app.guide.models import GuideEntry
from app.intake.models import RequestEvent, ServiceRequest
from app.org.models import Building, Department
from tests.conftest import csrf_from, text_of
from tests.test_guide_manage import form_fields

ST = "shanghai-tower"
_serial = count(1)

DESCRIPTION = "大堂空调太冷，请回电 138 1234 5678 或 021-12345678，邮箱 wang.xm@example.com 谢谢"
INFO = "补充：工作日请打 13987654321"
NOTE = "内部：物业经理李工 13711112222 已答应周五修"
REPLY = "已联系物业，周五前修好空调"
STAGE_NOTE = "物业已派人查看"


def _tr(app, lang: str, msgid: str, **params) -> str:
    from flask_babel import force_locale, gettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return gettext(msgid, **params)


@pytest.fixture
def filed(app, demo):
    """A request in shanghai-tower (the council member's and the observer's building),
    with the requester's description and more information, an internal note, a public
    reply and a stage change with a note."""
    n = next(_serial)
    number = f"LS-2026-{700000 + n:06d}"
    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == ST))
        market = db.session.scalar(sa.select(Department).where(Department.code == "market"))
        now = utcnow()
        req = ServiceRequest(
            tracking_no=number, access_code_hash="x" * 64, submission_key=f"staffview-{n}", building_id=building.id,
            department_id=market.id, description=DESCRIPTION, contact_name="王小明", phone="13812345678",
            email="wang@example.com", stage="in_progress", created_at=now, updated_at=now,
        )
        db.session.add(req)
        db.session.flush()
        for kind, public, by_requester, body, to_stage in (
            ("submitted", True, True, None, "received"),
            ("info", True, True, INFO, None),
            ("note", False, False, NOTE, None),
            ("reply", True, False, REPLY, None),
            ("stage", True, False, STAGE_NOTE, "in_progress"),
        ):
            db.session.add(RequestEvent(request_id=req.id, kind=kind, public=public, by_requester=by_requester,
                                        body=body, to_stage=to_stage, created_at=now))
        db.session.commit()
        db.session.remove()
    return number


# --- item 2: observers ---------------------------------------------------------------------


def test_observer_sees_stage_and_public_reply_but_no_note_or_description(app, client, auth, filed):
    auth.login("observer@example.com", lang="en")
    page = client.get(f"/en/council/requests/{filed}")
    text = text_of(page)
    assert page.status_code == 200
    # what the observer follows: the stage, the public reply, the stage note
    assert _tr(app, "en", "In progress") in text or "In progress" in text
    assert REPLY in text and STAGE_NOTE in text
    # never the internal note, nor anything the requester wrote, not even masked
    for private in ("李工", "内部", "大堂空调太冷", "补充", "138****5678", "139****4321", "w***@example.com", "13711112222"):
        assert private not in text, private
    assert _tr(app, "en", "Internal note") not in text
    assert _tr(app, "en", "Shown only to the people handling the request.") in text


def test_handling_council_member_reads_note_and_description(app, client, auth, filed):
    auth.login("council@example.com", lang="en")
    text = text_of(client.get(f"/en/council/requests/{filed}"))
    assert "大堂空调太冷" in text and "已答应周五修" in text and "补充" in text
    assert REPLY in text and STAGE_NOTE in text


def test_request_details_permission_is_one_rule(app, demo, filed):
    from app.auth.models import User
    from app.auth.permissions import can, rules

    assert "request.details" in rules()
    with app.test_request_context("/en/"):
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == filed))
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        assert can("request.details", req, user=users["council@example.com"])
        assert can("request.details", req, user=users["staff@example.com"])  # market: the lead department
        assert not can("request.details", req, user=users["observer@example.com"])
        assert can("request.view", req, user=users["observer@example.com"])


# --- item 2: masking in free text until a logged reveal ------------------------------------------


def test_contacts_in_free_text_are_masked_until_a_logged_reveal(app, client, auth, filed):
    auth.login("council@example.com", lang="en")
    page = client.get(f"/en/council/requests/{filed}")
    text = text_of(page)
    # masked: phones (mobile with spaces, landline), the e-mail, in the description,
    # the more-information text and the internal note; and the contact e-mail field
    assert "138****5678" in text and "021-****5678" in text and "w***@example.com" in text
    assert "139****4321" in text and "137****2222" in text
    for whole in ("138 1234 5678", "021-12345678", "wang.xm@example.com", "13987654321", "13711112222", "wang@example.com"):
        assert whole not in text, whole
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "request.reveal_contact")) == 0

    token = csrf_from(page.get_data(as_text=True))
    revealed = client.post(f"/en/council/requests/{filed}/reveal", data={"csrf_token": token})
    shown = text_of(revealed)
    assert revealed.status_code == 200
    for whole in ("138 1234 5678", "021-12345678", "wang.xm@example.com", "13987654321", "13711112222", "wang@example.com", "13812345678"):
        assert whole in shown, whole
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "request.reveal_contact")).all()
        assert len(entries) == 1 and entries[0].actor_id is not None
    # a later plain view is masked again
    assert "wang.xm@example.com" not in text_of(client.get(f"/en/council/requests/{filed}"))


def test_the_htmx_reveal_swaps_the_timeline_whole_too(app, client, auth, filed):
    auth.login("council@example.com", lang="en")
    token = csrf_from(client.get(f"/en/council/requests/{filed}").get_data(as_text=True))
    fragment = client.post(f"/en/council/requests/{filed}/reveal", data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="contact-box"' in html
    assert 'id="timeline" data-hx-swap-oob="true"' in html and "wang.xm@example.com" in text_of(fragment)


def test_mask_contacts_helper():
    from app.core.audit import mask_contacts

    assert mask_contacts("电话13812345678，邮箱zhang@example.com谢谢") == "电话138****5678，邮箱z***@example.com谢谢"
    assert mask_contacts("call 138-1234-5678 or 0755 87654321") == "call 138****5678 or 0755-****4321"
    assert mask_contacts("订单 2026-11-22，编号 12345") == "订单 2026-11-22，编号 12345"
    assert mask_contacts(None) is None


# --- item 3: Cache-Control on pages with personal data ---------------------------------------


PRIVATE = "private, no-store"


def test_staff_and_account_pages_are_private_no_store(app, client, auth, filed):
    auth.login("council@example.com", lang="en")
    for url in ("/en/council/", "/en/council/requests/", f"/en/council/requests/{filed}", "/en/council/account/",
                "/en/council/audit/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == PRIVATE, url
    token = csrf_from(client.get(f"/en/council/requests/{filed}").get_data(as_text=True))
    revealed = client.post(f"/en/council/requests/{filed}/reveal", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert "13812345678" in text_of(revealed) and revealed.headers["Cache-Control"] == PRIVATE


def test_user_admin_pages_are_private_no_store(app, client, auth, demo):
    auth.login("admin@example.com", lang="en")
    response = client.get("/en/council/users/")
    assert "council@example.com" in text_of(response) and response.headers["Cache-Control"] == PRIVATE


def test_the_requesters_unlocked_page_is_private_no_store(app, client, demo):
    from tests.guide_fixtures import make_entries
    from tests.test_intake import TRACKING, form_values

    make_entries(app)
    filed = client.post("/zh/requests/new", data=dict(form_values(client), email="li@example.com"))
    assert filed.status_code == 303
    submitted = client.get(filed.location)  # the confirmation, with the access code
    number = TRACKING.search(text_of(submitted)).group(0)
    code = re.search(r'id="access-code">([^<]+)<', submitted.get_data(as_text=True)).group(1)
    assert submitted.headers["Cache-Control"] == PRIVATE
    locked = app.test_client().get(f"/zh/requests/{number}")
    assert "li@example.com" not in text_of(locked)
    assert locked.headers.get("Cache-Control") != PRIVATE  # the locked page is public (and cacheable)
    client.get(f"/zh/requests/{number}?code={code}")
    page = client.get(f"/zh/requests/{number}")
    assert "我们想在 12 楼开一家咖啡店" in text_of(page)
    assert page.headers["Cache-Control"] == PRIVATE


def test_the_page_cache_never_keeps_a_private_page(app):
    from flask import Response

    from app.core.cache import Version, cached
    from app.core.security import mark_private

    def build():
        mark_private()  # found out while building: this page shows someone's data
        return Response("王小明 13812345678", content_type="text/html; charset=utf-8")

    with app.test_request_context("/zh/somewhere"):
        first = cached("test.private", Version("guide"), build)
        assert first.get_data(as_text=True) == "王小明 13812345678"
    with app.test_request_context("/zh/somewhere"):
        second = cached("test.private", Version("guide"), lambda: Response("someone else", content_type="text/html"))
        assert second.get_data(as_text=True) == "someone else"


# --- item 11: bidirectional overrides in staff text -----------------------------------------


BIDI = "\u202e\u2066\u200f"


def test_bidi_overrides_are_stripped_from_a_staff_reply_and_note(app, client, auth, filed):
    auth.login("council@example.com", lang="en")
    token = csrf_from(client.get(f"/en/council/requests/{filed}").get_data(as_text=True))
    for body, visibility in ((f"请查收{BIDI}附件 fdp.exe", "public"), (f"内部{BIDI}备注 gpj.exe", "internal")):
        response = client.post(f"/en/council/requests/{filed}/reply", data={"csrf_token": token, "body": body, "visibility": visibility})
        assert response.status_code == 303
    page = client.get(f"/en/council/requests/{filed}").get_data(as_text=True)
    assert "请查收附件 fdp.exe" in page and "内部备注 gpj.exe" in page
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f]", page)
    with app.app_context():
        bodies = db.session.scalars(sa.select(RequestEvent.body).where(RequestEvent.kind.in_(("reply", "note")))).all()
        assert not any(re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f]", b or "") for b in bodies)


def test_bidi_overrides_are_stripped_from_a_staff_saved_guide_entry(app, client, auth, demo):
    from tests.guide_fixtures import make_entries

    make_entries(app)
    auth.login("staff@example.com")
    page = client.get("/zh/council/guide/food-licence/edit")
    data = form_fields(page.get_data(as_text=True))
    data.update(title_en=f"Food licence {BIDI}fdp.exe", title_zh=f"食品经营许可证{BIDI}办理", note=f"re{BIDI}name", save="y")
    saved = client.post("/zh/council/guide/food-licence/edit", data=data)
    assert saved.status_code == 303, text_of(saved)[:500]
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "food-licence"))
        assert entry.title_zh == "食品经营许可证办理" and entry.title_en == "Food licence fdp.exe"
    public = client.get("/en/guide/food-licence")
    assert "Food licence fdp.exe" in text_of(public) and "\u202e" not in public.get_data(as_text=True)


def test_passwords_keep_every_character():
    from wtforms import PasswordField, StringField

    from app.core.forms import Form

    class F(Form):
        class Meta:
            csrf = False

        text = StringField()
        secret = PasswordField()

    from werkzeug.datastructures import MultiDict

    from app import create_app

    with create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_request_context("/en/"):
        form = F(formdata=MultiDict({"text": "a\u202eb", "secret": "a\u202eb"}))
        assert form.text.data == "ab" and form.secret.data == "a\u202eb"


# --- item 11: no pile of flash messages for anonymous visitors ---------------------------------


def test_anonymous_redirects_from_the_workspace_leave_one_message(app, client, demo):
    sizes = []
    for i in range(20):
        response = client.get(f"/zh/council/requests/?page={i}")
        assert response.status_code == 302 and "/zh/login" in response.location
        cookie = client.get_cookie("loushi_session")
        sizes.append(len(cookie.value) if cookie else 0)
    # the cookie holds one message however many redirects: it does not grow
    assert sizes[0] > 0 and max(sizes) - sizes[0] < 40 and sizes[-1] == sizes[5], sizes
    login = client.get("/zh/login")
    message = _tr(app, "zh", "Please sign in to see this page.")
    assert text_of(login).count(message) == 1
    assert message not in text_of(client.get("/zh/login"))  # shown once, then gone
