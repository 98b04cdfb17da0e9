"""The README is a map, not the manual: under 12 KB, the two commands at the top, and every
link into the repository (``docs/…``, ``bench/…``) leads to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_readme_is_under_12_kb():
    assert README.stat().st_size < 12_000, f"README.md is {README.stat().st_size} bytes: move detail into docs/"


def test_the_two_commands_come_first():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block, "no ```sh block in the README"
    assert first_block.start() < 2_000, "the two commands must be at the top"
    lines = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert lines[:2] == ["make run", "make test"], lines


def _targets(path: Path) -> list[str]:
    return [t for t in LINK.findall(path.read_text(encoding="utf-8")) if not re.match(r"^(https?:|mailto:|#)", t)]


def test_every_link_of_the_readme_resolves():
    targets = _targets(README)
    assert any(t.startswith("docs/") for t in targets), "the README links to no docs"
    missing = [t for t in targets if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, missing


def test_every_link_of_the_linked_docs_resolves():
    """One level down: the pages the README sends a newcomer to do not lead nowhere."""
    missing = []
    for target in {t.split("#")[0] for t in _targets(README) if t.endswith(".md")}:
        page = ROOT / target
        for link in _targets(page):
            if not (page.parent / link.split("#")[0]).exists():
                missing.append(f"{target} → {link}")
    assert not missing, missing
