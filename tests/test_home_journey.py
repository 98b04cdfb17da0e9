"""Issue 17, items 6 and part of 7: a home page that starts tasks, a footer with who runs
the site and how to reach them, the accessibility statement, "Track" in the navigation,
the waitlist position, event times without seconds, the event's "Place" label and error
summaries whose label and message do not run their punctuation together."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import csrf_from, text_of
from tests.test_intake import file_request, form_values, guide  # noqa: F401  (fixture)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


# --- item 6: the home page ---------------------------------------------------------------

@pytest.mark.parametrize("lang, actions", [
    ("zh", [("反映问题", "/zh/requests/new"), ("查进度", "/zh/track"), ("找服务", "/zh/guide/"), ("许个愿", "/zh/wall/new")]),
    ("en", [("Report a problem", "/en/requests/new"), ("Track a request", "/en/track"), ("Find a service", "/en/guide/"), ("Make a wish", "/en/wall/new")]),
])
def test_home_page_starts_tasks(client, demo, lang, actions):
    html = _html(client.get(f"/{lang}/"))
    tasks = _section(html, 'class="home-tasks"', "</ul>")
    for label, href in actions:
        assert re.search(rf'<a[^>]* href="{re.escape(href)}"[^>]*>\s*<span class="task-title">{label}</span>', tasks), (label, href)
    # a guide search box: a GET form to the guide with q
    form = re.search(r'<form[^>]*class="home-search"[^>]*>.*?</form>', html, re.S).group(0)
    assert f'action="/{lang}/guide/"' in form and 'method="get"' in form and 'name="q"' in form and 'type="search"' in form
    text = text_of(client.get(f"/{lang}/"))
    steps = ["需求收集", "议题共商", "资源整合", "闭环反馈"] if lang == "zh" else [
        "Collect needs", "Discuss together", "Bring resources together", "Close the loop with feedback"]
    positions = [text.index(s) for s in steps]
    assert positions == sorted(positions)
    # the loop is explained in words, not drawn as round step buttons
    assert "loop-step" not in html and 'class="home-loop"' in html
    assert ("商务楼宇" if lang == "zh" else "Office buildings") in text  # the district figures stay


def test_home_search_box_finds_in_the_guide(client, guide):
    html = _html(client.get("/zh/"))
    assert 'action="/zh/guide/"' in html
    text = text_of(client.get("/zh/guide/", query_string={"q": "落户"}))
    assert "人才引进落户" in text


@pytest.mark.parametrize("lang, label", [("zh", "查进度"), ("en", "Track")])
def test_track_is_in_the_main_navigation_and_marked_current(client, demo, lang, label):
    nav = _section(_html(client.get(f"/{lang}/track")), 'class="site-nav"', "</nav>")
    assert re.search(rf'<a href="/{lang}/track" aria-current="page">{label}</a>', nav), nav
    # only one item is the current page (the request form's item is not)
    assert nav.count('aria-current="page"') == 1
    nav = _section(_html(client.get(f"/{lang}/requests/new")), 'class="site-nav"', "</nav>")
    assert re.search(rf'<a href="/{lang}/track">{label}</a>', nav) and nav.count('aria-current="page"') == 1


# --- item 6: the footer -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/zh/", "/zh/guide/", "/zh/track", "/zh/login", "/zh/privacy"])
def test_footer_on_every_page_in_chinese(client, demo, path):
    footer = _section(_html(client.get(path)), '<footer class="site-footer">', "</footer>")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", footer))
    assert "主办单位" in text and "陆家嘴金融城楼宇党建和楼事会" in text
    assert "咨询热线" in text and '<a href="tel:12345">12345</a>' in footer
    assert '<a href="/zh/privacy">' in footer and "个人信息保护说明" in text
    assert '<a href="/zh/accessibility">' in footer and "无障碍声明" in text
    assert "ICP" not in footer and "beian.miit.gov.cn" not in footer  # nothing when not configured


def test_footer_in_english_and_with_configured_operator_hotline_and_icp(app, client, demo, monkeypatch):
    footer = _section(_html(client.get("/en/")), '<footer class="site-footer">', "</footer>")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", footer))
    assert "Run by" in text and "Lujiazui Financial City" in text
    assert "Hotline" in text and "Privacy notice" in text and "Accessibility statement" in text
    assert '<a href="/en/accessibility">' in footer
    monkeypatch.setitem(app.config, "ICP_NUMBER", "沪ICP备12345678号-1")
    monkeypatch.setitem(app.config, "SITE_HOTLINE", "021-5888 0000")
    monkeypatch.setitem(app.config, "SITE_OPERATOR_ZH", "浦东新区某街道楼事会")
    monkeypatch.setitem(app.config, "SITE_OPERATOR_EN", "A street's building council")
    footer = _section(_html(client.get("/zh/guide/")), '<footer class="site-footer">', "</footer>")
    assert '<a href="https://beian.miit.gov.cn/" rel="noopener">沪ICP备12345678号-1</a>' in footer
    assert '<a href="tel:02158880000">021-5888 0000</a>' in footer
    assert "浦东新区某街道楼事会" in footer
    assert "A street&#39;s building council" in _html(client.get("/en/track")) or "A street's building council" in _html(client.get("/en/track"))


@pytest.mark.parametrize("lang, words", [
    ("zh", ["无障碍声明", "WCAG 2.1", "AA", "axe", "键盘", "已知的不足", "反映无障碍问题"]),
    ("en", ["Accessibility statement", "WCAG 2.1", "AA", "axe", "keyboard", "Known limitations", "Report an accessibility problem"]),
])
def test_accessibility_statement(client, demo, lang, words):
    response = client.get(f"/{lang}/accessibility")
    assert response.status_code == 200
    text = text_of(response)
    for word in words:
        assert word in text, word
    assert "12345" in text  # how to reach someone


def test_privacy_notice_names_who_is_responsible(client, demo):
    text = text_of(client.get("/zh/privacy"))
    assert "陆家嘴金融城楼宇党建和楼事会" in text and "12345" in text
    text = text_of(client.get("/en/privacy"))
    assert "Who is responsible" in text and "Lujiazui Financial City" in text


# --- item 7: the waitlist position, event times, the place label ---------------------------

def _event(app, seats: int, start: datetime | None = None) -> int:
    from app.boards.models import Event
    from app.org.models import Building

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == "shanghai-tower"))
        start = start or datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
        event = Event(building_id=tower.id, title_zh="人才政策宣讲", title_en="Talent policy briefing", description_zh="现场答疑",
                      description_en="Questions welcome", place_zh="B1 党群服务站", place_en="B1 Party service station",
                      starts_at=start, ends_at=start + timedelta(hours=2), seats=seats)
        db.session.add(event)
        db.session.commit()
        return event.id


def _register(client, event_id: int, name: str, phone: str, lang: str = "zh"):
    url = f"/{lang}/boards/shanghai-tower/events/{event_id}"
    token = csrf_from(_html(client.get(url)))
    response = client.post(url, data={"csrf_token": token, "name": name, "phone": phone})
    assert response.status_code == 303, text_of(response)[:400]
    return client.get(response.location)


@pytest.mark.parametrize("lang, says, not_says", [("zh", "候补第 4 位", "第 14 位"), ("en", "number 4 on the waitlist", "14")])
def test_waitlist_page_shows_the_waitlist_position(app, demo, lang, says, not_says):
    from app.boards.services import cancel, register

    event_id = _event(app, seats=10)
    with app.app_context():
        for i in range(10):
            register(event_id, f"报名{i}", f"1380000{i:04d}")
        tokens = [register(event_id, f"候补{i}", f"1390000{i:04d}").cancel_token for i in range(4)]
        cancel(tokens[0])  # someone ahead on the waitlist gave up: not counted
        db.session.commit()
    page = _register(app.test_client(), event_id, "第四位", "13700001111", lang)
    text = text_of(page)
    assert says in text, text[:600]
    assert not_says not in text.split("候补" if lang == "zh" else "waitlist", 1)[1][:40]


def test_the_seated_person_is_not_told_a_waitlist_position(app, demo):
    event_id = _event(app, seats=3)
    text = text_of(_register(app.test_client(), event_id, "王小明", "13700002222"))
    assert "您已报名成功" in text or "座位" in text
    assert "候补第" not in text


SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_event_times_have_no_seconds_and_the_place_is_labelled_place(app, client, demo, lang):
    day = (datetime.now(timezone.utc) + timedelta(days=20)).date()
    start = datetime(day.year, day.month, day.day, 6, 30, 15, tzinfo=timezone.utc)  # 14:30:15 in Shanghai
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    when = f"{day.year}年{day.month}月{day.day}日 14:30" if lang == "zh" else f"{day.day} {months[day.month - 1]} {day.year}, 14:30"
    place_label = "地点" if lang == "zh" else "Place"
    event_id = _event(app, seats=5, start=start)
    html = _html(client.get(f"/{lang}/boards/shanghai-tower/events/{event_id}"))
    facts = _section(html, '<dl class="entry-facts">', "</dl>")
    facts_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", facts))
    assert when in facts_text, facts_text
    assert "16:30" in facts_text  # the end time
    assert not SECONDS.search(facts_text), facts_text
    assert f"<dt>{place_label}</dt>" in facts
    assert "办理地点" not in html and "Where" not in facts
    board = text_of(client.get(f"/{lang}/boards/shanghai-tower"))
    assert when in board and not SECONDS.search(board)


# --- item 7: error summaries ----------------------------------------------------------------

RUN_TOGETHER = ("。:", "？：", "?:", ".:", "？:", "。：", "?：", ":：")


def _summary_text(html: str) -> str:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary))


@pytest.mark.parametrize("lang, label, message", [
    ("zh", "我同意按上述说明使用我的信息办理本诉求", "请同意个人信息说明"),
    ("en", "I agree that my details are used to handle this request as described above", "Please agree to the notice"),
])
def test_request_form_error_summary_keeps_label_and_message_apart(client, guide, lang, label, message):
    data = dict(form_values(client, lang), description="短", contact_name="", consent="")
    response = client.post(f"/{lang}/requests/new", data=data)
    assert response.status_code == 422
    html = _html(response)
    text = _summary_text(html)
    assert label in text and message in text
    for sequence in RUN_TOGETHER:
        assert sequence not in text, (sequence, text)
    # label and message are separate elements of the link
    assert re.search(r'<a href="#consent"><span class="error-summary-field">[^<]+</span> <span class="error-summary-message">', html)


@pytest.mark.parametrize("lang, label", [("zh", "您对办理结果是否满意"), ("en", "How satisfied are you")])
def test_rating_form_error_summary_has_no_run_together_punctuation(app, guide, lang, label):
    from app.auth.models import User
    from app.intake import services as intake
    from app.intake.models import ServiceRequest

    requester = app.test_client()
    number, _code, _ = file_request(requester, lang)
    with app.test_request_context("/zh/"):
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        intake.change_stage(req, "resolved", admin, "")
        db.session.commit()
    page = requester.get(f"/{lang}/requests/{number}")
    response = requester.post(f"/{lang}/requests/{number}/rate", data={"csrf_token": csrf_from(_html(page)), "comment": "x"})
    assert response.status_code == 422
    text = _summary_text(_html(response))
    assert label in text
    for sequence in RUN_TOGETHER:
        assert sequence not in text, (sequence, text)
