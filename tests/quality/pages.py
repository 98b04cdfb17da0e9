"""The page inventory: one URL of every page type, in zh and in en, over realistic data.

``build_site(app)`` (after the ``demo`` fixture has seeded accounts, departments and
buildings) adds guide entries, the demo wall and boards, a filed request with its tracking
number and access code, an approved and a pending wish, and signs in the people the
workspace pages need, each in their own Flask test client (own cookie jar):

    public     nobody signed in
    requester  the browser that filed the request (sees the "submitted" page; unlocked)
    pending    the admin after the password, before the two-step code
    admin      the district admin (two-step done)
    council    council member of shanghai-tower
    staff      market-regulation department staff

``site.pages`` lists ``Page`` rows; ``site.fetch(page)`` gets one through the test client
of its person, and ``site.cookies(person)`` gives that person's cookies for a browser.
The fixture ``site`` wraps it (import it into a test module to use it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
import pytest
import sqlalchemy as sa

from tests.conftest import Auth, csrf_from
from tests.guide_fixtures import make_entries

LANGS = ("zh", "en")
PEOPLE = {
    "admin": "admin@example.com",
    "pending": "admin@example.com",
    "council": "council@example.com",
    "staff": "staff@example.com",
}
BUILDING = "shanghai-tower"


@dataclass(frozen=True)
class Page:
    name: str  # a page type, e.g. "guide detail"
    lang: str
    path: str  # "/zh/guide/hukou"
    who: str = "public"  # whose session fetches it (see the module docstring)
    form: dict | None = field(default=None, hash=False, compare=False)  # POST this instead of GET
    status: int = 200

    @property
    def id(self) -> str:
        return f"{self.lang}:{self.name}"


@dataclass
class Site:
    app: object
    clients: dict
    pages: list[Page]
    facts: dict

    def pages_in(self, lang: str) -> list[Page]:
        return [p for p in self.pages if p.lang == lang]

    def fetch(self, page: Page):
        client = self.clients[page.who]
        if page.form is not None:
            return client.post(page.path, data=page.form)
        return client.get(page.path)

    def cookies(self, who: str, url: str) -> list[dict]:
        """The person's cookies, ready for Playwright's ``context.add_cookies`` on ``url``
        (the same app and secret key serve the browser, so the signed session is valid)."""
        client = self.clients[who]
        # Werkzeug 3's test client keeps its jar in ``_cookies``; there is no public iterator.
        return [{"name": c.key, "value": c.value, "url": url} for c in client._cookies.values()]


def _file_request(client, lang: str = "zh") -> tuple[str, str]:
    html = client.get(f"/{lang}/requests/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    data = {
        "csrf_token": csrf_from(html), "submission_key": key, "service": "food-licence", "building": BUILDING,
        "company_name": "上海云杉餐饮有限公司", "contact_name": "王小明", "phone": "138 1234 5678", "email": "wang@example.com",
        "description": "我们想在 12 楼开一家咖啡店，需要办理食品经营许可。", "reply_lang": "zh", "consent": "y",
    }
    response = client.post(f"/{lang}/requests/new", data=data)
    assert response.status_code == 303, response.status_code
    page = client.get(response.location).get_data(as_text=True)
    number = re.search(r"LS-\d{4}-\d{6}", page).group(0)
    code = re.search(r'id="access-code">([^<]+)<', page).group(1)
    return number, code


def _invalid_request_form(client, lang: str) -> dict:
    html = client.get(f"/{lang}/requests/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
    return {"csrf_token": csrf_from(html), "submission_key": key, "service": "", "building": "", "company_name": "",
            "contact_name": "", "phone": "12", "email": "not-an-address", "description": "short", "reply_lang": "zh"}


def _seed(app, number: str) -> dict:
    """The demo wall and boards, a second request resolved, the filed one answered, a
    wish approved and one pending.  Returns ids the URLs need."""
    from app.auth.models import User
    from app.boards.models import Event
    from app.demo import SeedReport, _seed_boards, _seed_places, _seed_wall
    from app.extensions import db
    from app.intake import services as intake
    from app.intake.models import ServiceRequest
    from app.org.models import Building
    from app.wall import services as wall

    with app.test_request_context("/zh/"):
        report = SeedReport()
        buildings = _seed_places(report)
        _seed_wall(report, buildings)
        _seed_boards(report, buildings)
        db.session.commit()
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        council = db.session.scalar(sa.select(User).where(User.email == "council@example.com"))
        tower = db.session.scalar(sa.select(Building).where(Building.slug == BUILDING))

        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        intake.change_stage(req, "in_progress", admin, "已联系市场监管所，下周一上门指导。")
        intake.reply(req, admin, "请准备营业执照复印件和场地平面图。", public=True)
        intake.reply(req, admin, "内部备注：申请人已电话确认。", public=False)
        other = intake.submit_request(
            {"entry": None, "building": tower, "company_name": "星辰咨询", "contact_name": "李娜", "phone": "13912345678",
             "email": "", "description": "大堂门禁卡无法识别，需要重新办理。", "reply_lang": "en"}, [], "quality-pages-resolved-0001",
        ).request
        intake.change_stage(other, "resolved", admin, "门禁卡已重新制作。")
        other_code = intake.access_code_for("quality-pages-resolved-0001")
        db.session.commit()

        approved, approved_token = wall.post_wish(tower, "希望楼里开设午间瑜伽课，缓解久坐疲劳。", "小王", "wang@example.com", "zh")
        wall.approve(approved, council)
        pending, pending_token = wall.post_wish(tower, "Could the lobby have a water fountain?", "", "", "en")
        db.session.commit()

        event = db.session.scalars(sa.select(Event).where(Event.building_id == tower.id).order_by(Event.starts_at)).first()
        facts = {
            "resolved_no": other.tracking_no, "resolved_code": other_code,
            "approved_wish": approved.id, "approved_token": approved_token,
            "pending_wish": pending.id, "pending_token": pending_token,
            "event": event.id, "council_id": council.id,
        }
        db.session.remove()
    return facts


def build_site(app) -> Site:
    clients = {who: app.test_client() for who in ("public", "requester", *PEOPLE)}
    make_entries(app)
    number, code = _file_request(clients["requester"])
    facts = {"tracking_no": number, "access_code": code, **_seed(app, number)}
    # The requester also opens the resolved request with its access code (as from the e-mail link).
    assert clients["requester"].get(f"/zh/requests/{facts['resolved_no']}?code={facts['resolved_code']}").status_code == 303
    for who, email in PEOPLE.items():
        response = Auth(clients[who]).login(email, lang="zh", second_step=(who != "pending"))
        assert response.status_code in (302, 303), (who, response.status_code)

    b, n, ev, wish = BUILDING, number, facts["event"], facts["approved_wish"]
    pages: list[Page] = []
    for lang in LANGS:
        query = "落户" if lang == "zh" else "hukou"

        def add(name, path, who="public", **kw):
            pages.append(Page(name, lang, f"/{lang}/{path}", who, **kw))

        # public
        add("home", "")
        add("privacy notice", "privacy")
        add("accessibility statement", "accessibility")
        add("guide list", "guide/")
        add("guide search", f"guide/?q={query}")
        add("guide did you mean", "guide/?q=" + ("停车场在哪里" if lang == "zh" else "parking+lot"))  # no full match: closest
        add("guide filtered", "guide/?dept=market&audience=both")
        add("guide category", "guide/?category=talent")
        add("guide detail", "guide/hukou")
        add("request form", f"requests/new?service=food-licence&building={b}")
        add("request form invalid", "requests/new", form=_invalid_request_form(clients["public"], lang), status=422)
        add("request submitted", f"requests/{n}/submitted", "requester")
        add("request status locked", f"requests/{n}")
        add("request status unlocked", f"requests/{n}", "requester")
        add("request status resolved", f"requests/{facts['resolved_no']}", "requester")
        add("track", "track")
        add("wall", "wall/")
        add("wall top", f"wall/?building={b}&sort=top")
        add("wall new", f"wall/new?building={b}")
        add("wish follow page", f"wall/mine/{facts['approved_token']}")
        add("wish follow page pending", f"wall/mine/{facts['pending_token']}")
        add("wish report", f"wall/{wish}/report")
        add("boards index", "boards/")
        add("board", f"boards/{b}")
        add("board event", f"boards/{b}/events/{ev}")
        add("screen mode", f"boards/{b}/screen")
        add("poster", f"boards/{b}/poster")
        add("login", "login")
        add("two-step login", "login/two-step", "pending")
        add("forgot password", "login/forgot")
        # workspace
        add("dashboard", "council/", "council")
        add("dashboard admin", "council/", "admin")
        add("request queue", "council/requests/", "council")
        add("request detail", f"council/requests/{n}", "council")
        add("request detail staff", f"council/requests/{n}", "staff")
        add("wish moderation queue", "council/wall/", "council")
        add("wish moderation page", f"council/wall/{wish}", "council")
        add("wish moderation pending", f"council/wall/{facts['pending_wish']}", "council")
        add("wall resources", "council/wall/resources", "council")
        add("board editing", f"council/boards/{b}/", "council")
        add("board event form", f"council/boards/{b}/events/{ev}", "council")
        add("guide editing list", "council/guide/", "staff")
        add("guide edit form", "council/guide/food-licence/edit", "staff")
        add("guide new form", "council/guide/new", "admin")
        add("users list", "council/users/", "admin")
        add("user edit", f"council/users/{facts['council_id']}", "admin")
        add("user invite", "council/users/new", "admin")
        add("team", "council/users/team", "council")
        add("audit viewer", "council/audit/", "admin")
        add("account", "council/account/", "council")
        add("account two-step setup", "council/account/two-step", "council")
        add("account two-step on", "council/account/two-step", "admin")
        add("account password", "council/account/password", "council")
    return Site(app=app, clients=clients, pages=pages, facts=facts)


@pytest.fixture
def site(app, demo) -> Site:
    return build_site(app)


__all__ = ["LANGS", "Page", "Site", "build_site", "site"]
