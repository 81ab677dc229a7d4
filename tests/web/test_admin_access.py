"""Roles enforced on every object: every admin URL, every method, as every kind of visitor.

The list of URLs comes from the app's URL map, so a new admin view is tested (or fails
this file for lack of an `access` mark) without anyone adding it here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from clinicfinder.db.models import Clinic, User
from clinicfinder.extensions import db
from clinicfinder.services.imports import UploadStore
from tests.support.admin import OTHER, OWNED, Admins, admin_app, csrf_token, first_rows, logged_in, text

ADMIN_BLUEPRINTS = ("admin", "auth")
# Who may use each admin endpoint, written down here and reviewed, not read from the view's own
# mark: a view marked too loosely would otherwise pass the matrix below. A new endpoint fails
# `test_every_admin_endpoint_is_in_the_reviewed_table` until someone decides and adds it.
EXPECTED_ACCESS = {
    "admin.home": "admin",
    "admin.audit": "admin",
    "admin.edit_clinic": "clinic",
    "admin.clinic_history": "clinic",
    "admin.claims": "site",
    "admin.clinic_status": "site",
    "admin.verify_claims": "site",
    "admin.delivery_health": "site",
    "admin.export": "site",
    "admin.upload": "site",
    "admin.import_preview": "site",
    "admin.users": "site",
    "admin.user_active": "site",
    "auth.login": "public",
    "auth.logout": "public",
    "auth.request_reset": "public",
    "auth.set_password": "public",
}
OWNED_NAME = "Institute for Human Reproduction"


def admin_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(rule, method, expected access) for every admin URL and method; logging out goes last, as it ends the session."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ADMIN_BLUEPRINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.rule, method, EXPECTED_ACCESS.get(rule.endpoint, "unreviewed")))
    return sorted(routes, key=lambda route: (route[0] == "/account/logout", route))


@pytest.fixture
def matrix_app(app: Flask, tmp_path: Path) -> tuple[Flask, Admins, dict[str, str]]:
    app, admins = admin_app(app, tmp_path)
    # The matrix is about who may do what; CSRF has its own test below.
    app.config.update(WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        site = db.session.scalar(db.select(User).where(User.email == admins.site))
        other = db.session.scalar(db.select(User).where(User.email == admins.other))
        assert site and other
        upload_id = UploadStore(Path(app.config["ADMIN_UPLOADS_DIR"])).save(
            first_rows(3), owner_id=site.id, revision=0, filename="clinics.csv"
        )
        arguments = {"clinic_id": OWNED, "user_id": str(other.id), "upload_id": upload_id}
    return app, admins, arguments


def url_for_rule(rule: str, arguments: dict[str, str]) -> str:
    url = rule
    for name, value in arguments.items():
        url = url.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
    assert "<" not in url, f"{rule}: the matrix has no value for this URL argument; add one to `arguments`"
    return url


def test_every_admin_endpoint_is_in_the_reviewed_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in ADMIN_BLUEPRINTS}
    assert endpoints == set(EXPECTED_ACCESS)


def test_every_admin_view_is_marked_as_the_table_says(app: Flask) -> None:
    marks = {endpoint: getattr(app.view_functions[endpoint], "access", None) for endpoint in EXPECTED_ACCESS}
    assert marks == EXPECTED_ACCESS
    assert len(admin_routes(app)) >= 20  # the walk below really covers the admin side


def test_no_view_outside_the_admin_blueprints_carries_an_admin_mark(app: Flask) -> None:
    """An admin page put on another blueprint would escape the matrix: there must be none."""
    stray = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.split(".")[0] not in ADMIN_BLUEPRINTS and getattr(view, "access", None) not in (None, "public")
    ]
    assert stray == []


def expected(role: str, access: str, status: int, location: str, body: str) -> str | None:
    """None when the answer is right; otherwise what was wrong."""
    if status >= 500:
        return f"server error {status}"
    if access == "public":
        return None if status not in (401, 403, 404) else f"public page refused with {status}"
    if role == "anonymous":
        ok = status == 302 and location.startswith("/account/login")
        return None if ok else f"anonymous got {status} {location}, not a redirect to the login"
    if access == "site" and role != "site_admin":
        return None if status == 403 else f"{role} got {status}, not 403"
    if access == "clinic" and role == "other_clinic_admin":
        return None if status == 404 else f"{role} got {status} for another clinic, not 404"
    if status not in (200, 302):
        return f"{role} got {status}"
    if role == "other_clinic_admin" and (OWNED_NAME in body or OWNED in body):
        return "another clinic's admin saw the owner's clinic"
    return None


@pytest.mark.parametrize("role", ["anonymous", "other_clinic_admin", "owner", "site_admin"])
def test_every_admin_url_and_method_answers_each_role_correctly(
    matrix_app: tuple[Flask, Admins, dict[str, str]], role: str
) -> None:
    app, admins, arguments = matrix_app
    emails = {"other_clinic_admin": admins.other, "owner": admins.owner, "site_admin": admins.site}
    client = app.test_client() if role == "anonymous" else logged_in(app, emails[role])
    wrong = []
    for rule, method, access in admin_routes(app):
        url = url_for_rule(rule, arguments)
        response = client.open(url, method=method, data={})
        problem = expected(role, access, response.status_code, response.headers.get("Location", ""), text(response))
        if problem:
            wrong.append(f"{method} {url}: {problem}")
    assert wrong == []


def test_a_clinic_admin_sees_only_their_own_clinics_and_their_history(
    matrix_app: tuple[Flask, Admins, dict[str, str]],
) -> None:
    app, admins, _ = matrix_app
    client = logged_in(app, admins.owner)
    home = text(client.get("/admin/"))
    assert OWNED_NAME in home
    assert "Shady Grove" not in home
    audit = text(client.get("/admin/audit"))
    assert OWNED in audit and OTHER not in audit
    assert admins.other not in audit  # account events are for site admins


def test_a_site_admin_sees_every_clinic(matrix_app: tuple[Flask, Admins, dict[str, str]]) -> None:
    app, admins, _ = matrix_app
    home = text(logged_in(app, admins.site).get("/admin/"))
    assert OWNED_NAME in home and "Shady Grove" in home


def test_admin_forms_refuse_a_post_without_its_csrf_token(app: Flask, tmp_path: Path) -> None:
    app, admins = admin_app(app, tmp_path)
    client = logged_in(app, admins.site)
    assert csrf_token(client, "/admin/")  # CSRF is on in this test
    with app.app_context():
        # admin_app seeded OWNED, so get() finds it
        version = db.session.get(Clinic, OWNED).version  # type: ignore[union-attr]
    for rule, method, _access in admin_routes(app):
        if method != "POST" or "<upload_id>" in rule:
            continue
        url = url_for_rule(rule, {"clinic_id": OWNED, "user_id": "2"})
        response = client.post(url, data={"phone": "+1 555 0100", "status": "inactive", "active": "0"})
        assert response.status_code in (302, 400), f"{url} accepted a POST without a CSRF token"
    with app.app_context():
        clinic = db.session.get(Clinic, OWNED)
        assert clinic is not None and clinic.version == version and clinic.status.value == "open"
        # user 2 is the other clinic's admin, made by admin_app
        assert db.session.get(User, 2).active  # type: ignore[union-attr]


def test_admin_pages_are_never_cached_and_carry_the_security_headers(
    matrix_app: tuple[Flask, Admins, dict[str, str]],
) -> None:
    app, admins, _ = matrix_app
    response = logged_in(app, admins.owner).get(f"/admin/clinics/{OWNED}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert app.test_client().get("/account/login").headers["Cache-Control"] == "no-store"
