"""Languages: the locale comes from the URL (``/zh/…``, ``/en/…``), bilingual content
is stored as field pairs (``title_zh``/``title_en``) and read through ``localized``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.http import dump_cookie
from werkzeug.routing import BaseConverter

from .rendering import wants_fragment

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
LANG_NAMES = {"zh": "中文", "en": "English"}
LANG_COOKIE = "loushi_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


class LangConverter(BaseConverter):
    """``<lang:lang_code>`` matches only the languages we serve; anything else is a 404."""

    regex = "|".join(LANGS)


def current_lang() -> str:
    return g.get("lang", DEFAULT_LANG)


def other_lang(lang: str | None = None) -> str:
    return "en" if (lang or current_lang()) == "zh" else "zh"


def lang_from_accept_language(header_langs) -> str:
    """Pick zh or en from Accept-Language: the first zh* or en* tag by preference wins
    (zh-CN, zh-Hans, zh-TW, zh-HK → zh); a header naming neither → en; none at all → zh."""
    seen_any = False
    for value, _quality in header_langs:
        seen_any = True
        primary = value.split("-")[0].split("_")[0].strip().lower()
        if primary in LANGS:
            return primary
    return "en" if seen_any else DEFAULT_LANG


def guess_lang() -> str:
    """For URLs without a language: the remembered choice, then Accept-Language."""
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGS:
        return remembered
    return lang_from_accept_language(request.accept_languages)


def switch_lang_url(lang: str, external: bool = False) -> str:
    """The current page and query in another language (the language switcher)."""
    if request.endpoint and request.url_rule is not None and "lang_code" in request.url_rule.arguments:
        values: dict = request.args.to_dict(flat=False)
        values.update(request.view_args or {})
        values["lang_code"] = lang
        return url_for(request.endpoint, _external=external, **values)
    return url_for("home.home", lang_code=lang, _external=external)


def _pull_lang(endpoint, values) -> None:
    if values and "lang_code" in values:
        g.lang = values.pop("lang_code")
        g.lang_from_url = True


def _push_lang(endpoint, values) -> None:
    if "lang_code" in values or not endpoint:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = current_lang()


def _ensure_lang() -> None:
    """Pages outside the URL processors (404s, /healthz): a /zh/ or /en/ path still
    decides; otherwise the remembered choice or Accept-Language."""
    if "lang" not in g:
        first = request.path.lstrip("/").split("/", 1)[0]
        g.lang = first if first in LANGS else guess_lang()


def _remember_lang(response):
    """A page visited under /zh/ or /en/ becomes the remembered choice for ``/``.  A
    fragment that htmx fetches is not a visit: its page, in the same language, was."""
    if g.get("lang_from_url") and request.cookies.get(LANG_COOKIE) != g.lang and not wants_fragment():
        response.headers.add("Set-Cookie", _lang_cookie(g.lang, current_app.config["SESSION_COOKIE_SECURE"]))
    return response


@lru_cache(maxsize=8)
def _lang_cookie(lang: str, secure: bool) -> str:
    """The Set-Cookie header remembering ``lang``: always the same text, so made once
    (every first visit to a page carries it)."""
    return dump_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=secure)


def root_redirect():
    response = redirect(url_for("home.home", lang_code=guess_lang()), code=302)
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def init_i18n(app: Flask) -> None:
    app.url_map.converters["lang"] = LangConverter
    app.url_value_preprocessor(_pull_lang)
    app.url_defaults(_push_lang)
    app.before_request(_ensure_lang)
    app.after_request(_remember_lang)
    app.add_url_rule("/", "root", root_redirect)
    app.jinja_env.globals.update(
        localized=localized,
        localized_row=localized_row,
        switch_lang_url=switch_lang_url,
        current_lang=current_lang,
        other_lang=other_lang,
        HTML_LANG=HTML_LANG,
        LANG_NAMES=LANG_NAMES,
        LANGS=LANGS,
    )


def select_locale() -> str:
    return current_lang()


@dataclass(frozen=True)
class LocalizedText:
    """One bilingual field read in the current language.

    ``text`` is what to show, ``lang`` the language it is actually written in and
    ``fallback`` whether the requested language was missing.  Rendered in a template it
    marks a fallback with a ``lang`` attribute and a visible note."""

    text: str
    lang: str
    fallback: bool = False

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def note(self) -> str:
        if not self.fallback:
            return ""
        if self.lang == "zh":
            return _("English not yet provided; Chinese original shown")
        return _("Chinese not yet provided; English original shown")

    def __html__(self) -> str:
        if not self.fallback:
            return str(escape(self.text))
        span = Markup('<span lang="{}">{}</span>').format(HTML_LANG[self.lang], self.text)
        if g.get("fallback_noted"):  # the page already says it once, in a banner
            return str(span)
        return str(span + Markup(' <small class="i18n-fallback">({})</small>').format(self.note))


def localized(obj, field: str, lang: str | None = None) -> LocalizedText:
    """Read ``obj.<field>_<lang>``, falling back to the other language (marked)."""
    lang = lang or current_lang()
    wanted = (getattr(obj, f"{field}_{lang}", None) or "").strip()
    if wanted:
        return LocalizedText(wanted, lang)
    other = other_lang(lang)
    fallback = (getattr(obj, f"{field}_{other}", None) or "").strip()
    if fallback:
        return LocalizedText(fallback, other, fallback=True)
    return LocalizedText("", lang)


def localized_row(row: dict, field: str, lang: str | None = None) -> LocalizedText:
    """``localized`` for a dict row of a JSON list field: keys ``<field>_zh``/``<field>_en``,
    or plain ``zh``/``en`` when ``field`` is empty."""

    class _Row:
        def __getattr__(self, name):
            key = name.lstrip("_") if not field else name
            return row.get(key) if isinstance(row, dict) else None

    return localized(_Row(), field, lang)


class Bilingual:
    """Mixin for models with ``<field>_zh``/``<field>_en`` pairs: ``obj.loc("name")``."""

    def loc(self, field: str, lang: str | None = None) -> LocalizedText:
        return localized(self, field, lang)
