"""One-stop intake: the form, tracking, the requester's page, staff handling, mail,
concurrency and retention — on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from app.core.mail import OutboxMail
from app.core.models import AuditLog
from app.extensions import db
from app.intake.forms import mask_phone, normalize_phone
from app.intake.models import RequestEvent, ServiceRequest
from tests.conftest import csrf_from, text_of
from tests.guide_fixtures import make_entries
from tests.test_mail import smtp  # noqa: F401  (a real aiosmtpd server)

TRACKING = re.compile(r"LS-\d{4}-\d{6}")


@pytest.fixture
def guide(app, demo):
    # fire-check belongs to the fire department; food-licence to market (staff@example.com)
    return make_entries(app)


def form_values(client, lang="zh", **params) -> dict:
    html = client.get(f"/{lang}/requests/new", query_string=params).get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    return {
        "csrf_token": csrf_from(html), "submission_key": key, "service": "food-licence", "building": "shanghai-tower",
        "company_name": "上海云杉餐饮有限公司", "contact_name": "王小明", "phone": "138 1234 5678", "email": "",
        "description": "我们想在 12 楼开一家咖啡店，需要办理食品经营许可。", "reply_lang": "zh", "consent": "y",
    }


def file_request(client, lang="zh", **overrides):
    data = dict(form_values(client, lang), **overrides)
    response = client.post(f"/{lang}/requests/new", data=data)
    assert response.status_code == 303, text_of(response)[:500]
    page = client.get(response.location)
    text = text_of(page)
    number = TRACKING.search(text).group(0)
    code = re.search(r'id="access-code">([^<]+)<', page.get_data(as_text=True)).group(1)
    return number, code, text


def count_requests(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))


# --- the form ------------------------------------------------------------------------


def test_form_is_prefilled_from_the_guide_and_building(client, guide):
    html = client.get("/zh/requests/new", query_string={"service": "food-licence", "building": "jin-mao-tower"}).get_data(as_text=True)
    assert re.search(r'<option selected value="food-licence">食品经营许可证办理</option>', html)
    assert re.search(r'<option selected value="jin-mao-tower">', html)
    assert "个人信息说明" in html and "365 天后删除联系信息" in html


def test_guide_entry_links_to_the_form(client, guide):
    html = client.get("/zh/guide/food-licence").get_data(as_text=True)
    assert 'href="/zh/requests/new?service=food-licence"' in html


def test_filing_shows_number_and_code_and_routes_to_the_department(app, client, guide):
    number, code, text = file_request(client)
    assert "诉求已受理" in text and number in text and re.match(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$", code)
    assert "市场监管" in text  # the entry's department leads
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        assert req.department.code == "market" and req.building.slug == "shanghai-tower"
        assert req.phone == "13812345678" and req.stage == "received"
        assert req.due_on is not None and req.due_on > req.created_at.date()


def test_something_else_goes_to_the_council(app, client, guide):
    number, _code, text = file_request(client, service="other")
    assert "楼事会（将确定承办部门）" in text
    with app.app_context():
        assert db.session.scalar(sa.select(ServiceRequest.department_id).where(ServiceRequest.tracking_no == number)) is None


def test_double_submit_creates_one_request(app, client, guide):
    data = form_values(client)
    first = client.post("/zh/requests/new", data=data)
    second = client.post("/zh/requests/new", data=data)  # a second click, or a reload
    assert first.status_code == second.status_code == 303 and first.location == second.location
    assert count_requests(app) == 1
    assert "诉求已受理" in text_of(client.get(second.location))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("company_name", "", "请填写企业名称。"),
        ("contact_name", " ", "请填写联系人姓名。"),
        ("phone", "12345", "请输入手机号码"),
        ("phone", "1381234567８9", "请输入手机号码"),
        ("email", "not-an-address", "请填写有效的电子邮箱地址。"),
        ("description", "太短", "请至少填写 10 个字。"),
        ("description", "长" * 2001, "2000"),
        ("service", "no-such-service", "请选择服务事项，或选择“其他诉求”。"),
        ("building", "", "请选择您所在的楼宇。"),
        ("consent", "", "请同意个人信息说明"),
    ],
)
def test_bad_input_gets_422_every_value_kept_nothing_stored(app, client, guide, field, value, message):
    data = form_values(client)
    data[field] = value
    data["company_name"] = data["company_name"] if field != "company_name" else value
    response = client.post("/zh/requests/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text_of(response) or message in html
    if field != "company_name":
        assert 'value="上海云杉餐饮有限公司"' in html  # what the person typed is kept
    assert "我们想在 12 楼开一家咖啡店" in html or field == "description"
    assert count_requests(app) == 0


@pytest.mark.parametrize("text", ["<script>alert(1)</script>很长很长的一段描述文字", "'; DROP TABLE service_request; --", "🚀🚀 需要帮助处理停车问题，谢谢！", "ＡＢＣ全角文字的诉求内容描述"])
def test_odd_text_is_stored_and_shown_escaped(app, client, guide, text):
    number, _code, _ = file_request(client, description=text)
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    if "script" in text:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert count_requests(app) == 1


def test_phone_formats():
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert normalize_phone("１３８１２３４５６７８") == "13812345678"  # full-width digits
    assert normalize_phone("021-58880000") == "021-58880000"
    assert normalize_phone("(0571) 8765 4321") == "0571-87654321"
    for bad in ("12812345678", "1381234567", "58880000", "abc", "138123456789"):
        assert normalize_phone(bad) is None
    assert mask_phone("13812345678") == "138****5678" and mask_phone("021-58880000") == "021-****0000"


def test_inline_check_returns_the_field_with_its_error(client, guide):
    token = csrf_from(client.get("/zh/requests/new").get_data(as_text=True))
    bad = client.post("/zh/requests/new/check?field=phone", data={"phone": "12"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert bad.status_code == 200 and 'id="field-phone"' in bad.get_data(as_text=True) and "请输入手机号码" in text_of(bad)
    good = client.post("/zh/requests/new/check?field=phone", data={"phone": "13812345678"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert "field-invalid" not in good.get_data(as_text=True)
    assert client.post("/zh/requests/new/check?field=consent", data={}, headers={"X-CSRFToken": token}).status_code == 404


# --- attachments through the form ----------------------------------------------------


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_attachment_is_cleaned_and_served_only_to_the_requester_and_staff(app, client, guide, auth, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    raw = _jpeg_with_gps()
    assert b"Exif" in raw
    number, _code, _ = file_request(client, attachments=(io.BytesIO(raw), "门口积水.jpg"))
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    # The photo is a thumbnail linking to the full image (?view=1, inline); without it, a download.
    link = re.search(r'href="(/zh/requests/' + number + r'/files/\d+)\?view=1"', html).group(1)
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data[:3] == b"\xff\xd8\xff" and b"Exif" not in response.data
    stored = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.jpg", stored[0].name)  # a random name, outside static/
    stranger = app.test_client()
    assert stranger.get(link).status_code == 403
    auth.login("staff@example.com")  # the department's staff may download it from the workspace
    staff_link = link.replace(f"/zh/requests/{number}/files/", f"/zh/council/requests/{number}/files/")
    staff_download = client.get(staff_link)
    assert staff_download.status_code == 200 and staff_download.data == response.data


@pytest.mark.parametrize(
    "payload, name",
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "report.pdf"),
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.png"),
        (b"%PDF-1.4\n<html><script>alert(1)</script>", "polyglot.pdf"),
    ],
)
def test_dangerous_uploads_are_refused_with_a_message(app, client, guide, tmp_path, monkeypatch, payload, name):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    data = dict(form_values(client), attachments=(io.BytesIO(payload), name))
    response = client.post("/zh/requests/new", data=data)
    assert response.status_code == 422
    assert "不接受此类文件" in text_of(response)
    assert count_requests(app) == 0
    assert not (tmp_path / "uploads").exists() or not any(p.is_file() for p in (tmp_path / "uploads").rglob("*"))


def test_a_file_over_the_limit_is_refused(app, client, guide, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1000)
    pdf = b"%PDF-1.4\n" + b"0" * (1001 - 9)
    response = client.post("/zh/requests/new", data=dict(form_values(client), attachments=(io.BytesIO(pdf), "a.pdf")))
    assert response.status_code == 422 and "文件超过" in text_of(response)
    assert count_requests(app) == 0


# --- the requester's page and the look-up ------------------------------------------


def test_status_page_shows_only_the_stage_without_the_code(app, client, guide):
    number, code, _ = file_request(client, email="wang@example.com")
    stranger = app.test_client()
    text = text_of(stranger.get(f"/zh/requests/{number}"))
    assert "需求收集" in text and "查看详情" in text
    for private in ("我们想在 12 楼开一家咖啡店", "王小明", "13812345678", "138", "wang@example.com", "上海云杉餐饮"):
        assert private not in text
    # the link from the e-mail unlocks and drops the code from the address
    response = stranger.get(f"/zh/requests/{number}", query_string={"code": code})
    assert response.status_code == 303 and "code=" not in response.location
    text = text_of(stranger.get(response.location))
    assert "我们想在 12 楼开一家咖啡店" in text and "办理记录" in text
    assert "13812345678" not in text  # even the requester's page never shows contact data


def test_wrong_code_reveals_nothing_and_track_is_rate_limited(app, client, guide):
    number, code, _ = file_request(client)
    stranger = app.test_client()
    token = csrf_from(stranger.get("/zh/track").get_data(as_text=True))
    wrong = stranger.post("/zh/track", data={"csrf_token": token, "tracking_no": number, "code": "AAAA-AAAA"})
    unknown = stranger.post("/zh/track", data={"csrf_token": token, "tracking_no": "LS-2020-999999", "code": "AAAA-AAAA"})
    assert wrong.status_code == unknown.status_code == 422
    assert "没有与该受理编号和查询码相符的诉求" in text_of(wrong) and text_of(wrong).replace(number, "LS-2020-999999") == text_of(unknown)
    right = stranger.post("/zh/track", data={"csrf_token": token, "tracking_no": number.lower(), "code": code.lower().replace("-", "")})
    assert right.status_code == 303 and right.location.endswith(f"/zh/requests/{number}")
    app.config["RATELIMIT_ENABLED"] = True
    try:
        statuses = [stranger.post("/zh/track", data={"csrf_token": token, "tracking_no": number, "code": "x"}).status_code for _ in range(25)]
    finally:
        app.config["RATELIMIT_ENABLED"] = True
    assert 429 in statuses


def test_requester_adds_information(app, client, guide):
    number, _code, _ = file_request(client)
    page = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    response = client.post(f"/zh/requests/{number}/info", data={"csrf_token": csrf_from(page), "body": "补充：店面约 60 平方米。"})
    assert response.status_code == 303
    assert "补充：店面约 60 平方米。" in text_of(client.get(f"/zh/requests/{number}"))
    empty = client.post(f"/zh/requests/{number}/info", data={"csrf_token": csrf_from(page), "body": ""})
    assert empty.status_code == 422 and "请填写要补充的内容" in text_of(empty)


# --- staff ---------------------------------------------------------------------------


def _staff_post(client, number, action, lang="zh", **data):
    page = client.get(f"/{lang}/council/requests/{number}").get_data(as_text=True)
    return client.post(f"/{lang}/council/requests/{number}/{action}", data={"csrf_token": csrf_from(page), **data})


def test_the_whole_loop_with_staff_and_rating(app, client, guide, auth):
    requester = app.test_client()
    number, code, _ = file_request(requester)
    auth.login("staff@example.com")
    queue = text_of(client.get("/zh/council/requests/"))
    assert number in queue and "食品经营许可证办理" in queue
    detail = client.get(f"/zh/council/requests/{number}")
    assert "138****5678" in text_of(detail) and "13812345678" not in text_of(detail)
    revealed = _staff_post(client, number, "reveal")
    assert "13812345678" in text_of(revealed)
    assert _staff_post(client, number, "stage", stage="in_progress", note="已联系申请人").status_code == 303
    assert _staff_post(client, number, "reply", body="请携带营业执照到服务站办理。", visibility="public").status_code == 303
    assert _staff_post(client, number, "reply", body="内部：申请人资料齐全", visibility="internal").status_code == 303
    assert _staff_post(client, number, "stage", stage="resolved").status_code == 303
    bad = _staff_post(client, number, "stage", stage="received")
    assert bad.status_code == 422

    page = requester.get(f"/zh/requests/{number}")
    text = text_of(page)
    assert "闭环反馈" in text and "请携带营业执照到服务站办理。" in text and "已联系申请人" in text
    assert "内部：申请人资料齐全" not in text  # internal notes never reach the public
    response = requester.post(f"/zh/requests/{number}/rate", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "rating": "5", "comment": "很快"})
    assert response.status_code == 303
    assert "已办结" in text_of(requester.get(f"/zh/requests/{number}"))
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        assert req.rating == 5 and req.stage == "closed" and req.first_response_at is not None
        actions = set(db.session.scalars(sa.select(AuditLog.action).where(AuditLog.target_id == str(req.id))))
        assert {"request.stage", "request.reply", "request.note", "request.reveal_contact"} <= actions


def test_reopen_sends_it_back_to_the_department(app, client, guide, auth):
    requester = app.test_client()
    number, _code, _ = file_request(requester)
    auth.login("staff@example.com")
    _staff_post(client, number, "stage", stage="resolved", note="已办理")
    page = requester.get(f"/zh/requests/{number}").get_data(as_text=True)
    response = requester.post(f"/zh/requests/{number}/reopen", data={"csrf_token": csrf_from(page), "reason": "许可证还没拿到"})
    assert response.status_code == 303
    text = text_of(requester.get(f"/zh/requests/{number}"))
    assert "资源整合" in text and "许可证还没拿到" in text
    with app.app_context():
        assert db.session.scalar(sa.select(ServiceRequest.reopen_count).where(ServiceRequest.tracking_no == number)) == 1


def test_transfer_cohandler_and_duplicate(app, client, guide, auth):
    requester = app.test_client()
    first, _c, _ = file_request(requester)
    second, _c2, _ = file_request(requester)
    auth.login("admin@example.com")
    with app.app_context():
        from app.org.models import Department

        fire = db.session.scalar(sa.select(Department).where(Department.code == "fire"))
        tax = db.session.scalar(sa.select(Department).where(Department.code == "tax"))
        fire_id, tax_id = fire.id, tax.id
    assert _staff_post(client, first, "transfer", department=str(fire_id), reason="涉及消防审批").status_code == 303
    assert _staff_post(client, first, "cohandler", department=str(tax_id)).status_code == 303
    missing_reason = _staff_post(client, first, "transfer", department=str(tax_id), reason="")
    assert missing_reason.status_code == 422 and "请填写理由" in text_of(missing_reason)
    assert _staff_post(client, second, "duplicate", other=first).status_code == 303
    text = text_of(requester.get(f"/zh/requests/{second}"))
    assert f"本诉求已并入 {first}" in text
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == first))
        assert req.department_id == fire_id and [c.department_id for c in req.cohandlers] == [tax_id]
    # the co-handling department's staff now see it; another department's do not
    staff_view = text_of(client.get("/zh/council/requests/", query_string={"stage": "all"}))
    assert first in staff_view


def test_staff_scope(app, client, guide, auth):
    requester = app.test_client()
    number, _code, _ = file_request(requester, building="jin-mao-tower", service="fire-check")
    auth.login("staff@example.com")  # market department: not theirs
    assert number not in text_of(client.get("/zh/council/requests/"))
    assert client.get(f"/zh/council/requests/{number}").status_code == 403
    auth.logout()
    auth.login("council@example.com")  # shanghai-tower only
    assert client.get(f"/zh/council/requests/{number}").status_code == 403
    auth.logout()
    auth.login("admin@example.com")
    assert client.get(f"/zh/council/requests/{number}").status_code == 200


def test_queue_filters_and_overdue(app, client, guide, auth):
    requester = app.test_client()
    old, _c, _ = file_request(requester)
    new, _c2, _ = file_request(requester, service="other")
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == old))
        req.due_on = date.today() - timedelta(days=3)
        db.session.commit()
    auth.login("admin@example.com")
    overdue = client.get("/zh/council/requests/", query_string={"overdue": "1"})
    assert old in text_of(overdue) and new not in text_of(overdue) and "已超期" in text_of(overdue)
    other = text_of(client.get("/zh/council/requests/", query_string={"service": "other"}))
    assert new in other and old not in other
    fragment = client.get("/zh/council/requests/", query_string={"service": "other"}, headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="queue">')


def test_bulk_assign(app, client, guide, auth):
    requester = app.test_client()
    a, _c, _ = file_request(requester, service="other")
    b, _c2, _ = file_request(requester, service="other")
    auth.login("admin@example.com")
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(sa.select(ServiceRequest.id))]
        from app.org.models import Department

        police = db.session.scalar(sa.select(Department.id).where(Department.code == "police"))
    page = client.get("/zh/council/requests/").get_data(as_text=True)
    # nothing chosen beforehand: the department list starts on its placeholder
    assert re.search(r'<select id="bulk-department" name="department"><option value="">选择部门…</option><option value="\d+">', page), page
    assert "selected" not in re.search(r'<select id="bulk-department".*?</select>', page, re.S).group(0)
    # without a department: the queue again (422), the error said, the selection kept
    missing = client.post("/zh/council/requests/assign", data={"csrf_token": csrf_from(page), "ids": ids, "department": ""})
    assert missing.status_code == 422 and "请为所选诉求选择部门。" in text_of(missing)
    assert all(re.search(rf'value="{i}" form="bulk-assign"[^>]*checked', missing.get_data(as_text=True)) for i in ids)
    # with one: first the question, with the count and the department
    question = client.post("/zh/council/requests/assign", data={"csrf_token": csrf_from(page), "ids": ids, "department": str(police)})
    assert question.status_code == 200 and re.search(r"将 2 条诉求分派至\S+？", text_of(question)) and a in text_of(question)
    with app.app_context():
        assert set(db.session.scalars(sa.select(ServiceRequest.department_id))) == {None}  # nothing done yet
    html = question.get_data(as_text=True)
    response = client.post("/zh/council/requests/assign", data={"csrf_token": csrf_from(html), "ids": ids, "department": str(police), "confirm": "1"})
    assert response.status_code == 303
    assert "已将 2 条诉求分派至" in text_of(client.get(response.location))
    with app.app_context():
        assert set(db.session.scalars(sa.select(ServiceRequest.department_id))) == {police}


# --- notifications through a real SMTP server -----------------------------------------


def test_mail_in_the_requesters_language(app, client, guide, auth, smtp):  # noqa: F811
    number_zh, code_zh, _ = file_request(client, email="zh@example.com")
    number_en, code_en, _ = file_request(app.test_client(), email="en@example.com", reply_lang="en")
    messages = {m["To"]: m for m in smtp.messages()}
    zh, en = messages["zh@example.com"], messages["en@example.com"]
    assert zh["Subject"] == f"诉求 {number_zh} 已受理"
    assert code_zh in zh.get_content() and "您的诉求已受理" in zh.get_content()
    assert en["Subject"] == f"Request {number_en} received"
    assert code_en in en.get_content() and "Your request has been received." in en.get_content()
    assert f"/en/requests/{number_en}?code=" in en.get_content()
    # a public reply reaches the requester; an internal note does not
    auth.login("admin@example.com")
    before = len(smtp.messages())
    _staff_post(client, number_en, "reply", body="Please bring your licence.", visibility="public")
    _staff_post(client, number_en, "reply", body="internal only", visibility="internal")
    new = smtp.messages()[before:]
    assert len([m for m in new if m["To"] == "en@example.com"]) == 1
    reply = [m for m in new if m["To"] == "en@example.com"][0]
    assert "Please bring your licence." in reply.get_content() and "internal only" not in reply.get_content()


def test_department_staff_hear_of_new_requests(app, client, guide, smtp):  # noqa: F811
    file_request(client)
    staff_mail = [m for m in smtp.messages() if m["To"] == "staff@example.com"]
    assert len(staff_mail) == 1 and "贵部门有新诉求" in str(staff_mail[0]["Subject"])
    assert "13812345678" not in staff_mail[0].get_content()  # no contact data in mail bodies to staff


def test_without_smtp_the_filing_queues_the_new_request_mails_and_they_wait_in_the_outbox(app, client, guide):
    """The filing queues its receipt and staff notices in its own transaction (all or
    nothing with the request); without a mail server they wait in the outbox, and the
    sender has nothing left to announce."""
    number, code, _ = file_request(client, email="later@example.com")
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.ref == number)).all()
        receipt = [m for m in mails if m.to_addr == "later@example.com"]
        assert len(receipt) == 1 and receipt[0].sent_at is None and receipt[0].kind == "request.received"
        assert code in receipt[0].body_text and number in receipt[0].body_text
        assert {m.kind for m in mails} == {"request.received", "staff.new", "staff.building"}
        assert db.session.scalar(sa.select(ServiceRequest.announced_at).where(ServiceRequest.tracking_no == number)) is not None
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-mail"])
    assert first.exit_code == 0 and "announced" not in first.output and "MAIL_SERVER is not set" in first.output
    with app.app_context():
        assert len(db.session.scalars(sa.select(OutboxMail).where(OutboxMail.ref == number)).all()) == len(mails)


def test_a_filing_makes_the_boards_stale_at_its_commit_but_not_the_guide(app, client, guide):
    """One invalidation path: the commit's listener sees the tables the filing wrote
    (requests, events, mails), so the boards and the home page are built again and the
    guide's cached pages stay."""
    from tests.test_guide import _count_queries

    form = form_values(client)
    reader = app.test_client()
    for url in ("/zh/guide/", "/zh/boards/shanghai-tower"):
        reader.get(url)
        assert _count_queries(app, reader, url) == 0  # from the cache
    assert client.post("/zh/requests/new", data=form).status_code == 303
    assert _count_queries(app, reader, "/zh/guide/") == 0
    assert _count_queries(app, reader, "/zh/boards/shanghai-tower") > 0


# --- concurrency, retention, demo ------------------------------------------------------


def test_concurrent_submissions_get_distinct_tracking_numbers(app, guide):
    from app.intake.services import submit_request
    from app.org.models import Building

    def one(i: int) -> str:
        with app.app_context():
            building = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
            filed = submit_request({"building": building, "description": f"并发测试诉求第 {i} 号", "phone": "13812345678"}, [], f"concurrency-key-{i:06d}-xxxxxx")
            number = filed.request.tracking_no
            db.session.remove()
            return number

    with ThreadPoolExecutor(max_workers=16) as pool:
        numbers = list(pool.map(one, range(200)))
    assert len(set(numbers)) == 200
    assert count_requests(app) == 200
    assert all(TRACKING.fullmatch(n) for n in numbers)


def test_purge_personal_data_keeps_the_anonymous_record(app, client, runner, guide, auth):
    number, _code, _ = file_request(client, email="old@example.com")
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        req.stage = "closed"
        from app.core.timeutil import utcnow

        req.closed_at = utcnow() - timedelta(days=400)
        db.session.commit()
    result = runner.invoke(args=["purge-personal-data", "--older-than", "365"])
    assert result.exit_code == 0 and "1 closed request" in result.output
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        assert (req.phone, req.email, req.contact_name, req.company_name) == (None, None, None, None)
        assert req.description and req.stage == "closed"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent).where(RequestEvent.request_id == req.id)) >= 1


def test_seed_demo_has_requests_in_every_stage(app, runner):
    result = runner.invoke(args=["seed-demo", "--password", "demo-password-1234"])
    assert result.exit_code == 0, result.output
    assert "requests: 18 created" in result.output and "Open311 API key" in result.output
    with app.app_context():
        stages = set(db.session.scalars(sa.select(ServiceRequest.stage)))
        assert stages == {"received", "assigned", "in_progress", "resolved", "closed"}
        ratings = list(db.session.scalars(sa.select(ServiceRequest.rating).where(ServiceRequest.rating.is_not(None))))
        assert ratings and all(1 <= r <= 5 for r in ratings)
    again = runner.invoke(args=["seed-demo", "--password", "demo-password-1234"])
    assert "requests: 0 created, 18 already there" in again.output


def test_home_page_figures_come_from_the_requests(app, client, guide):
    first, _c, _ = file_request(client)
    file_request(app.test_client())
    with app.app_context():
        db.session.execute(sa.update(ServiceRequest).where(ServiceRequest.tracking_no == first).values(stage="closed"))
        db.session.commit()
    html = client.get("/zh/").get_data(as_text=True)
    figures = dict(re.findall(r'<dd id="figure-([a-z-]+)">(\d+)</dd>', html))
    assert figures == {"received": "2", "completed": "1", "in-progress": "1", "wishes-fulfilled": "0"}


def test_inline_check_keeps_the_hint(client, guide):
    token = csrf_from(client.get("/zh/requests/new").get_data(as_text=True))
    response = client.post("/zh/requests/new/check?field=phone", data={"phone": "13812345678"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert "手机号码或带区号的固定电话。" in text_of(response)


def test_the_buildings_council_is_told_of_every_new_request(app, client, guide, smtp):  # noqa: F811
    number, _code, _ = file_request(client, service="other")  # no department yet: the council routes it
    council = [m for m in smtp.messages() if m["To"] == "council@example.com"]
    assert len(council) == 1 and str(council[0]["Subject"]) == f"您的楼宇有新诉求 {number}"
    assert f"/zh/council/requests/{number}" in council[0].get_content()


def test_the_form_page_is_every_visitors_own_never_a_cached_copy(app, guide):
    """The blank form is built for every view (it holds the visitor's CSRF token and a
    one-time submission key): two people filing get two requests, and each is shown only
    their own tracking number."""
    from tests.test_guide import _count_queries

    first, second = app.test_client(), app.test_client()
    one, two = form_values(first), form_values(second)
    assert one["csrf_token"] != two["csrf_token"] and one["submission_key"] != two["submission_key"]
    assert _count_queries(app, app.test_client(), "/zh/requests/new") > 0  # built, not served from the cache
    # The key a page carries is not reused by the next view of the same page.
    assert form_values(first)["submission_key"] != one["submission_key"]
    numbers = set()
    for client, values in ((first, one), (second, two)):
        response = client.post("/zh/requests/new", data=values)
        assert response.status_code == 303
        numbers.add(response.location.rstrip("/").split("/")[-2])
    assert len(numbers) == 2
    # A staff member signed in never gets the cached page (its header has their account links).
    staff = app.test_client()
    from tests.conftest import Auth

    Auth(staff).login("staff@example.com")
    assert "我的账户" in text_of(staff.get("/zh/requests/new"))
    assert "我的账户" not in text_of(app.test_client().get("/zh/requests/new"))


@pytest.mark.parametrize("path, data", [
    ("/zh/track", {"tracking_no": "LS-2026-999999", "code": "ABCD-EFGH"}),
    ("/zh/login", {"email": "nobody@example.com", "password": "not-the-password-1"}),
    ("/zh/wall/new", {"building": "shanghai-tower", "body": "短"}),
])
def test_form_pages_give_every_visitor_a_working_token(app, demo, path, data):
    """The track, sign-in and wish forms: each visitor's page carries a token of their own
    session (somebody else's would be refused with 400)."""
    tokens = set()
    for _ in range(2):
        visitor = app.test_client()
        token = csrf_from(visitor.get(path).get_data(as_text=True))
        tokens.add(token)
        response = visitor.post(path, data=dict(data, csrf_token=token))
        assert response.status_code == 422, text_of(response)[:300]  # checked, not refused as forged
    assert len(tokens) == 2


def test_the_locked_status_page_follows_the_request(app, client, guide):
    from app.auth.models import User
    from app.intake.services import change_stage

    number, _code, _ = file_request(client)
    first, second = app.test_client(), app.test_client()
    one, two = (c.get(f"/zh/requests/{number}").get_data(as_text=True) for c in (first, second))
    assert "需求收集" in two
    assert csrf_from(one) != csrf_from(two)  # the unlock form's token is each visitor's own
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        change_stage(req, "in_progress", db.session.scalar(sa.select(User).where(User.email == "admin@example.com")))
        db.session.commit()
    assert "资源整合" in app.test_client().get(f"/zh/requests/{number}").get_data(as_text=True)
    unknown = number[:-1] + ("1" if number[-1] != "1" else "2")
    assert [app.test_client().get(f"/zh/requests/{unknown}").status_code for _ in range(2)] == [404, 404]


@pytest.mark.parametrize("path", ["/zh/requests/new", "/zh/track", "/zh/login", "/zh/wall/new"])
def test_head_of_a_form_page_is_answered_like_get(client, guide, path):
    """HEAD is not a submission: the page's answer without a body, not a 422."""
    assert client.head(path).status_code == 200


@pytest.mark.parametrize("lang, wrong, locked", [("zh", "查询码与该诉求不符。", "需求收集"), ("en", "That access code does not open this request.", "Stage: Received")])
def test_the_e_mail_link_with_a_wrong_code_says_so_and_the_right_one_unlocks(app, client, guide, lang, wrong, locked):
    """The link in the confirmation mail carries the code: a wrong one answers with a
    message on the locked page (422, not the cached page alone, and nothing put in the
    session: no flash); the right one opens it."""
    number, code, _ = file_request(client, lang)
    visitor = app.test_client()
    visitor.get(f"/{lang}/requests/{number}")  # the locked page is in the cache now
    bad = visitor.get(f"/{lang}/requests/{number}", query_string={"code": "WRONG-CODE"})
    assert bad.status_code == 422
    shown = text_of(bad)
    assert wrong in shown, shown
    assert locked in shown, shown
    assert wrong not in text_of(visitor.get(f"/{lang}/requests/{number}"))  # said once
    good = visitor.get(f"/{lang}/requests/{number}", query_string={"code": code})
    unlocked = visitor.get(good.location)
    assert wrong not in text_of(unlocked) and 'name="code"' not in unlocked.get_data(as_text=True)
