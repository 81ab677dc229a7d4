"""Log in, log out, set a password from an emailed link, ask for a reset. Thin: forms in, accounts.py does the rest."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from clinicfinder.db.models import utcnow
from clinicfinder.extensions import db, limiter
from clinicfinder.services import account_emails as emails
from clinicfinder.services import accounts
from clinicfinder.web.admin.access import expired_form, public_view
from clinicfinder.web.auth import sessions
from clinicfinder.web.auth.forms import LoginForm, ResetRequestForm, SetPasswordForm

blueprint = Blueprint("auth", __name__, url_prefix="/account")
blueprint.record_once(lambda state: sessions.init_app(state.app))  # type: ignore[arg-type]  # state.app is a Flask app
blueprint.register_error_handler(CSRFError, expired_form)

LOGIN_FAILED = "Email or password is wrong. Please try again."
LOGIN_WAIT = "Too many failed attempts from here. Please try again in {wait}."


def login_rate_limit() -> str:
    # Per address, on top of the per (account, address) delays in services/login_throttle.py.
    return str(current_app.config.get("LOGIN_RATE_LIMIT", "20 per minute;200 per day"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect after login is a phishing aid."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or urlsplit(target).netloc:
        return url_for("admin.home")
    return target


@blueprint.route("/login", methods=["GET", "POST"])
@public_view
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("admin.home"))
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"  # the client's, once register_proxy has trusted the proxy
        outcome = accounts.authenticate(db.session, form.email.data, form.password.data, address, utcnow())
        if outcome.user is not None:
            sessions.begin(outcome.user)
            return redirect(_safe_next(request.args.get("next")))
        if outcome.wait_seconds:
            # Refused at once, not slept on: a sleeping worker would make the delay a denial of service.
            wait = "1 second" if outcome.wait_seconds == 1 else f"{outcome.wait_seconds} seconds"
            form.password.errors = [LOGIN_WAIT.format(wait=wait)]
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(outcome.wait_seconds)}
        form.password.errors = [LOGIN_FAILED]
    return render_template("auth/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
@public_view
def logout() -> Response:
    sessions.end(current_user if current_user.is_authenticated else None)
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/password", methods=["GET", "POST"])
@public_view
@limiter.limit(login_rate_limit, methods=["POST"])
def set_password() -> ResponseReturnValue:
    # The token travels in the query string: the access log strips those (see register_logging).
    form = SetPasswordForm()
    token = form.token.data if request.method == "POST" else request.args.get("token", "")
    row = accounts.valid_token(db.session, token or "", utcnow())
    if row is None:
        return render_template("auth/link_expired.html"), 410
    form.token.data = token
    if form.validate_on_submit():
        user = accounts.set_password_with_token(db.session, token, form.password.data, utcnow())
        if user is not None:
            sessions.end(None)
            flash("Your password is set. Please log in.", "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, email=row.user.email, purpose=row.purpose)


@blueprint.route("/reset", methods=["GET", "POST"])
@public_view
@limiter.limit(login_rate_limit, methods=["POST"])
def request_reset() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        # Whether the account exists is decided in the worker: the answer here is the same, as fast.
        emails.queue_password_reset(form.email.data)
        flash("If that address has an account, we have sent it a link to choose a new password.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
