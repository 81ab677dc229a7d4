"""Helpers shared by the admin tests: a small directory, three admins, logging in with CSRF tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clinicfinder.core.directory.csvfile import read_directory
from clinicfinder.core.domain import Role
from clinicfinder.db.directory import import_directory
from clinicfinder.extensions import db
from clinicfinder.services import accounts
from tests.support.paths import CLINICS_CSV

PASSWORD = "correct horse battery staple"
OWNED = "us-cdc-1"  # Institute for Human Reproduction (IHR), Chicago
OTHER = "us-cdc-2"  # Shady Grove Fertility-Pennsylvania
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass(frozen=True)
class Admins:
    owner: str = "owner@ihr.example"
    other: str = "admin@shadygrove.example"
    site: str = "site@clinicfinder.example"


def first_rows(count: int) -> bytes:
    lines = CLINICS_CSV.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: count + 1])


def seed_directory(app: Flask, count: int = 3) -> None:
    parsed = read_directory(first_rows(count))
    assert parsed.ok, parsed.errors
    with app.app_context():
        import_directory(db.session, parsed.records, actor_label="test")


def make_admins(app: Flask) -> Admins:
    admins = Admins()
    with app.app_context():
        accounts.create_user(db.session, admins.owner, Role.CLINIC_ADMIN, password=PASSWORD, clinic_ids=[OWNED])
        accounts.create_user(db.session, admins.other, Role.CLINIC_ADMIN, password=PASSWORD, clinic_ids=[OTHER])
        accounts.create_user(db.session, admins.site, Role.SITE_ADMIN, password=PASSWORD)
        db.session.commit()
    return admins


def admin_app(app: Flask, tmp_path: Path) -> tuple[Flask, Admins]:
    app.config["ADMIN_UPLOADS_DIR"] = str(tmp_path / "uploads")
    seed_directory(app)
    return app, make_admins(app)


def csrf_token(client: FlaskClient, path: str = "/account/login") -> str:
    """The session's CSRF token, read from a page's form ("" when a test switched CSRF off)."""
    page = client.get(path)
    found = _CSRF.search(page.get_data(as_text=True))
    return found.group(1) if found else ""


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_token(client)
    return client.post("/account/login", data={"csrf_token": token, "email": email, "password": password})


def logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


class FormReader(HTMLParser):
    """What a browser would send from the page's main admin form: enabled inputs, selected options, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.in_form = self.done = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and "admin-form" in found.get("class", "") and not self.done:
            self.in_form = True
        if not self.in_form or "disabled" in found:
            return
        name = found.get("name", "")
        if tag == "input" and name and found.get("type") not in ("submit", "file"):
            self.values[name] = found.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and ("selected" in found or self._select not in self.values):
            self.values[self._select] = found.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(client: FlaskClient, path: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(client.get(path).get_data(as_text=True))
    return reader.values
