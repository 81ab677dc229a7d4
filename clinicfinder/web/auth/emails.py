"""The emails with single-use links: an invitation and a password reset (a .txt and .html pair each)."""

from __future__ import annotations

import logging
import smtplib
import threading

from flask import current_app, render_template
from flask_mail import Message

from clinicfinder.db.models import TokenPurpose
from clinicfinder.extensions import mail

log = logging.getLogger(__name__)

SUBJECTS = {
    TokenPurpose.INVITATION: "You are invited to manage a listing on ClinicFinder",
    TokenPurpose.PASSWORD_RESET: "Reset your ClinicFinder password",
}
TEMPLATES = {TokenPurpose.INVITATION: "admin_invitation", TokenPurpose.PASSWORD_RESET: "admin_password_reset"}


def link_message(email: str, purpose: TokenPurpose, link: str, hours_valid: int) -> Message:
    name = TEMPLATES[purpose]
    return Message(
        subject=SUBJECTS[purpose],
        recipients=[email],
        body=render_template(f"email/{name}.txt", link=link, hours=hours_valid),
        html=render_template(f"email/{name}.html", link=link, hours=hours_valid),
    )


def send_link(email: str, purpose: TokenPurpose, link: str, hours_valid: int) -> bool:
    """Send now, on the request; False if the mail server refused (logged without the link)."""
    return _send(link_message(email, purpose, link, hours_valid), purpose)


def _send(message: Message, purpose: TokenPurpose) -> bool:
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as error:
        # The token is in the body, never in the error: log the kind of failure only.
        log.warning("could not send the %s email: %s", purpose.value, type(error).__name__)
        return False
    current_app.logger.info("sent the %s email", purpose.value)
    return True


def send_link_after_responding(email: str, purpose: TokenPurpose, link: str, hours_valid: int) -> None:
    """Send on a background thread, so the page answers as fast for an unknown address as for a real one.

    Timing would otherwise tell an attacker which addresses have accounts (the SMTP conversation
    takes tens to hundreds of milliseconds). A lost reset email costs the admin one more request.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message = link_message(email, purpose, link, hours_valid)  # rendered here: templates need the request

    def send() -> None:
        with app.app_context():
            _send(message, purpose)

    threading.Thread(target=send, name="account-email", daemon=True).start()
