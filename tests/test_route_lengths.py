"""Routes stay thin (DESIGN.md: load, check, call a service, render): no function of a
route module — a view or a helper it hands its work to — grows past 40 lines, but those
listed here, which are known and written up in docs/dev/routes.md.  The list may only
shrink: ``python -m tests.route_lengths`` prints the current one."""

from __future__ import annotations

from tests.route_lengths import LIMIT, route_module_functions

# Known, each with its reason in docs/dev/routes.md (name: module stem . function).
KNOWN_LONG = {
    "openapi._open311_json_paths",  # the OpenAPI document: data, not work
    "openapi._hsds_paths",  # the same
    "hsds.service_json",  # one service as HSDS 3.0 JSON: a mapping of fields
}


def test_no_new_long_function_in_a_route_module(app):
    long = {name: f"{lines} lines at {where}" for lines, name, where in route_module_functions(app) if lines > LIMIT}
    new = {name: text for name, text in long.items() if name not in KNOWN_LONG}
    assert not new, f"route module functions over {LIMIT} lines (move the work into queries.py/services.py): {new}"
