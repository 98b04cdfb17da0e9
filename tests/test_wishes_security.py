"""Issue 16, item 8: wishes that strangers cannot remove.

Supports and reports count once per PERSON, not per cookie: a fresh cookie on the same
network (the keyed hash of the client's address) does not make a new reporter, and
supports from one network count up to a daily allowance per wish.  A published wish is
hidden automatically only by reporters whose earlier reports moderators upheld, or by a
number of distinct reporters scaled by the wish's supports; it then heads the moderation
queue with an alert, and the moderator's decision updates the reporters' reputation."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.core.models import AuditLog
from app.extensions import db
from app.wall.models import Wish
from tests.conftest import csrf_from, text_of

WISH = "希望楼里开设午间瑜伽课，缓解久坐疲劳。"
OTHER = "希望大堂多放几把椅子，方便等候的访客。"


def approved_wish(app, text: str = WISH, supports: int = 0) -> int:
    from app.org.models import Building
    from app.wall.services import post_wish

    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        wish, _token = post_wish(building, text, "", "", "zh")
        wish.status, wish.published_at, wish.support_count = "approved", wish.created_at, supports
        db.session.commit()
        wish_id = wish.id
        db.session.remove()
    return wish_id


def person(app, ip: str = "127.0.0.1"):
    """A fresh browser (no cookie yet) at the address ``ip``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def report(client, wish_id: int, reason: str = "这是广告信息"):
    form = client.get(f"/zh/wall/{wish_id}/report").get_data(as_text=True)
    response = client.post(f"/zh/wall/{wish_id}/report", data={"csrf_token": csrf_from(form), "reason": reason})
    assert response.status_code == 200 and "举报已收到" in text_of(response)
    return response


def status_of(app, wish_id: int) -> Wish:
    with app.app_context():
        wish = db.session.get(Wish, wish_id)
        db.session.expunge_all()
        return wish


def council(app, lang="zh"):
    client = app.test_client()
    page = client.get(f"/{lang}/login")
    from tests.conftest import DEMO_PASSWORD

    client.post(f"/{lang}/login", data={"email": "council@example.com", "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
    return client


def moderate(client, wish_id: int, action: str):
    token = csrf_from(client.get("/zh/council/wall/").get_data(as_text=True))
    response = client.post(f"/zh/council/wall/{wish_id}/{action}", data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    return response


# --- reports -----------------------------------------------------------------------------------


def test_three_reports_from_fresh_cookies_on_one_ip_do_not_hide_the_wish(app, demo):
    wish_id = approved_wish(app)
    for _ in range(3):
        report(person(app, "203.0.113.7"), wish_id)
    assert WISH in text_of(app.test_client().get("/zh/wall/"))
    wish = status_of(app, wish_id)
    assert wish.status == "approved" and wish.report_count == 1  # one network, one reporter
    # queued for review instead: the moderator sees it among the reported wishes
    moderator = council(app)
    reported = text_of(moderator.get("/zh/council/wall/", query_string={"queue": "reported"}))
    assert WISH in reported and "1 次举报" in reported


def test_reports_from_distinct_fresh_people_hide_only_past_a_threshold_scaled_by_supports(app, demo):
    quiet = approved_wish(app, WISH)
    popular = approved_wish(app, OTHER, supports=100)  # max(5, 100 / 10) = 10 reporters
    for i in range(5):
        report(person(app, f"198.51.100.{i + 1}"), quiet)
        report(person(app, f"198.51.100.{i + 1}"), popular)
    assert status_of(app, quiet).status == "hidden"
    assert status_of(app, popular).status == "approved"
    wall = text_of(app.test_client().get("/zh/wall/"))
    assert WISH not in wall and OTHER in wall
    for i in range(5, 10):
        report(person(app, f"198.51.100.{i + 1}"), popular)
    assert status_of(app, popular).status == "hidden"


def test_reports_by_reporters_with_upheld_history_from_distinct_ips_hide_the_wish(app, demo):
    first = approved_wish(app, "第一个心愿：楼里全是广告")
    reporters = [person(app, "192.0.2.10"), person(app, "192.0.2.20")]
    for reporter in reporters:
        report(reporter, first)
    assert status_of(app, first).status == "approved"  # two fresh people: queued only
    moderator = council(app)
    moderate(moderator, first, "hide")  # the moderator upholds their reports

    # A fresh pair on two other networks still only queues a wish…
    control = approved_wish(app, OTHER)
    for ip in ("192.0.2.30", "192.0.2.40"):
        report(person(app, ip), control)
    assert status_of(app, control).status == "approved"
    # …but the two reporters whose reports were upheld take the next one off the wall.
    second = approved_wish(app, WISH)
    report(reporters[0], second)
    assert status_of(app, second).status == "approved"
    report(reporters[1], second)
    assert status_of(app, second).status == "hidden"
    assert WISH not in text_of(app.test_client().get("/zh/wall/"))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "wish.auto_hide")) == 1


def _hide_automatically(app, text=WISH) -> int:
    wish_id = approved_wish(app, text)
    for i in range(5):
        report(person(app, f"198.51.100.{i + 1}"), wish_id)
    assert status_of(app, wish_id).status == "hidden"
    return wish_id


def test_the_automatically_hidden_wish_heads_the_moderation_queue_with_an_alert(app, demo):
    hidden = _hide_automatically(app)
    for lang, alert, card in (
        ("zh", "已因 5 次举报被自动隐藏——请立即审核", "1 条心愿被自动隐藏，请立即审核"),
        ("en", "Hidden automatically after 5 reports — review now", "1 wish hidden automatically — review now"),
    ):
        moderator = council(app, lang)
        page = moderator.get(f"/{lang}/council/wall/")  # the default queue: waiting for review
        html = page.get_data(as_text=True)
        first_item = re.search(r'<li class="moderation-item[^"]*" id="mod-(\d+)"', html)
        assert first_item and int(first_item.group(1)) == hidden
        assert alert in text_of(page)
        assert html.count(f'id="mod-{hidden}"') == 1
        assert card in text_of(moderator.get(f"/{lang}/council/"))


def test_moderation_updates_the_reporters_reputation_and_is_audited(app, demo):
    from app.wall.models import WishReporter

    hidden = _hide_automatically(app)
    moderator = council(app)
    moderate(moderator, hidden, "approve")  # dismissed: back on the wall, reports cleared
    assert WISH in text_of(app.test_client().get("/zh/wall/"))
    assert "自动隐藏" not in text_of(moderator.get("/zh/council/wall/"))
    with app.app_context():
        rows = db.session.scalars(sa.select(WishReporter)).all()
        assert len(rows) == 5 and all((r.upheld, r.dismissed) == (0, 1) for r in rows)
        assert db.session.scalar(sa.select(Wish.report_count).where(Wish.id == hidden)) == 0

    other = approved_wish(app, OTHER)
    uphold = [person(app, "192.0.2.1"), person(app, "192.0.2.2")]
    for reporter in uphold:
        report(reporter, other)
    dismiss_page = text_of(moderator.get("/zh/council/wall/", query_string={"queue": "reported"}))
    assert OTHER in dismiss_page
    moderate(moderator, other, "reject")  # upheld
    with app.app_context():
        rows = db.session.scalars(sa.select(WishReporter)).all()
        assert sorted((r.upheld, r.dismissed) for r in rows) == [(0, 1)] * 5 + [(1, 0)] * 2
        actions = [a for a in db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)) if a.startswith("wish.reports")]
        assert actions == ["wish.reports_dismissed", "wish.reports_upheld"]
    audit = text_of(moderator.get("/zh/council/audit/", query_string={"action": "wish.*"}))
    assert "驳回了心愿的举报" in audit or "维持了心愿的举报" in audit

    # a reported wish kept on the wall: the moderator dismisses its reports
    third = approved_wish(app, "第三个心愿：希望有读书角")
    report(person(app, "192.0.2.99"), third)
    moderate(moderator, third, "dismiss")
    assert status_of(app, third).report_count == 0
    assert "第三个心愿" in text_of(app.test_client().get("/zh/wall/"))


# --- supports ----------------------------------------------------------------------------------


def test_supports_from_fresh_cookies_on_one_ip_count_at_most_the_allowance(app, demo):
    wish_id = approved_wish(app)
    allowance = app.config["WALL_SUPPORTS_PER_IP_PER_DAY"]
    assert allowance == 20
    for i in range(120):
        client = person(app, "203.0.113.50")
        token = csrf_from(client.get("/zh/wall/").get_data(as_text=True))
        if i == allowance:  # past the allowance, htmx says why the +1 did not count
            limited = client.post(f"/zh/wall/{wish_id}/support", data={"csrf_token": token}, headers={"HX-Request": "true"})
            assert "您所在网络今天对这条心愿的支持已达上限" in text_of(limited)
            assert re.search(rf'class="support-count"[^>]*>{allowance}<', limited.get_data(as_text=True))
            continue
        response = client.post(f"/zh/wall/{wish_id}/support", data={"csrf_token": token})
        assert response.status_code in (303, 429)  # 429: the per-IP rate limit (per worker) also applies
    assert status_of(app, wish_id).support_count == allowance
    # another network still counts, and the wall shows the count people see
    client = person(app, "203.0.113.51")
    token = csrf_from(client.get("/zh/wall/").get_data(as_text=True))
    page = client.post(f"/zh/wall/{wish_id}/support", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert re.search(r'class="support-count"[^>]*>21<', page.get_data(as_text=True))
    html = app.test_client().get("/zh/wall/").get_data(as_text=True)
    assert re.search(rf'id="support-{wish_id}".*?class="support-count"[^>]*>21<', html, re.S)


def test_a_signed_in_account_counts_as_one_person(app, demo):
    wish_id = approved_wish(app)
    moderator = council(app)
    token = csrf_from(moderator.get("/zh/wall/").get_data(as_text=True))
    for _ in range(2):
        moderator.post(f"/zh/wall/{wish_id}/support", data={"csrf_token": token})
    moderator.delete_cookie("loushi_bid")
    moderator.post(f"/zh/wall/{wish_id}/support", data={"csrf_token": token})
    assert status_of(app, wish_id).support_count == 1


# --- without JavaScript ------------------------------------------------------------------------


def test_the_public_wall_works_without_javascript(app, demo):
    wish_id = approved_wish(app)
    for i in range(3):
        visitor = person(app, "203.0.113.80")
        wall = visitor.get("/zh/wall/").get_data(as_text=True)
        action = re.search(rf'<form class="support-form" id="support-{wish_id}" action="([^"]+)" method="post"', wall).group(1)
        response = visitor.post(action, data={"csrf_token": csrf_from(wall)}, headers={"Referer": "http://localhost/zh/wall/"})
        assert response.status_code == 303 and response.location.endswith("/zh/wall/")
        report_link = re.search(rf'href="(/zh/wall/{wish_id}/report)"', wall).group(1)
        form = visitor.get(report_link).get_data(as_text=True)
        assert re.search(rf'<form[^>]*action="/zh/wall/{wish_id}/report"[^>]*method="post"', form)
        done = visitor.post(report_link, data={"csrf_token": csrf_from(form), "reason": "不喜欢"})
        assert done.status_code == 200 and "举报已收到" in text_of(done)
    html = person(app, "203.0.113.81").get("/zh/wall/").get_data(as_text=True)
    assert WISH in text_of(person(app).get("/zh/wall/"))  # three fresh cookies on one network: still on the wall
    assert re.search(rf'id="support-{wish_id}".*?class="support-count"[^>]*>3<', html, re.S)


def test_concurrent_supports_from_one_network_do_not_overshoot_the_allowance(app, demo):
    from concurrent.futures import ThreadPoolExecutor

    from app.core.db import begin_write
    from app.wall.services import support

    wish_id = approved_wish(app)

    def one(i: int) -> bool:
        with app.test_request_context():
            begin_write(db.session)  # as every POST does (BEGIN IMMEDIATE on SQLite)
            _count, added = support(db.session.get(Wish, wish_id), f"fresh-cookie-{i}", "one-network")
            db.session.commit()
            db.session.remove()
            return added

    with ThreadPoolExecutor(max_workers=10) as pool:
        added = list(pool.map(one, range(40)))
    assert sum(added) == 20
    assert status_of(app, wish_id).support_count == 20
