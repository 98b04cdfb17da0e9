"""The view functions of the app, longest first: ``python -m tests.route_lengths [MAX]``
lists those over MAX lines (default 40), as ``lines  endpoint  file:line``, then every
function of a route module (views and the helpers they hand their work to) over MAX.

A view is the function a URL rule calls (decorators unwrapped); its length counts its
lines from ``def`` to its last line, docstring included.  A route module's views should
load, check, call a service and render (DESIGN.md): a long one does work that belongs in
queries.py or services.py (tests/test_route_lengths.py keeps the list from growing)."""

from __future__ import annotations

import ast
import inspect
import os
import sys
from pathlib import Path

LIMIT = 40
ROOT = Path(__file__).resolve().parent.parent


def view_lengths(app) -> list[tuple[int, str, str]]:
    """[(lines, endpoint, "path:line")] of every view of ``app`` defined under app/."""
    seen, rows = set(), []
    for endpoint, view in app.view_functions.items():
        func = inspect.unwrap(view)
        try:
            source, first = inspect.getsourcelines(func)
            path = Path(inspect.getsourcefile(func)).resolve()
        except (OSError, TypeError):
            continue
        if not path.is_relative_to(ROOT / "app") or (path, first) in seen:
            continue
        seen.add((path, first))
        # From the def line (decorators are not the view's work).
        start = next(i for i, line in enumerate(source) if line.lstrip().startswith(("def ", "async def ")))
        rows.append((len(source) - start, endpoint, f"{path.relative_to(ROOT)}:{first + start}"))
    return sorted(rows, key=lambda r: (-r[0], r[1]))


def long_views(app, limit: int = LIMIT) -> list[tuple[int, str, str]]:
    return [row for row in view_lengths(app) if row[0] > limit]


def route_module_functions(app) -> list[tuple[int, str, str]]:
    """[(lines, "module.function", "path:line")] of every top-level function in a module
    that defines views: the views and the helpers they hand their work to (``_board``,
    ``_file_request``, ``_detail_page``…), which a view's own length does not show."""
    modules = {Path(where.split(":")[0]) for _lines, _endpoint, where in view_lengths(app)}
    rows = []
    for relative in sorted(modules):
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                rows.append((node.end_lineno - node.lineno + 1, f"{relative.stem}.{node.name}", f"{relative}:{node.lineno}"))
    return sorted(rows, key=lambda r: (-r[0], r[1]))


def main(argv: list[str]) -> int:
    limit = int(argv[1]) if len(argv) > 1 else LIMIT
    os.environ.setdefault("LOUSHI_ENV", "testing")
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app()
    rows = long_views(app, limit)
    for lines, endpoint, where in rows:
        print(f"{lines:4d}  {endpoint:40s} {where}")
    print(f"{len(rows)} views over {limit} lines")
    helpers = [row for row in route_module_functions(app) if row[0] > limit]
    for lines, name, where in helpers:
        print(f"{lines:4d}  {name:40s} {where}")
    print(f"{len(helpers)} functions of route modules (views and their helpers) over {limit} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
