"""Admin accounts: logging in and out, throttling, session timeouts, invitations and resets by real email."""

from __future__ import annotations

import mailbox
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from clinicfinder import mailsink
from clinicfinder.config import Settings
from clinicfinder.db.models import User, UserToken, utcnow
from clinicfinder.extensions import db
from clinicfinder.web.auth import sessions
from tests.support.admin import OWNED, PASSWORD, Admins, csrf_token, logged_in, login, text
from tests.support.jobs import run_queued_jobs

GENERIC = "Email or password is wrong"


def user(app: Flask, email: str):
    with app.app_context():
        found = db.session.scalar(db.select(User).where(User.email == email))
        assert found is not None
        db.session.expunge(found)
        return found


def test_the_first_site_admin_is_created_on_the_command_line_and_can_log_in(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "--email", "First@Example.org", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created site_admin first@example.org" in result.output
    response = login(app.test_client(), "first@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_the_command_line_refuses_a_short_password_and_a_second_account_for_one_email(runner: FlaskCliRunner) -> None:
    assert "at least 12" in runner.invoke(args=["users", "create", "--email", "a@b.org", "--password", "short"]).output
    assert runner.invoke(args=["users", "create", "--email", "a@b.org", "--password", PASSWORD]).exit_code == 0
    again = runner.invoke(args=["users", "create", "--email", "A@b.org", "--password", PASSWORD])
    assert again.exit_code != 0 and "already has an account" in again.output


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("owner@ihr.example", "wrong password entirely"),
        ("nobody@example.org", PASSWORD),
        ("", ""),
    ],
    ids=["wrong password", "unknown email", "empty"],
)
def test_a_failed_login_says_the_same_thing_whatever_was_wrong(
    admins_app: tuple[Flask, Admins], email: str, password: str
) -> None:
    app, _ = admins_app
    response = login(app.test_client(), email, password)
    assert response.status_code == 200
    assert (GENERIC in text(response)) == bool(email)
    assert 'aria-invalid="true"' in text(response)  # the error sits on the field


def test_a_disabled_account_gets_the_generic_error_even_with_the_right_password(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    other_id = user(app, admins.other).id
    site.post(f"/admin/users/{other_id}/active", data={"csrf_token": csrf_token(site, "/admin/users"), "active": "0"})
    response = login(app.test_client(), admins.other)
    assert response.status_code == 200 and GENERIC in text(response)


def test_the_login_form_is_rate_limited_per_address(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [login(client, admins.owner, "wrong password here").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_logging_in_starts_a_new_session_and_the_old_cookie_dies_at_logout(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    client = app.test_client()
    client.get("/account/login")
    before = client.get_cookie("session")
    assert login(client, admins.owner).status_code == 302
    during = client.get_cookie("session")
    assert before is not None and during is not None and during.value != before.value
    assert client.get("/admin/").status_code == 200

    stolen = app.test_client()
    stolen.set_cookie("session", during.value)
    assert stolen.get("/admin/").status_code == 200  # a copy works while the login lasts…
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert stolen.get("/admin/").headers["Location"].startswith("/account/login")  # …and not after logout


def test_a_new_login_elsewhere_ends_the_previous_session(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    first = logged_in(app, admins.owner)
    logged_in(app, admins.owner)
    assert first.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("key", "age_seconds"), [(sessions.SEEN_AT, 31 * 60), (sessions.LOGIN_AT, 8 * 3600 + 1)], ids=["idle", "absolute"]
)
def test_a_session_ends_when_idle_too_long_or_open_too_long(
    admins_app: tuple[Flask, Admins], key: str, age_seconds: int
) -> None:
    app, admins = admins_app
    client = logged_in(app, admins.owner)
    with client.session_transaction() as session:
        session[key] = time.time() - age_seconds
    response = client.get("/admin/", follow_redirects=True)
    assert "Your session ended" in text(response)
    assert "Log in to manage listings" in text(response)


def test_session_cookies_are_httponly_and_samesite_and_secure_in_production(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    response = login(app.test_client(), admins.owner)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    production = Settings.from_env({"APP_ENV": "production", "SECRET_KEY": "x" * 64}).flask_config()
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_after_login_the_redirect_never_leaves_the_site(admins_app: tuple[Flask, Admins], target: str) -> None:
    app, admins = admins_app
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": admins.owner, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/admin/"


def delivered_link(maildir: Path) -> tuple[str, str]:
    messages = list(mailbox.Maildir(maildir))
    assert len(messages) == 1
    message = messages[0]
    plain = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    # get_payload(decode=True) of a non-multipart text/plain part returns bytes
    body = plain.get_payload(decode=True).decode()  # type: ignore[union-attr]
    found = re.search(r"(http://\S+/account/password\?token=\S+)", body)
    assert found, body
    return str(message["To"]), found.group(1)


def test_an_invited_clinic_admin_chooses_a_password_through_a_single_use_emailed_link(
    admins_app: tuple[Flask, Admins], tmp_path: Path
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    server = mailsink.start(tmp_path / "maildir", port=app.config["MAIL_PORT"])
    try:
        response = site.post(
            "/admin/users",
            data={"csrf_token": csrf_token(site, "/admin/users"), "email": "New@IHR.example", "role": "clinic_admin",
                  "clinics": OWNED},
            follow_redirects=True,
        )  # fmt: skip
        assert "Invitation on its way to new@ihr.example" in text(response)
        assert list(mailbox.Maildir(tmp_path / "maildir")) == []  # the worker sends it, not the request
        assert run_queued_jobs(app) == 1
    finally:
        server.stop()
    recipient, link = delivered_link(tmp_path / "maildir")
    assert recipient == "new@ihr.example"
    with app.app_context():  # only a hash of the token is kept
        token = link.split("token=")[1]
        assert token not in {row.token_hash for row in db.session.scalars(db.select(UserToken))}

    invited = app.test_client()
    path = link.removeprefix(app.config["PUBLIC_URL"])
    page = invited.get(path)
    assert page.status_code == 200 and "new@ihr.example" in text(page)
    form = {"csrf_token": csrf_token(invited, path), "token": token}
    mismatch = invited.post("/account/password", data={**form, "password": "a long new password", "confirm": "other"})
    assert "The two passwords differ" in text(mismatch)
    short = invited.post("/account/password", data={**form, "password": "short", "confirm": "short"})
    assert "at least 12 characters" in text(short)
    done = invited.post(
        "/account/password", data={**form, "password": "a long new password", "confirm": "a long new password"}
    )
    assert done.headers["Location"] == "/account/login"
    assert invited.get(path).status_code == 410  # used once, never again
    client = app.test_client()
    assert login(client, "new@ihr.example", "a long new password").status_code == 302
    assert "Institute for Human Reproduction" in text(client.get("/admin/"))


def test_a_password_reset_arrives_by_email_and_an_unknown_address_gets_the_same_answer(
    admins_app: tuple[Flask, Admins], tmp_path: Path
) -> None:
    app, admins = admins_app
    server = mailsink.start(tmp_path / "maildir", port=app.config["MAIL_PORT"])
    answers = []
    try:
        for email in ("nobody@example.org", admins.owner):
            client = app.test_client()
            response = client.post(
                "/account/reset", data={"csrf_token": csrf_token(client, "/account/reset"), "email": email},
                follow_redirects=True,
            )  # fmt: skip
            answers.append(text(response).count("If that address has an account"))
        assert run_queued_jobs(app) == 2  # both addresses queue the same job; the worker decides
    finally:
        server.stop()
    assert answers == [1, 1]
    recipient, link = delivered_link(tmp_path / "maildir")  # one mail: to the real account only
    assert recipient == admins.owner
    client = app.test_client()
    path = link.removeprefix(app.config["PUBLIC_URL"])
    form = {"csrf_token": csrf_token(client, path), "token": link.split("token=")[1]}
    client.post("/account/password", data={**form, "password": "brand new password!", "confirm": "brand new password!"})
    assert GENERIC in text(login(app.test_client(), admins.owner))  # the old password is gone
    assert login(app.test_client(), admins.owner, "brand new password!").status_code == 302


def test_a_reset_link_expires(admins_app: tuple[Flask, Admins]) -> None:
    from clinicfinder.db.models import TokenPurpose
    from clinicfinder.services import accounts

    app, admins = admins_app
    with app.app_context():
        owner = db.session.scalar(db.select(User).where(User.email == admins.owner))
        assert owner is not None
        token = accounts.issue_token(db.session, owner, TokenPurpose.PASSWORD_RESET, utcnow() - timedelta(hours=2))
    response = app.test_client().get("/account/password", query_string={"token": token})
    assert response.status_code == 410 and "This link no longer works" in text(response)


def test_a_disabled_admin_is_logged_out_at_once_and_can_be_enabled_again(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    site = logged_in(app, admins.site)
    owner_id = user(app, admins.owner).id
    token = csrf_token(site, "/admin/users")
    assert "is disabled" in text(
        site.post(f"/admin/users/{owner_id}/active", data={"csrf_token": token, "active": "0"}, follow_redirects=True)
    )
    assert owner.get("/admin/").status_code == 302
    site.post(f"/admin/users/{owner_id}/active", data={"csrf_token": token, "active": "1"})
    assert login(app.test_client(), admins.owner).status_code == 302


def test_a_site_admin_cannot_disable_themselves(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    site_id = user(app, admins.site).id
    response = site.post(
        f"/admin/users/{site_id}/active", data={"csrf_token": csrf_token(site, "/admin/users"), "active": "0"},
        follow_redirects=True,
    )  # fmt: skip
    assert "You cannot disable your own account" in text(response)
    assert site.get("/admin/users").status_code == 200


def test_an_invitation_to_an_unknown_clinic_is_refused_next_to_the_clinic_field(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    response = site.post(
        "/admin/users",
        data={"csrf_token": csrf_token(site, "/admin/users"), "email": "x@clinic.example", "role": "clinic_admin",
              "clinics": "us-cdc-999"},
    )  # fmt: skip
    assert 'id="clinics-error">No clinic has the id us-cdc-999.' in text(response)
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "x@clinic.example")) is None
