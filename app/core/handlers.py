"""The one POST sequence of a form handler (see DESIGN.md, Conventions and Layout).

Every handler that changes something runs the same steps, in this order::

    validate → (invalid: the page again, HTTP 422, everything typed kept)
    → the service call(s) → (a ServiceError: rollback, the message on its field, 422)
    → commit → after-commit actions (hooks such as cache bumps, then mail/SMS)
    → htmx: a fragment in place / otherwise: flash + 303 redirect

``submit()`` runs them, so that a handler only says *what* it validates, calls and
shows, and cannot forget a step (a rollback, the commit, the outbox, the 303)::

    form = ReopenForm()
    return submit(
        form,
        page=lambda: _status_page(req, reopen_form=form),  # the form as sent, 422
        field=form.reason,                                  # where a refusal is shown
        act=lambda: reopen(req, form.reason.data),          # the service call(s)
        done=lambda _result: Done(_("Reopened."), _status_url(req)),  # flash + 303
    )

``page`` re-renders the form's page with the form as it was sent (its status is set
to 422 here); ``act`` calls the services (it may raise a ``ServiceError``, whose message
goes on ``field``); ``done`` gets what ``act`` returned, after the commit, and says what
the person sees next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Response, flash, redirect

from ..extensions import db
from .errors import ServiceError
from .mail import deliver_after_commit
from .rendering import wants_fragment


@dataclass
class Done:
    """What a person sees after a change was committed.

    ``message`` is flashed (``category``) before the 303 redirect to ``to``; for an htmx
    request that swaps part of a page, ``fragment(message)`` is answered instead when
    given (the message shown in place, nothing flashed)."""

    message: str | None
    to: str
    fragment: Callable[[str | None], Response] | None = None
    category: str = "success"
    more: tuple[tuple[str, str], ...] = ()  # further (message, category) flashes

    def response(self) -> Response:
        if self.fragment is not None and wants_fragment():
            return self.fragment(self.message)
        if self.message:
            flash(self.message, self.category)
        for message, category in self.more:
            flash(message, category)
        return redirect(self.to, code=303)


def invalid(response: Response) -> Response:
    """A form's page answered again because what was sent cannot be accepted: HTTP 422."""
    response.status_code = 422
    return response


def submit(
    form=None,
    *,
    act: Callable[[], Any],
    done: Callable[[Any], Done | Response],
    page: Callable[[], Response] | None = None,
    valid: bool | None = None,
    field=None,
    on_error: Callable[[], None] | None = None,
    refused: Callable[[str], Response] | None = None,
    after_commit: Iterable[Callable[[], None]] = (),
) -> Response:
    """Run one POST: see the module's docstring.

    * ``form``: validated with ``form.validate()`` unless ``valid`` says already whether
      it is (a handler with checks of its own, e.g. uploads); ``None``: nothing to validate.
    * ``page()``: the form's page with the form as sent; answered with 422 when the form
      is invalid or ``act`` raised a ``ServiceError``.
    * ``field``: where a ``ServiceError``'s message goes (default: the form's first field
      that is not the CSRF token).
    * ``refused(message)``: instead of ``field`` and ``page``, the page with the refusal
      shown elsewhere than on a field (answered with 422 too).
    * ``on_error()``: undoes what the rollback cannot (files stored before ``act``).
    * ``after_commit``: actions that must run after the commit and only then (cache
      bumps); mail and SMS waiting in the outbox are delivered after them.
    * ``done(result)``: a ``Done`` (flash + 303, or the htmx fragment) or a response.
    """
    if valid is None:
        valid = form.validate() if form is not None else True
    if not valid:
        return invalid(page())
    try:
        result = act()
    except ServiceError as exc:
        db.session.rollback()
        if on_error is not None:
            on_error()
        if refused is not None:
            return invalid(refused(str(exc)))
        if page is None:
            raise
        target = field if field is not None else _first_field(form)
        if target is not None:
            target.errors = [str(exc)]
        return invalid(page())
    db.session.commit()
    for action in after_commit:
        action()
    deliver_after_commit()
    answer = done(result)
    return answer.response() if isinstance(answer, Done) else answer


def _first_field(form):
    if form is None:
        return None
    return next((f for f in form if f.name != "csrf_token" and f.type != "CSRFTokenField"), None)
