"""The app as served in production, plus bare endpoints to compare against (benchmarks only).

* ``GET /bare`` — a Flask view returning "ok": the ceiling of the stack (WSGI, routing,
  the app's before/after-request hooks and security headers).
* ``POST /bare`` — the same for a POST (no form, no CSRF).
* ``POST /bench/csrf-floor`` — a POST that passes the CSRF check (session cookie and
  token) and answers "ok": what any CSRF-protected POST costs before its own work.
* ``POST /bench/form-floor`` — the request form's own work without filing: the real
  ``RequestForm`` (CSRF check, every validator, the cached service and building lists),
  then the session write and the 303 of a successful filing; no database write.  What a
  filing can never be faster than on this stack (Flask, Flask-WTF, signed-cookie sessions).
"""

from flask import redirect, session

from app import create_app
from app.extensions import csrf

app = create_app()


@app.route("/bare", methods=["GET", "POST"])
@csrf.exempt
def bare():
    return "ok"


@app.route("/bench/csrf-floor", methods=["POST"])
def csrf_floor():
    return "ok"


@app.route("/bench/form-floor", methods=["POST"])
def form_floor():
    from app.intake.routes import _request_form

    form = _request_form()
    if not form.validate():
        return "invalid", 422
    session["new_request"] = {"no": "LS-2026-000000", "code": "ABCD-EFGH"}
    return redirect("/zh/requests/LS-2026-000000/submitted", code=303)
