"""The application factory: `create_app` builds the app in named steps, read top to bottom."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping

from flask import Flask, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.wrappers import Response as WerkzeugResponse

from clinicfinder.cli import clinics_cli, journeys_cli, mailsink_command, reports_cli, worker_command
from clinicfinder.config import Settings
from clinicfinder.core import templating
from clinicfinder.core.i18n import LANGUAGES, TRANSLATIONS_DIR, text_for
from clinicfinder.core.paths import MIGRATIONS_DIR, TEMPLATES_DIR
from clinicfinder.extensions import babel, csrf, db, limiter, login_manager, mail, migrate, queue
from clinicfinder.services import search as services
from clinicfinder.tasks import register_tasks
from clinicfinder.web import pages
from clinicfinder.web.admin.views import blueprint as admin
from clinicfinder.web.api.views import blueprint as api
from clinicfinder.web.auth.cli import users_cli
from clinicfinder.web.auth.views import blueprint as auth
from clinicfinder.web.health import blueprint as health
from clinicfinder.web.language import blueprint as language
from clinicfinder.web.language import current_language, same_site_path, select_locale
from clinicfinder.web.patient import step_pages
from clinicfinder.web.patient.report_views import blueprint as report
from clinicfinder.web.patient.views import blueprint as patient
from clinicfinder.web.translation import request_catalogue


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """Build the app. `config` is Settings, or a mapping read as the environment (tests), or None for os.environ."""
    settings = config if isinstance(config, Settings) else Settings.from_env(config)
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    app.config.from_mapping(settings.flask_config())
    app.extensions["settings"] = settings

    register_extensions(app)
    register_tasks(app)
    services.init_app(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_context(app)
    register_commands(app)
    register_logging(app)
    register_proxy(app, settings.trusted_proxy_hops)
    return app


def register_proxy(app: Flask, hops: int) -> None:
    """Behind `hops` trusted proxies, take the client's address and scheme from their headers."""
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask documents replacing wsgi_app with middleware; mypy sees a method being assigned.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]  # see above


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    mail.init_app(app)
    csrf.init_app(app)
    queue.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app, add_context_processor=False)  # web/auth/sessions.py gives templates a lazy one

    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS_DIR))
    # Flask-Babel's template callables find the catalogue again on every `_()` (a results page makes
    # ~800 calls, over a third of its time); the same catalogue, found once per request, gives the same page.
    # The forms' lazy labels use the same one (web/translation.py).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda message: request_catalogue().ugettext(message),
        ngettext=lambda singular, plural, n: request_catalogue().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, message: request_catalogue().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: request_catalogue().unpgettext(context, singular, plural, n),
    )


def register_blueprints(app: Flask) -> None:

    app.register_blueprint(patient)
    app.register_blueprint(report)
    app.register_blueprint(language)
    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(auth)
    app.register_blueprint(admin)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: HTTPException) -> tuple[str | Response, int, dict[str, str]]:
        code = error.code or 500
        # The exception's own headers, e.g. the `Allow` a 405 must carry (RFC 9110 §15.5.6); the body is ours.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        if request.path.startswith("/api/"):
            return jsonify(error={"parameter": None, "message": error.description or error.name}), code, headers
        return render_template("errors/error.html", code=code, title=error.name), code, headers

    for code in (400, 403, 404, 405, 413, 429, 500, 503):
        app.register_error_handler(code, render_error)

    def expired_form(error: CSRFError) -> WerkzeugResponse | tuple[str | Response, int, dict[str, str]]:
        # A form left open too long, or a lost session: send the patient back to the page, not a bare 400.
        if request.method != "POST":
            return render_error(error)
        if request.path in ("/find/adjust", "/find/forget"):
            target = "/find/results"  # where those buttons are
        elif request.path in ("/report/confirm", "/report/erase"):
            # Back to the emailed link's page: its token came from the link, not from the session.
            target = url_for("report.confirm_page" if request.path.endswith("confirm") else "report.erase_page",
                             t=request.form.get("token", "")[:500])  # fmt: skip
        elif request.path.startswith("/report/"):
            target = "/find/results"
        elif request.path.startswith("/find/"):
            target = request.path
        else:  # the language switch, in every page's header
            target = same_site_path(request.form.get("next"))
        flash(_("That page had expired, so nothing was sent. Please answer again."), "error")
        return redirect(target)

    app.register_error_handler(CSRFError, expired_form)

    def database_unavailable(error: DBAPIError) -> tuple[str | Response, int, dict[str, str]]:
        # A database that is down or restarting is an outage, not a bug: a clear 503, never a traceback.
        # Whatever the request had not committed is rolled back; what was committed before is safe.

        with contextlib.suppress(DBAPIError):  # rolling back a dead connection can fail too
            db.session.rollback()
        app.logger.warning("database unreachable: %s", type(error.orig).__name__)
        body, code, headers = render_error(ServiceUnavailable())
        return body, code, {**headers, "Retry-After": "30", "Cache-Control": "no-store"}

    for unreachable in (OperationalError, InterfaceError):
        app.register_error_handler(unreachable, database_unavailable)


def register_template_context(app: Flask) -> None:
    templating.install_helpers(app.jinja_env)  # the same helpers as the worker's and the report's
    pages.init_app(app)
    step_pages.init_app(app)

    @app.context_processor
    def page_context() -> dict[str, object]:
        language = current_language()
        return {
            "current_language": language,
            "languages": LANGUAGES,
            "t": text_for(language),  # numbers, money, dates and distances in the visitor's locale
            # The licences of the place data (CC BY 4.0, OGL v3) require this credit wherever it is used.
            "place_data_credit": services.services().geocoder_attribution,
        }


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        # Pages, API answers and health checks can carry health answers, accounts or one-time links:
        # no browser or proxy keeps a copy. Only the bundled static files may be cached.
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        if app.config["APP_ENV"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


class _WithoutQueryStrings(logging.Filter):
    """Access logs keep the path, never the query string: it can hold a patient's answers.

    Werkzeug logs the request line percent-decoded, so a query string can hold any character,
    quotes and spaces included; and a malformed line is logged raw inside an error message.
    Everything from the first `?` to the last " HTTP/" (or to the end) is cut, on the whole
    formatted line, so no character can end the redaction early.
    """

    _QUERY = re.compile(r"\?.*(?= HTTP/\d)|\?.*", re.S)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = self._QUERY.sub("?…", message), ()
        return True


def register_logging(app: Flask) -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _WithoutQueryStrings) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_WithoutQueryStrings())


def register_commands(app: Flask) -> None:

    app.cli.add_command(clinics_cli)
    app.cli.add_command(journeys_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(mailsink_command)

    app.cli.add_command(users_cli)
