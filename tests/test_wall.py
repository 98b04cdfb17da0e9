"""Wish wall: posting with its anti-abuse, pre-moderation, supports (exact under
concurrency), reports (counted per person; the hide rule), moderation, claim and fulfil."""

from __future__ import annotations

import io
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from PIL import Image

from app.core.models import AuditLog
from app.extensions import db
from app.wall.models import Claim, Project, Resource, Wish, WishSupport
from tests.conftest import csrf_from, text_of

WISH = "希望楼里开设午间瑜伽课，缓解久坐疲劳。"


def post_wish(client, lang="zh", **overrides):
    html = client.get(f"/{lang}/wall/new").get_data(as_text=True)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_from(html), "started": started, "building": "shanghai-tower", "body": WISH, "display_name": "", "contact": "", "website": ""}
    data.update(overrides)
    return client.post(f"/{lang}/wall/new", data=data)


def the_wish(app) -> Wish:
    with app.app_context():
        wish = db.session.scalars(sa.select(Wish).order_by(Wish.id.desc())).first()
        db.session.expunge_all()
        return wish


def approve_as_council(client, auth, wish_id: int):
    auth.login("council@example.com")
    page = client.get("/zh/council/wall/").get_data(as_text=True)
    response = client.post(f"/zh/council/wall/{wish_id}/approve", data={"csrf_token": csrf_from(page)})
    auth.logout()
    return response


# --- posting -------------------------------------------------------------------------------


def test_a_wish_waits_for_review_and_the_author_can_follow_it(app, client, demo):
    response = post_wish(client, display_name="<b>小王</b>", contact="wang@example.com")
    assert response.status_code == 303 and "/zh/wall/mine/" in response.location
    page = client.get(response.location)
    text = text_of(page)
    assert "等待审核" in text and WISH in text and "跟踪您的心愿" in text
    assert WISH not in text_of(client.get("/zh/wall/"))  # not on the wall before approval
    wish = the_wish(app)
    assert wish.status == "pending" and wish.display_name == "<b>小王</b>" and wish.contact == "wang@example.com"


def test_bad_input_gets_translated_messages_and_keeps_the_text(app, client, demo):
    long = post_wish(client, body="长" * 301)
    assert long.status_code == 422 and "最多 300 个字" in text_of(long)
    assert "长" * 301 in long.get_data(as_text=True)
    empty = post_wish(client, body="   ")
    assert empty.status_code == 422 and "请写下您的心愿" in text_of(empty)
    nobuilding = post_wish(client, building="nowhere")
    assert nobuilding.status_code == 422 and "请选择您所在的楼宇" in text_of(nobuilding)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


def test_odd_text_is_stored_and_shown_as_text(app, client, auth, demo):
    body = "<script>alert('x')</script> 🎉 ＡＢＣ 混合 mixed テスト"
    post_wish(client, body=body)
    wish = the_wish(app)
    approve_as_council(client, auth, wish.id)
    html = client.get("/zh/wall/").get_data(as_text=True)
    assert "<script>alert('x')" not in html and "&lt;script&gt;" in html and "🎉" in html and "ABC" in html


def test_honeypot_stores_nothing(app, client, demo):
    response = post_wish(client, website="http://spam.example")
    assert response.status_code == 200 and "等待审核" in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


def test_minimum_fill_time(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "WALL_MIN_FILL_SECONDS", 30)
    response = post_wish(client)
    assert response.status_code == 422 and "填写得太快了" in text_of(response)
    assert WISH in response.get_data(as_text=True)  # nothing the person typed is lost
    forged = post_wish(client, started="12345.forged")
    assert forged.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


def test_posting_is_rate_limited_per_browser_and_per_ip(app, client, demo):
    app.config["RATELIMIT_ENABLED"] = True
    try:
        statuses = [post_wish(client, body=f"{WISH}{i}").status_code for i in range(5)]
    finally:
        app.config["RATELIMIT_ENABLED"] = True
    assert statuses[:3] == [303, 303, 303] and statuses[3] == 429


def test_sensitive_words_flag_the_wish_for_the_moderator(app, client, auth, demo):
    post_wish(client, body="加微信领取高额回报，名额有限")
    wish = the_wish(app)
    assert set(wish.flagged_words) >= {"加微信", "高额回报"} and wish.status == "pending"
    auth.login("council@example.com")
    html = client.get("/zh/council/wall/").get_data(as_text=True)
    assert "<mark>加微信</mark>" in html and "敏感词" in text_of(client.get("/zh/council/wall/"))


# --- the wall, supports and reports -----------------------------------------------------------


def test_support_once_per_person_with_htmx(app, client, auth, demo):
    post_wish(client)
    wish = the_wish(app)
    approve_as_council(client, auth, wish.id)
    page = client.get("/zh/wall/").get_data(as_text=True)
    assert WISH in page
    token = csrf_from(page)
    first = client.post(f"/zh/wall/{wish.id}/support", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert first.status_code == 200 and '<span class="support-count"' in first.get_data(as_text=True)
    assert re.search(r'class="support-count"[^>]*>1<', first.get_data(as_text=True))
    again = client.post(f"/zh/wall/{wish.id}/support", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert re.search(r'class="support-count"[^>]*>1<', again.get_data(as_text=True)) and "您已经支持过" in text_of(again)
    other = app.test_client()
    other_token = csrf_from(other.get("/zh/wall/").get_data(as_text=True))
    nojs = other.post(f"/zh/wall/{wish.id}/support", data={"csrf_token": other_token})
    assert nojs.status_code == 303
    with app.app_context():
        assert db.session.get(Wish, wish.id).support_count == 2


def test_concurrent_supports_count_exactly(app, demo):
    with app.app_context():
        from app.org.models import Building
        from app.wall.services import post_wish as create, support

        building = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        wish, _token = create(building, WISH, "", "", "zh")
        wish.status = "approved"
        db.session.commit()
        wish_id = wish.id

    def one(i: int) -> bool:
        with app.app_context():
            from app.core.db import begin_write

            begin_write(db.session)  # as every POST does (BEGIN IMMEDIATE on SQLite)
            target = db.session.get(Wish, wish_id)
            _count, added = support(target, f"client-{i % 20}")  # 20 distinct people, each clicking twice
            db.session.commit()
            db.session.remove()
            return added

    with ThreadPoolExecutor(max_workers=20) as pool:
        added = list(pool.map(one, range(40)))
    assert sum(added) == 20
    with app.app_context():
        assert db.session.get(Wish, wish_id).support_count == 20
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WishSupport).where(WishSupport.wish_id == wish_id)) == 20


def test_five_reports_from_different_people_hide_the_wish(app, client, auth, demo):
    """Five distinct people (five networks) take a wish without supports off the wall; the
    same person twice counts once.  (Fewer, or fresh cookies on one network: only queued
    for review, tests/test_wishes_security.py.)"""
    post_wish(client)
    wish = the_wish(app)
    approve_as_council(client, auth, wish.id)
    reporters = [app.test_client() for _ in range(5)]
    for i, reporter in enumerate(reporters):
        reporter.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"
        form = reporter.get(f"/zh/wall/{wish.id}/report").get_data(as_text=True)
        response = reporter.post(f"/zh/wall/{wish.id}/report", data={"csrf_token": csrf_from(form), "reason": "广告信息"})
        assert response.status_code == 200 and "举报已收到" in text_of(response)
        if i == 0:  # the same person twice counts once
            reporter.post(f"/zh/wall/{wish.id}/report", data={"csrf_token": csrf_from(form), "reason": "广告信息"})
            with app.app_context():
                assert db.session.get(Wish, wish.id).report_count == 1
        if i < 4:
            assert WISH in text_of(client.get("/zh/wall/"))
    assert WISH not in text_of(client.get("/zh/wall/"))
    with app.app_context():
        assert db.session.get(Wish, wish.id).status == "hidden"
    auth.login("council@example.com")
    assert WISH in text_of(client.get("/zh/council/wall/", query_string={"queue": "hidden"}))


def test_support_or_report_of_unknown_or_hidden_wish_is_404(app, client, demo):
    post_wish(client)
    wish = the_wish(app)  # still pending
    token = csrf_from(client.get("/zh/wall/new").get_data(as_text=True))
    assert client.post(f"/zh/wall/{wish.id}/support", data={"csrf_token": token}).status_code == 404
    assert client.post("/zh/wall/999999/support", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/zh/wall/{wish.id}/report", data={"csrf_token": token, "reason": "x y"}).status_code == 404


# --- moderation, claim, fulfil -------------------------------------------------------------------


def test_moderator_of_another_building_gets_403(app, client, auth, demo):
    post_wish(client, building="jin-mao-tower")
    wish = the_wish(app)
    auth.login("council@example.com")  # shanghai-tower only
    page = client.get("/zh/council/wall/").get_data(as_text=True)
    assert WISH not in text_of(client.get("/zh/council/wall/"))
    assert client.post(f"/zh/council/wall/{wish.id}/approve", data={"csrf_token": csrf_from(page)}).status_code == 403
    auth.logout()
    auth.login("staff@example.com")  # department staff do not moderate
    assert client.get("/zh/council/wall/").status_code == 403


def test_reject_hide_edit_bulk_and_audit(app, client, auth, demo):
    post_wish(client, body="第一个心愿：希望有读书角")
    post_wish(client, body="第二个心愿：希望有健身房")
    auth.login("council@example.com")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Wish.id).order_by(Wish.id)).all()
    page = client.get("/zh/council/wall/").get_data(as_text=True)
    token = csrf_from(page)
    rejected = client.post(f"/zh/council/wall/{first}/reject", data={"csrf_token": token, "reason": "重复"}, headers={"HX-Request": "true"})
    assert rejected.status_code == 200 and 'id="mod-%d"' % first in rejected.get_data(as_text=True) and "已驳回" in text_of(rejected)
    question = client.post("/zh/council/wall/bulk", data={"csrf_token": token, "action": "approve", "ids": [str(second)]})
    assert question.status_code == 200 and "通过 1 条心愿？" in text_of(question)  # asked first
    response = client.post("/zh/council/wall/bulk", data={"csrf_token": token, "action": "approve", "ids": [str(second)], "confirm": "1"})
    assert response.status_code == 303
    edited = client.post(f"/zh/council/wall/{second}/edit", data={"csrf_token": token, "text": "希望楼里有一间健身房"})
    assert edited.status_code == 303
    wall = text_of(client.get("/zh/wall/"))
    assert "希望楼里有一间健身房" in wall and "第二个心愿" not in wall and "第一个心愿" not in wall
    with app.app_context():
        wish = db.session.get(Wish, second)
        assert wish.body == "第二个心愿：希望有健身房"  # the original is kept
        assert db.session.get(Wish, first).reject_reason == "重复"
        actions = set(db.session.scalars(sa.select(AuditLog.action)))
        assert {"wish.reject", "wish.approve", "wish.edit"} <= actions


def _photo() -> bytes:
    image = Image.new("RGB", (30, 20), (10, 120, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N"}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_claim_fulfil_and_project(app, client, auth, demo, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    post_wish(client)
    wish = the_wish(app)
    with app.app_context():
        from app.org.models import Building

        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        resource = Resource(building_id=tower.id, org_zh="东方医院", org_en="East Hospital", offer_zh="健康讲座", offer_en="Health talks")
        db.session.add(resource)
        db.session.commit()
        resource_id = resource.id
    auth.login("council@example.com")
    token = csrf_from(client.get("/zh/council/wall/").get_data(as_text=True))
    client.post(f"/zh/council/wall/{wish.id}/approve", data={"csrf_token": token})
    missing = client.post(f"/zh/council/wall/{wish.id}/claim", data={"csrf_token": token, "resource": str(resource_id), "plan": ""})
    assert missing.status_code == 422 and "请填写计划" in text_of(missing)
    claimed = client.post(f"/zh/council/wall/{wish.id}/claim", data={"csrf_token": token, "resource": str(resource_id), "plan": "每周三中午开课", "target_on": "2026-12-20"})
    assert claimed.status_code == 303
    assert "东方医院认领" in text_of(client.get("/zh/wall/"))
    done = client.post(f"/zh/council/wall/{wish.id}/fulfil", data={"csrf_token": token, "result": "瑜伽课已开课，每周 30 人参加", "photo": (io.BytesIO(_photo()), "class.jpg")})
    assert done.status_code == 303
    wall = client.get("/zh/wall/", query_string={"sort": "fulfilled"})
    assert "已实现" in text_of(wall) and "瑜伽课已开课" in text_of(wall)
    photo_url = re.search(r'src="(/zh/wall/\d+/photo)"', wall.get_data(as_text=True)).group(1)
    photo = client.get(photo_url)
    assert photo.status_code == 200 and photo.data[:3] == b"\xff\xd8\xff" and b"Exif" not in photo.data
    project = client.post(f"/zh/council/wall/{wish.id}/project", data={"csrf_token": token, "title_zh": "午间瑜伽课", "title_en": "Lunchtime yoga"})
    assert project.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Project.title_en).where(Project.wish_id == wish.id)) == "Lunchtime yoga"
        assert db.session.scalar(sa.select(Claim.result).where(Claim.wish_id == wish.id)).startswith("瑜伽课已开课")


def test_wall_sorts_and_load_more(app, client, demo):
    with app.app_context():
        from app.core.timeutil import utcnow
        from app.org.models import Building
        from app.wall.services import post_wish as create

        building = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        for i in range(30):
            wish, _t = create(building, f"心愿编号{i:02d}号", "", "", "zh")
            wish.status, wish.published_at, wish.support_count = "approved", utcnow(), i
        db.session.commit()
    newest = client.get("/zh/wall/")
    assert "心愿编号29号" in text_of(newest) and "心愿编号00号" not in text_of(newest) and "加载更多" in text_of(newest)
    more = client.get("/zh/wall/", query_string={"page": 2}, headers={"HX-Request": "true"})
    assert "心愿编号00号" in text_of(more)
    top = text_of(client.get("/zh/wall/", query_string={"sort": "top"}))
    assert top.index("心愿编号29号") < top.index("心愿编号28号")
    assert "还没有已实现的心愿" in text_of(client.get("/zh/wall/", query_string={"sort": "fulfilled"}))


def test_wall_page_runs_a_constant_number_of_queries(app, client, demo):
    from sqlalchemy import event

    def count_for(n: int) -> int:
        with app.app_context():
            from app.core.timeutil import utcnow
            from app.org.models import Building
            from app.wall.services import post_wish as create

            building = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
            for i in range(n):
                wish, _t = create(building, f"批量心愿{i}", "", "", "zh")
                wish.status, wish.published_at = "approved", utcnow()
            db.session.commit()
            statements = []
            listener = lambda *args: statements.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/zh/wall/").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(statements)

    assert count_for(3) == count_for(40)


def test_seed_demo_fills_the_wall(app, runner):
    result = runner.invoke(args=["seed-demo", "--password", "demo-password-1234"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        states = set(db.session.execute(sa.select(Wish.status, Wish.progress)).all())
        assert {("pending", "open"), ("approved", "open"), ("approved", "claimed"), ("approved", "fulfilled"), ("hidden", "open"), ("rejected", "open")} <= states
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Resource)) >= 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish).where(Wish.lang == "en")) >= 2


def test_the_report_form_gives_each_visitor_their_own_token(app, client, auth, demo):
    post_wish(client)
    wish = the_wish(app)
    approve_as_council(client, auth, wish.id)
    tokens = set()
    for i in range(2):
        reporter = app.test_client()
        reporter.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"  # two people: two networks
        token = csrf_from(reporter.get(f"/zh/wall/{wish.id}/report").get_data(as_text=True))
        tokens.add(token)
        response = reporter.post(f"/zh/wall/{wish.id}/report", data={"csrf_token": token, "reason": f"广告信息 {i}"})
        assert response.status_code == 200 and "举报已收到" in text_of(response)
    assert len(tokens) == 2
    with app.app_context():
        assert db.session.get(Wish, wish.id).report_count == 2
    assert app.test_client().get("/zh/wall/999999/report").status_code == 404


def test_reports_are_rate_limited_but_the_report_form_is_not(app, client, auth, demo):
    post_wish(client)
    wish = the_wish(app)
    approve_as_council(client, auth, wish.id)
    reporter = app.test_client()
    url = f"/zh/wall/{wish.id}/report"
    app.config.update(RATELIMIT_ENABLED=True, WALL_REPORT_LIMIT="2 per hour")
    try:
        for _ in range(5):
            form = reporter.get(url)
            assert form.status_code == 200
        statuses = [reporter.post(url, data={"csrf_token": csrf_from(form.get_data(as_text=True)), "reason": "广告信息"}).status_code
                    for _ in range(3)]
        assert reporter.get(url).status_code == 200
    finally:
        app.config.update(RATELIMIT_ENABLED=True, WALL_REPORT_LIMIT="10 per hour")
    assert statuses == [200, 200, 429]


def test_the_private_follow_page_is_for_the_link_only_and_never_stored_by_browsers(app, client, auth, demo):
    follow = post_wish(client).location.split("?")[0]
    page = app.test_client().get(follow)
    assert "等待审核" in text_of(page)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert not any(c.startswith("loushi_session=") for c in page.headers.getlist("Set-Cookie"))  # no form: no session
    again = app.test_client().get(follow)
    assert again.headers["Cache-Control"] == "no-store" and again.get_data() == page.get_data()
    other = follow[:-4] + ("AAAA" if not follow.endswith("AAAA") else "BBBB")
    assert app.test_client().get(other).status_code == 404  # another link is another page
    approve_as_council(client, auth, the_wish(app).id)
    assert "已上墙" in text_of(app.test_client().get(follow))  # the moderation shows at once
