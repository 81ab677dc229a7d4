"""The request's catalogue, found once per request, for the forms' lazy labels and the templates' `_()`.

Flask-Babel finds the catalogue again on every call (the locale, the domain and the cache, behind a
dozen context lookups: ~0.1 ms each here), and a questionnaire step's labels, choices and hints make
~60 such calls, a results page ~800. The locale is chosen once per request anyway (Flask-Babel keeps
it on the request context), so the catalogue found first is the one every later call would find.
"""

from __future__ import annotations

from typing import cast

from babel.support import NullTranslations
from flask import has_request_context, request
from flask_babel import get_translations
from flask_babel.speaklater import LazyString

_KEY = "clinicfinder.catalogue"


def request_catalogue() -> NullTranslations:
    """This request's catalogue, kept in its WSGI environ (not on `g`: an app context can outlive
    several requests, in tests and CLI code, and their languages can differ). Outside a request,
    Flask-Babel's own answer, unkept."""
    if not has_request_context():
        return cast(NullTranslations, get_translations())
    environ = request.environ
    catalogue = environ.get(_KEY)
    if catalogue is None:
        catalogue = environ[_KEY] = get_translations()
    return cast(NullTranslations, catalogue)


def gettext(string: str, **variables: object) -> str:
    """Flask-Babel's `gettext`, from this request's catalogue."""
    text = request_catalogue().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: object) -> LazyString:
    """Flask-Babel's `lazy_gettext` (translated each time it is shown), from this request's catalogue."""
    return LazyString(gettext, string, **variables)
