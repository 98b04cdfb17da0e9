"""Staff at a glance (issue 23, item 5; docs/council/at-a-glance.md), without JavaScript:
the request queue's rows (the description's start with contacts masked, a photo marker,
the urgent badge; observers see no excerpt), the service filter by name, the stage
change that says old → new, and bulk actions that start unchosen, ask first, and never
approve a flagged wish no moderator has opened."""

from __future__ import annotations

import re
from itertools import count

import pytest
import sqlalchemy as sa

from app.core.models import AuditLog
from app.core.timeutil import utcnow
from app.extensions import db
from app.guide.models import GuideEntry
from app.intake.models import RequestAttachment, RequestEvent, ServiceRequest
from app.org.models import Building, Department
from app.wall.models import Wish
from tests.conftest import count_statements, csrf_from, text_of
from tests.guide_fixtures import make_entries
from tests.test_wall import post_wish

ST = "shanghai-tower"
DESCRIPTION = "大堂空调太冷，请回电 13812345678 或 021-12345678，邮箱 wang.xm@example.com，我们在 52 楼东侧会议室，下午三点以后一直有人，麻烦尽快派人来看看，谢谢！"
_serial = count(1)


def make_request(app, *, description=DESCRIPTION, photos=0, pdfs=0, urgent=False, entry_slug=None, stage="received") -> str:
    n = next(_serial)
    number = f"LS-2026-{800000 + n:06d}"
    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == ST))
        market = db.session.scalar(sa.select(Department).where(Department.code == "market"))
        entry_id = db.session.scalar(sa.select(GuideEntry.id).where(GuideEntry.slug == entry_slug)) if entry_slug else None
        now = utcnow()
        req = ServiceRequest(
            tracking_no=number, access_code_hash="x" * 64, submission_key=f"glance-{n}", building_id=building.id,
            department_id=market.id, entry_id=entry_id, description=description, contact_name="王小明",
            phone="13812345678", stage=stage, urgent=urgent, created_at=now, updated_at=now,
        )
        db.session.add(req)
        db.session.flush()
        event = RequestEvent(request_id=req.id, kind="submitted", public=True, by_requester=True, to_stage="received", created_at=now)
        db.session.add(event)
        db.session.flush()
        for i in range(photos):
            db.session.add(RequestAttachment(request_id=req.id, event_id=event.id, storage_name=f"g{n}-{i}.jpg",
                                             original_name="photo.jpg", content_type="image/jpeg", size=100))
        for i in range(pdfs):
            db.session.add(RequestAttachment(request_id=req.id, event_id=event.id, storage_name=f"g{n}-{i}.pdf",
                                             original_name="scan.pdf", content_type="application/pdf", size=100))
        db.session.commit()
        db.session.remove()
    return number


def row_of(html: str, number: str) -> str:
    found = re.search(rf'<tr [^>]*id="queue-{number}".*?</tr>', html, re.S)
    assert found, number
    return found.group(0)


def row_text(html: str, number: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", row_of(html, number)).split())


# --- 1. the queue's rows -------------------------------------------------------------------


def test_a_queue_row_shows_the_masked_excerpt_the_photos_and_the_urgent_badge(app, client, auth, demo):
    with_photos = make_request(app, photos=2, pdfs=1, urgent=True)
    plain = make_request(app, description="打印机坏了")
    auth.login("council@example.com")
    html = client.get("/zh/council/requests/").get_data(as_text=True)
    row = row_text(html, with_photos)
    # the description's start, phones and e-mail masked as on the request page before a reveal
    assert "大堂空调太冷，请回电 138****5678 或 021-****5678，邮箱 w***@example.com" in row
    assert "13812345678" not in html and "12345678" not in row and "wang.xm@" not in html
    assert "…" in row and "麻烦尽快派人来看看，谢谢！" not in row  # cut at about 80 characters
    # photos: an icon and words for a screen reader; the PDF is no photo
    assert "有 2 张照片" in row and 'class="visually-hidden">有 2 张照片<' in row_of(html, with_photos)
    assert "紧急" in row
    plain_row = row_text(html, plain)
    assert "打印机坏了" in plain_row and "照片" not in plain_row and "紧急" not in plain_row
    # on a phone each cell names its column (stacked cards)
    assert 'data-label="阶段"' in row_of(html, plain) and 'data-label="期限"' in row_of(html, plain)


def test_english_queue_says_has_n_photos(app, client, auth, demo):
    number = make_request(app, photos=1)
    auth.login("council@example.com", lang="en")
    html = client.get("/en/council/requests/").get_data(as_text=True)
    assert "has 1 photo" in row_text(html, number)


def test_an_observer_sees_no_excerpt_and_no_photo_marker(app, client, auth, demo):
    number = make_request(app, photos=2)
    auth.login("observer@example.com", lang="en")
    html = client.get("/en/council/requests/").get_data(as_text=True)
    row = row_text(html, number)
    assert number in row and "Received" in row  # the stage, as for everyone
    assert "大堂空调" not in html and "138****5678" not in html and "photo" not in row


def test_the_queue_runs_as_many_queries_for_one_row_as_for_many(app, client, auth, demo):
    make_entries(app)
    make_request(app, photos=1, entry_slug="food-licence")
    auth.login("council@example.com")
    client.get("/zh/council/requests/")
    one = count_statements(app, client, "/zh/council/requests/")
    for i in range(6):
        make_request(app, photos=i % 3, entry_slug="fire-check" if i % 2 else None)
    many = count_statements(app, client, "/zh/council/requests/")
    assert many == one, (one, many)


# --- 2. the service filter by name ----------------------------------------------------------


def test_the_service_filter_is_a_list_of_services_by_name_and_names_the_chosen_one(app, client, auth, demo):
    make_entries(app)
    food = make_request(app, entry_slug="food-licence", description="咖啡店许可")
    other = make_request(app, description="别的事")
    auth.login("council@example.com")
    page = client.get("/zh/council/requests/").get_data(as_text=True)
    select = re.search(r'<select name="service" id="queue-service"[^>]*>.*?</select>', page, re.S).group(0)
    # the request form's picker makes it a combobox fed by the guide's search
    assert "data-combobox" in select and 'data-suggest-url="/zh/guide/suggest"' in select and "data-text-name" not in select
    assert '<option value="">全部服务</option>' in select
    assert '<option value="food-licence">食品经营许可证办理</option>' in select
    assert '<option value="other">其他诉求</option>' in select
    assert "slug or other" not in page and 'placeholder="' not in select
    # choosing a service by name (a plain GET without JS)
    chosen = client.get("/zh/council/requests/", query_string={"service": "food-licence"})
    html = chosen.get_data(as_text=True)
    assert food in html and other not in html
    assert '<option value="food-licence" selected>食品经营许可证办理</option>' in html
    assert "“食品经营许可证办理”：1 条诉求" in text_of(chosen)
    others = client.get("/zh/council/requests/", query_string={"service": "other"}).get_data(as_text=True)
    assert other in others and food not in others and '<option value="other" selected>' in others


def test_a_suspended_service_is_still_named_in_the_filter(app, client, auth, demo):
    make_entries(app)
    number = make_request(app, entry_slug="food-licence")
    with app.app_context():
        db.session.execute(sa.update(GuideEntry).where(GuideEntry.slug == "food-licence").values(status="suspended"))
        db.session.commit()
    auth.login("council@example.com", lang="en")
    response = client.get("/en/council/requests/", query_string={"service": "food-licence"})
    html = response.get_data(as_text=True)
    assert number in html and re.search(r'<option value="food-licence" selected>[^<]+</option>', html)


# --- 3. a stage change says what changed ----------------------------------------------------


def _stage_post(client, number, lang="zh", headers=None, **data):
    page = client.get(f"/{lang}/council/requests/{number}").get_data(as_text=True)
    return client.post(f"/{lang}/council/requests/{number}/stage", data={"csrf_token": csrf_from(page), **data}, headers=headers or {})


def test_without_js_the_stage_change_flash_says_old_and_new_stage(app, client, auth, demo):
    number = make_request(app, stage="assigned")
    auth.login("council@example.com")
    response = _stage_post(client, number, stage="in_progress")
    assert response.status_code == 303
    assert "阶段已从 议题共商 改为 资源整合。" in text_of(client.get(response.location))
    auth.logout()
    auth.login("council@example.com", lang="en")
    response = _stage_post(client, number, lang="en", stage="resolved")
    assert "Stage changed from “In progress” to “Resolved”." in text_of(client.get(response.location))


def test_with_htmx_the_stage_box_says_what_changed_and_the_timeline_comes_along(app, client, auth, demo):
    number = make_request(app, stage="assigned")
    auth.login("council@example.com")
    response = _stage_post(client, number, headers={"HX-Request": "true"}, stage="in_progress", note="物业已到场")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="stage-box"')
    assert re.search(r'<p class="flash flash-success stage-done" id="stage-done" role="status">阶段已从 议题共商 改为 资源整合。</p>', html)
    assert 'aria-describedby="stage-done"' in html  # the button that keeps the focus says it too
    timeline = re.search(r'<ol class="timeline" id="timeline" data-hx-swap-oob="true">.*?</ol>', html, re.S).group(0)
    assert "物业已到场" in timeline and "资源整合" in timeline
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "request.stage")) == 1


# --- 4. bulk actions on wishes --------------------------------------------------------------


def _wishes(app, client, bodies) -> list[int]:
    for body in bodies:
        assert post_wish(client, body=body).status_code == 303
    with app.app_context():
        return list(db.session.scalars(sa.select(Wish.id).order_by(Wish.id)))


def test_the_bulk_bar_starts_unchosen_and_without_an_action_keeps_the_selection(app, client, auth, demo):
    first, second = _wishes(app, client, ["希望增加共享雨伞", "希望大堂有咖啡角"])
    auth.login("council@example.com")
    page = client.get("/zh/council/wall/").get_data(as_text=True)
    select = re.search(r'<select name="action" id="bulk-action"[^>]*>.*?</select>', page, re.S).group(0)
    assert re.match(r'<select[^>]*>\s*<option value="">选择操作…</option>', select) and "selected" not in select
    response = client.post("/zh/council/wall/bulk", data={"csrf_token": csrf_from(page), "ids": [str(first), str(second)], "action": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请为所选心愿选择操作。" in text_of(response)
    for wish_id in (first, second):
        assert re.search(rf'name="ids" value="{wish_id}" form="bulk-form"[^>]*checked', html)
    assert 'aria-invalid="true" aria-describedby="bulk-action-error"' in html
    # nothing selected at all
    nothing = client.post("/zh/council/wall/bulk", data={"csrf_token": csrf_from(page), "action": "approve"})
    assert nothing.status_code == 422 and "请至少选择一条心愿。" in text_of(nothing)
    with app.app_context():
        assert set(db.session.scalars(sa.select(Wish.status))) == {"pending"}


def test_bulk_asks_first_with_the_count_then_acts_and_audits(app, client, auth, demo):
    ids = _wishes(app, client, ["希望增加共享雨伞", "希望大堂有咖啡角", "希望周五有市集"])
    auth.login("council@example.com", lang="en")
    page = client.get("/en/council/wall/").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "ids": [str(i) for i in ids], "action": "reject"}
    question = client.post("/en/council/wall/bulk", data=data)
    text = text_of(question)
    assert question.status_code == 200 and "Reject 3 wishes?" in text
    assert all(body in text for body in ("希望增加共享雨伞", "希望大堂有咖啡角", "希望周五有市集"))  # the list
    confirm = question.get_data(as_text=True)
    assert re.search(r'<form action="/en/council/wall/bulk" method="post" id="bulk-confirm"', confirm)
    assert 'name="confirm" value="1"' in confirm and 'name="csrf_token"' in confirm
    with app.app_context():
        assert set(db.session.scalars(sa.select(Wish.status))) == {"pending"}  # nothing done yet
    done = client.post("/en/council/wall/bulk", data={**data, "csrf_token": csrf_from(confirm), "confirm": "1"})
    assert done.status_code == 303 and "3 wishes updated." in text_of(client.get(done.location))
    with app.app_context():
        assert set(db.session.scalars(sa.select(Wish.status))) == {"rejected"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "wish.reject")) == 3
    # the CSRF token is checked on the confirmation too
    assert client.post("/en/council/wall/bulk", data={**data, "csrf_token": "x", "confirm": "1"}).status_code == 400


def test_bulk_approve_skips_a_flagged_wish_until_a_moderator_opens_it(app, client, auth, demo):
    plain, flagged, opened = _wishes(app, client, ["希望增加共享雨伞", "希望大堂有咖啡角", "希望周五有市集"])
    with app.app_context():
        # flagged by the word filter and by reports (as services.post_wish / report set them)
        db.session.execute(sa.update(Wish).where(Wish.id.in_([flagged, opened])).values(flagged_words=["测试词"]))
        db.session.execute(sa.update(Wish).where(Wish.id == flagged).values(report_count=2))
        db.session.commit()
    auth.login("council@example.com")
    queue = client.get("/zh/council/wall/").get_data(as_text=True)
    assert text_of(client.get("/zh/council/wall/")).count("被举报或标记：批量通过前请先打开查看") == 2
    assert client.get(f"/zh/council/wall/{opened}").status_code == 200  # a moderator opens it
    with app.app_context():
        wish = db.session.get(Wish, opened)
        assert wish.opened_at is not None and wish.opened_by_id is not None
        assert db.session.get(Wish, flagged).opened_at is None
    data = {"csrf_token": csrf_from(queue), "ids": [str(plain), str(flagged), str(opened)], "action": "approve"}
    question = client.post("/zh/council/wall/bulk", data=data)
    text = text_of(question)
    assert "通过 3 条心愿？" in text and "其中 1 条被举报或标记，尚无管理员查看，将被跳过" in text
    assert text.count("被举报或标记、尚未查看：将跳过") == 1
    done = client.post("/zh/council/wall/bulk", data={**data, "confirm": "1"})
    after = text_of(client.get(done.location))
    assert "已更新 2 条心愿。" in after and "1 条被举报或标记的心愿需逐条查看后再通过。" in after
    with app.app_context():
        statuses = {w.id: w.status for w in db.session.scalars(sa.select(Wish))}
        assert statuses == {plain: "approved", flagged: "pending", opened: "approved"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "wish.approve")) == 2


def test_a_new_report_means_the_wish_must_be_opened_again(app, client, auth, demo):
    from tests.test_wall import approve_as_council

    (wish_id,) = _wishes(app, client, ["希望增加共享雨伞"])
    auth.login("council@example.com")
    client.get(f"/zh/council/wall/{wish_id}")
    auth.logout()
    assert approve_as_council(client, auth, wish_id).status_code == 303
    with app.app_context():
        assert db.session.get(Wish, wish_id).opened_at is not None
        from app.wall.services import report

        report(db.session.get(Wish, wish_id), "reporter-1", "广告")
        db.session.commit()
        assert db.session.get(Wish, wish_id).opened_at is None


@pytest.mark.parametrize("lang,question", [("zh", "将 1 条诉求分派至"), ("en", "Assign 1 request to")])
def test_request_bulk_assign_asks_first_in_both_languages(app, client, auth, demo, lang, question):
    number = make_request(app)
    auth.login("admin@example.com", lang=lang)
    page = client.get(f"/{lang}/council/requests/", query_string={"stage": "all"}).get_data(as_text=True)
    rid = re.search(rf'name="ids" value="(\d+)" form="bulk-assign" aria-label="[^"]*{number}"', page).group(1)
    back = re.search(r'name="back" value="([^"]+)"', page).group(1)
    assert back.endswith("?stage=all")
    with app.app_context():
        police = db.session.scalar(sa.select(Department.id).where(Department.code == "police"))
    response = client.post(f"/{lang}/council/requests/assign", data={"csrf_token": csrf_from(page), "ids": [rid], "department": str(police), "back": back.replace("&amp;", "&")})
    assert response.status_code == 200 and question in text_of(response) and number in text_of(response)
    done = client.post(f"/{lang}/council/requests/assign", data={"csrf_token": csrf_from(page), "ids": [rid], "department": str(police), "confirm": "1", "back": "//evil.example/"})
    assert done.status_code == 303 and done.location.endswith(f"/{lang}/council/requests/")  # never elsewhere
