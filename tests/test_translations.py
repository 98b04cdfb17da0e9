"""Every UI string has a zh translation: extract from code and templates, then compare."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def _extract(tmp_path) -> list[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        check=True, cwd=ROOT, capture_output=True,
    )
    with pot.open("rb") as fh:
        return [m.id for m in read_po(fh) if m.id]


def _catalog(lang: str):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_extraction_finds_strings_from_code_and_templates(tmp_path):
    ids = _extract(tmp_path)
    assert "Skip to main content" in ids  # templates/base.html
    assert "Please correct the following" in ids  # templates/macros/forms.html
    assert "The email or password is not correct." in ids  # app/auth/routes.py
    assert "Building head" in ids  # app/org/models.py (lazy)


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    zh = _catalog("zh")
    problems = []
    for msgid in _extract(tmp_path):
        key = msgid if isinstance(msgid, str) else msgid[0]
        message = zh.get(msgid if isinstance(msgid, str) else msgid[0])
        if message is None:
            problems.append(f"missing: {key!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif not (message.string if isinstance(message.string, str) else all(message.string)):
            problems.append(f"untranslated: {key!r}")
    assert not problems, "translations/zh is incomplete (run `make translations-update`, then translate):\n" + "\n".join(problems)


def test_no_fuzzy_entries_and_an_english_catalogue_exists():
    zh = _catalog("zh")
    assert not any(m.fuzzy for m in zh if m.id)
    assert (ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po").exists()


def test_translations_keep_their_placeholders():
    import re

    pattern = re.compile(r"%\((\w+)\)s")
    for message in _catalog("zh"):
        if message.id and isinstance(message.id, str) and message.string:
            assert set(pattern.findall(message.id)) == set(pattern.findall(message.string)), message.id
