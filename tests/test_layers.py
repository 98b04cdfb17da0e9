"""The layer order of app/ (docs/dev/layers.md), checked on the source.

Every module under app/ is parsed with ``ast`` and each of its imports (module-level or
inside a function, absolute or relative) is resolved to the package it reaches; a module
may import from its own package and from packages on a lower floor, never from one above
(nor from a neighbour on its own floor, except on the foundation floor).  Parsing, not
importing, is what catches the function-local imports that dodge an import cycle: they
never run while the module loads.  Every module is also imported once, so that a moved
name that is still imported from its old place fails here, not at the first request."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Floors, bottom first.  A package is a directory under app/ or a module directly in it
# (app/cli.py is "cli"; app/__init__.py is "app").
LAYERS: list[tuple[str, frozenset[str]]] = [
    ("foundation", frozenset({"config", "extensions", "core"})),
    ("accounts", frozenset({"auth"})),
    ("organisation", frozenset({"org"})),
    ("guide", frozenset({"guide"})),
    ("intake", frozenset({"intake"})),  # requests are filed against guide entries
    ("wall", frozenset({"wall"})),  # a wish can become a request
    ("boards", frozenset({"boards"})),  # a board shows requests, wishes, resources and projects
    ("surfaces", frozenset({"council", "api", "home", "demo"})),  # gather several domains
    ("assembly", frozenset({"app", "models", "cli"})),  # create_app, every model, the CLI
]
# Floors whose packages may import one another (core and extensions are one unit:
# extensions asks core.db which tables Alembic manages).
SHARED_FLOORS = frozenset({"foundation"})

FLOOR = {package: index for index, (_, packages) in enumerate(LAYERS) for package in packages}


def module_name(path: Path, root: Path = APP) -> str:
    parts = ["app", *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def imported_modules(source: str, module: str, is_package: bool):
    """(line, the app module imported) for every import in ``source``, at any depth."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module:
                yield node.lineno, target
            else:  # "from . import x" / "from .. import guide": each name may be a module
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` that break the layer order, described for a person."""
    own = package_of(module)
    problems = []
    for line, target in imported_modules(source, module, is_package):
        if target != "app" and not target.startswith("app."):
            continue
        other = package_of(target)
        if other == own or own == "app":
            continue
        if own not in FLOOR or other not in FLOOR:
            problems.append(f"{module}:{line} imports {target}: package {own if own not in FLOOR else other!r} has no floor in LAYERS")
            continue
        mine, theirs = FLOOR[own], FLOOR[other]
        if theirs > mine:
            problems.append(f"{module}:{line} imports {target}: {other} ({LAYERS[theirs][0]}) is above {own} ({LAYERS[mine][0]})")
        elif theirs == mine and LAYERS[mine][0] not in SHARED_FLOORS:
            problems.append(f"{module}:{line} imports {target}: {other} and {own} share the {LAYERS[mine][0]} floor")
    return problems


def app_modules():
    for path in sorted(APP.rglob("*.py")):
        yield path, module_name(path)


def test_every_package_has_a_floor():
    packages = {package_of(name) for _, name in app_modules()}
    assert packages - set(FLOOR) == set(), "add the new package to LAYERS (and docs/dev/layers.md)"
    assert set(FLOOR) - packages == set(), "LAYERS names a package that no longer exists"


def test_no_module_imports_from_a_floor_above():
    problems = []
    for path, name in app_modules():
        problems += upward_imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    assert problems == []


@pytest.mark.parametrize("name", [name for _, name in app_modules()])
def test_every_module_imports(name):
    importlib.import_module(name)


def test_core_auth_and_org_reach_no_domain():
    """What the issue asked in so many words: core and auth import no domain package,
    and the organisation imports none of the domains above it."""
    domains = {"guide", "intake", "wall", "boards", "council", "api", "home", "demo"}
    for path, name in app_modules():
        own = package_of(name)
        if own not in {"core", "auth", "org"}:
            continue
        reached = {package_of(t) for _, t in imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
                   if t.startswith("app.")}
        forbidden = domains | ({"org"} if own in {"core", "auth"} else set())
        assert reached & forbidden == set(), f"{name} imports {sorted(reached & forbidden)}"


# --- the check can fail: synthetic modules -------------------------------------------


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        # org reaching up to a domain, module-level and relative
        ("app.org.models", "from ..boards.models import Event\n", False),
        # the function-local import that dodges a cycle
        ("app.org.queries", "def f():\n    from ..guide.models import GuideEntry\n    return GuideEntry\n", False),
        # absolute, and "from .. import <package>"
        ("app.core.routes", "import app.wall.queries\n", False),
        ("app.auth.queries", "from .. import org\n", False),
        # a package's __init__ resolves its relative imports from itself
        ("app.org", "from ..intake import models\n", True),
        # neighbours on the same floor (other than the foundation)
        ("app.api.hsds", "from ..council.queries import x\n", False),
        # a domain under a lower one
        ("app.guide.queries", "from ..intake.models import ServiceRequest\n", False),
    ],
)
def test_an_upward_import_is_caught(module, source, is_package):
    assert len(upward_imports(source, module, is_package)) == 1


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("app.boards.queries", "from ..org.models import Building\nfrom ..intake.models import ServiceRequest\nfrom .models import Event\n"),
        ("app.org.queries", "from ..auth.models import User\nfrom ..core.i18n import Bilingual\nimport sqlalchemy\n"),
        ("app.core.cache", "from ..extensions import db\n"),
        ("app.extensions", "def f():\n    from .core.db import include_object\n"),
        ("app.home.routes", "from ..boards.routes import page_version\nfrom ..wall.queries import wall_figures\n"),
    ],
)
def test_a_downward_import_passes(module, source):
    assert upward_imports(source, module) == []
