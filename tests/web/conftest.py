"""The Flask test client and CLI runner, and the apps the admin and API tests start from."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.support.admin import Admins, admin_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def admins_app(app: Flask, tmp_path: Path) -> tuple[Flask, Admins]:
    """Three clinics and three admins: one owning us-cdc-1, one owning us-cdc-2, and a site admin."""
    return admin_app(app, tmp_path)


@pytest.fixture
def api(seeded_app: Flask) -> FlaskClient:
    """A client of the JSON API on the whole seeded directory."""
    return seeded_app.test_client()
