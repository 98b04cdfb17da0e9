"""The app as served in production, plus a bare endpoint to compare against (benchmarks only)."""

from app import create_app

app = create_app()


@app.route("/bare")
def bare():
    return "ok"
