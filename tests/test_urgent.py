"""Issue 17, item 4: emergency routing.  The request form and every emergency guide entry
say whom to call first (110 / 119 / 120, 96110 for fraud) with tap-to-call links; the
requester can mark a request urgent, staff see it as a badge, a filter and first in the
open queue; emergency words in the description bring the notice up before submit (the
inline check) and on the pages a form without JS reaches; the fraud entry's main action
is the call."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.models import AuditLog
from app.extensions import db
from app.guide.models import GuideEntry, GuideRevision
from app.intake.models import ServiceRequest
from tests.conftest import Auth, csrf_from, text_of
from tests.guide_fixtures import make_entries

BUILDING = "shanghai-tower"
TRACKING = re.compile(r"LS-\d{4}-\d{6}")
FRAUD = {
    "slug": "anti-fraud", "department": "police", "category": "police", "audience": "both", "emergency": "fraud",
    "title_zh": "反诈骗咨询与报案", "title_en": "Fraud advice and reports",
    "summary_zh": "遇到电信网络诈骗时的咨询与报案。", "summary_en": "Advice and reports on telecom and online fraud.",
}
LIFT = {
    "slug": "lift-safety", "department": "market", "category": "market", "audience": "both", "emergency": "lift",
    "title_zh": "电梯安全问题反映", "title_en": "Lift safety problems",
    "summary_zh": "电梯故障、困人等安全问题。", "summary_en": "Lift faults, entrapment and other safety problems.",
}
TEL = re.compile(r'href="tel:(\d+)"')


@pytest.fixture
def guide(app, demo):
    return make_entries(app, extra=[FRAUD, LIFT])


def form_values(client, lang="zh", **overrides) -> dict:
    html = client.get(f"/{lang}/requests/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    data = {
        "csrf_token": csrf_from(html), "submission_key": key, "service": "food-licence", "building": BUILDING,
        "company_name": "上海云杉餐饮有限公司", "contact_name": "王小明", "phone": "138 1234 5678", "email": "",
        "description": "我们想在 12 楼开一家咖啡店，需要办理食品经营许可。", "reply_lang": "zh", "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file(client, lang="zh", **overrides):
    response = client.post(f"/{lang}/requests/new", data=form_values(client, lang, **overrides))
    assert response.status_code == 303, text_of(response)[:600]
    return TRACKING.search(response.location).group(0), response.location


def _notice(html: str, heading_id: str = "emergency-title") -> str:
    match = re.search(r'<section class="emergency-notice" aria-labelledby="' + heading_id + r'".*?</section>', html, re.S)
    assert match, f"no emergency notice {heading_id}"
    return match.group(0)


# --- (a) the notice on the form and on emergency entries ------------------------------


@pytest.mark.parametrize("lang, says", [
    ("zh", ("紧急情况请先拨打 110/119/120", "报警", "火警", "急救", "情况紧急")),
    ("en", ("Emergency? Call first: 110 / 119 / 120", "Police", "Fire and rescue", "Ambulance", "This is urgent")),
])
def test_the_request_form_says_whom_to_call_first_with_tap_to_call_links(client, guide, lang, says):
    response = client.get(f"/{lang}/requests/new")
    html = response.get_data(as_text=True)
    notice = _notice(html)
    assert TEL.findall(notice) == ["110", "119", "120"]
    text = text_of(response)
    for phrase in says:
        assert phrase in text, phrase
    # above the form's first field, with the urgent box beside it, inside the real form
    form = html[html.index('id="request-form"'):]
    assert form.index("emergency-notice") < form.index('id="service"')
    assert form.index('id="urgent"') < form.index('id="service"')
    assert 'class="button button-call"' in notice  # the large touch target


@pytest.mark.parametrize("lang, says", [
    ("zh", ("110", "119", "物业")),
    ("en", ("110", "119", "property management")),
])
def test_an_emergency_guide_entry_shows_the_notice(client, guide, lang, says):
    response = client.get(f"/{lang}/guide/lift-safety")
    html = response.get_data(as_text=True)
    notice = _notice(html)
    assert TEL.findall(notice)[:2] == ["110", "119"]
    for phrase in says:
        assert phrase in text_of(response), phrase
    # the ordinary entry keeps its request button and shows no notice
    plain = client.get(f"/{lang}/guide/food-licence").get_data(as_text=True)
    assert "emergency-notice" not in plain and "tel:110" not in plain
    # lift entrapment is not a call-first entry: its main action is still the form
    assert re.search(r'class="entry-cta"><a class="button button-primary button-large" href="/' + lang + r'/requests/new\?service=lift-safety"', html)


@pytest.mark.parametrize("lang, call, secondary", [
    ("zh", "立即拨打 110 / 96110", "不紧急？改为书面反映"),
    ("en", "Call 110 / 96110 now", "Not urgent? Report it in writing instead"),
])
def test_the_fraud_entry_main_action_is_the_call_not_the_form(client, guide, lang, call, secondary):
    response = client.get(f"/{lang}/guide/anti-fraud")
    html = response.get_data(as_text=True)
    main = re.search(r'<p class="entry-cta[^"]*">(.*?)</p>', html, re.S).group(1)
    first = re.search(r'<a class="([^"]*)" href="([^"]*)">(.*?)</a>', main, re.S)
    assert "button-primary" in first.group(1) and first.group(2) == "tel:110"
    assert call in re.sub(r"<[^>]+>", "", first.group(3))
    assert 'href="tel:96110"' in main
    assert "requests/new" not in main  # the form is no longer the main button…
    assert re.search(r'<a href="/' + lang + r'/requests/new\?service=anti-fraud">' + re.escape(secondary) + "</a>", html)  # …only a link
    assert 'tel:96110' in _notice(html)


def test_the_form_for_a_fraud_service_adds_the_anti_fraud_hotline(client, guide):
    html = client.get("/zh/requests/new?service=anti-fraud").get_data(as_text=True)
    assert TEL.findall(_notice(html)) == ["110", "96110", "119", "120"]


def test_staff_mark_an_entry_as_an_emergency_service_with_history_and_audit(app, client, guide):
    auth = Auth(client)
    assert auth.login("staff@example.com").status_code in (302, 303)  # market regulation
    page = client.get("/zh/council/guide/food-licence/edit")
    html = page.get_data(as_text=True)
    assert 'id="emergency"' in html and "紧急" in text_of(page)
    from tests.test_guide_manage import form_fields

    data = form_fields(html)
    data.update(emergency="fire", note="消防", save="y")
    response = client.post("/zh/council/guide/food-licence/edit", data=data)
    assert response.status_code == 303, text_of(response)[:500]
    with app.app_context():
        entry = db.session.scalar(sa.select(GuideEntry).where(GuideEntry.slug == "food-licence"))
        assert entry.emergency == "fire"
        revision = db.session.scalars(sa.select(GuideRevision).where(GuideRevision.entry_id == entry.id).order_by(GuideRevision.version.desc())).first()
        assert revision.data["emergency"] == "fire"
        record = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "guide.update").order_by(AuditLog.id.desc())).first()
        assert record.before["emergency"] == "" and record.after["emergency"] == "fire"
        db.session.remove()
    notice = _notice(app.test_client().get("/zh/guide/food-licence").get_data(as_text=True))
    assert TEL.findall(notice)[0] == "119"
    bad = dict(data, emergency="flood", save="y")
    bad["version"] = str(int(data["version"]) + 1)
    assert client.post("/zh/council/guide/food-licence/edit", data=bad).status_code == 422


def test_the_demo_marks_emergency_services(app, runner):
    assert runner.invoke(args=["seed-demo", "--password", "demo-password-1234"]).exit_code == 0
    with app.app_context():
        marked = dict(db.session.execute(sa.select(GuideEntry.slug, GuideEntry.emergency).where(GuideEntry.emergency != "")).all())
        db.session.remove()
    assert marked == {"fire-hazard-report": "fire", "special-equipment-lift": "lift", "anti-fraud-report": "fraud",
                      "security-guidance": "police", "aed-first-aid": "medical"}
    html = app.test_client().get("/zh/guide/anti-fraud-report").get_data(as_text=True)
    assert 'href="tel:110"' in html and "立即拨打 110 / 96110" in html


# --- (b) the urgent flag ----------------------------------------------------------------


def test_urgent_is_stored_badged_filtered_and_first_in_the_open_queue(app, client, guide):
    urgent_no, _location = file(client, urgent="y", description="电梯困人，已经半小时了，请马上处理！！")
    plain_no, _location = file(app.test_client())  # filed later: newest
    with app.app_context():
        flags = dict(db.session.execute(sa.select(ServiceRequest.tracking_no, ServiceRequest.urgent)).all())
        db.session.remove()
    assert flags == {urgent_no: True, plain_no: False}
    staff = app.test_client()
    assert Auth(staff).login().status_code in (302, 303)  # the admin sees every request
    queue = staff.get("/zh/council/requests/")
    html = queue.get_data(as_text=True)
    rows = re.findall(r"<tr class=\"[^\"]*\"[^>]*>.*?</tr>", html, re.S)
    assert urgent_no in rows[0] and plain_no in rows[1]  # urgent first, though older
    assert "紧急" in re.sub(r"<[^>]+>", "", rows[0]) and "紧急" not in re.sub(r"<[^>]+>", "", rows[1])
    assert 'name="urgent" value="1"' in html  # the filter, in the GET form (no JS needed)
    assert re.search(r'<form action="/zh/council/requests/" method="get"', html)
    only = staff.get("/zh/council/requests/?urgent=1")
    assert urgent_no in text_of(only) and plain_no not in text_of(only)
    assert plain_no not in only.get_data(as_text=True)
    assert re.search(r'name="urgent" value="1" checked', only.get_data(as_text=True))
    # all stages: newest first, as before
    every = staff.get("/zh/council/requests/?stage=all").get_data(as_text=True)
    assert every.index(plain_no) < every.index(urgent_no)
    detail = staff.get(f"/en/council/requests/{urgent_no}")
    assert re.search(r"<h1>" + urgent_no + r' <strong class="badge badge-urgent">Urgent</strong>', detail.get_data(as_text=True))


# --- (c) emergency words in the description ------------------------------------------------


def test_the_emergency_words():
    from app.intake.emergency import emergency_kinds

    assert emergency_kinds("有人被困电梯") == ["lift"]
    assert emergency_kinds("12楼茶水间冒烟了") == ["fire"]
    assert emergency_kinds("接到骗子电话，让我转账") == ["fraud"]
    assert emergency_kinds("Someone fainted and is injured") == ["medical"]
    assert emergency_kinds("We think it is a SCAM") == ["fraud"]
    assert emergency_kinds("我们想办理食品经营许可证") == []
    assert emergency_kinds("Please fix the firewall settings") == []  # a whole word only


def _check(client, lang, text):
    html = client.get(f"/{lang}/requests/new").get_data(as_text=True)
    return client.post(f"/{lang}/requests/new/check?field=description",
                       data={"description": text, "csrf_token": csrf_from(html)}, headers={"HX-Request": "true"})


@pytest.mark.parametrize("lang, heading", [("zh", "是否有人身处危险？请先拨打电话"), ("en", "Is someone in danger? Call first")])
def test_the_description_check_shows_the_notice_for_emergency_words_only(client, guide, lang, heading):
    response = _check(client, lang, "有人被困电梯，已经十分钟了")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div class="field') and 'id="field-description"' in html
    notice = _notice(html, "description-emergency")
    assert heading in text_of(response) and 'role="alert"' in notice
    assert TEL.findall(notice)[:2] == ["110", "119"]
    ordinary = _check(client, lang, "我们想在 12 楼开一家咖啡店，需要办理食品经营许可。")
    assert ordinary.status_code == 200 and "emergency-notice" not in ordinary.get_data(as_text=True)
    assert "tel:" not in ordinary.get_data(as_text=True)


def test_without_js_the_notice_comes_with_the_form_shown_again(client, guide):
    response = client.post("/zh/requests/new", data=form_values(client, description="冒烟了", phone=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert TEL.findall(_notice(html, "description-emergency"))[0] == "119"
    assert "冒烟了" in html  # what was typed is kept


def test_without_js_the_confirmation_page_shows_the_notice_when_words_were_typed(client, guide):
    _number, location = file(client, description="有人被困电梯，电梯停在 23 楼，请尽快派人")
    page = client.get(location)
    assert page.status_code == 200
    notice = _notice(page.get_data(as_text=True))
    assert "如果情况紧急，请不要等待答复，立即拨打" in text_of(page) and TEL.findall(notice)[:2] == ["110", "119"]
    other = app_client = client.application.test_client()
    _number, location = file(app_client)
    assert "emergency-notice" not in other.get(location).get_data(as_text=True)
