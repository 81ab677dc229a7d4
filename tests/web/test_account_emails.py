"""Password resets and invitations: the request only queues the work, so its answer says nothing about the account."""

from __future__ import annotations

import mailbox
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from clinicfinder import mailsink
from clinicfinder.db.models import User, UserToken
from clinicfinder.extensions import db
from tests.support.admin import Admins, csrf_token, logged_in
from tests.support.jobs import pending_jobs, run_queued_jobs

CSRF_VALUE = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="[^"]+"')


def ask_reset(client: FlaskClient, email: str):
    return client.post("/account/reset", data={"csrf_token": csrf_token(client, "/account/reset"), "email": email})


def mails(maildir: Path) -> list[mailbox.MaildirMessage]:
    return list(mailbox.Maildir(maildir)) if maildir.exists() else []


def test_an_existing_and_an_unknown_address_get_byte_identical_answers(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    answers = []
    for email in (admins.owner, "nobody@example.org"):
        client = app.test_client()
        redirect = ask_reset(client, email)
        page = client.get(redirect.headers["Location"])
        # The session cookie and the next form's CSRF token are per visitor by design; nothing else differs.
        answers.append((redirect.status_code, redirect.headers["Location"], redirect.get_data(), page.status_code,
                        CSRF_VALUE.sub(b"", page.get_data())))  # fmt: skip
    assert answers[0] == answers[1]
    assert b"If that address has an account" in answers[0][4]


def test_no_reset_email_or_token_exists_until_the_worker_runs_the_job(
    admins_app: tuple[Flask, Admins], tmp_path: Path
) -> None:
    app, admins = admins_app
    maildir = tmp_path / "maildir"
    server = mailsink.start(maildir, port=app.config["MAIL_PORT"])
    try:
        for email in (admins.owner, "nobody@example.org"):
            assert ask_reset(app.test_client(), email).status_code == 302
        assert mails(maildir) == []  # the answers have gone; no mail has
        with app.app_context():
            assert db.session.scalars(db.select(UserToken)).all() == []
        assert pending_jobs(app) == 2

        assert run_queued_jobs(app) == 2
    finally:
        server.stop()
    delivered = mails(maildir)
    assert [message["To"] for message in delivered] == [admins.owner]  # the unknown address got nothing
    with app.app_context():
        assert len(db.session.scalars(db.select(UserToken)).all()) == 1


def test_a_disabled_account_asking_for_a_reset_gets_the_same_answer_and_no_mail(
    admins_app: tuple[Flask, Admins], tmp_path: Path
) -> None:
    app, admins = admins_app
    with app.app_context():
        db.session.execute(db.update(User).where(User.email == admins.other).values(active=False))
        db.session.commit()
    maildir = tmp_path / "maildir"
    server = mailsink.start(maildir, port=app.config["MAIL_PORT"])
    try:
        assert ask_reset(app.test_client(), admins.other).status_code == 302
        assert run_queued_jobs(app) == 1
    finally:
        server.stop()
    assert mails(maildir) == []


def test_an_invitation_is_mailed_by_the_worker_not_by_the_request(
    admins_app: tuple[Flask, Admins], tmp_path: Path
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    maildir = tmp_path / "maildir"
    server = mailsink.start(maildir, port=app.config["MAIL_PORT"])
    try:
        response = site.post(
            "/admin/users",
            data={"csrf_token": csrf_token(site, "/admin/users"), "email": "helper@example.org", "role": "site_admin"},
            follow_redirects=True,
        )
        assert "Invitation on its way to helper@example.org" in response.get_data(as_text=True)
        assert mails(maildir) == []
        assert run_queued_jobs(app) == 1
    finally:
        server.stop()
    assert [message["To"] for message in mails(maildir)] == ["helper@example.org"]
