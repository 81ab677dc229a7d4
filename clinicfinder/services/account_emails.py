"""The emails with single-use links for admins, an invitation and a password reset, made by the worker.

The web request only queues the job and answers, so the answer takes the same time and reads the
same whether or not the address has an account: the lookup, the token and the SMTP conversation
(tens to hundreds of milliseconds) all happen in the worker. The outside test measured 7.0 ms
against 3.2 ms when they happened on the request.
"""

from __future__ import annotations

import logging
import smtplib

from flask import current_app
from flask_mail import Message

from clinicfinder.db.models import TokenPurpose, User, utcnow
from clinicfinder.email import compose, external_url
from clinicfinder.extensions import db, mail, queue
from clinicfinder.services import accounts

log = logging.getLogger(__name__)

# The job names tasks.py registers; services enqueue by name because they may not import tasks.
SEND_PASSWORD_RESET = "send_password_reset"  # noqa: S105 - a job name, not a password
SEND_INVITATION = "send_invitation"

TEMPLATES = {TokenPurpose.INVITATION: "admin_invitation", TokenPurpose.PASSWORD_RESET: "admin_password_reset"}
# The admin pages are in English; their emails follow them.
ADMIN_LANGUAGE = "en"


def hours_valid(purpose: TokenPurpose) -> int:
    return int(accounts.TOKEN_LIFETIMES[purpose].total_seconds() // 3600)


def link_message(email: str, purpose: TokenPurpose, token: str) -> Message:
    link = external_url("auth.set_password", token=token)
    return compose(TEMPLATES[purpose], email, ADMIN_LANGUAGE, link=link, hours=hours_valid(purpose))


def _send(message: Message, purpose: TokenPurpose) -> bool:
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as error:
        # The token is in the body, never in the error: log the kind of failure only.
        log.warning("could not send the %s email: %s", purpose.value, type(error).__name__)
        return False
    current_app.logger.info("sent the %s email", purpose.value)
    return True


def _enqueue(task: str, argument: str) -> bool:
    try:
        queue.enqueue(task, argument)
    except Exception:  # the queue's storage is down (Redis restarting): say so in the log, never a 500
        log.warning("could not queue the %s job", task, exc_info=True)
        return False
    return True


def queue_password_reset(email: str) -> None:
    """Queue a reset for whatever address was typed; the worker decides whether anyone gets mail.

    This job carries the typed address rather than an id: looking the account up on the request
    is exactly what would tell an attacker that it exists. It is an admin's login address, never
    patient data, and the job is deleted from the queue once it has run.
    """
    # A queue outage fails alike for every address, so the answer stays the same; the admin asks again.
    _enqueue(SEND_PASSWORD_RESET, accounts.normalise_email(email))


def send_password_reset(email: str) -> None:
    """The worker's half: a token and a mail for an active account with a password, nothing otherwise."""
    issued = accounts.request_reset(db.session, email, utcnow())
    if issued is not None:
        user, token = issued
        _send(link_message(user.email, TokenPurpose.PASSWORD_RESET, token), TokenPurpose.PASSWORD_RESET)


def queue_invitation(user: User) -> bool:
    """False when the queue is unreachable: the account exists, and inviting again sends the link."""
    return _enqueue(SEND_INVITATION, str(user.id))


def send_invitation(user_id: str) -> None:
    """The worker's half of an invitation: a fresh token (earlier links stop working) and its mail."""
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.password_hash is not None:
        return  # removed, disabled or already set up since the invitation was queued
    token = accounts.issue_token(db.session, user, TokenPurpose.INVITATION, utcnow())
    _send(link_message(user.email, TokenPurpose.INVITATION, token), TokenPurpose.INVITATION)
