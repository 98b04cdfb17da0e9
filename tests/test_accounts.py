"""Two-step sign-in (TOTP + recovery codes), one-time password links, "forgot password",
password changes and preferences: what a staff member meets, in both languages."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from app.auth.models import AccountToken, RecoveryCode, User
from app.core.mail import OutboxMail, produce_pending
from app.core.models import AuditLog
from app.extensions import db
from tests.conftest import DEMO_PASSWORD, Auth, csrf_from, text_of, totp_code
from tests.test_mail import smtp  # noqa: F401  (a real SMTP server, aiosmtpd)

NEW_PASSWORD = "lantern-orchard-ferry-42"


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _post(client, url, data, page_url=None):
    page = client.get(page_url or url)
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data})


def _mails(app, kind_prefix="auth."):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind.startswith(kind_prefix)).order_by(OutboxMail.id)).all()


def _actions(app):
    with app.app_context():
        return [a.action for a in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]


# --- the second step -------------------------------------------------------------------


def test_admin_needs_a_code_after_the_password(app, client, demo, auth):
    response = auth.login("admin@example.com", lang="en", second_step=False)
    assert response.status_code == 303 and response.location == "/en/login/two-step"
    # the password alone gives no workspace
    assert client.get("/en/council/").status_code == 302
    page = client.get("/en/login/two-step")
    assert page.status_code == 200 and "Enter the 6-digit code" in text_of(page)
    assert page.headers["Cache-Control"] == "no-store"
    wrong = _post(client, "/en/login/two-step", {"code": "000000"})
    assert wrong.status_code == 422
    assert "That code is not correct or has already been used." in text_of(wrong)
    right = _post(client, "/en/login/two-step", {"code": totp_code(app, "admin@example.com")})
    assert right.status_code == 303 and right.location == "/en/council/"
    assert "Council workspace" in text_of(client.get("/en/council/"))
    actions = _actions(app)
    assert "auth.two_step_failed" in actions and "auth.login" in actions
    with app.app_context():
        login = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "auth.login"))
        assert login.after == {"two_step": True}


def test_the_second_step_in_chinese_and_codes_typed_with_spaces_or_full_width(app, client, demo, auth):
    auth.login("admin@example.com", lang="zh", second_step=False)
    page = client.get("/zh/login/two-step")
    assert "两步登录" in text_of(page) and "恢复码" in text_of(page)
    code = totp_code(app, "admin@example.com")
    typed = " ".join([code[:3], code[3:]]).translate({0x30 + i: 0xFF10 + i for i in range(10)})  # "１２３ ４５６"
    response = _post(client, "/zh/login/two-step", {"code": typed})
    assert response.status_code == 303 and response.location == "/zh/council/"


def test_a_code_works_only_once(app, client, demo, auth):
    code = totp_code(app, "admin@example.com")
    auth.login("admin@example.com", lang="en", second_step=False)
    assert _post(client, "/en/login/two-step", {"code": code}).status_code == 303
    auth.logout("en")
    # a replay of the same code, e.g. seen over a shoulder, within its 30 seconds
    auth.login("admin@example.com", lang="en", second_step=False)
    replay = _post(client, "/en/login/two-step", {"code": code})
    assert replay.status_code == 422 and "already been used" in text_of(replay)


def test_wrong_codes_are_rate_limited_per_account(app, client, demo, auth):
    auth.login("admin@example.com", lang="en", second_step=False)
    for _ in range(5):
        assert _post(client, "/en/login/two-step", {"code": "123456"}).status_code == 422
    blocked = _post(client, "/en/login/two-step", {"code": totp_code(app, "admin@example.com")})
    assert blocked.status_code == 429
    # starting again from the password does not reset the count
    other = app.test_client()
    Auth(other).login("admin@example.com", lang="en", second_step=False)
    assert _post(other, "/en/login/two-step", {"code": totp_code(app, "admin@example.com")}).status_code == 429


def test_a_recovery_code_signs_in_once(app, client, demo, auth):
    from app.auth.totp import regenerate_recovery_codes

    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        codes = regenerate_recovery_codes(admin)
        db.session.commit()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    auth.login("admin@example.com", lang="en", second_step=False)
    assert _post(client, "/en/login/two-step", {"code": codes[0].upper()}).status_code == 303
    auth.logout("en")
    auth.login("admin@example.com", lang="en", second_step=False)
    again = _post(client, "/en/login/two-step", {"code": codes[0]})
    assert again.status_code == 422
    with app.app_context():
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert codes[1] not in stored and all(len(h) == 64 for h in stored)  # only hashes are kept
    assert "auth.recovery_code_used" in _actions(app)


def test_the_pending_second_step_expires(app, client, demo, auth):
    auth.login("admin@example.com", lang="en", second_step=False)
    with client.session_transaction() as sess:
        sess["two_step"] = dict(sess["two_step"], at=sess["two_step"]["at"] - 301)
    response = client.get("/en/login/two-step")
    assert response.status_code == 303 and response.location == "/en/login"
    assert "Your sign-in has expired" in text_of(client.get("/en/login"))


def test_second_step_without_a_password_first_goes_back_to_sign_in(client, demo):
    response = client.get("/zh/login/two-step")
    assert response.status_code == 303 and response.location == "/zh/login"


# --- setting two-step sign-in up ----------------------------------------------------------


def _new_admin(app, email="second-admin@example.com"):
    from app.auth.services import create_user

    with app.app_context():
        create_user(email, DEMO_PASSWORD, "admin", name="Second Admin")
        db.session.commit()


def test_an_admin_without_two_step_must_set_it_up_before_anything_else(app, client, demo, auth):
    _new_admin(app)
    response = auth.login("second-admin@example.com", lang="en")
    assert response.status_code == 303 and response.location == "/en/council/account/two-step"
    # every workspace page leads to the set-up until it is done
    for url in ("/en/council/", "/en/council/requests/", "/en/council/account/"):
        blocked = client.get(url)
        assert blocked.status_code == 303 and blocked.location == "/en/council/account/two-step", url
    page = client.get("/en/council/account/two-step")
    text = text_of(page)
    assert "Set up two-step sign-in" in text and "Your role requires two-step sign-in" in text
    html = page.get_data(as_text=True)
    assert '<svg role="img"' in html and page.headers["Cache-Control"] == "private, no-store"  # an account page (issue 16, item 3)
    key = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    # a wrong code keeps the same key, so the app need not be set up again
    wrong = _post(client, "/en/council/account/two-step", {"code": "000000"})
    assert wrong.status_code == 422 and "That code is not correct" in text_of(wrong)
    assert key in wrong.get_data(as_text=True).replace(" ", "")
    done = _post(client, "/en/council/account/two-step", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "private, no-store"
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and "They are shown only now." in text_of(done)
    assert client.get("/en/council/").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "second-admin@example.com"))
        assert user.totp_enabled and user.totp_secret == key
    assert [m.kind for m in _mails(app)] == ["auth.security.totp_on"]
    assert "auth.two_step_on" in _actions(app)


def test_a_council_member_turns_two_step_on_and_off_with_their_password(app, client, demo, auth):
    auth.login("council@example.com", lang="zh")
    page = client.get("/zh/council/account/two-step")
    assert "设置两步登录" in text_of(page) and "您的角色必须使用两步登录" not in text_of(page)
    key = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page.get_data(as_text=True)).group(1).replace(" ", "")
    assert _post(client, "/zh/council/account/two-step", {"code": pyotp.TOTP(key).now()}).status_code == 200
    manage = client.get("/zh/council/account/two-step")
    assert "两步登录已开启。您还有 10 个未使用的恢复码。" in text_of(manage)
    # turning it off needs the password
    wrong = _post(client, "/zh/council/account/two-step/off", {"off-password": "not-my-password"}, "/zh/council/account/two-step")
    assert wrong.status_code == 422 and "密码不正确。" in text_of(wrong)
    off = _post(client, "/zh/council/account/two-step/off", {"off-password": DEMO_PASSWORD}, "/zh/council/account/two-step")
    assert off.status_code == 303
    assert "两步登录已关闭。" in text_of(client.get(off.location))
    assert [m.kind for m in _mails(app)] == ["auth.security.totp_on", "auth.security.totp_off"]


def test_admins_cannot_turn_two_step_off(app, client, demo, auth):
    auth.login("admin@example.com", lang="en")
    page = client.get("/en/council/account/two-step")
    assert "it cannot be turned off" in text_of(page) and "Turn off two-step sign-in" not in text_of(page)
    response = _post(client, "/en/council/account/two-step/off", {"off-password": DEMO_PASSWORD}, "/en/council/account/two-step")
    assert response.status_code == 303
    assert _user(app, "admin@example.com").totp_enabled


def test_new_recovery_codes_replace_the_old_ones(app, client, demo, auth):
    from app.auth.totp import regenerate_recovery_codes

    with app.app_context():
        old = regenerate_recovery_codes(db.session.scalar(sa.select(User).where(User.email == "admin@example.com")))
        db.session.commit()
    auth.login("admin@example.com", lang="en")
    response = _post(client, "/en/council/account/two-step/recovery-codes", {"codes-password": DEMO_PASSWORD}, "/en/council/account/two-step")
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout("en")
    auth.login("admin@example.com", lang="en", second_step=False)
    assert _post(client, "/en/login/two-step", {"code": old[0]}).status_code == 422
    assert _post(client, "/en/login/two-step", {"code": new[0]}).status_code == 303


# --- forgot password, one-time links --------------------------------------------------------


def test_forgot_password_says_the_same_for_known_and_unknown_addresses(app, client, demo):
    answers = []
    for email in ("council@example.com", "nobody@example.com"):
        response = _post(client, "/en/login/forgot", {"email": email})
        assert response.status_code == 200
        answers.append(text_of(response).replace(email, "EMAIL"))
    assert answers[0] == answers[1] and "If EMAIL belongs to an active staff account" in answers[0]
    mails = _mails(app)
    assert [(m.to_addr, m.kind) for m in mails] == [("council@example.com", "auth.reset")]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, demo, auth, smtp):  # noqa: F811
    other = app.test_client()
    Auth(other).login("council@example.com", lang="zh")
    assert other.get("/zh/council/").status_code == 200
    _post(client, "/zh/login/forgot", {"email": "council@example.com"})
    message = smtp.messages()[-1]
    assert message["Subject"] == "设置新的楼事通密码"
    link = re.search(r"http://localhost(/zh/password/[A-Za-z0-9_-]+)", message.get_content()).group(1)
    page = client.get(link)
    assert "设置密码" in text_of(page) and page.headers["Referrer-Policy"] == "no-referrer"
    # weak and mismatched passwords are refused with the reason, nothing saved
    weak = _post(client, link, {"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422 and "这个密码太容易被猜到" in text_of(weak)
    short = _post(client, link, {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "请至少使用 12 个字符。" in text_of(short)
    mismatch = _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422 and "两次输入的密码不一致。" in text_of(mismatch)
    done = _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.location == "/zh/login"
    # the link is spent; the old password and the old session are gone
    spent = client.get(link)
    assert spent.status_code == 410 and "此链接已过期或已被使用。" in text_of(spent)
    assert other.get("/zh/council/").status_code == 302
    assert Auth(client).login("council@example.com", DEMO_PASSWORD).status_code == 422
    assert Auth(client).login("council@example.com", NEW_PASSWORD).status_code == 303
    assert "auth.password_reset" in _actions(app)
    kinds = [m.kind for m in _mails(app)]
    assert kinds == ["auth.reset", "auth.security.password"]


def test_an_expired_or_superseded_link_is_refused(app, client, demo):
    from app.auth.services import issue_token

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "staff@example.com"))
        first = issue_token(user, "reset")
        second = issue_token(user, "reset")
        db.session.commit()
    assert client.get(f"/en/password/{first}").status_code == 410  # only the latest link works
    assert client.get(f"/en/password/{second}").status_code == 200
    with app.app_context():
        for token in db.session.scalars(sa.select(AccountToken)):
            token.expires_at = token.expires_at - timedelta(hours=3)
        db.session.commit()
    expired = _post(client, f"/en/password/{second}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "/en/login")
    assert expired.status_code == 410 and "This link has expired or has already been used." in text_of(expired)
    assert client.get("/en/password/not-a-token").status_code == 410


def test_an_invited_person_sets_a_first_password(app, client, demo):
    from app.auth.services import invite_user
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        invite_user("new.member@example.com", "council", name="新委员", buildings=[tower], locale="en")
        db.session.commit()
    mail = _mails(app)[-1]
    assert mail.kind == "auth.invite" and mail.subject == "You are invited to the Loushi council workspace"
    link = re.search(r"http://\S+(/en/password/\S+)", mail.body_text).group(1)
    # no password yet: signing in is refused with the usual message
    assert Auth(client).login("new.member@example.com", "anything-at-all-123").status_code == 422
    page = client.get(link)
    assert "Welcome to the Loushi council workspace" in text_of(page)
    assert _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert Auth(client).login("new.member@example.com", NEW_PASSWORD, lang="en").location == "/en/council/"


# --- password change and preferences ----------------------------------------------------------


def test_changing_the_password_signs_out_other_devices_but_not_this_one(app, client, demo, auth):
    other = app.test_client()
    Auth(other).login("staff@example.com", lang="en")
    auth.login("staff@example.com", lang="en")
    url = "/en/council/account/password"
    wrong = _post(client, url, {"current": "nope-nope-nope", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "The current password is not correct." in text_of(wrong)
    weak = _post(client, url, {"current": DEMO_PASSWORD, "password": "staff@example.com", "confirm": "staff@example.com"})
    assert weak.status_code == 422 and "too easy to guess" in text_of(weak)
    done = _post(client, url, {"current": DEMO_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert "Your password is changed." in text_of(client.get(done.location))
    assert client.get("/en/council/").status_code == 200  # this browser goes on
    assert other.get("/en/council/").status_code == 302  # the other one is signed out
    assert [m.kind for m in _mails(app)] == ["auth.security.password"]
    assert "auth.password_change" in _actions(app)


def test_preferences_choose_the_language_and_which_mails_arrive(app, client, demo, auth):
    auth.login("staff@example.com", lang="zh")
    page = client.get("/zh/council/account/")
    assert "偏好设置" in text_of(page) and "我负责范围内有新诉求时发邮件通知我" in text_of(page)
    response = _post(client, "/zh/council/account/preferences", {"locale": "en", "notify_updates": "y"}, "/zh/council/account/")
    assert response.status_code == 303 and response.location.startswith("/en/council/account/")
    bad = _post(client, "/en/council/account/preferences", {"locale": "fr"}, "/en/council/account/")
    assert bad.status_code == 422 and "Not a valid choice" in text_of(bad)
    # WTForms' own messages follow the page's language (its catalogue is cached per language)
    bad_zh = _post(client, "/zh/council/account/preferences", {"locale": "fr"}, "/zh/council/account/")
    assert bad_zh.status_code == 422 and "不是有效的选择" in text_of(bad_zh) and "Not a valid choice" not in text_of(bad_zh)
    user = _user(app, "staff@example.com")
    assert (user.locale, user.notify_new, user.notify_updates) == ("en", False, True)
    # a new request for the market department no longer mails this person
    from app.intake.services import submit_request
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        from app.guide.models import GuideEntry
        from app.org.models import Department

        market = db.session.scalar(sa.select(Department).where(Department.code == "market"))
        entry = GuideEntry(slug="pref-entry", department=market, category="market", audience="enterprise", status="active",
                           title_zh="测试事项", summary_zh="测试", is_free=True)
        db.session.add(entry)
        db.session.commit()
        submit_request({"entry": entry, "building": tower, "company_name": "偏好公司", "contact_name": "测试",
                        "phone": "13812345678", "description": "通知偏好测试用的诉求。"}, [], "pref-request-key-000000000")
        assert produce_pending() == 0  # the filing queued the new request's notices itself
        to = db.session.scalars(sa.select(OutboxMail.to_addr).where(OutboxMail.kind.like("staff.%"))).all()
    assert "staff@example.com" not in to and "council@example.com" in to
    assert "account.preferences" in _actions(app)


@pytest.mark.parametrize("lang, heading", [("zh", "我的账户"), ("en", "Your account")])
def test_account_page_in_both_languages(client, demo, auth, lang, heading):
    auth.login("observer@example.com", lang=lang)
    page = client.get(f"/{lang}/council/account/")
    text = text_of(page)
    assert heading in text and "observer@example.com" in text
    assert ("观察员（只读）" if lang == "zh" else "Observer (read-only)") in text


def test_keep_me_signed_in_is_honoured_after_the_second_step(app, client, demo, auth):
    first = auth.login("admin@example.com", lang="en", second_step=False, remember="y")
    assert not any(c.startswith("remember_token=") for c in first.headers.getlist("Set-Cookie"))
    page = client.get("/en/login/two-step")
    response = client.post("/en/login/two-step", data={"code": totp_code(app, "admin@example.com"), "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))
