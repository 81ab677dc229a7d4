"""Which language a visitor sees: their choice (kept in the session), else their browser's."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session
from flask_babel import get_locale
from werkzeug.wrappers import Response

from clinicfinder.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from clinicfinder.web.patient.forms import LanguageForm

SESSION_KEY = "language"
blueprint = Blueprint("language", __name__)


def select_locale() -> str:
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE)


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


@blueprint.post("/language")
def choose() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in LANGUAGES:
        session[SESSION_KEY] = form.language.data
    return redirect(same_site_path(form.next.data))


def same_site_path(target: str | None) -> str:
    # Only a path on this site: never an open redirect.
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path
