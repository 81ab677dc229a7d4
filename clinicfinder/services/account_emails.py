"""The emails with single-use links for admins: an invitation and a password reset."""

from __future__ import annotations

import logging
import smtplib
import threading

from flask import current_app
from flask_mail import Message

from clinicfinder.db.models import TokenPurpose
from clinicfinder.email import compose, external_url
from clinicfinder.extensions import mail

log = logging.getLogger(__name__)

TEMPLATES = {TokenPurpose.INVITATION: "admin_invitation", TokenPurpose.PASSWORD_RESET: "admin_password_reset"}
# The admin pages are in English; their emails follow them.
ADMIN_LANGUAGE = "en"


def link_message(email: str, purpose: TokenPurpose, token: str, hours_valid: int) -> Message:
    link = external_url("auth.set_password", token=token)
    return compose(TEMPLATES[purpose], email, ADMIN_LANGUAGE, link=link, hours=hours_valid)


def send_link(email: str, purpose: TokenPurpose, token: str, hours_valid: int) -> bool:
    """Send now, on the request; False if the mail server refused (logged without the link)."""
    return _send(link_message(email, purpose, token, hours_valid), purpose)


def _send(message: Message, purpose: TokenPurpose) -> bool:
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as error:
        # The token is in the body, never in the error: log the kind of failure only.
        log.warning("could not send the %s email: %s", purpose.value, type(error).__name__)
        return False
    current_app.logger.info("sent the %s email", purpose.value)
    return True


def send_link_after_responding(email: str, purpose: TokenPurpose, token: str, hours_valid: int) -> None:
    """Send on a background thread, so the page answers as fast for an unknown address as for a real one.

    Timing would otherwise tell an attacker which addresses have accounts (the SMTP conversation
    takes tens to hundreds of milliseconds). A lost reset email costs the admin one more request.
    """
    # The thread outlives the request, so it needs the app itself, not the proxy.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Werkzeug's proxy API is untyped
    message = link_message(email, purpose, token, hours_valid)

    def send() -> None:
        with app.app_context():
            _send(message, purpose)

    threading.Thread(target=send, name="account-email", daemon=True).start()
