"""Login throttling that slows a guesser but never locks the owner out (OWASP's authentication guidance)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clinicfinder.db.models import AuditEntry, LoginThrottle, utcnow
from clinicfinder.extensions import db
from clinicfinder.services import login_throttle
from tests.support.admin import Admins, logged_in, login, text

WRONG = "not the password at all"
SLOWED = "Too many failed attempts from here. Please try again in"


def wait_shown(response: TestResponse) -> int | None:
    """The wait the page tells the visitor, in seconds, or None when it asks for none."""
    found = re.search(r"Please try again in (\d+) seconds?\.", text(response))
    return int(found.group(1)) if found else None


def client_from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_five_wrong_passwords_from_one_address_do_not_stop_the_owner_from_another(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    attacker = client_from(app, "203.0.113.9")
    for _ in range(5):
        login(attacker, admins.owner, WRONG)
    owner = client_from(app, "198.51.100.20")
    response = login(owner, admins.owner)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_the_attackers_own_address_is_refused_with_the_wait_even_with_the_right_password(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    attacker = client_from(app, "203.0.113.9")
    statuses = [login(attacker, admins.owner, WRONG).status_code for _ in range(login_throttle.FREE_FAILURES + 1)]
    assert statuses == [200] * (login_throttle.FREE_FAILURES + 1)  # typos cost nothing; the next failure waits
    slowed = login(attacker, admins.owner)  # right password, but this address must wait first
    assert slowed.status_code == 429 and SLOWED in text(slowed)
    assert wait_shown(slowed) == 1 and "try again in 1 second." in text(slowed)
    assert int(slowed.headers["Retry-After"]) >= 1  # the rate limiter's own window may be longer

    with app.app_context():  # the wait runs out: the right password works from there again
        db.session.execute(db.update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert login(attacker, admins.owner).status_code == 302


def test_each_further_failure_from_an_address_doubles_its_wait(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    attacker = client_from(app, "203.0.113.9")
    waits = []
    for _ in range(login_throttle.FREE_FAILURES + 4):
        with app.app_context():  # skip each wait, as a patient attacker would
            db.session.execute(db.update(LoginThrottle).values(blocked_until=None))
            db.session.commit()
        login(attacker, admins.owner, WRONG)
        waits.append(wait_shown(login(attacker, admins.owner, WRONG)))
    # Failures 1-4 cost nothing or the wait is over before the next try; from the fifth on, each refused
    # retry shows the wait the failure before it earned: doubling each time.
    assert waits == [None, None, 2, 4, 8, 16, 32]


def test_an_unknown_email_is_throttled_exactly_like_a_real_one(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    pages = {}
    for email in (admins.owner, "nobody@example.org"):
        attacker = client_from(app, "203.0.113.9")
        for _ in range(login_throttle.FREE_FAILURES + 1):
            login(attacker, email, WRONG)
        refused = login(attacker, email, WRONG)
        pages[email] = (refused.status_code, wait_shown(refused))
    assert pages[admins.owner] == pages["nobody@example.org"] == (429, 1)


def test_fifty_wrong_passwords_from_rotating_addresses_do_not_stop_the_owner_and_reach_the_audit_log(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    for n in range(50):
        assert login(client_from(app, f"203.0.113.{n + 1}"), admins.owner, WRONG).status_code == 200
    # Past the account's ceiling an address gets no free tries: its first failure already waits.
    assert login(client_from(app, "203.0.113.50"), admins.owner, WRONG).status_code == 429
    assert login(client_from(app, "203.0.113.1"), admins.owner, WRONG).status_code == 200  # failed before it

    owner = client_from(app, "198.51.100.20")
    assert login(owner, admins.owner).status_code == 302

    site = logged_in(client_from(app, "198.51.100.30").application, admins.site)
    log = text(site.get("/admin/audit"))
    assert "login.many_failures" in log and admins.owner in log
    with app.app_context():  # said once for the run of failures, not once per failure
        alerts = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "login.many_failures")).all()
        assert len(alerts) == 1
        # The table keeps hashes only: neither the addresses nor the email tried.
        keys = " ".join(row.key for row in db.session.scalars(db.select(LoginThrottle)))
        assert "203.0.113" not in keys and admins.owner not in keys


def test_the_owners_correct_login_clears_their_own_addresss_count_but_not_the_accounts(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    owner = client_from(app, "198.51.100.20")
    for _ in range(login_throttle.FREE_FAILURES):
        login(owner, admins.owner, WRONG)
    assert login(owner, admins.owner).status_code == 302
    again = client_from(app, "198.51.100.20")
    for _ in range(login_throttle.FREE_FAILURES):  # three fresh free tries after a good login
        assert login(again, admins.owner, WRONG).status_code == 200
    with app.app_context():
        assert login_throttle.failures_for(db.session, admins.owner) == 2 * login_throttle.FREE_FAILURES


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(1, 0), (3, 0), (4, 1), (5, 2), (8, 16), (13, 512), (14, 900), (400, 900)],
)
def test_the_wait_grows_from_one_second_to_fifteen_minutes_and_no_further(failures: int, seconds: int) -> None:
    assert login_throttle.delay_after(failures, free=3) == timedelta(seconds=seconds)


def test_quiet_rows_are_purged(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    login(client_from(app, "203.0.113.9"), admins.owner, WRONG)
    with app.app_context():
        assert login_throttle.purge(db.session, utcnow()) == 0
        assert login_throttle.purge(db.session, utcnow() + timedelta(days=2)) == 2  # the pair and the account
