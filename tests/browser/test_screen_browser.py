"""The lobby screen on a TV and the A4 poster on paper, in a real browser.

The screen fills 1920×1080, 1366×768 and 1280×720 without scrolling or cutting: the page
never scrolls, the QR codes are whole and at least a quarter of the screen's height, no list
or figure is cut off.  The poster prints on one A4 page (Chromium's ``page.pdf``) with its
call to action in both languages (``pdftotext`` where poppler-utils is installed).
Screenshots (and the poster's PDF and PNG) go to /tmp/screen-shots."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.browser

BUILDING = "shanghai-tower"
SHOTS = Path("/tmp/screen-shots")
SIZES = [(1920, 1080), (1366, 768), (1280, 720)]


@pytest.fixture
def busy_screen(app, demo):
    """What a busy board shows: six ratings, four events with long titles, long wishes."""
    from app.boards.models import Event
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.intake.models import ServiceRequest
    from app.org.models import Building
    from app.wall.models import Claim, Resource, Wish

    with app.app_context():
        tower = db.session.scalar(sa.select(Building).where(Building.slug == BUILDING))
        now = utcnow()
        for i, rating in enumerate([5, 5, 4, 4, 3, 5]):
            db.session.add(ServiceRequest(
                tracking_no=f"LS-2026-8{i:05d}", access_code_hash="x" * 64, submission_key=f"tv-{i}", building_id=tower.id,
                description="大堂空调太冷", company_name="", contact_name="张三", phone="13912345678", stage="closed", rating=rating,
                first_response_on_time=True, created_at=now - timedelta(days=3), updated_at=now, resolved_at=now, closed_at=now,
            ))
        for i in range(4):
            db.session.add(Event(
                building_id=tower.id, title_zh=f"楼宇职工午间健康讲座与人才公寓政策现场答疑会（第 {i + 1} 场，欢迎各租户企业报名参加）",
                title_en=f"Lunchtime health talk and talent-apartment policy Q&A for employees of every tenant firm (session {i + 1})",
                place_zh="B1 党群服务站", place_en="B1 community station", seats=40,
                starts_at=now + timedelta(days=i + 1), ends_at=now + timedelta(days=i + 1, hours=2),
            ))
        resource = Resource(building_id=tower.id, org_zh="上海中心物业服务中心", org_en="Shanghai Tower property management", offer_zh="场地", offer_en="Rooms")
        db.session.add(resource)
        for i in range(3):
            wish = Wish(building_id=tower.id, body=f"希望午休时段开放 22 层共享会议室给各家企业员工休息和交流，周末也能预约使用，谢谢楼事会（{i + 1}）" * 2,
                        status="approved", progress="fulfilled", follow_token_hash=f"{i:064d}", published_at=now, fulfilled_at=now - timedelta(hours=i))
            db.session.add(wish)
            db.session.flush()
            db.session.add(Claim(wish_id=wish.id, resource_id=resource.id, plan="开放共享会议室", result="已开放"))
        db.session.commit()
        db.session.remove()


def _open(browser, live_server, width: int, height: int, lang: str, path: str):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(path)
    page.evaluate("document.fonts.ready")
    return context, page


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_lobby_screen_fills_the_tv_and_nothing_is_cut(browser, live_server, busy_screen, lang, size):
    width, height = size
    context, page = _open(browser, live_server, width, height, lang, f"/{lang}/boards/{BUILDING}/screen")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"screen-{lang}-{width}x{height}.png"))
    metrics = page.evaluate("""() => ({
        scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
        innerHeight: window.innerHeight, innerWidth: window.innerWidth,
        bodyHeight: document.body.scrollHeight,
        // a list or the QR column cut at its foot, a figure or the title cut at its side
        cut: [...document.querySelectorAll('.screen-list, .screen-qr')]
             .filter(el => el.scrollHeight > el.clientHeight + 1).map(el => el.className)
             .concat([...document.querySelectorAll('.screen-figure dd, .screen-figure dt, .screen-title, .screen-updated')]
             .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.className || el.tagName + ' ' + el.textContent)),
    })""")
    assert metrics["scrollHeight"] <= metrics["innerHeight"] and metrics["bodyHeight"] <= metrics["innerHeight"], metrics
    assert metrics["scrollWidth"] <= metrics["innerWidth"], metrics
    assert metrics["cut"] == [], metrics
    codes = page.locator(".screen-qr svg")
    assert codes.count() == 2
    for i in range(2):
        box = codes.nth(i).bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, box  # whole, inside the viewport
        assert box["height"] >= 0.25 * height, box
    # the screen is used, not half blank: the content reaches the right and the lower part
    lists = page.locator(".screen-events").bounding_box()
    assert lists["y"] + lists["height"] > 0.75 * height
    qr_column = page.locator(".screen-qr").bounding_box()
    assert qr_column["x"] + qr_column["width"] > 0.9 * width
    # large type: the smallest list text is at least 2.5 % of the screen height
    size_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.screen-list li')).fontSize)")
    assert size_px >= 0.025 * height
    rule = {"zh": "满意率按已评价诉求计算；少于 5 次评价时不显示", "en": "it is not shown below 5 ratings"}[lang]
    assert rule in page.locator(".screen-rule").inner_text()
    assert page.locator("#screen-satisfaction").inner_text().split() == (["83%", "（6", "次评价）"] if lang == "zh" else ["83%", "(6", "ratings)"])
    context.close()


def test_poster_prints_on_one_a4_page_in_both_languages(browser, live_server, demo):
    context, page = _open(browser, live_server, 1280, 900, "zh", f"/en/boards/{BUILDING}/poster")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "poster-screen-en-1280.png"), full_page=True)
    page.emulate_media(media="print")
    pdf = SHOTS / "poster.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    context.close()
    data = pdf.read_bytes()
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)] or [
        int(n) for n in re.findall(rb"/Count\s+(\d+)", data)]
    assert counts and max(counts) == 1, counts  # one page
    sizes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert sizes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in sizes), sizes  # A4 in points
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed: the poster's PDF text was not checked")
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    assert "扫码反映问题、查进度" in text and "Scan to report a problem or track a request" in text
    assert "咨询热线" in text and "Hotline" in text and "12345" in text
    assert "上海中心大厦" in text and "Shanghai Tower" in text
    if shutil.which("pdftoppm"):  # a picture of the printed page, to look at
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(SHOTS / "poster-a4")], check=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [390, 1280])
def test_rates_with_their_counts_fit_the_board_and_the_roll_up(browser, live_server, busy_screen, lang, width):
    """The board and the district roll-up with the counts beside the rates: no sideways
    scroll on a phone or a desktop (screenshots in /tmp/screen-shots)."""
    for name, path in (("board", f"/{lang}/boards/{BUILDING}"), ("roll-up", f"/{lang}/boards/")):
        context, page = _open(browser, live_server, width, 900, lang, path)
        SHOTS.mkdir(exist_ok=True)
        page.locator(".figures").first.screenshot(path=str(SHOTS / f"{name}-figures-{lang}-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        prefix = "stat" if name == "board" else "district"
        expected = {"zh": "83%（6 次评价）", "en": "83% (6 ratings)"}[lang]
        assert " ".join(page.locator(f"#{prefix}-satisfaction").inner_text().split()).replace(" （", "（") == expected
        context.close()
