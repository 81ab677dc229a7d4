"""The emails with single-use links: an invitation and a password reset (a .txt and .html pair each)."""

from __future__ import annotations

import logging
import smtplib

from flask import current_app, render_template
from flask_mail import Message

from clinicfinder.extensions import mail
from clinicfinder.models import TokenPurpose

log = logging.getLogger(__name__)

SUBJECTS = {
    TokenPurpose.INVITATION: "You are invited to manage a listing on ClinicFinder",
    TokenPurpose.PASSWORD_RESET: "Reset your ClinicFinder password",
}
TEMPLATES = {TokenPurpose.INVITATION: "admin_invitation", TokenPurpose.PASSWORD_RESET: "admin_password_reset"}


def send_link(email: str, purpose: TokenPurpose, link: str, hours_valid: int) -> bool:
    """Send now, on the request; False if the mail server refused (logged without the link)."""
    name = TEMPLATES[purpose]
    message = Message(
        subject=SUBJECTS[purpose],
        recipients=[email],
        body=render_template(f"email/{name}.txt", link=link, hours=hours_valid),
        html=render_template(f"email/{name}.html", link=link, hours=hours_valid),
    )
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as error:
        # The token is in the body, never in the error: log the kind of failure only.
        log.warning("could not send the %s email: %s", purpose.value, type(error).__name__)
        return False
    current_app.logger.info("sent the %s email", purpose.value)
    return True
