"""Issue 17, item 1: the requester's status page and the staff request page read as a
person reads them.

* The facts are a summary list: every label (``dt``) sits in one row with its own value
  (``dd``), never in a grid that pairs labels with the wrong values.
* The five stages are a vertical list of steps; the current step is stated in words built
  from the facts ("已交给 市场监管局，承诺 12月9日前答复"), never "正在确定承办部门" once a
  department has the request.  The locked page (anyone with the number) names no department.
* The staff page starts with the requester's own words and photos, above the reply box;
  photos are thumbnails linking to the full image, served inline only for images and only
  to those the file routes already admit.  Observers still see no description."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.intake.models import ServiceRequest
from tests.conftest import text_of
from tests.test_intake import file_request, guide  # noqa: F401  (fixture)

FINDING_ZH = "正在确定承办部门"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class _Pairs(HTMLParser):
    """Each <dt> of a summary list with the <dd> texts that share its row."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self.stack: list[str] = []
        self.in_list = 0
        self.loose: list[str] = []  # dt/dd directly inside the dl (no row)
        self.current: str | None = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "dl" and "summary-list" in classes:
            self.in_list += 1
        if self.in_list and tag == "div" and "summary-list__row" in classes:
            self.rows.append({"dt": "", "dd": ""})
        if self.in_list and tag in ("dt", "dd"):
            if self.stack and self.stack[-1] == "dl":
                self.loose.append(tag)
            self.current = tag
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop() == tag:
                break
        if tag in ("dt", "dd"):
            self.current = None
        if tag == "dl" and self.in_list:
            self.in_list -= 1

    def handle_data(self, data):
        if self.current and self.rows:
            self.rows[-1][self.current] += data.strip()


def summary_rows(html: str) -> tuple[dict, list[str]]:
    parser = _Pairs()
    parser.feed(html)
    return {r["dt"]: r["dd"] for r in parser.rows}, parser.loose


def _set(app, number, **values):
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        for k, v in values.items():
            setattr(req, k, v)
        db.session.commit()
        name = req.department.name_zh if req.department else None
        db.session.remove()
    return name


def test_status_page_facts_are_a_summary_list_of_label_value_rows(client, guide):
    number, _code, _ = file_request(client)
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    rows, loose = summary_rows(html)
    assert not loose, "a dt or dd outside a summary-list__row"
    assert "食品经营许可" in rows["服务事项"] and "上海中心" in rows["楼宇"]
    assert "市场监管" in rows["承办部门"] and rows["提交时间"]
    assert "entry-facts" not in html.split('id="timeline"')[0]


def test_status_sentence_names_the_department_and_promised_date_once_assigned(app, client, guide):
    number, _code, _ = file_request(client)
    due = date.today() + timedelta(days=3)
    dept = _set(app, number, due_on=due)
    text = text_of(client.get(f"/zh/requests/{number}"))
    assert FINDING_ZH not in text
    assert f"已交给 {dept}，承诺 {due.month}月{due.day}日前答复" in text
    english = text_of(client.get(f"/en/requests/{number}"))
    assert "finding the right department" not in english and "answer promised by" in english


def test_status_sentence_follows_the_stage_and_says_when_late(app, client, guide):
    number, _code, _ = file_request(client)
    late = date.today() - timedelta(days=400)
    dept = _set(app, number, stage="in_progress", due_on=late)
    text = text_of(client.get(f"/zh/requests/{number}"))
    assert f"{dept} 正在办理，原承诺 {late.year}年{late.month}月{late.day}日前答复，现已逾期" in text
    _set(app, number, department_id=None, stage="received")
    assert FINDING_ZH in text_of(client.get(f"/zh/requests/{number}"))


def test_progress_is_a_list_of_five_steps_with_the_current_one_marked(app, client, guide):
    number, _code, _ = file_request(client)
    _set(app, number, stage="in_progress")
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    steps = re.findall(r'<li class="progress-step progress-(\w+)"', html)
    assert steps == ["done", "done", "current", "todo", "todo"]
    assert re.search(r'progress-current" aria-current="step">\s*<span class="progress-label">资源整合', html)
    assert 'class="loop-step' not in html  # the home page's round badges never style these steps


def test_locked_page_names_no_department_but_never_says_finding_one(app, client, guide):
    number, _code, _ = file_request(client)
    dept = _set(app, number, due_on=date.today() + timedelta(days=3))
    stranger = app.test_client()
    text = text_of(stranger.get(f"/zh/requests/{number}"))
    assert FINDING_ZH not in text and dept not in text
    assert "您的诉求已交给承办部门" in text


def test_photos_are_thumbnails_linking_to_the_full_image_for_requester_and_staff(app, client, guide, auth, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    number, _code, _ = file_request(client, attachments=(io.BytesIO(_png()), "电梯.png"))
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    link = re.search(rf'<a href="(/zh/requests/{number}/files/\d+\?view=1)" class="thumbnail"><img src="\1"', html)
    assert link, "no thumbnail on the requester's page"
    shown = client.get(link.group(1))
    assert shown.status_code == 200 and shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["Content-Security-Policy"] == "default-src 'none'; sandbox" and shown.headers["X-Content-Type-Options"] == "nosniff"
    assert app.test_client().get(link.group(1)).status_code == 403  # the access check stays

    auth.login("staff@example.com")
    page = client.get(f"/zh/council/requests/{number}")
    staff_html = page.get_data(as_text=True)
    original = staff_html.index('id="original-title"')
    assert staff_html.index("我们想在 12 楼开一家咖啡店") > original
    assert original < staff_html.index('id="reply-title"')  # above the reply box
    thumb = re.search(rf'<a href="(/zh/council/requests/{number}/files/\d+\?view=1)" class="thumbnail"><img src="\1"', staff_html)
    assert thumb and thumb.start() < staff_html.index('id="reply-title"')
    assert client.get(thumb.group(1)).headers["Content-Disposition"].startswith("inline")


def test_a_document_is_never_served_inline(app, client, guide, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    number, _code, _ = file_request(client, attachments=(io.BytesIO(pdf), "平面图.pdf"))
    html = client.get(f"/zh/requests/{number}").get_data(as_text=True)
    link = re.search(rf'href="(/zh/requests/{number}/files/\d+)" download', html)
    if link is None:
        pytest.skip("the PDF was not accepted by the upload checks")
    response = client.get(link.group(1) + "?view=1")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_observer_sees_no_description_and_no_photo_on_top(app, client, guide, auth, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    number, _code, _ = file_request(client, attachments=(io.BytesIO(_png()), "电梯.png"))
    auth.login("observer@example.com")
    page = client.get(f"/zh/council/requests/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "我们想在 12 楼开一家咖啡店" not in html
    assert "<img" not in html.split("</main>")[0].split("<main")[1] and "/files/" not in html


SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")


def test_times_on_request_pages_read_to_the_minute_in_both_languages(client, guide, auth):
    number, _code, _ = file_request(client)
    for lang, minute in (("zh", re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}")), ("en", re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}"))):
        text = text_of(client.get(f"/{lang}/requests/{number}"))
        rows = summary_rows(client.get(f"/{lang}/requests/{number}").get_data(as_text=True))[0]
        filed = rows["提交时间" if lang == "zh" else "Filed"]
        assert minute.fullmatch(filed.strip()), filed
        assert not SECONDS.search(text), SECONDS.search(text)
    auth.login("staff@example.com")
    staff = text_of(client.get(f"/en/council/requests/{number}"))
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", staff) and not SECONDS.search(staff)
