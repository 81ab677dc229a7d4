"""Fixtures in the flaskr order: environment → app → client → runner.

Every test gets its own instance folder: a SQLite database built by the real Alembic
migrations, its own SQLite job queue and its own reports folder.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from playwright.sync_api import Browser, sync_playwright

from clinicfinder import create_app
from clinicfinder.config import PROJECT_ROOT
from tests.browser import CHROMIUM, CHROMIUM_ARGS

CLINICS_CSV = PROJECT_ROOT / "clinics.csv"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_environment(instance: Path) -> dict[str, str]:
    return {
        "APP_ENV": "testing",
        "INSTANCE_DIR": str(instance),
        "REPORTS_DIR": str(instance / "reports"),
        "MAIL_PORT": str(free_port()),
    }


def migrated_app(environment: dict[str, str]) -> Flask:
    app = create_app(environment)
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and import clinics.csv once; tests that need the directory copy the file."""
    instance = tmp_path_factory.mktemp("seeded")
    app = migrated_app(make_environment(instance))
    result = app.test_cli_runner().invoke(args=["clinics", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from clinicfinder.extensions import db

        db.engine.dispose()
    return instance / "clinicfinder.db"


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return make_environment(tmp_path / "instance")


@pytest.fixture
def app(environment: dict[str, str]) -> Iterator[Flask]:
    app = migrated_app(environment)
    yield app
    with app.app_context():
        from clinicfinder.extensions import db

        db.engine.dispose()


@pytest.fixture
def seeded_app(environment: dict[str, str], seeded_database: Path) -> Iterator[Flask]:
    instance = Path(environment["INSTANCE_DIR"])
    instance.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seeded_database, instance / "clinicfinder.db")
    app = create_app(environment)
    yield app
    with app.app_context():
        from clinicfinder.extensions import db

        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (see tests/browser.py), one per test module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
