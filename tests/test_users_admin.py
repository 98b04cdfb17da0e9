"""User administration (/<lang>/council/users/…) and the council team page.

Admins list, filter, invite, edit, deactivate and reactivate people, send password
links and reset two-step sign-in; every change goes through app/auth/services.py and is
audited.  Council members and observers see who holds an account on their buildings'
councils.  Texts are looked up through the app's own catalogues (``tr``)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.core.mail import OutboxMail
from app.core.models import AuditLog
from app.extensions import db
from tests.conftest import Auth, csrf_from, text_of

USERS = "/{lang}/council/users/"


def tr(app, lang: str, text, **params) -> str:
    from flask_babel import force_locale, gettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return gettext(text, **params) if isinstance(text, str) else str(text)


def _user(app, email: str) -> dict:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            return {}
        found = {
            "id": user.id, "name": user.name, "role": user.role, "active": user.active,
            "buildings": sorted(b.slug for b in user.buildings),
            "department": getattr(user.department, "code", None), "has_password": user.has_password,
            "totp": user.totp_enabled, "locale": user.locale,
        }
        db.session.remove()
    return found


def _audits(app, action: str, user_id: int) -> list[AuditLog]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == action, AuditLog.target_type == "user",
                                      AuditLog.target_id == str(user_id)).order_by(AuditLog.id)
        ).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _mails(app, to: str) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_addr == to).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _make(app, email: str, role: str = "council", *, name: str = "", buildings=("shanghai-tower",), department=None,
          invited: bool = False, active: bool = True, password: str = "a-long-enough-test-password-9"):
    """An account made on the server side (not through the pages under test)."""
    from app.auth.services import create_user
    from app.org.models import Building, Department

    with app.app_context():
        places = db.session.scalars(sa.select(Building).where(Building.slug.in_(buildings))).all() if buildings else []
        dept = db.session.scalar(sa.select(Department).where(Department.code == department)) if department else None
        user = create_user(email, password, role, name=name, buildings=places, department=dept)
        if invited:
            user.clear_password()
        user.active = active
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


def _post(client, url: str, data: dict | None = None, form_page: str | None = None, **kwargs):
    token = csrf_from(client.get(form_page or "/en/council/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def _checked(html, name: str, value: str) -> bool:
    """Whether the checkbox or radio button ``name``=``value`` is checked in ``html``."""
    if not isinstance(html, str):
        html = html.get_data(as_text=True)
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return re.search(r"\schecked\b", tag) is not None
    raise AssertionError(f"no input {name}={value}")


def _link_in(body: str, lang: str) -> str:
    match = re.search(rf"https?://[^\s]+(/{lang}/password/[A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def admin(client, demo):
    assert Auth(client).login("admin@example.com", lang="en").status_code == 303
    return client


INVITE = {"email": "Li.Na@Example.com", "name": "李娜 Li Na", "role": "council", "buildings": ["shanghai-tower", "jin-mao-tower"],
          "department": "", "locale": "en"}


# --- the list ---------------------------------------------------------------------------


def test_list_shows_every_account_with_its_columns(app, admin):
    response = admin.get("/en/council/users/")
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    text = text_of(response)
    for email in ("admin@example.com", "council@example.com", "staff@example.com", "observer@example.com"):
        assert email in text
    assert "4 accounts" in text
    rows = _rows_by_email(response)
    assert len(rows) == 4
    admin_row = rows["admin@example.com"]
    assert "District administrator" in admin_row and "Whole district" in admin_row and " On " in admin_row
    assert "Active account" in admin_row and "Never" not in admin_row  # signed in just now
    council_row = rows["council@example.com"]
    assert "Council member" in council_row and "Shanghai Tower" in council_row and " Off " in council_row and "Never" in council_row
    assert "Jin Mao Tower, Shanghai Tower" in rows["observer@example.com"]
    assert "Market Regulation" in rows["staff@example.com"]


def _rows_by_email(response) -> dict[str, str]:
    """email → the visible text of its table row (padded with spaces)."""
    rows = re.findall(r'(?s)<tr class="user-.*?</tr>', response.get_data(as_text=True))
    out = {}
    for row in rows:
        text = f" {text_of_html(row)} "
        email = re.search(r"\S+@\S+", text).group(0)
        out[email] = text
    return out


def text_of_html(html: str) -> str:
    class _R:
        def get_data(self, as_text=True):
            return html

    return text_of(_R())


def _listed(response) -> list[str]:
    return re.findall(r"<td>([^<@]+@[^<]+)</td>", response.get_data(as_text=True))


def test_each_filter_narrows_the_list(app, admin):
    _make(app, "invited@example.com", invited=True, name="Invited Person")
    _make(app, "gone@example.com", active=False, name="Gone Person", buildings=("swfc",))
    everyone = {"admin@example.com", "council@example.com", "staff@example.com", "observer@example.com",
                "invited@example.com", "gone@example.com"}
    assert set(_listed(admin.get("/en/council/users/"))) == everyone
    cases = {
        "q=observer": {"observer@example.com"},
        "q=%E8%A1%97%E9%81%93": {"observer@example.com"},  # 街道: a Chinese part of the name
        "q=GONE": {"gone@example.com"},
        "q=%25": set(),  # a LIKE wildcard is a plain character
        "role=staff": {"staff@example.com"},
        "role=council": {"council@example.com", "invited@example.com", "gone@example.com"},
        "building=jin-mao-tower": {"observer@example.com"},
        "building=shanghai-tower": {"council@example.com", "observer@example.com", "invited@example.com"},
        "department=market": {"staff@example.com"},
        "status=invited": {"invited@example.com"},
        "status=deactivated": {"gone@example.com"},
        "status=active": everyone - {"invited@example.com", "gone@example.com"},
        "role=council&building=shanghai-tower&status=active": {"council@example.com"},
        "role=nonsense&status=nonsense": everyone,  # unknown values are ignored
    }
    for query, expected in cases.items():
        response = admin.get(f"/en/council/users/?{query}")
        assert response.status_code == 200, query
        assert set(_listed(response)) == expected, query
    empty = admin.get("/en/council/users/?q=nobody-at-all")
    assert "No accounts match these filters." in text_of(empty)


def test_htmx_gets_only_the_table_and_the_pushed_url_serves_the_whole_page(app, admin):
    fragment = admin.get("/en/council/users/?role=staff", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and html.lstrip().startswith('<div id="user-list">') and "<html" not in html
    assert _listed(fragment) == ["staff@example.com"]
    page = admin.get("/en/council/users/?role=staff")
    body = page.get_data(as_text=True)
    assert "<html" in body and 'hx-push-url="true"' in body and 'action="/en/council/users/"' in body
    assert '<option value="staff" selected>' in body  # the filter keeps its value without JavaScript


def test_list_pages_by_fifty_with_a_constant_number_of_queries(app, admin):
    from app.org.models import Building

    with app.app_context():  # rows straight in (no password hashing: quick)
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        for i in range(56):
            user = User(email=f"bulk{i:02d}@example.com", role="council", name=f"Bulk {i}", buildings=[tower])
            user.clear_password()
            db.session.add(user)
        db.session.commit()
        db.session.remove()
    first = admin.get("/en/council/users/?q=bulk")
    assert "56 accounts" in text_of(first) and len(_listed(first)) == 50
    assert "Page 1 of 2" in text_of(first) and 'href="/en/council/users/?q=bulk&amp;page=2"' in first.get_data(as_text=True)
    second = admin.get("/en/council/users/?q=bulk&page=2")
    assert len(_listed(second)) == 6 and "Page 2 of 2" in text_of(second)
    assert admin.get("/en/council/users/?page=abc").status_code == 200

    counts = []
    for query in ("q=bulk0", "q=bulk"):  # 10 rows, then 50 rows
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            admin.get(f"/en/council/users/?{query}")
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- invite ------------------------------------------------------------------------------


def test_invite_creates_an_account_without_password_and_mails_a_link(app, admin):
    form = admin.get("/en/council/users/new")
    assert form.status_code == 200
    assert _checked(form.get_data(as_text=True), "locale", "en")  # the page's language
    response = _post(admin, "/en/council/users/new", INVITE, form_page="/en/council/users/new")
    assert response.status_code == 303
    person = _user(app, "li.na@example.com")
    assert response.location == f"/en/council/users/{person['id']}"
    assert person["role"] == "council" and person["buildings"] == ["jin-mao-tower", "shanghai-tower"]
    assert person["name"] == "李娜 Li Na" and not person["has_password"] and person["locale"] == "en" and person["active"]

    page = admin.get(response.location)
    text = text_of(page)
    assert "Invitation sent to li.na@example.com." in text
    assert "Invited" in text and "Not set yet" in text and "Send the invitation again" in text
    assert _checked(page.get_data(as_text=True), "buildings", "shanghai-tower")

    (mail,) = _mails(app, "li.na@example.com")
    assert mail.kind == "auth.invite" and mail.lang == "en"
    link = _link_in(mail.body_text, "en")
    assert Auth(app.test_client()).client.get(link).status_code == 200  # the person's own browser

    (record,) = _audits(app, "user.invite", person["id"])
    assert record.after["email"] == "li.na@example.com" and record.after["buildings"] == ["jin-mao-tower", "shanghai-tower"]
    assert record.actor_id == _user(app, "admin@example.com")["id"]
    assert "li.na@example.com" in _listed(admin.get("/en/council/users/?status=invited"))


def test_invite_in_chinese_mails_in_chinese(app, client, demo):
    assert Auth(client).login("admin@example.com", lang="zh").status_code == 303
    form = client.get("/zh/council/users/new")
    assert form.status_code == 200 and tr(app, "zh", "Email") in text_of(form)
    response = _post(client, "/zh/council/users/new",
                     {"email": "staff2@example.com", "name": "王芳", "role": "staff", "department": "market", "locale": "zh"},
                     form_page="/zh/council/users/new")
    assert response.status_code == 303 and response.location.startswith("/zh/council/users/")
    assert _user(app, "staff2@example.com")["department"] == "market"
    (mail,) = _mails(app, "staff2@example.com")
    assert mail.lang == "zh" and "/zh/password/" in mail.body_text


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"email": "not-an-address"}, "email", "Enter a valid e-mail address."),
        ({"email": ""}, "email", "Enter an e-mail address."),
        ({"buildings": []}, "buildings", "Council members and observers need at least one building."),
        ({"role": "observer", "buildings": []}, "buildings", "Council members and observers need at least one building."),
        ({"role": "staff", "department": ""}, "department", "Department staff need a department."),
        ({"email": "COUNCIL@example.com"}, "email", "An account with this e-mail address already exists."),
        ({"name": "  "}, "name", "Enter the person's name."),
        ({"role": "superuser"}, "role", "Choose a role."),
    ],
)
def test_invalid_invitations_are_refused_with_every_value_kept(app, admin, change, field, message):
    data = {**INVITE, **change}
    response = _post(admin, "/en/council/users/new", data, form_page="/en/council/users/new")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    block = re.search(rf'(?s)<(div|fieldset) class="field[^"]*field-invalid[^"]*" id="field-{field}">.*?class="field-error"[^>]*>([^<]*)<', html)
    assert block and block.group(2).strip() == message, html
    assert message in text_of_html(html.split('class="error-summary"')[1].split("</div>")[0])
    # what was typed is still there
    if data["email"]:
        assert f'value="{data["email"]}"' in html
    if data["name"].strip():
        assert f'value="{data["name"]}"' in html
    for slug in data["buildings"]:
        assert _checked(html, "buildings", slug)
    if data["role"] in ("council", "observer", "staff"):
        assert _checked(html, "role", data["role"])
    assert _checked(html, "locale", "en")
    assert not _user(app, "li.na@example.com") and not _mails(app, "li.na@example.com")


def test_invalid_invitation_in_chinese_keeps_the_page_in_chinese(app, client, demo):
    assert Auth(client).login("admin@example.com", lang="zh").status_code == 303
    response = _post(client, "/zh/council/users/new", {**INVITE, "email": "bad"}, form_page="/zh/council/users/new")
    assert response.status_code == 422
    text = text_of(response)
    assert tr(app, "zh", "Please correct the following") in text
    assert tr(app, "zh", "Enter a valid e-mail address.") in text and "请" in tr(app, "zh", "Please correct the following")


# --- edit -------------------------------------------------------------------------------


def test_edit_shows_the_account_and_changes_scope_with_an_audit_record(app, admin):
    council = _user(app, "council@example.com")
    page = admin.get(f"/en/council/users/{council['id']}")
    assert page.status_code == 200
    text = text_of(page)
    assert "council@example.com" in text and "Last sign-in" in text and "Never" in text and "Two-step sign-in" in text
    assert _checked(page.get_data(as_text=True), "buildings", "shanghai-tower")

    response = _post(admin, f"/en/council/users/{council['id']}",
                     {"name": "Council Member 楼事会委员", "role": "council", "buildings": ["jin-mao-tower", "swfc"], "department": ""},
                     form_page=f"/en/council/users/{council['id']}")
    assert response.status_code == 303 and response.location == f"/en/council/users/{council['id']}"
    assert _user(app, "council@example.com")["buildings"] == ["jin-mao-tower", "swfc"]
    (record,) = _audits(app, "user.update", council["id"])
    assert record.before["buildings"] == ["shanghai-tower"] and record.after["buildings"] == ["jin-mao-tower", "swfc"]
    assert record.actor_id == _user(app, "admin@example.com")["id"]
    after = admin.get(response.location)
    assert "Saved." in text_of(after)
    assert "buildings: shanghai-tower → jin-mao-tower, swfc" in text_of(after)  # the history

    # staff → department; the buildings go
    response = _post(admin, f"/en/council/users/{council['id']}",
                     {"name": "Now Staff", "role": "staff", "buildings": ["swfc"], "department": "market"},
                     form_page=f"/en/council/users/{council['id']}")
    assert response.status_code == 303
    changed = _user(app, "council@example.com")
    assert changed["role"] == "staff" and changed["department"] == "market" and changed["buildings"] == [] and changed["name"] == "Now Staff"


def test_invalid_edit_is_refused_and_nothing_is_saved(app, admin):
    staff = _user(app, "staff@example.com")
    url = f"/en/council/users/{staff['id']}"
    response = _post(admin, url, {"name": "Renamed", "role": "council", "buildings": [], "department": "market"}, form_page=url)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Council members and observers need at least one building." in text_of(response)
    assert 'value="Renamed"' in html and _checked(html, "role", "council")
    assert _user(app, "staff@example.com") == staff and not _audits(app, "user.update", staff["id"])
    assert admin.get("/en/council/users/999999").status_code == 404


def test_the_last_admin_cannot_stop_being_one(app, admin):
    me = _user(app, "admin@example.com")
    url = f"/en/council/users/{me['id']}"
    response = _post(admin, url, {"name": "Me", "role": "council", "buildings": ["swfc"], "department": ""}, form_page=url)
    assert response.status_code == 422
    message = "This is the last active administrator; make someone else an administrator first."
    assert message in text_of(response)
    assert _user(app, "admin@example.com") == me and not _audits(app, "user.update", me["id"])

    # with a second administrator the first may step down (and leaves the admin pages)
    _make(app, "admin2@example.com", "admin", buildings=(), name="Second Admin")
    response = _post(admin, url, {"name": "Me", "role": "council", "buildings": ["swfc"], "department": ""}, form_page=url)
    assert response.status_code == 303 and response.location == "/en/council/"
    assert _user(app, "admin@example.com")["role"] == "council"
    assert admin.get("/en/council/users/").status_code == 403


# --- deactivate, reactivate ----------------------------------------------------------------


def test_deactivation_signs_the_person_out_at_once_and_blocks_sign_in(app, admin):
    council = _user(app, "council@example.com")
    theirs = app.test_client()
    assert Auth(theirs).login("council@example.com", lang="en").status_code == 303
    assert theirs.get("/en/council/").status_code == 200

    confirm = admin.get(f"/en/council/users/{council['id']}/deactivate")
    assert confirm.status_code == 200
    assert "is signed out at once, on every device" in text_of(confirm)
    response = _post(admin, f"/en/council/users/{council['id']}/deactivate", form_page=confirm.request.path)
    assert response.status_code == 303 and response.location == f"/en/council/users/{council['id']}"
    assert "Council Member 楼事会委员 is deactivated and was signed out everywhere." in text_of(admin.get(response.location))
    assert not _user(app, "council@example.com")["active"]
    assert len(_audits(app, "user.deactivate", council["id"])) == 1

    nxt = theirs.get("/en/council/")
    assert nxt.status_code == 302 and "/en/login" in nxt.location
    assert Auth(app.test_client()).login("council@example.com", lang="en").status_code != 303
    assert "council@example.com" not in _listed(admin.get("/en/council/users/?status=active"))
    assert "council@example.com" in _listed(admin.get("/en/council/users/?status=deactivated"))
    # the confirmation of someone already deactivated goes back to their page
    assert admin.get(f"/en/council/users/{council['id']}/deactivate").status_code == 303

    # reactivate: they can sign in again with their password
    page = admin.get(f"/en/council/users/{council['id']}")
    assert "Reactivate" in text_of(page)
    response = _post(admin, f"/en/council/users/{council['id']}/reactivate", form_page=f"/en/council/users/{council['id']}")
    assert response.status_code == 303
    assert "can sign in again" in text_of(admin.get(response.location))
    assert _user(app, "council@example.com")["active"] and len(_audits(app, "user.reactivate", council["id"])) == 1
    assert Auth(app.test_client()).login("council@example.com", lang="en").status_code == 303


def test_you_cannot_deactivate_yourself(app, admin):
    me = _user(app, "admin@example.com")
    page = admin.get(f"/en/council/users/{me['id']}")
    assert "You cannot deactivate your own account." in text_of(page)
    assert f"/en/council/users/{me['id']}/deactivate" not in page.get_data(as_text=True)
    response = _post(admin, f"/en/council/users/{me['id']}/deactivate")
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in text_of(response)
    assert _user(app, "admin@example.com")["active"] and not _audits(app, "user.deactivate", me["id"])
    assert admin.get("/en/council/").status_code == 200  # still signed in


def test_refusals_are_translated(app, client, demo):
    assert Auth(client).login("admin@example.com", lang="zh").status_code == 303
    me = _user(app, "admin@example.com")
    response = _post(client, f"/zh/council/users/{me['id']}/deactivate", form_page="/zh/council/")
    assert response.status_code == 422
    assert tr(app, "zh", "You cannot deactivate your own account.") in text_of(response)


# --- links and two-step sign-in ------------------------------------------------------------


def test_send_a_password_link_or_the_invitation_again(app, admin):
    council = _user(app, "council@example.com")
    response = _post(admin, f"/en/council/users/{council['id']}/send-reset")
    assert response.status_code == 303
    assert "A link to set a new password was sent to council@example.com." in text_of(admin.get(response.location))
    (mail,) = _mails(app, "council@example.com")
    assert mail.kind == "auth.reset" and "/password/" in mail.body_text
    assert len(_audits(app, "user.send_reset", council["id"])) == 1

    invited = _make(app, "invited@example.com", invited=True)
    response = _post(admin, f"/en/council/users/{invited}/send-reset")
    assert response.status_code == 303
    assert "A new invitation was sent to invited@example.com." in text_of(admin.get(response.location))
    assert [m.kind for m in _mails(app, "invited@example.com")] == ["auth.invite"]

    gone = _make(app, "gone@example.com", active=False)
    response = _post(admin, f"/en/council/users/{gone}/send-reset")
    assert response.status_code == 422 and "Reactivate the account first." in text_of(response)
    assert not _mails(app, "gone@example.com")


def test_reset_two_step_sign_in(app, admin):
    from app.auth.totp import enroll_for_demo

    other = _make(app, "admin2@example.com", "admin", buildings=(), name="Second Admin")
    with app.app_context():
        enroll_for_demo(db.session.get(User, other))
        db.session.commit()
        db.session.remove()
    page = admin.get(f"/en/council/users/{other}")
    assert "Reset two-step sign-in" in text_of(page)
    response = _post(admin, f"/en/council/users/{other}/reset-two-step", form_page=f"/en/council/users/{other}")
    assert response.status_code == 303
    assert "Two-step sign-in was reset" in text_of(admin.get(response.location))
    assert not _user(app, "admin2@example.com")["totp"]
    assert len(_audits(app, "user.reset_two_step", other)) == 1
    assert [m.kind for m in _mails(app, "admin2@example.com")] == ["auth.security.totp_off"]
    assert "Reset two-step sign-in" not in text_of(admin.get(f"/en/council/users/{other}"))

    again = _post(admin, f"/en/council/users/{other}/reset-two-step")
    assert again.status_code == 303 and "nothing changed" in text_of(admin.get(again.location))
    assert len(_audits(app, "user.reset_two_step", other)) == 1


# --- the council team ------------------------------------------------------------------------


def test_council_member_sees_the_accounts_of_their_buildings_councils(app, client, demo):
    _make(app, "colleague@example.com", name="Tower Colleague")
    _make(app, "elsewhere@example.com", name="Jin Mao Member", buildings=("jin-mao-tower",))
    _make(app, "gone@example.com", name="Gone Member", active=False)
    assert Auth(client).login("council@example.com", lang="en").status_code == 303
    response = client.get("/en/council/users/team")
    assert response.status_code == 200
    text = text_of(response)
    assert "Shanghai Tower" in text and "Jin Mao Tower" not in text
    assert "Tower Colleague" in text and "colleague@example.com" in text
    assert "Council Member 楼事会委员 (you)" in text and "council@example.com" in text
    assert "Jin Mao Member" not in text and "Gone Member" not in text
    assert "observer@example.com" not in text and "admin@example.com" not in text  # not council accounts
    assert client.get("/en/council/users/").status_code == 403


def test_observer_sees_each_of_their_buildings_and_admin_picks_one(app, client, demo):
    _make(app, "elsewhere@example.com", name="Jin Mao Member", buildings=("jin-mao-tower",))
    assert Auth(client).login("observer@example.com", lang="en").status_code == 303
    sections = _team_sections(client.get("/en/council/users/team"))
    assert set(sections) == {"jin-mao-tower", "shanghai-tower"}
    assert "Jin Mao Member" in sections["jin-mao-tower"] and "Council Member 楼事会委员" not in sections["jin-mao-tower"]
    assert "Council Member 楼事会委员" in sections["shanghai-tower"] and "Jin Mao Member" not in sections["shanghai-tower"]

    admin = app.test_client()
    assert Auth(admin).login("admin@example.com", lang="en").status_code == 303
    prompt = admin.get("/en/council/users/team")
    assert prompt.status_code == 200 and "Choose a building to see its council's accounts." in text_of(prompt)
    chosen = admin.get("/en/council/users/team?building=jin-mao-tower")
    assert "Jin Mao Member" in text_of(chosen) and "council@example.com" not in text_of(chosen)
    fragment = admin.get("/en/council/users/team?building=shanghai-tower", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="team">') and "council@example.com" in text_of(fragment)


def _team_sections(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    return {slug: text_of_html(body) for slug, body in re.findall(r'(?s)<section aria-labelledby="team-([a-z0-9-]+)".*?>(.*?)</section>', html)}


def test_team_page_in_chinese(app, client, demo):
    assert Auth(client).login("council@example.com", lang="zh").status_code == 303
    text = text_of(client.get("/zh/council/users/team"))
    assert "上海中心大厦" in text and tr(app, "zh", "Email") in text and tr(app, "zh", "Role") in text


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["council@example.com", "staff@example.com", "observer@example.com"])
def test_only_admins_administer_users(app, client, demo, email):
    target = _user(app, "council@example.com")["id"]
    assert Auth(client).login(email, lang="en").status_code == 303
    for url in ("/en/council/users/", "/en/council/users/new", f"/en/council/users/{target}",
                f"/en/council/users/{target}/deactivate"):
        assert client.get(url).status_code == 403, url
    for action in ("", "/deactivate", "/reactivate", "/send-reset", "/reset-two-step"):
        assert _post(client, f"/en/council/users/{target}{action}", {"name": "x", "role": "admin"}).status_code == 403, action
    assert _post(client, "/en/council/users/new", INVITE).status_code == 403
    assert _user(app, "council@example.com")["active"] and not _user(app, "li.na@example.com")
    assert client.get("/en/council/users/team").status_code == (403 if email == "staff@example.com" else 200)


def test_anonymous_visitors_are_sent_to_sign_in(client, demo):
    for url in ("/en/council/users/", "/en/council/users/team", "/zh/council/users/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_list_in_chinese(app, client, demo):
    assert Auth(client).login("admin@example.com", lang="zh").status_code == 303
    response = client.get("/zh/council/users/")
    assert response.status_code == 200
    text = text_of(response)
    for msgid in ("All buildings", "All departments", "Filter", "Status", "Email", "Role"):
        assert tr(app, "zh", msgid) in text, msgid
    assert tr(app, "zh", "All buildings") != "All buildings"  # a real translation, not the msgid
    assert "上海中心大厦" in text
