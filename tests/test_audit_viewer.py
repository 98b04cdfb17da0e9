"""The audit viewer (/<lang>/council/audit/): who sees what, every filter, bad input, the
CSV export, and staff actions done through the UI showing up with actor, time and target.

Assertions are on what a person sees (``text_of``).  Strings new with the viewer are not in
the Chinese catalogue yet (they are in /tmp/tr/audit.json until merged), so Chinese pages
are checked with texts the catalogue already has (table headings, the back link, data) and
the new labels through ``tr``, which reads the catalogue as it is: those asserts hold before
and after the merge.  The few asserts that need the merged catalogue are marked
``# after merge``."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.models import AuditLog
from app.extensions import db
from app.guide.models import GuideEntry
from app.intake.models import ServiceRequest
from app.org.models import Building, Department
from app.wall.models import Wish
from tests.conftest import csrf_from, text_of

PHONE, MASKED = "13812345678", "138****5678"
URL = "/{lang}/council/audit/"


def tr(app, lang: str, text, **params) -> str:
    """``text`` as the app shows it in ``lang`` right now (see the module docstring)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return gettext(text, **params) if isinstance(text, str) else str(text)


def shown_time(app, lang: str, moment: datetime) -> str:
    from flask_babel import force_locale, format_datetime

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return re.sub(r"\s+", " ", format_datetime(moment, "medium"))  # as text_of folds spaces


def count_text(app, lang: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return ngettext("%(num)d record", "%(num)d records", num)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# --- the world: two buildings, a request, wishes, records ----------------------------------


def _get(model, **where):
    return db.session.scalar(sa.select(model).filter_by(**where))


@pytest.fixture
def world(app, demo):
    """A market request and a wish in shanghai-tower (the council member's building), a
    wish in jin-mao-tower, and audit records in both buildings and in none, at known
    times.  Returns ids and names (plain values)."""
    from app.guide.services import create_entry
    from app.intake.services import submit_request
    from app.wall.services import post_wish

    with app.app_context():
        market = _get(Department, code="market")
        tower, jinmao = _get(Building, slug="shanghai-tower"), _get(Building, slug="jin-mao-tower")
        admin, council, staff = (_get(User, email=f"{r}@example.com") for r in ("admin", "council", "staff"))
        entry = create_entry({"slug": "audit-market-entry", "department": market, "category": "market", "audience": "enterprise",
                              "status": "active", "title_zh": "食品经营许可", "title_en": "Food business licence",
                              "summary_zh": "测试", "is_free": True})
        req = submit_request({"entry": entry, "building": tower, "company_name": "审计测试公司", "contact_name": "张三",
                              "phone": PHONE, "description": "审计查看器测试用的诉求。"}, [], "audit-viewer-key-000000001").request
        other = submit_request({"entry": entry, "building": jinmao, "company_name": "金茂测试公司", "contact_name": "李四",
                                "phone": "13900001111", "description": "金茂大厦的诉求。"}, [], "audit-viewer-key-000000002").request
        wish_sh, _t = post_wish(tower, "希望大堂增加饮水机。", "", "", "zh")
        wish_jm, _t = post_wish(jinmao, "希望增加共享单车停放点。", "", "", "zh")
        db.session.flush()
        db.session.execute(sa.delete(AuditLog))  # only the records below (the demo's are at "now")

        def at(moment, action, target=None, actor=None, **kw):
            entry = audit.record(action, target, actor=actor, **kw)
            entry.created_at = moment
            return entry

        # shanghai-tower (building taken from the target: none is given)
        at(utc(2026, 3, 1, 15, 30), "request.assign", req, staff, before={"department_id": None}, after={"department_id": market.id})
        at(utc(2026, 3, 1, 16, 30), "request.transfer", req, council, before={"department_id": market.id}, after={"department_id": market.id, "reason": "=SUM(A1)"})
        at(utc(2026, 3, 5, 2), "board.export", tower, council, after={"format": "csv"})
        at(utc(2026, 3, 7, 2), "wish.auto_hide", target_type="wish", target_id=wish_sh.id, after={"reports": 3}, building_id=tower.id)
        # jin-mao-tower
        at(utc(2026, 3, 3, 2), "wish.hide", wish_jm, admin, before={"status": "approved"}, after={"status": "hidden"})
        at(utc(2026, 3, 4, 2), "board.export", jinmao, admin, after={"format": "xlsx"})
        at(utc(2026, 3, 4, 3), "request.stage", other, admin, before={"stage": "received"}, after={"stage": "assigned"})
        # no building: accounts
        at(utc(2026, 3, 6, 2), "user.update", council, admin, before={"role": "council"}, after={"role": "council", "name": "楼长"})
        db.session.commit()
        data = {
            "tracking_no": req.tracking_no, "other_no": other.tracking_no, "request_id": req.id,
            "wish_sh": wish_sh.id, "wish_jm": wish_jm.id, "tower_id": tower.id, "jinmao_id": jinmao.id,
            "tower_en": tower.name_en, "tower_zh": tower.name_zh, "jinmao_en": jinmao.name_en, "jinmao_zh": jinmao.name_zh,
            "staff_id": staff.id, "council_id": council.id, "admin_id": admin.id,
        }
        db.session.remove()
    return data


SH_LABELS = ("Assigned a request to a department", "Transferred a request", "Wish hidden after reports")
JM_LABELS = ("Hid a wish", "Changed a request's stage")


def view(client, lang="en", **params):
    response = client.get(URL.format(lang=lang), query_string=params)
    assert response.status_code == 200, response.status_code
    return response


def records_shown(app, client, lang="en", **params) -> int:
    """How many records the page says it found, in its own words ("8 records")."""
    html = view(client, lang, **params).get_data(as_text=True)
    said = re.search(r'class="result-count[^"]*" role="status">\s*<span>([^<]*)</span>', html).group(1).strip()
    return next(num for num in range(0, 500) if count_text(app, lang, num) == said)


def results(client, lang="en", **params) -> str:
    """The visible text of the results alone (what htmx swaps in), without the form."""
    response = client.get(URL.format(lang=lang), query_string=params, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return text_of(response)


def rows_of(client, **params) -> int:
    return view(client, **params).get_data(as_text=True).count('<tr id="audit-')


# --- who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_admin_sees_every_record(app, client, auth, world, lang):
    assert auth.login("admin@example.com", lang=lang).status_code == 303
    response = view(client, lang)
    text = results(client, lang)
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
    for label in (*SH_LABELS, *JM_LABELS, "Changed a person's role or scope", "Exported a building's board"):
        assert tr(app, lang, label) in text
    for code in ("request.assign", "request.transfer", "wish.hide", "user.update", "board.export", "wish.auto_hide"):
        assert code in text
    name = "tower_zh" if lang == "zh" else "tower_en"
    other = "jinmao_zh" if lang == "zh" else "jinmao_en"
    assert world[name] in text and world[other] in text
    assert world["tracking_no"] in text and world["other_no"] in text
    assert "council@example.com" in text and "staff@example.com" in text and "admin@example.com" in text
    assert tr(app, lang, "system") in text  # the automatic hide
    assert tr(app, lang, "Audit log") in text_of(response)
    if lang == "zh":  # texts the Chinese catalogue already had
        assert "← 楼事会工作台" in text_of(response) and "时间" in text and "操作人" in text and "操作" in text and "对象" in text
    # newest first: the account change (6 March) comes before the first record (1 March)
    assert text.index(tr(app, lang, "Changed a person's role or scope")) < text.index(tr(app, lang, "Assigned a request to a department"))
    assert tr(app, lang, "Signed in") in text  # the admin's own sign-in, just now
    assert records_shown(app, client, lang) == 9


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_council_member_sees_only_their_buildings(app, client, auth, world, lang):
    assert auth.login("council@example.com", lang=lang).status_code == 303
    page = text_of(view(client, lang))
    text = results(client, lang)
    for label in SH_LABELS:
        assert tr(app, lang, label) in text
    for label in (*JM_LABELS, "Changed a person's role or scope", "Signed in"):
        assert tr(app, lang, label) not in text
    assert world["tracking_no"] in text and world["other_no"] not in text
    name, other = ("tower_zh", "jinmao_zh") if lang == "zh" else ("tower_en", "jinmao_en")
    assert world[name] in text and world[other] not in text
    # the people select lists only those who acted in the council member's buildings
    assert "staff@example.com" in page and "admin@example.com" not in page
    # the admin-only groups and quick filters are not offered
    assert "user.*" not in page and "auth.*" not in page and "request.*" in page
    assert tr(app, lang, "Accounts") not in page and tr(app, lang, "Personal data views") in page
    assert records_shown(app, client, lang) == 4


def test_council_member_cannot_reach_other_buildings_by_filtering(app, client, auth, world):
    auth.login("council@example.com", lang="en")
    assert records_shown(app, client, target_type="wish", target_id=str(world["wish_jm"])) == 0
    assert records_shown(app, client, target_id=world["other_no"]) == 0
    assert records_shown(app, client, actor="system") == 1  # the automatic hide only, no account records
    # an admin's shared link to an admin-only group finds nothing, without an error
    response = view(client, action="user.*")
    assert records_shown(app, client, action="user.*") == 0
    assert 'role="alert"' not in response.get_data(as_text=True)
    # someone who acted only elsewhere is not a choice
    assert tr(app, "en", "Choose a person from the list.") in results(client, actor=str(world["admin_id"]))
    csv_text = client.get("/en/council/audit/export.csv").get_data(as_text=True)
    assert "wish.hide" not in csv_text and "user.update" not in csv_text and "request.assign" in csv_text


@pytest.mark.parametrize("email", ["staff@example.com", "observer@example.com"])
def test_staff_and_observers_are_refused(client, auth, world, email):
    assert auth.login(email, lang="en").status_code == 303
    assert client.get("/en/council/audit/").status_code == 403
    assert client.get("/zh/council/audit/export.csv").status_code == 403


def test_anonymous_goes_to_sign_in(client, world):
    for url in ("/zh/council/audit/", "/en/council/audit/?action=wish.*", "/en/council/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


# --- filters -------------------------------------------------------------------------------


def test_each_filter_narrows_the_list(app, client, auth, world):
    auth.login("admin@example.com", lang="en")
    assert records_shown(app, client) == 9  # and the admin's own sign-in
    # a person, picked from the list
    assert records_shown(app, client, actor=str(world["staff_id"])) == 1
    text = results(client, actor=str(world["staff_id"]))
    assert "Assigned a request to a department" in text and "Transferred a request" not in text
    # records without a person
    assert records_shown(app, client, actor="system") == 1
    # part of an e-mail address, any case; LIKE wildcards are plain characters
    assert records_shown(app, client, email="COUNCIL@example") == 2
    assert records_shown(app, client, email="_") == 0 and records_shown(app, client, email="%") == 0
    # one action, and a group
    assert records_shown(app, client, action="board.export") == 2
    assert records_shown(app, client, action="request.*") == 3
    assert records_shown(app, client, action="wish.*") == 2
    assert records_shown(app, client, action="user.*") == 1
    # record type and number; a tracking number finds its request
    assert records_shown(app, client, target_type="building", target_id=str(world["tower_id"])) == 1
    assert records_shown(app, client, target_type="service_request") == 3
    assert records_shown(app, client, target_id=world["tracking_no"]) == 2
    assert records_shown(app, client, target_id=world["tracking_no"].lower()) == 2
    # calendar days in Shanghai: 1 March 15:30 UTC is 23:30 on the 1st, 16:30 UTC is 00:30 on the 2nd
    assert records_shown(app, client, date_from="2026-03-02", date_to="2026-03-02") == 1
    assert "Transferred a request" in results(client, date_from="2026-03-02", date_to="2026-03-02")
    assert records_shown(app, client, date_to="2026-03-01") == 1
    assert "Assigned a request to a department" in results(client, date_to="2026-03-01")
    assert records_shown(app, client, date_from="2026-03-06", date_to="2026-03-31") == 2  # account change, automatic hide
    # filters combine
    assert records_shown(app, client, action="board.export", email="council@") == 1
    assert records_shown(app, client, action="request.*", date_from="2026-03-02") == 2


def test_the_form_shows_the_filters_in_use(client, auth, world):
    auth.login("admin@example.com", lang="en")
    html = view(client, action="request.*", email="council", date_from="2026-03-01").get_data(as_text=True)
    assert '<option value="request.*" selected>' in html
    assert 'name="email" id="f-email" value="council"' in html
    assert 'value="2026-03-01"' in html
    # the export link carries the same filters
    assert "/en/council/audit/export.csv?" in html and "action=request.*" in html and "email=council" in html


def test_quick_filter_for_personal_data_views(app, client, auth, world):
    auth.login("admin@example.com", lang="en")
    html = view(client).get_data(as_text=True)
    assert 'href="/en/council/audit/?action=request.reveal_contact"' in html
    assert "Personal data views" in text_of(view(client))
    page = view(client, action="request.reveal_contact")
    assert 'aria-current="page" class="current">Personal data views' in page.get_data(as_text=True)
    assert "No audit records match these filters." in text_of(page)


def test_pages_of_fifty_newest_first(app, client, auth, world):
    with app.app_context():
        wish = db.session.get(Wish, world["wish_sh"])
        for i in range(55):
            entry = audit.record("wish.edit", wish, before={"text": f"old {i}"}, after={"text": f"new {i:02d}"})
            entry.created_at = utc(2026, 4, 1, 0, i)
        db.session.commit()
    auth.login("council@example.com", lang="en")
    assert records_shown(app, client) == 59
    first = view(client)
    assert first.get_data(as_text=True).count('<tr id="audit-') == 50
    assert "Page 1 of 2" in text_of(first) and "new 54" in text_of(first) and "new 05" in text_of(first)
    assert "new 04" not in text_of(first)
    assert 'href="/en/council/audit/?page=2"' in first.get_data(as_text=True)
    second = view(client, page="2")
    assert rows_of(client, page="2") == 9
    assert "Page 2 of 2" in text_of(second) and "new 04" in text_of(second) and "new 05" not in text_of(second)
    # a filtered page keeps its filter in the links
    assert 'href="/en/council/audit/?page=2&amp;action=wish.edit"' in view(client, action="wish.edit").get_data(as_text=True)


# --- bad input ----------------------------------------------------------------------------

LONG = "x" * 5000
BAD = [
    ({"date_from": "2026-13-45"}, "date_from", "Enter a real date as year-month-day, for example 2026-03-15."),
    ({"date_to": "yesterday"}, "date_to", "Enter a real date as year-month-day, for example 2026-03-15."),
    ({"date_from": "0001-01-01"}, "date_from", "Enter a date between 2000 and 2100."),
    ({"date_to": "9999-12-31"}, "date_to", "Enter a date between 2000 and 2100."),
    ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "The end date is before the start date."),
    ({"page": "-1"}, "page", "Page numbers are whole numbers from 1; showing the first page."),
    ({"page": "two"}, "page", "Page numbers are whole numbers from 1; showing the first page."),
    ({"page": "0"}, "page", "Page numbers are whole numbers from 1; showing the first page."),
    ({"page": "²"}, "page", "Page numbers are whole numbers from 1; showing the first page."),
    ({"page": "99999"}, "page", None),  # "There is no page 99999; …"
    ({"action": "no.such.action"}, "action", "This action is not known. Choose one from the list."),
    ({"action": LONG}, "action", "This action is not known. Choose one from the list."),
    ({"actor": "999999"}, "actor", "Choose a person from the list."),
    ({"actor": LONG}, "actor", "Choose a person from the list."),
    ({"email": LONG}, "email", None),  # "Use at most 254 characters."
    ({"target_type": "<script>alert(1)</script>"}, "target_type", "Choose a record type from the list."),
    ({"target_id": LONG}, "target_id", None),  # "Use at most 64 characters."
]


def _expected(app, lang, field, message, params):
    if message is not None:
        return tr(app, lang, message)
    if field == "page":
        return tr(app, lang, "There is no page %(page)d; showing the last page, %(pages)d.", page=99999, pages=1)
    return tr(app, lang, "Use at most %(max)d characters.", max=254 if field == "email" else 64)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("params", "field", "message"), BAD, ids=[f"{f}-{i}" for i, (_p, f, _m) in enumerate(BAD)])
def test_bad_input_is_set_aside_with_a_message(app, client, auth, world, lang, params, field, message):
    auth.login("admin@example.com", lang=lang)
    response = view(client, lang, **params)
    html, text = response.get_data(as_text=True), text_of(response)
    assert 'role="alert"' in html
    assert _expected(app, lang, field, message, params) in text
    assert LONG not in text and "<script>alert(1)</script>" not in html
    assert LONG not in html.split('<main id="main"')[1]  # (the header's language links echo the URL)
    # the bad value is ignored, the others still apply: the list is still there
    assert tr(app, lang, "Changed a person's role or scope") in text or field == "date_from" and "2026-03-05" in params.get("date_from", "")
    if lang == "zh":
        assert "← 楼事会工作台" in text
    # a partial update (htmx) carries the message too
    partial = client.get(URL.format(lang=lang), query_string=params, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and _expected(app, lang, field, message, params) in text_of(partial)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("params", [{"email": "a\x00b"}, {"target_id": "1\x00"}], ids=["email", "target_id"])
def test_a_nul_in_a_filter_is_refused_with_the_translated_page(app, client, auth, world, lang, params):
    """A NUL byte never reaches the query (issue 16: one guard for every route)."""
    response = client.get(URL.format(lang=lang), query_string=params)
    assert response.status_code == 400
    assert tr(app, lang, "The address or the form contained control characters (such as a NUL byte), which cannot "
              "be accepted. Please check what you typed or pasted.") in text_of(response)


def test_a_start_after_the_end_keeps_the_start(app, client, auth, world):
    auth.login("admin@example.com", lang="en")
    # the end date is set aside, the start date still applies (records from 5 March on)
    assert records_shown(app, client, date_from="2026-03-05", date_to="2026-03-01") == 4  # with the sign-in now


def test_the_bad_field_is_marked_for_screen_readers(client, auth, world):
    auth.login("admin@example.com", lang="en")
    html = view(client, date_from="2026-13-45").get_data(as_text=True)
    assert 'id="f-date_from" value="2026-13-45" min="2000-01-01" max="2100-12-31" aria-invalid="true" aria-describedby="f-date_from-error"' in html
    assert '<a href="#f-date_from">' in html


# --- htmx ---------------------------------------------------------------------------------


def test_htmx_gets_the_results_only_and_plain_get_the_page(client, auth, world):
    auth.login("council@example.com", lang="en")
    partial = client.get("/en/council/audit/?action=board.export", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    assert html.lstrip().startswith('<div id="audit-results"') and "<html" not in html and "<form" not in html
    assert "Exported a building's board" in text_of(partial) and "Transferred a request" not in text_of(partial)
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        full = client.get("/en/council/audit/?action=board.export", headers={"HX-Request": "true", **extra})
        assert "<html" in full.get_data(as_text=True)
    form = client.get("/en/council/audit/").get_data(as_text=True)
    assert 'action="/en/council/audit/" method="get"' in form
    assert 'data-hx-get="/en/council/audit/" data-hx-target="#audit-results" data-hx-swap="outerHTML" data-hx-push-url="true"' in form


# --- rows: targets, links, changes --------------------------------------------------------


def test_rows_link_to_the_staff_pages(app, client, auth, world):
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "audit-market-entry"))
        audit.record("guide.update", entry, actor=_get(User, email="admin@example.com"), before={"title_en": "Old"}, after={"title_en": "Food business licence"})
        db.session.commit()
    auth.login("admin@example.com", lang="en")
    html = view(client).get_data(as_text=True)
    assert f'href="/en/council/requests/{world["tracking_no"]}">{world["tracking_no"]}</a>' in html
    assert f'href="/en/council/wall/{world["wish_jm"]}">#{world["wish_jm"]}</a>' in html
    assert 'href="/en/council/guide/audit-market-entry/edit">Food business licence</a>' in html
    assert 'href="/en/council/boards/shanghai-tower/">' in html
    if "users.edit" in app.view_functions:  # the user administration pages exist
        with app.test_request_context("/en/council/audit/"):
            from app.council.audit import _user_edit_url

            app.preprocess_request()  # the language of the URL
            assert f'href="{_user_edit_url(world["council_id"])}"' in html
    # before and after, folded
    text = results(client, action="request.transfer")
    assert "<details>" in view(client, action="request.transfer").get_data(as_text=True)
    assert "reason" in text and "=SUM(A1)" in text


def test_zh_rows_show_local_time_and_names(app, client, auth, world):
    auth.login("council@example.com", lang="zh")
    text = results(client, "zh", action="request.transfer")
    assert shown_time(app, "zh", utc(2026, 3, 1, 16, 30)) in text
    assert "2026年3月2日" in text  # 00:30 on 2 March in Shanghai
    assert world["tower_zh"] in text and "council@example.com" in text and world["tracking_no"] in text


def test_without_the_user_pages_an_account_is_plain_text(app, client, auth, world, monkeypatch):
    monkeypatch.delitem(app.view_functions, "users.edit", raising=False)
    auth.login("admin@example.com", lang="en")
    html = view(client, action="user.update").get_data(as_text=True)
    assert "/council/users/" not in html
    assert "Council Member" in results(client, action="user.update")


# --- staff actions through the UI ---------------------------------------------------------


def _post(client, path, data=None, lang="en", page=None):
    token = csrf_from(client.get(page or f"/{lang}/council/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _last(app, action):
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc())).first()
        db.session.expunge_all()
        return entry


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_phone_reveal_and_a_stage_change_show_up(app, client, auth, world, lang):
    number = world["tracking_no"]
    auth.login("staff@example.com", lang=lang)
    detail = f"/{lang}/council/requests/{number}"
    revealed = _post(client, f"{detail}/reveal", page=detail)
    assert revealed.status_code == 200 and PHONE in text_of(revealed)
    assert _post(client, f"{detail}/stage", {"stage": "assigned", "note": ""}, page=detail).status_code == 303
    auth.logout(lang=lang)

    reveal, stage = _last(app, "request.reveal_contact"), _last(app, "request.stage")
    assert reveal.building_id == world["tower_id"] and reveal.target_id == str(world["request_id"])
    auth.login("council@example.com", lang=lang)
    page = view(client, lang)
    quick = tr(app, lang, "Personal data views")
    assert quick in text_of(page)
    assert f'href="/{lang}/council/audit/?action=request.reveal_contact"' in page.get_data(as_text=True)
    response = view(client, lang, action="request.reveal_contact")
    text, html = results(client, lang, action="request.reveal_contact"), response.get_data(as_text=True)
    assert records_shown(app, client, lang, action="request.reveal_contact") == 1
    assert tr(app, lang, "Viewed a requester's full phone number") in text and tr(app, lang, "Personal data") in text
    assert "request.reveal_contact" in text
    assert "staff@example.com" in text  # who
    assert shown_time(app, lang, reveal.created_at) in text  # when
    assert f'href="/{lang}/council/requests/{number}">{number}</a>' in html  # what
    assert PHONE not in html

    text = results(client, lang, action="request.stage")
    assert tr(app, lang, "Changed a request's stage") in text and "staff@example.com" in text
    assert "stage received assigned" in text  # before → after
    assert shown_time(app, lang, stage.created_at) in text


def test_a_wish_approved_in_the_queue_shows_up(app, client, auth, world):
    auth.login("council@example.com", lang="zh")
    wish_id = world["wish_sh"]
    assert _post(client, f"/zh/council/wall/{wish_id}/approve", lang="zh", page="/zh/council/wall/").status_code == 303
    entry = _last(app, "wish.approve")
    response = view(client, "zh", action="wish.*")
    text, html = results(client, "zh", action="wish.*"), response.get_data(as_text=True)
    assert tr(app, "zh", "Approved a wish") in text and "wish.approve" in text
    assert "council@example.com" in text and shown_time(app, "zh", entry.created_at) in text
    assert f'href="/zh/council/wall/{wish_id}">#{wish_id}</a>' in html
    assert "status pending approved" in text


def test_no_audit_record_holds_a_phone_number(app, client, auth, world):
    """Reveals log that a number was seen, never the number; a phone typed into a wish
    or a resource's contact is stored masked in before/after."""
    auth.login("staff@example.com", lang="en")
    detail = f"/en/council/requests/{world['tracking_no']}"
    _post(client, f"{detail}/reveal", page=detail)
    with app.app_context():
        wish = db.session.get(Wish, world["wish_sh"])
        audit.record("wish.edit", wish, before={"text": f"请联系 {PHONE} 或 021-58880000"}, after={"text": "请联系物业"})
        audit.record("resource.save", wish, after={"contact": "+86 139 0000 1111"})
        db.session.commit()
        stored = [json.dumps([e.before, e.after, e.target_id], ensure_ascii=False) for e in db.session.scalars(sa.select(AuditLog))]
    everything = "\n".join(stored)
    for number in (PHONE, "13900001111", "139 0000 1111", "58880000"):
        assert number not in everything
    assert MASKED in everything and "021-****0000" in everything and "139****1111" in everything


# --- the writer: building from the target -------------------------------------------------


def test_record_takes_the_building_from_the_target(app, world):
    with app.app_context():
        tower = db.session.get(Building, world["tower_id"])
        jinmao = db.session.get(Building, world["jinmao_id"])
        req = db.session.get(ServiceRequest, world["request_id"])
        wish = db.session.get(Wish, world["wish_jm"])
        council = _get(User, email="council@example.com")
        assert audit.record("t.building", tower).building_id == tower.id
        assert audit.record("t.request", req).building_id == tower.id
        assert audit.record("t.wish", wish).building_id == jinmao.id
        assert audit.record("t.explicit", wish, building_id=tower.id).building_id == tower.id  # given wins
        assert audit.record("t.user", council).building_id is None  # accounts have no building
        assert audit.record("t.none", target_type="x").building_id is None
        db.session.rollback()


# --- CSV export ---------------------------------------------------------------------------


def test_csv_export_of_the_filtered_view(app, client, auth, world):
    auth.login("admin@example.com", lang="zh")
    response = client.get("/zh/council/audit/export.csv?action=request.*&date_from=2026-03-01")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=audit-log-" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == tr(app, "zh", "Time (Asia/Shanghai)")
    data = rows[1:]
    assert [r[4] for r in data] == ["request.stage", "request.transfer", "request.assign"]  # newest first
    assert data[-1][0] == "2026-03-01 23:30:00"  # Shanghai time
    assert data[1][2] == "council@example.com" and data[1][7] == world["tower_zh"]
    assert data[1][9].startswith("{") and "=SUM(A1)" in data[1][9]  # JSON: never read as a formula
    # the export is itself on the record, with its filters
    entry = _last(app, "audit.export")
    assert entry.after == {"format": "csv", "filters": {"action": "request.*", "date_from": "2026-03-01"}}


def test_csv_cells_that_look_like_formulas_are_text(app, client, auth, world):
    with app.app_context():
        audit.record("wish.edit", target_type="wish", target_id="=1+1", building_id=world["tower_id"])
        db.session.commit()
    auth.login("council@example.com", lang="en")
    rows = list(csv.reader(io.StringIO(client.get("/en/council/audit/export.csv?action=wish.edit").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][6] == "'=1+1"
