"""Staff editing of a board (council members of the building, admins) and its exports."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from app.boards.models import Decision, Event

from app.core.models import AuditLog
from app.extensions import db
from app.org.models import Building
from tests.conftest import csrf_from, text_of


def _token(client) -> str:
    return csrf_from(client.get("/zh/council/boards/shanghai-tower/decisions/new").get_data(as_text=True))


def test_council_member_adds_a_decision_and_it_shows_on_the_board(app, client, auth, demo):
    auth.login("council@example.com")
    token = _token(client)
    bad = client.post("/zh/council/boards/shanghai-tower/decisions/new", data={"csrf_token": token, "topic_zh": "停车秩序", "decision_zh": ""})
    assert bad.status_code == 422 and "请填写决议" in text_of(bad) and 'value="停车秩序"' in bad.get_data(as_text=True)
    ok = client.post("/zh/council/boards/shanghai-tower/decisions/new", data={
        "csrf_token": token, "held_on": "2026-11-20", "topic_zh": "停车秩序", "topic_en": "Parking", "decision_zh": "划设临停区",
        "decision_en": "A drop-off zone", "follow_up_zh": "物业负责", "status": "open"})
    assert ok.status_code == 303
    board = text_of(client.get("/zh/boards/shanghai-tower"))
    assert "停车秩序" in board and "划设临停区" in board
    assert "A drop-off zone" in text_of(client.get("/en/boards/shanghai-tower"))
    with app.app_context():
        assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "board.decisions.create")) == "board.decisions.create"


def test_event_times_are_shanghai_time_and_end_after_start(app, client, auth, demo):
    auth.login("council@example.com")
    token = _token(client)
    data = {"csrf_token": token, "title_zh": "讲座", "place_zh": "B1", "starts_at": "2026-12-10T14:00", "ends_at": "2026-12-10T13:00", "seats": "20"}
    wrong = client.post("/zh/council/boards/shanghai-tower/events/new", data=data)
    assert wrong.status_code == 422 and "结束时间必须晚于开始时间" in text_of(wrong)
    data["ends_at"] = "2026-12-10T16:00"
    assert client.post("/zh/council/boards/shanghai-tower/events/new", data=data).status_code == 303
    with app.app_context():
        event = db.session.scalar(sa.select(Event))
        from app.core.timeutil import aware

        assert aware(event.starts_at).isoformat() == "2026-12-10T06:00:00+00:00"  # 14:00 in Shanghai
    assert "14:00" in text_of(client.get(f"/zh/boards/shanghai-tower/events/{event.id}"))


def test_other_buildings_and_staff_are_refused(app, client, auth, demo):
    auth.login("council@example.com")
    assert client.get("/zh/council/boards/jin-mao-tower/").status_code == 403
    auth.logout()
    auth.login("staff@example.com")
    assert client.get("/zh/council/boards/shanghai-tower/").status_code == 403


def test_exports_open_with_the_spreadsheet_library(app, client, auth, demo):
    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        db.session.add(Decision(building_id=tower.id, held_on=__import__("datetime").date(2026, 11, 1), topic_zh="=HYPERLINK(\"x\")", decision_zh="决议内容"))
        db.session.commit()
    auth.login("council@example.com")
    xlsx = client.get("/zh/council/boards/shanghai-tower/export.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["figures", "needs", "resources", "projects", "decisions"]
    assert [c.value for c in book["figures"][2]] == ["受理诉求", 0]
    assert book["decisions"]["B2"].value == "'=HYPERLINK(\"x\")"  # never a formula
    rows = list(csv.reader(io.StringIO(client.get("/zh/council/boards/shanghai-tower/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert ["# decisions"] in rows and any(r[:2] == ["2026-11-01", "'=HYPERLINK(\"x\")"] for r in rows)


def test_poster_has_four_qr_codes(client, demo):
    html = client.get("/zh/boards/shanghai-tower/poster").get_data(as_text=True)
    assert html.count("<svg") == 4 and "poster-mode" in html  # report (large), track, board, wish


def test_a_notice_posted_without_its_english_fields_falls_back_to_chinese(app, client, auth, demo):
    """A POST that leaves the optional English fields out entirely (not even empty) saves
    them empty, never NULL (it used to be a 500)."""
    auth.login("council@example.com")
    token = _token(client)
    ok = client.post("/zh/council/boards/shanghai-tower/notices/new", data={"csrf_token": token, "title_zh": "电梯检修通知", "body_zh": "周六上午检修。"})
    assert ok.status_code == 303
    assert "电梯检修通知" in text_of(client.get("/en/boards/shanghai-tower"))
