"""The workspace dashboard: what needs each person now, in their scope, with links into
the right queues; the counts block as an htmx partial; a constant number of queries;
observers read requests but act on none.

New UI strings are looked up through the app's own catalogue (``tr``/``ntr``), so the
tests hold before and after the Chinese translations are merged; literal Chinese is
asserted only for strings the catalogue already had, and in ``test_new_strings_in_chinese``
(skipped until the new msgids are translated)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
import sqlalchemy as sa

from app.boards.models import Event, Registration

from app.core.timeutil import utcnow
from app.core.workdays import SHANGHAI
from app.extensions import db
from app.intake.models import ServiceRequest
from app.org.models import Building, Department
from app.wall.models import Wish
from tests.conftest import count_statements, csrf_from, text_of

ST, JM, IFC = "shanghai-tower", "jin-mao-tower", "ifc"
_serial = count(1)


def tr(app, lang: str, msgid: str, **params) -> str:
    from flask_babel import force_locale, gettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return gettext(msgid, **params)


def ntr(app, lang: str, singular: str, plural: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return ngettext(singular, plural, num)


def today():
    return datetime.now(SHANGHAI).date()


# --- rows -------------------------------------------------------------------------------------


def _ids(model, column, values):
    return dict(db.session.execute(sa.select(column, model.id).where(column.in_(values))).all())


def add_request(building_id, stage="received", due_in=5, department_id=None, **extra) -> str:
    """A request written directly (the dashboard only reads stage, due date and scope)."""
    n = next(_serial)
    now = utcnow()
    number = f"LS-2026-{800000 + n:06d}"
    db.session.add(ServiceRequest(
        tracking_no=number, access_code_hash="x" * 64, submission_key=f"dashboard-{n}", building_id=building_id,
        department_id=department_id, description="大堂空调太冷", contact_name="张三", phone="13912345678",
        stage=stage, created_at=now, updated_at=now, due_on=None if due_in is None else today() + timedelta(days=due_in), **extra,
    ))
    return number


def add_wish(building_id, status="pending", reports=0) -> int:
    n = next(_serial)
    now = utcnow()
    wish = Wish(building_id=building_id, body=f"希望增加共享单车停放点 {n}", lang="zh", status=status, progress="open",
                report_count=reports, follow_token_hash=f"{n:064d}", created_at=now, updated_at=now,
                published_at=now if status == "approved" else None)
    db.session.add(wish)
    db.session.flush()
    return wish.id


def add_event(building_id, title_en, seats, taken, days=3, waitlisted=0) -> int:
    start = utcnow() + timedelta(days=days)
    event = Event(building_id=building_id, title_zh=f"{title_en}（中文）", title_en=title_en, starts_at=start,
                  ends_at=start + timedelta(hours=2), seats=seats, confirmed_count=taken)
    db.session.add(event)
    db.session.flush()
    for i in range(waitlisted):
        n = next(_serial)
        db.session.add(Registration(event_id=event.id, name="候补", phone=f"1390000{n:04d}", status="waitlisted",
                                    position=taken + i + 1, cancel_token_hash=f"{n:064x}"))
    return event.id


@pytest.fixture
def scene(app, demo):
    """Requests, wishes and events in shanghai-tower (the council member's), jin-mao-tower
    (the observer has both) and ifc (nobody's but the admin's and, for the market
    department's requests, the staff member's)."""
    with app.app_context():
        b = _ids(Building, Building.slug, [ST, JM, IFC])
        d = _ids(Department, Department.code, ["market", "fire"])
        made = {
            # shanghai-tower
            "st_due_today": add_request(b[ST], "in_progress", 0, d["market"]),
            "st_overdue": add_request(b[ST], "assigned", -2, d["market"]),
            "st_overdue_new": add_request(b[ST], "received", -1, d["market"]),
            "st_new": add_request(b[ST], "received", 5),
            "st_closed_late": add_request(b[ST], "closed", -3, d["market"]),
            "st_resolved_today": add_request(b[ST], "resolved", 0, d["market"]),
            # jin-mao-tower
            "jm_due_today_new": add_request(b[JM], "received", 0, d["fire"]),
            "jm_overdue": add_request(b[JM], "in_progress", -4, d["market"]),
            # ifc
            "ifc_due_today_new": add_request(b[IFC], "received", 0, d["market"]),
        }
        for _ in range(2):
            add_wish(b[ST])
        add_wish(b[ST], "approved", reports=2)
        add_wish(b[ST], "approved")
        add_wish(b[JM])
        add_wish(b[JM], "approved", reports=1)
        made["ev_st_80"] = add_event(b[ST], "Tax briefing", seats=10, taken=8)
        made["ev_st_70"] = add_event(b[ST], "Yoga at lunch", seats=10, taken=7)
        made["ev_st_full"] = add_event(b[ST], "Fire drill", seats=5, taken=5, days=2, waitlisted=2)
        made["ev_st_past"] = add_event(b[ST], "Last week's talk", seats=5, taken=5, days=-7)
        made["ev_jm_95"] = add_event(b[JM], "Talent forum", seats=20, taken=19, days=4)
        db.session.commit()
        db.session.remove()
    return made


# person → (due today, overdue, new, pending wishes or None, reported wishes, events seen)
EXPECTED = {
    "council": (1, 2, 2, 2, 1, ["Fire drill", "Tax briefing"]),
    "observer": (2, 3, 3, None, None, ["Fire drill", "Tax briefing", "Talent forum"]),
    "staff": (2, 3, 2, None, None, None),
    "admin": (3, 3, 4, 3, 2, ["Fire drill", "Tax briefing", "Talent forum"]),
}


def counts_block(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('<section id="counts"')
    return html[start:html.index("</section>", start) + len("</section>")]


def hrefs(html: str) -> list[str]:
    import re

    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_person_sees_their_own_numbers_and_links(app, client, auth, scene, role, lang):
    due, overdue, new, pending, reported, events = EXPECTED[role]
    assert auth.login(f"{role}@example.com", lang=lang).status_code == 303
    response = client.get(f"/{lang}/council/")
    assert response.status_code == 200
    block = counts_block(response)
    text = text_of(response)
    links = hrefs(block)

    assert ntr(app, lang, "%(num)d request due today", "%(num)d requests due today", due) in text
    assert ntr(app, lang, "%(num)d overdue request", "%(num)d overdue requests", overdue) in text
    assert ntr(app, lang, "%(num)d new request", "%(num)d new requests", new) in text
    assert f"/{lang}/council/requests/?due=today" in links
    assert f"/{lang}/council/requests/?overdue=1" in links
    assert f"/{lang}/council/requests/?stage=received" in links

    wish_pending = ntr(app, lang, "%(num)d wish waiting for moderation", "%(num)d wishes waiting for moderation", pending or 0)
    if pending is None:  # cannot moderate: no wish counts at all, not even "none"
        assert tr(app, lang, "No wishes waiting for moderation") not in text and wish_pending not in text
        assert not any("/council/wall" in h for h in links)
    else:
        assert wish_pending in text
        assert ntr(app, lang, "%(num)d wish reported by the public", "%(num)d wishes reported by the public", reported) in text
        assert f"/{lang}/council/wall/?queue=pending" in links and f"/{lang}/council/wall/?queue=reported" in links

    heading = tr(app, lang, "Events filling up")
    if events is None:
        assert heading not in text
    else:
        assert heading in text
        table = block[block.index('id="filling-up"'):]
        shown = [t for t in ("Fire drill", "Tax briefing", "Talent forum", "Yoga at lunch", "Last week's talk")
                 if (t if lang == "en" else f"{t}（中文）") in table]
        assert shown == events  # soonest first; 70 % and past events left out
        # the seat figures, and the full one with its waitlist ("已满，可候补" is in the catalogue)
        assert tr(app, lang, "%(taken)d of %(seats)d taken", taken=8, seats=10) in text
        assert tr(app, lang, "%(taken)d of %(seats)d taken", taken=5, seats=5) in text
        assert ntr(app, lang, "%(num)d on the waitlist", "%(num)d on the waitlist", 2) in text
        assert ("已满，可候补" if lang == "zh" else "Full: waitlist open") in text
        assert f"/{lang}/boards/{ST}/events/{scene['ev_st_80']}" in links

    # the sections that were there stay
    for msgid in ("Your scope", "Your tools", "Your recent activity"):
        assert tr(app, lang, msgid) in text
    if lang == "zh":
        assert "超期诉求" in text  # "Overdue requests" in the tools, translated already


def test_the_links_lead_to_the_matching_requests(app, client, auth, scene):
    auth.login("council@example.com", lang="en")
    block = counts_block(client.get("/en/council/"))
    links = [h for h in hrefs(block) if "/council/requests/" in h]
    assert len(links) == 3
    due, overdue, new = (text_of(client.get(link)) for link in links)
    in_st = {k for k in scene if k.startswith("st_")}

    def listed(text):
        return {k for k in in_st if scene[k] in text}

    assert listed(due) == {"st_due_today"}
    assert listed(overdue) == {"st_overdue", "st_overdue_new"}
    assert listed(new) == {"st_overdue_new", "st_new"}
    for text in (due, overdue, new):  # the other buildings' requests never appear
        assert scene["jm_due_today_new"] not in text and scene["ifc_due_today_new"] not in text


def test_due_today_filter_for_the_observer(app, client, auth, scene):
    auth.login("observer@example.com", lang="en")
    page = client.get("/en/council/requests/", query_string={"due": "today"})
    text = text_of(page)
    assert scene["st_due_today"] in text and scene["jm_due_today_new"] in text
    assert scene["ifc_due_today_new"] not in text and scene["st_resolved_today"] not in text and scene["st_new"] not in text
    assert 'name="due" value="today" checked' in page.get_data(as_text=True)


def test_zero_counts_read_calmly_and_without_links(app, client, auth, demo):
    auth.login("council@example.com", lang="en")
    response = client.get("/en/council/")
    text, block = text_of(response), counts_block(response)
    for msgid in ("Nothing due today", "Nothing overdue", "No new requests", "No wishes waiting for moderation",
                  "No reported wishes", "No event is filling up."):
        assert tr(app, "en", msgid) in text
    assert hrefs(block) == []
    assert "overdue-flag" not in block


def test_htmx_request_gets_only_the_counts_partial(app, client, auth, scene):
    auth.login("council@example.com", lang="zh")
    page = client.get("/zh/council/")
    html = page.get_data(as_text=True)
    assert 'hx-get="/zh/council/"' in html and 'hx-trigger="every 60s"' in html and 'hx-select="#counts"' in html
    assert "HX-Request" in page.headers.get("Vary", "")

    fragment = client.get("/zh/council/", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers.get("Vary", "")
    assert body.lstrip().startswith('<section id="counts"') and "<html" not in body
    assert tr(app, "zh", "Your tools") not in body
    assert ntr(app, "zh", "%(num)d overdue request", "%(num)d overdue requests", 2) in text_of(fragment)
    assert "更新于" in text_of(fragment)  # "Updated %(time)s", translated already
    # a boosted navigation or a history restore gets the whole page
    boosted = client.get("/zh/council/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def _count_for_everyone(app, client, auth) -> dict:
    found = {}
    for role in ("admin", "council", "observer", "staff"):
        auth.login(f"{role}@example.com", lang="en")
        client.get("/en/council/")  # the first page after signing in may do session work
        found[role] = (count_statements(app, client, "/en/council/"), count_statements(app, client, "/en/council/", **{"HX-Request": "true"}))
        auth.logout(lang="en")
    return found


def test_a_constant_number_of_queries_whatever_the_data(app, client, auth, scene):
    """The dashboard and its partial run as many SQL statements with a handful of rows
    as with many more requests, wishes, events and registrations."""
    few = _count_for_everyone(app, client, auth)
    with app.app_context():
        b = _ids(Building, Building.slug, [ST, JM, IFC])
        d = _ids(Department, Department.code, ["market"])
        for i in range(60):
            add_request(b[(ST, JM, IFC)[i % 3]], ("received", "assigned", "in_progress")[i % 3], i % 5 - 2, d["market"])
            add_wish(b[(ST, JM)[i % 2]], ("pending", "approved")[i % 2], reports=i % 3)
        for i in range(15):
            add_event(b[(ST, JM, IFC)[i % 3]], f"Event {i}", seats=10, taken=9 + i % 2, days=1 + i, waitlisted=i % 3)
        db.session.commit()
        db.session.remove()
    many = _count_for_everyone(app, client, auth)
    assert many == few
    # the partial: the person, the request counts, the wish counts and the events at most
    assert all(partial <= 6 for _page, partial in many.values()), many
    auth.login("admin@example.com", lang="en")
    text = text_of(client.get("/en/council/"))
    assert tr(app, "en", "The %(shown)d soonest of %(total)d events filling up.", shown=10, total=18) in text


def test_observer_reads_requests_but_acts_on_none(app, client, auth, scene):
    number = scene["st_overdue"]
    auth.login("observer@example.com", lang="en")
    queue = client.get("/en/council/requests/")
    html = queue.get_data(as_text=True)
    assert queue.status_code == 200 and number in html and scene["jm_overdue"] in html
    assert "/council/requests/assign" not in html and 'name="ids"' not in html  # no bulk assignment
    assert scene["ifc_due_today_new"] not in html

    page = client.get(f"/en/council/requests/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert tr(app, "en", "Read only: you can follow this request but not act on it.") in text_of(page)
    main = html[html.index("<main"):html.index("</main>")]
    assert "<form" not in main and "csrf_token" not in main  # no action form at all
    for action in ("stage", "reply", "transfer", "cohandler", "duplicate", "reveal"):
        assert f"/council/requests/{number}/{action}" not in html
    # no contact details at all (least privilege): not even the masked phone
    assert "139****5678" not in html and "13912345678" not in html
    assert tr(app, "en", "Shown only to the people handling the request.") in text_of(page)
    assert "张三" not in text_of(page)
    assert client.get(f"/en/council/requests/{scene['ifc_due_today_new']}").status_code == 403  # not their building

    token = csrf_from(client.get("/en/council/").get_data(as_text=True))
    posts = {
        "stage": {"stage": "in_progress"}, "reply": {"body": "看一下", "visibility": "internal"},
        "transfer": {"department": "1", "reason": "x"}, "cohandler": {"department": "1"},
        "duplicate": {"other": scene["st_new"]}, "reveal": {},
    }
    for action, data in posts.items():
        assert client.post(f"/en/council/requests/{number}/{action}", data={"csrf_token": token, **data}).status_code == 403, action
    assert client.post("/en/council/requests/assign", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/en/council/requests/{number}/files/1").status_code == 403
    with app.app_context():
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        assert req.stage == "assigned" and len(req.events) == 0


def test_observer_does_not_see_attachments(app, client, auth, demo):
    """An attachment of a request in the observer's building: listed and served to the
    council member, neither listed nor served to the observer."""
    from app.intake.models import RequestAttachment, RequestEvent

    with app.app_context():
        b = _ids(Building, Building.slug, [ST])
        number = add_request(b[ST], "received", 3)
        db.session.flush()
        req = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.tracking_no == number))
        event = RequestEvent(request_id=req.id, kind="submitted", public=True, by_requester=True, to_stage="received")
        db.session.add(event)
        db.session.flush()
        attachment = RequestAttachment(request_id=req.id, event_id=event.id, storage_name="dashboard-test-file.pdf",
                                       original_name="lease-contract.pdf", content_type="application/pdf", size=10)
        db.session.add(attachment)
        db.session.commit()
        attachment_id = attachment.id
        db.session.remove()
    auth.login("council@example.com", lang="en")
    assert "lease-contract.pdf" in client.get(f"/en/council/requests/{number}").get_data(as_text=True)
    auth.logout(lang="en")
    auth.login("observer@example.com", lang="en")
    html = client.get(f"/en/council/requests/{number}").get_data(as_text=True)
    assert "lease-contract.pdf" not in html and "/files/" not in html
    assert client.get(f"/en/council/requests/{number}/files/{attachment_id}").status_code == 403


def test_observer_has_no_moderation_board_or_guide_editing(app, client, auth, scene):
    auth.login("observer@example.com", lang="en")
    for path in ("/en/council/wall/", "/en/council/wall/resources", f"/en/council/boards/{ST}/", f"/en/council/boards/{JM}/",
                 "/en/council/guide/"):
        assert client.get(path).status_code == 403, path
    text = text_of(client.get("/en/council/"))
    # the tools: the request queue and the public boards of the observer's buildings
    assert tr(app, "en", "Open Building Board") + ": Shanghai Tower" in text
    assert tr(app, "en", "Open Building Board") + ": Jin Mao Tower" in text
    assert tr(app, "en", "Edit the board") not in text and tr(app, "en", "Wish moderation") not in text


def test_new_strings_in_chinese(app, client, auth, scene):
    """NEW STRINGS (from /tmp/tr/dashboard.json): skipped until they are in the zh catalogue."""
    if tr(app, "zh", "Nothing overdue") == "Nothing overdue":
        pytest.skip("the dashboard's new strings are not translated yet (merge /tmp/tr/dashboard.json)")
    auth.login("council@example.com", lang="zh")
    text = text_of(client.get("/zh/council/"))
    for phrase in ("1 条诉求今天到期", "2 条诉求已超期", "2 条新诉求待受理", "2 条心愿待审核", "1 条心愿被公众举报", "即将满员的活动", "候补 2 人"):
        assert phrase in text, phrase
