"""Writes of the wish wall.  The caller commits; staff actions write an audit record.

Supports and reports are inserted with ON CONFLICT DO NOTHING on their primary key
(wish, person), and the wish's counter is incremented in the same transaction only when
a row was really inserted and the person's network still had allowance for it: one per
person, and exact under concurrent clicks.

Reports and reputation: a moderator who hides or rejects a reported wish upholds its
reports, one who publishes it again (or dismisses its reports) dismisses them; either way
each reporter's record (``WishReporter``) is updated, the reports are cleared, and an audit
record says how many."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..core import audit
from ..core.db import upsert_insert
from ..core.timeutil import utcnow
from ..core.uploads import StoredFile
from ..core.errors import ServiceError
from ..extensions import db
from .models import Claim, Project, Resource, Wish, WishNetworkTally, WishReport, WishReporter, WishSupport

DEFAULT_WORDS_FILE = Path(__file__).with_name("sensitive-words.txt")


class WallError(ServiceError):
    """An action that cannot be done in the wish's current state (translated message)."""


# --- sensitive words ---------------------------------------------------------------


@lru_cache(maxsize=8)
def _load_words(path: str) -> tuple[str, ...]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(sorted({w.strip().lower() for w in lines if w.strip() and not w.lstrip().startswith("#")}, key=len, reverse=True))


def sensitive_words() -> tuple[str, ...]:
    """The configured list (``WALL_SENSITIVE_WORDS_FILE``, one word per line, # comments)."""
    return _load_words(str(current_app.config.get("WALL_SENSITIVE_WORDS_FILE") or DEFAULT_WORDS_FILE))


def flagged_words(text: str) -> list[str]:
    lowered = (text or "").lower()
    return [w for w in sensitive_words() if w in lowered]


# --- posting -------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def post_wish(building, body: str, display_name: str, contact: str, lang: str) -> tuple[Wish, str]:
    """A new wish waiting for review, and the author's private follow token."""
    token = secrets.token_urlsafe(18)
    now = utcnow()
    wish = Wish(
        building=building, body=body, display_name=display_name or None, contact=contact or None,
        lang=lang if lang in ("zh", "en") else "zh", status="pending", progress="open",
        flagged_words=flagged_words(f"{body} {display_name}") or None, follow_token_hash=token_hash(token),
        created_at=now, updated_at=now,
    )
    db.session.add(wish)
    db.session.flush()
    return wish, token


def _touch(wish_id: int) -> None:
    db.session.execute(sa.update(Wish).where(Wish.id == wish_id).values(updated_at=utcnow()))


def _insert_ignore(model, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was new."""
    # RETURNING tells reliably whether a row went in (rowcount is not reported by every
    # driver for ON CONFLICT statements).
    first_key = next(iter(model.__table__.primary_key.columns))
    result = db.session.execute(upsert_insert(db.session, model).values(**values).on_conflict_do_nothing().returning(first_key))
    return result.first() is not None


def _period_today() -> str:
    from ..core.workdays import SHANGHAI

    return utcnow().astimezone(SHANGHAI).date().isoformat()


def _take_allowance(wish_id: int, kind: str, network: str | None, period: str, allowance: int) -> bool:
    """One more from ``network`` within its allowance for the wish: True when it counts.
    The tally moves in one conditional UPDATE, so concurrent requests cannot overshoot
    (PostgreSQL re-checks the condition on the locked row; SQLite writes one at a time)."""
    if not network or allowance <= 0:
        return True
    created = _insert_ignore(WishNetworkTally, wish_id=wish_id, kind=kind, network=network, period=period, count=0)
    if created and kind == "support":  # the first of the day from this network: yesterday's tallies go
        db.session.execute(sa.delete(WishNetworkTally).where(WishNetworkTally.wish_id == wish_id, WishNetworkTally.kind == "support",
                                                             WishNetworkTally.period < period))
    taken = db.session.execute(
        sa.update(WishNetworkTally)
        .where(WishNetworkTally.wish_id == wish_id, WishNetworkTally.kind == kind, WishNetworkTally.network == network,
               WishNetworkTally.period == period, WishNetworkTally.count < allowance)
        .values(count=WishNetworkTally.count + 1)
    )
    return taken.rowcount == 1


def support_outcome(wish: Wish, supporter: str, network: str | None = None) -> tuple[int, str]:
    """+1 from ``supporter`` (a person's hash) on ``network`` (the network's hash): the new
    count, and "added", "already" (this person supports it) or "limited" (the network's
    allowance for the day is used up: not counted, not kept)."""
    added = _insert_ignore(WishSupport, wish_id=wish.id, supporter=supporter, created_at=utcnow())
    state = "added" if added else "already"
    if added and not _take_allowance(wish.id, "support", network, _period_today(), current_app.config["WALL_SUPPORTS_PER_IP_PER_DAY"]):
        db.session.execute(sa.delete(WishSupport).where(WishSupport.wish_id == wish.id, WishSupport.supporter == supporter))
        state = "limited"
    if state == "added":
        db.session.execute(sa.update(Wish).where(Wish.id == wish.id).values(support_count=Wish.support_count + 1, updated_at=utcnow()))
    count = db.session.scalar(sa.select(Wish.support_count).where(Wish.id == wish.id).execution_options(populate_existing=True))
    return count, state


def support(wish: Wish, supporter: str, network: str | None = None) -> tuple[int, bool]:
    """+1 from ``supporter``: (the new count, whether it counted).  The counter moves in one
    UPDATE, so concurrent supports all count."""
    count, state = support_outcome(wish, supporter, network)
    return count, state == "added"


def _trusted(reporters) -> sa.ColumnElement:
    config = current_app.config
    return sa.and_(WishReporter.person.in_(reporters), WishReporter.upheld >= max(1, config["WALL_TRUSTED_REPORTER_MIN_UPHELD"]),
                   WishReporter.upheld > WishReporter.dismissed)


def hide_threshold(support_count: int) -> int:
    """Distinct reporters that hide a wish without trusted reporters: max(N, supports / M)."""
    config = current_app.config
    per = max(1, config["WALL_REPORTS_TO_HIDE_PER_SUPPORTS"])
    return max(config["WALL_REPORTS_TO_HIDE"], -(-support_count // per))


def report(wish: Wish, reporter: str, reason: str, network: str | None = None) -> bool:
    """A report from ``reporter`` (a person's hash) on ``network``; it counts once per
    person and, from one network, up to ``WALL_REPORTS_PER_IP`` per wish.  A published wish
    is hidden (and heads the moderators' queue) when ``WALL_TRUSTED_REPORTS_TO_HIDE`` of its
    reporters had reports upheld before, or when its distinct reporters reach
    ``hide_threshold(supports)``; otherwise the report only queues it for review.
    Returns whether the wish is now hidden."""
    added = _insert_ignore(WishReport, wish_id=wish.id, reporter=reporter, reason=reason, created_at=utcnow())
    if not added:
        return wish.status == "hidden"
    if not _take_allowance(wish.id, "report", network, "all", current_app.config["WALL_REPORTS_PER_IP"]):
        db.session.execute(sa.delete(WishReport).where(WishReport.wish_id == wish.id, WishReport.reporter == reporter))
        return wish.status == "hidden"
    # A new report is news to the moderators: the wish must be opened again before a bulk approval.
    db.session.execute(sa.update(Wish).where(Wish.id == wish.id).values(report_count=Wish.report_count + 1, opened_at=None, opened_by_id=None))
    count, supports = db.session.execute(sa.select(Wish.report_count, Wish.support_count).where(Wish.id == wish.id)).one()
    if wish.status != "approved":
        return wish.status == "hidden"
    reporters = sa.select(WishReport.reporter).where(WishReport.wish_id == wish.id).scalar_subquery()
    trusted = db.session.scalar(sa.select(sa.func.count()).select_from(WishReporter).where(_trusted(reporters)))
    threshold = hide_threshold(supports)
    if trusted >= max(1, current_app.config["WALL_TRUSTED_REPORTS_TO_HIDE"]) or count >= threshold:
        now = utcnow()
        hidden = db.session.execute(sa.update(Wish).where(Wish.id == wish.id, Wish.status == "approved")
                                    .values(status="hidden", auto_hidden_at=now, updated_at=now))
        if hidden.rowcount:
            audit.record("wish.auto_hide", target_type="wish", target_id=wish.id,
                         after={"reports": count, "trusted_reporters": trusted, "threshold": threshold}, building_id=wish.building_id)
        db.session.refresh(wish)
        return wish.status == "hidden"
    return False


# --- moderation ----------------------------------------------------------------------


def _audit(action: str, wish: Wish, actor, before=None, after=None) -> None:
    audit.record(action, wish, before=before, after=after, actor=actor, building_id=wish.building_id)


def settle_reports(wish: Wish, actor, upheld: bool) -> int:
    """The moderator's decision on the wish's reports: each reporter's record counts one
    upheld (or dismissed) report more; the reports and the networks' report tallies are
    cleared (the wish may be reported afresh).  Returns how many reports were settled."""
    reporters = db.session.scalars(sa.select(WishReport.reporter).where(WishReport.wish_id == wish.id)).all()
    wish.auto_hidden_at = None
    if not reporters:
        return 0
    now = utcnow()
    for person in reporters:
        _insert_ignore(WishReporter, person=person, upheld=0, dismissed=0, updated_at=now)
    column = WishReporter.upheld if upheld else WishReporter.dismissed
    db.session.execute(sa.update(WishReporter).where(WishReporter.person.in_(reporters)).values({column.key: column + 1, "updated_at": now}))
    db.session.execute(sa.delete(WishReport).where(WishReport.wish_id == wish.id))
    db.session.execute(sa.delete(WishNetworkTally).where(WishNetworkTally.wish_id == wish.id, WishNetworkTally.kind == "report"))
    wish.report_count = 0
    wish.updated_at = now
    _audit("wish.reports_upheld" if upheld else "wish.reports_dismissed", wish, actor, after={"reports": len(reporters)})
    return len(reporters)


def dismiss_reports(wish: Wish, actor) -> int:
    """The wish stays on the wall; its reports are dismissed."""
    return settle_reports(wish, actor, upheld=False)


def approve(wish: Wish, actor, text: str | None = None) -> None:
    """Publish (again): a hidden wish comes back with its reports dismissed."""
    if wish.status == "approved":
        return
    before = wish.status
    if text is not None and text.strip() and text.strip() != wish.body:
        wish.body_public = text.strip()
    wish.status = "approved"
    wish.published_at = wish.published_at or utcnow()
    settle_reports(wish, actor, upheld=False)
    wish.updated_at = utcnow()
    _audit("wish.approve", wish, actor, {"status": before}, {"status": "approved", "edited": bool(wish.body_public)})


def reject(wish: Wish, actor, reason: str) -> None:
    before = wish.status
    settle_reports(wish, actor, upheld=True)
    wish.status = "rejected"
    wish.reject_reason = reason.strip() or None
    wish.updated_at = utcnow()
    _audit("wish.reject", wish, actor, {"status": before}, {"status": "rejected", "reason": wish.reject_reason})


def hide(wish: Wish, actor) -> None:
    """Off the wall (or kept off, for a wish reports hid): its reports are upheld."""
    before = wish.status
    settle_reports(wish, actor, upheld=True)
    wish.status = "hidden"
    wish.updated_at = utcnow()
    _audit("wish.hide", wish, actor, {"status": before}, {"status": "hidden"})


def mark_opened(wish: Wish, actor) -> bool:
    """A moderator opened the wish's own page (and so read it, its reports and its flagged
    words): recorded once until the next report.  True when this visit recorded it."""
    if wish.opened_at is not None:
        return False
    wish.opened_at = utcnow()
    wish.opened_by_id = getattr(actor, "id", None)
    return True


BULK_ACTIONS = ("approve", "reject", "hide")


def bulk_moderate(wishes, action: str, actor) -> tuple[list[Wish], list[Wish]]:
    """``action`` (one of BULK_ACTIONS) on each of ``wishes``, each audited as when done
    one by one: (the wishes acted on, the flagged ones a bulk approval skipped because no
    moderator has opened them)."""
    done, skipped = [], []
    for wish in wishes:
        if action == "approve":
            if wish.status == "approved":
                continue  # nothing to do (already on the wall)
            if wish.needs_opening:
                skipped.append(wish)
                continue
            approve(wish, actor)
        elif action == "reject":
            reject(wish, actor, "")
        elif action == "hide":
            hide(wish, actor)
        else:
            raise ValueError(action)
        done.append(wish)
    return done, skipped


def edit_text(wish: Wish, actor, text: str) -> None:
    """The text shown on the wall; the author's original stays in ``body``."""
    before = wish.text
    wish.body_public = text.strip() if text.strip() != wish.body else None
    wish.updated_at = utcnow()
    _audit("wish.edit", wish, actor, {"text": before}, {"text": wish.text})


# --- claim and fulfil ------------------------------------------------------------------


def claim(wish: Wish, resource: Resource, plan: str, target_on: date | None, actor) -> Claim:
    if wish.status != "approved":
        raise WallError(_("Only a wish on the wall can be claimed."))
    if wish.progress != "open":
        raise WallError(_("This wish is already claimed."))
    item = Claim(wish=wish, resource=resource, plan=plan.strip(), target_on=target_on, claimed_by_id=getattr(actor, "id", None), claimed_at=utcnow())
    db.session.add(item)
    wish.progress = "claimed"
    wish.updated_at = utcnow()
    _audit("wish.claim", wish, actor, {"progress": "open"}, {"progress": "claimed", "resource": resource.id, "target_on": str(target_on or "")})
    return item


def fulfil(wish: Wish, actor, result: str, photo: StoredFile | None = None) -> None:
    if wish.progress != "claimed" or wish.claim is None:
        raise WallError(_("A wish is fulfilled after it has been claimed."))
    wish.claim.result = result.strip()
    if photo is not None:
        wish.claim.photo = photo.storage_name
    wish.progress = "fulfilled"
    wish.fulfilled_at = utcnow()
    wish.updated_at = utcnow()
    _audit("wish.fulfil", wish, actor, {"progress": "claimed"}, {"progress": "fulfilled", "result": wish.claim.result})


def make_project(wish: Wish, actor, title_zh: str, title_en: str) -> Project:
    """A claimed wish becomes a project on the building's 项目清单."""
    if wish.claim is None:
        raise WallError(_("Claim the wish before making it a project."))
    existing = db.session.scalar(sa.select(Project).where(Project.wish_id == wish.id))
    if existing is not None:
        raise WallError(_("This wish is already a project."))
    project = Project(building_id=wish.building_id, wish_id=wish.id, title_zh=title_zh.strip(), title_en=title_en.strip(),
                      progress=100 if wish.progress == "fulfilled" else 10, status="done" if wish.progress == "fulfilled" else "active")
    db.session.add(project)
    db.session.flush()
    audit.record("project.create", project, after={"wish": wish.id, "title_zh": project.title_zh}, actor=actor, building_id=wish.building_id)
    return project


def save_resource(resource: Resource | None, data: dict, actor) -> Resource:
    before = None
    if resource is None:
        resource = Resource()
        db.session.add(resource)
    else:
        before = {k: getattr(resource, k) for k in data}
    for key, value in data.items():
        setattr(resource, key, value)
    db.session.flush()
    audit.record("resource.save", resource, before=before, after={k: (v if not hasattr(v, "id") else v.id) for k, v in data.items()},
                 actor=actor, building_id=resource.building_id)
    return resource
