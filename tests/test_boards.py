"""Open building boards (first part): the index with its district roll-up, and a building's
board with figures that equal counts made independently here, the chart and its table,
the roster and the three lists — and nothing personal."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.boards.models import Building
from app.core.timeutil import utcnow
from app.extensions import db
from app.intake.models import ServiceRequest
from tests.conftest import text_of


def _make_requests(app, building_slug: str, n: int, seed: int = 1) -> list[dict]:
    """Requests in random states, written directly; returns what was written."""
    rng = random.Random(seed)
    made = []
    with app.app_context():
        building = db.session.scalar(sa.select(Building).where(Building.slug == building_slug))
        now = utcnow()
        for i in range(n):
            stage = rng.choice(["received", "assigned", "in_progress", "resolved", "closed"])
            rating = rng.choice([None, 1, 2, 3, 4, 5]) if stage == "closed" else None
            on_time = rng.choice([True, False, None])
            created = now - timedelta(days=rng.randint(0, 300))
            db.session.add(ServiceRequest(
                tracking_no=f"LS-2026-{seed:02d}{i:04d}", access_code_hash="x" * 64, submission_key=f"board-{building_slug}-{seed}-{i}",
                building_id=building.id, description="私密描述不应出现", company_name="保密公司", contact_name="张保密", phone="13912345678",
                stage=stage, rating=rating, first_response_on_time=on_time, created_at=created, updated_at=created,
                resolved_at=created + timedelta(days=1) if stage in ("resolved", "closed") else None,
            ))
            made.append({"stage": stage, "rating": rating, "on_time": on_time})
        db.session.commit()
    return made


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<dd id="stat-([a-z-]+)">([^<]+)</dd>', html))


def test_board_figures_equal_independent_counts(app, client, demo):
    made = _make_requests(app, "shanghai-tower", 57)
    _make_requests(app, "jin-mao-tower", 11, seed=2)  # another building's must not count
    received = len(made)
    completed = sum(r["stage"] in ("resolved", "closed") for r in made)
    on_time = sum(r["on_time"] is True for r in made)
    ratings = [r["rating"] for r in made if r["rating"] is not None]
    satisfied = sum(r >= 4 for r in ratings)
    html = client.get("/zh/boards/shanghai-tower").get_data(as_text=True)
    figures = _figures(html)
    assert figures["received"] == str(received)
    assert figures["completed"] == str(completed)
    assert figures["in-progress"] == str(received - completed)
    assert figures["response"] == f"{on_time / received * 100:.0f}%"
    assert figures["resolution"] == f"{completed / received * 100:.0f}%"
    assert figures["satisfaction"] == (f"{satisfied / len(ratings) * 100:.0f}%" if ratings else "—")
    text = text_of(client.get("/zh/boards/shanghai-tower"))
    assert f"1 个工作日内首次答复的诉求（{on_time}）÷ 受理诉求（{received}）" in text  # the formula, with its numbers
    for private in ("私密描述不应出现", "保密公司", "张保密", "13912345678"):
        assert private not in html


def test_monthly_chart_and_its_table_agree(app, client, demo):
    made = _make_requests(app, "shanghai-tower", 30, seed=3)
    html = client.get("/en/boards/shanghai-tower").get_data(as_text=True)
    assert '<svg class="chart"' in html and "<title id=\"chart-title\">Requests received and completed per month</title>" in html
    table = html.split('class="table chart-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><th scope=\"row\">(\d{4}-\d{2})</th><td>(\d+)</td><td>(\d+)</td></tr>", table)
    assert len(rows) == 12
    recent = sum(int(r) for _m, r, _c in rows)
    assert 0 < recent <= len(made)
    for month, received, _c in rows:
        assert f"<title>{month}: {received} received</title>" in html


def test_index_rolls_up_the_district_and_filters_by_street(app, client, demo):
    made = _make_requests(app, "shanghai-tower", 9, seed=4) + _make_requests(app, "jing-an-kerry-centre", 5, seed=5)
    html = client.get("/zh/boards/").get_data(as_text=True)
    assert re.search(r'<dd id="district-received">(\d+)</dd>', html).group(1) == str(len(made))
    done = sum(r["stage"] in ("resolved", "closed") for r in made)
    assert re.search(r'<dd id="district-completed">(\d+)</dd>', html).group(1) == str(done)
    with app.app_context():
        from app.boards.models import Street

        kerry = db.session.scalar(sa.select(Building).where(Building.slug == "jing-an-kerry-centre"))
        street_code = db.session.get(Street, kerry.street_id).code
    filtered = client.get("/zh/boards/", query_string={"street": street_code}).get_data(as_text=True)
    assert 'id="board-jing-an-kerry-centre"' in filtered and 'id="board-shanghai-tower"' not in filtered


def test_board_shows_roster_lists_and_404(app, client, demo):
    from app.wall.models import Resource
    from app.wall.services import post_wish

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        wish, _t = post_wish(tower, "希望大堂有自助咖啡机", "", "私人联系方式", "zh")
        wish.status = "approved"
        db.session.add(Resource(building_id=tower.id, org_zh="浦发银行", org_en="SPD Bank", offer_zh="免费场地", offer_en="A free floor", contact="经理手机 13800000000"))
        db.session.commit()
    text = text_of(client.get("/zh/boards/shanghai-tower"))
    assert "楼长" in text  # the roster with the six roles
    assert "希望大堂有自助咖啡机" in text and "浦发银行" in text and "免费场地" in text
    assert "私人联系方式" not in text and "13800000000" not in text
    missing = client.get("/en/boards/no-such-building")
    assert missing.status_code == 404 and "not found" in text_of(missing).lower()


def test_board_runs_a_constant_number_of_queries(app, client, demo):
    def statements() -> int:
        seen = []
        with app.app_context():
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/zh/boards/shanghai-tower").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    _make_requests(app, "shanghai-tower", 5, seed=6)
    small = statements()
    _make_requests(app, "shanghai-tower", 80, seed=7)
    assert statements() == small
