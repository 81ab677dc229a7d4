"""Admin login sessions in Flask's signed cookie, with server-side checks.

The cookie session has no server-side id to regenerate, so a login clears it and starts
a fresh one with a random nonce whose hash is kept on the user: a copied or older cookie
stops working at logout, at the next login and when the account is disabled. Idle and
absolute timeouts are timestamps in the session checked on every request.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, session
from flask_login import current_user, login_user, logout_user

from clinicfinder.db.models import User
from clinicfinder.extensions import db, login_manager
from clinicfinder.services import accounts

NONCE = "admin_nonce"
LOGIN_AT = "admin_login_at"
SEEN_AT = "admin_seen_at"
# Keys that survive a login or logout: they belong to the visitor, not to the account.
KEPT = ("language",)

DEFAULT_IDLE_MINUTES = 30
DEFAULT_ABSOLUTE_HOURS = 8


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "error"
    # Flask-Login's "strong" mode ends the session when the browser or address changes.
    login_manager.session_protection = "strong"
    app.config.setdefault("ADMIN_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)
    app.config.setdefault("ADMIN_ABSOLUTE_HOURS", DEFAULT_ABSOLUTE_HOURS)
    app.before_request(_enforce_timeouts)
    # Templates get Flask-Login's proxy, which loads the user when a template reads it (the admin pages).
    # Flask-Login's own context processor loaded it for every page rendered: on a patient's page that
    # ran "strong" session protection against a session with no login in it, which marked the session
    # changed, so every page re-signed the cookie and sent a Set-Cookie deleting a remember-me cookie.
    app.context_processor(lambda: {"current_user": current_user})


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not accounts.session_is_current(user, session.get(NONCE)):
        return None
    return user


def begin(user: User) -> None:
    """Log `user` in on a brand-new session."""
    _clear_session()
    nonce = accounts.start_session(db.session, user)
    login_user(user)
    now = time.time()
    session[NONCE] = nonce
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def end(user: User | None) -> None:
    if user is not None:
        accounts.end_session(db.session, user)
    logout_user()
    _clear_session()


def _clear_session() -> None:
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept)


def _enforce_timeouts() -> None:
    if NONCE not in session:
        return
    now = time.time()
    idle = current_app.config["ADMIN_IDLE_MINUTES"] * 60
    absolute = current_app.config["ADMIN_ABSOLUTE_HOURS"] * 3600
    if now - session.get(SEEN_AT, 0) > idle or now - session.get(LOGIN_AT, 0) > absolute:
        user = load_user(session.get("_user_id", ""))
        end(user)
        flash("Your session ended because it was idle or open too long. Please log in again.", "error")
        return
    session[SEEN_AT] = now
