"""No phone number or requester e-mail on any public page or public API answer.

The demo data plus requests, registrations and wishes with phone numbers we know; then a
crawl of every public page reachable from ``/zh/`` and ``/en/`` (same host, no workspace, no
sign-in, no static files), the requester's own pages (status page after the access code, the
"submitted" page, the event "registered" page, the wish author's page), and the Open311 /
HSDS JSON.  The departments' published office numbers (the guide's 咨询电话) are public on
purpose and are the only numbers allowed."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import DEMO_PASSWORD, csrf_from

pytestmark = [pytest.mark.slow, pytest.mark.dbindependent]

PAGE_CAP = 600
SKIP_PREFIXES = ("/static/", "/zh/council", "/en/council", "/zh/login", "/en/login", "/zh/logout", "/en/logout",
                 "/zh/password/", "/en/password/")
# ASCII boundaries (CJK letters count as \w) so that ids and UUIDs are not read as numbers
MOBILE = re.compile(r"(?<![0-9A-Za-z*-])1[3-9]\d(?:[\s-]?\d{4}){2}(?![0-9A-Za-z*-])")
LANDLINE = re.compile(r"(?<![0-9A-Za-z*-])0\d{2,3}[\s-]?\d{4}[\s-]?\d{3,4}(?![0-9A-Za-z*-])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# What this test files itself, besides the demo data.
REQUEST_MOBILE, REQUEST_EMAIL = "13987654321", "crawl.requester@example.org"
REQUEST_LANDLINE = "021-66778899"
EVENT_PHONE = "15912345678"
WISH_CONTACT = "18611223344 wish.author@example.org"


def _description(phone: str, email: str) -> str:
    """Requesters do write their numbers into the description: it must stay private too."""
    return f"Please call me back at {phone} or write to {email or 'me'} about parking."


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@pytest.fixture
def seeded(app, client):
    """Full demo data (guide, requests in every stage, wishes, boards), then a request with
    a mobile and an e-mail, one with a landline, an event registration and a published wish
    with a private contact — all through the public forms."""
    from app.demo import seed_demo

    with app.app_context():
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
        db.session.remove()
    own = {"requests": [], "registered": [], "wishes": []}
    for phone, email in ((REQUEST_MOBILE, REQUEST_EMAIL), (REQUEST_LANDLINE, "")):
        html = client.get("/en/requests/new?service=garage-parking-pass&building=shanghai-tower").get_data(as_text=True)
        key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post("/en/requests/new", data={
            "csrf_token": csrf_from(html), "submission_key": key, "service": "garage-parking-pass", "building": "shanghai-tower",
            "company_name": "Crawl Test Ltd", "contact_name": "Crawl Tester", "phone": phone, "email": email,
            "description": _description(phone, email),
            "reply_lang": "en", "consent": "y",
        })
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        own["requests"].append(response.location)
    from app.boards.models import Event

    with app.app_context():
        event = db.session.scalars(sa.select(Event).order_by(Event.starts_at.desc())).first()
        url = f"/en/boards/{event.building.slug}/events/{event.id}"
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(html), "name": "Crawl Attendee", "phone": EVENT_PHONE})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    own["registered"].append(response.location)
    html = client.get("/en/wall/new").get_data(as_text=True)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/en/wall/new", data={
        "csrf_token": csrf_from(html), "started": started, "building": "shanghai-tower", "website": "",
        "body": "A quiet room for phone calls on every floor, please.", "display_name": "", "contact": WISH_CONTACT,
    })
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    own["wishes"].append(response.location)
    from app.auth.models import User
    from app.wall.models import Wish
    from app.wall.services import approve

    with app.app_context():
        wish = db.session.scalars(sa.select(Wish).order_by(Wish.id.desc())).first()
        approve(wish, db.session.scalar(sa.select(User).where(User.email == "admin@example.com")))
        db.session.commit()
        db.session.remove()
    return own


def _secrets(app) -> tuple[set[str], set[str], set[str]]:
    """(phone numbers as digits, e-mail addresses, department office numbers as digits)."""
    from app.boards.models import Registration
    from app.guide.models import GuideEntry
    from app.intake.models import ServiceRequest
    from app.org.models import Department
    from app.wall.models import Resource, Wish

    with app.app_context():
        phones = {p for p in db.session.scalars(sa.select(ServiceRequest.phone)) if p}
        phones |= {p for p in db.session.scalars(sa.select(Registration.phone)) if p}
        emails = {e.lower() for e in db.session.scalars(sa.select(ServiceRequest.email)) if e}
        for contact in list(db.session.scalars(sa.select(Wish.contact))) + list(db.session.scalars(sa.select(Resource.contact))):
            for match in MOBILE.finditer(contact or ""):
                phones.add(match.group(0))
            emails |= {m.lower() for m in EMAIL.findall(contact or "")}
        public = {_digits(p) for p in db.session.scalars(sa.select(Department.phone)) if p}
        for text in db.session.scalars(sa.select(GuideEntry.phone)):
            public |= {_digits(m) for m in LANDLINE.findall(text or "")}
        db.session.remove()
    return {_digits(p) for p in phones}, emails, public


def _leaks(body: str, phones: set[str], emails: set[str], public: set[str], own_words: tuple[str, ...] = ()) -> list[str]:
    text = unescape(body)
    for words in own_words:  # what the requester wrote themselves, shown back only to them
        text = text.replace(words, "")
    found = [f"mobile {m}" for m in MOBILE.findall(text)]
    found += [f"landline {m}" for m in LANDLINE.findall(text) if _digits(m) not in public]
    squeezed = re.sub(r"[\s-]", "", text)
    found += [f"known phone {p}" for p in phones if p in squeezed and p not in public]
    lowered = text.lower()
    found += [f"e-mail {e}" for e in emails if e in lowered]
    return found


LINK = re.compile(r'(?:href|action|hx-get|src)="([^"]+)"')


def _crawl(client, starts: list[str]) -> dict[str, str]:
    seen, pages = set(starts), {}
    queue = deque(starts)
    while queue and len(pages) < PAGE_CAP:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            target = urlsplit(urljoin("http://localhost" + url, response.location))
            nxt = target.path + (f"?{target.query}" if target.query else "")
            if target.netloc in ("localhost", "") and nxt not in seen and not nxt.startswith(SKIP_PREFIXES):
                seen.add(nxt)
                queue.append(nxt)
            continue
        assert response.status_code < 500, (url, response.status_code)
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/")) else ""
        pages[url] = body
        if response.mimetype != "text/html":
            continue
        for raw in LINK.findall(body):
            link = urlsplit(urljoin("http://localhost" + url, unescape(raw)))
            if link.scheme not in ("http", "") or link.netloc not in ("localhost", ""):
                continue
            nxt = link.path + (f"?{link.query}" if link.query else "")
            if nxt in seen or nxt.startswith(SKIP_PREFIXES) or "/files/" in nxt or link.path.endswith((".xlsx", ".png", ".jpg")):
                continue
            seen.add(nxt)
            queue.append(nxt)
    return pages


def test_no_phone_or_email_on_any_public_page(app, client, seeded):
    phones, emails, public = _secrets(app)
    assert {REQUEST_MOBILE, _digits(REQUEST_LANDLINE), EVENT_PHONE, "18611223344"} <= phones
    assert {REQUEST_EMAIL, "wish.author@example.org"} <= emails and len(phones) > 20

    pages = _crawl(app.test_client(), ["/", "/zh/", "/en/"])
    assert len(pages) >= 60, sorted(pages)  # it really went round the site
    for part in ("/zh/guide/", "/en/wall/", "/zh/boards/shanghai-tower", "/en/boards/shanghai-tower/screen", "/feed.atom", "/events/"):
        assert any(part in url for url in pages), part
    problems = {url: leaks for url, body in pages.items() if (leaks := _leaks(body, phones, emails, public))}
    assert not problems, problems


def test_no_phone_or_email_on_the_requesters_own_pages(app, client, seeded):
    """What a requester sees with the access code, the confirmation pages and the wish
    author's page: masked numbers at most."""
    from app.intake.models import ServiceRequest
    from app.intake.services import access_code_for

    phones, emails, public = _secrets(app)
    pages = {}
    for url in seeded["requests"] + seeded["registered"] + seeded["wishes"]:
        pages[url] = client.get(url).get_data(as_text=True)  # the same browser that filed
    with app.app_context():
        keys = [(r.tracking_no, access_code_for(r.submission_key)) for r in db.session.scalars(sa.select(ServiceRequest))]
    for lang in ("zh", "en"):
        for number, code in keys:
            unlocked = client.get(f"/{lang}/requests/{number}?code={code}")
            assert unlocked.status_code == 303
            page = client.get(unlocked.location)
            assert page.status_code == 200
            pages[f"{unlocked.location} (unlocked)"] = page.get_data(as_text=True)
    track = client.get("/en/track").get_data(as_text=True)
    number, code = keys[0]
    response = client.post("/en/track", data={"csrf_token": csrf_from(track), "tracking_no": number, "code": code})
    assert response.status_code == 303
    pages["/en/track → status"] = client.get(response.location).get_data(as_text=True)
    own_words = (_description(REQUEST_MOBILE, REQUEST_EMAIL), _description(REQUEST_LANDLINE, ""))
    assert sum(own_words[0] in body for body in pages.values()) == 2  # zh and en, unlocked
    problems = {url: leaks for url, body in pages.items() if (leaks := _leaks(body, phones, emails, public, own_words))}
    assert not problems, problems
    # the requester does see the masked number of the event registration
    assert any("159****5678" in body for body in pages.values())


def test_no_phone_or_email_in_the_json_api(app, client, seeded):
    import json

    phones, emails, public = _secrets(app)
    answers = {}
    for url in ("/api/open311/v2/services.json", "/api/open311/v2/requests.json", "/api/hsds/", "/api/hsds/services",
                "/api/hsds/organizations", "/api/openapi.json"):
        response = client.get(url)
        assert response.status_code == 200, url
        answers[url] = response.get_data(as_text=True)
    requests_ = json.loads(answers["/api/open311/v2/requests.json"])
    assert len(requests_) >= 10
    for item in requests_:
        url = f"/api/open311/v2/requests/{item['service_request_id']}.json"
        answers[url] = client.get(url).get_data(as_text=True)
    services = json.loads(answers["/api/hsds/services"])["contents"]
    for item in services[:50]:
        answers[f"/api/hsds/services/{item['id']}"] = client.get(f"/api/hsds/services/{item['id']}").get_data(as_text=True)
    for item in json.loads(answers["/api/hsds/organizations"])["contents"][:50]:
        answers[f"/api/hsds/organizations/{item['id']}"] = client.get(f"/api/hsds/organizations/{item['id']}").get_data(as_text=True)
    # JSON escapes non-ASCII; decode so the same patterns apply
    decoded = {url: json.dumps(json.loads(body), ensure_ascii=False) for url, body in answers.items()}
    problems = {url: leaks for url, body in decoded.items() if (leaks := _leaks(body, phones, emails, public))}
    assert not problems, problems
