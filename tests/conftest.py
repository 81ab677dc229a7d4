"""Fixtures in the flaskr order: environment → app → client → runner.

Every test gets its own instance folder: a SQLite database built by the real Alembic
migrations, its own SQLite job queue and its own reports folder.

Scaled pass (`make test-scaled`, which sets CLINICFINDER_TEST_POSTGRES and CLINICFINDER_TEST_REDIS):
every test gets its own PostgreSQL database instead, copied from a migrated (or seeded) template,
and its own Redis database for the job queue and the rate limits.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from playwright.sync_api import Browser, sync_playwright

from clinicfinder.app import create_app
from clinicfinder.config import PROJECT_ROOT
from tests.browser import CHROMIUM, CHROMIUM_ARGS

CLINICS_CSV = PROJECT_ROOT / "clinics.csv"

# Set by scripts/with-services.sh: a PostgreSQL server URL (no database) and a Redis server URL.
POSTGRES = os.environ.get("CLINICFINDER_TEST_POSTGRES", "")
REDIS = os.environ.get("CLINICFINDER_TEST_REDIS", "")
MIGRATED_TEMPLATE = "migrated_template"
SEEDED_TEMPLATE = "seeded_template"
_redis_databases = itertools.count(1)

# For the few tests about SQLite itself; they still run on every default pass.
sqlite_only = pytest.mark.skipif(bool(POSTGRES), reason="checks SQLite itself; this pass runs on PostgreSQL")


def _postgres_admin(*statements: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def _database_for(instance: Path) -> str:
    return "t_" + hashlib.sha256(str(instance).encode()).hexdigest()[:20]


def _copy_database(name: str, template: str) -> None:
    # FILE_COPY: a plain copy of the template's files, much faster than the WAL-logged default here.
    _postgres_admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY',
    )


def _fresh_redis_url() -> str:
    import redis

    url = f"{REDIS}/{next(_redis_databases) % 4095 + 1}"
    redis.Redis.from_url(url).flushdb()
    return url


def copy_seeded(seeded_database: Path, instance: Path) -> None:
    """Give `instance` the migrated and seeded directory (a file copy; on PostgreSQL a database copy)."""
    instance.mkdir(parents=True, exist_ok=True)
    if POSTGRES:
        _copy_database(_database_for(instance), SEEDED_TEMPLATE)
        (instance / ".database").write_text(_database_for(instance))
    else:
        shutil.copyfile(seeded_database, instance / "clinicfinder.db")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_environment(instance: Path) -> dict[str, str]:
    environment = {
        "APP_ENV": "testing",
        "INSTANCE_DIR": str(instance),
        "REPORTS_DIR": str(instance / "reports"),
        "MAIL_PORT": str(free_port()),
    }
    if POSTGRES:
        name = _database_for(instance)
        if not (instance / ".database").exists():  # copy_seeded may already have made it
            _copy_database(name, MIGRATED_TEMPLATE)
            instance.mkdir(parents=True, exist_ok=True)
            (instance / ".database").write_text(name)
        redis_url = _fresh_redis_url()
        environment |= {
            "DATABASE_URL": f"{POSTGRES}/{name}",
            "QUEUE_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url,
        }
    return environment


def migrated_app(environment: dict[str, str]) -> Flask:
    app = create_app(environment)
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[None]:
    """PostgreSQL only: an empty migrated template database that every test's database is copied from."""
    if not POSTGRES:
        yield
        return
    _postgres_admin(f'DROP DATABASE IF EXISTS "{MIGRATED_TEMPLATE}"', f'CREATE DATABASE "{MIGRATED_TEMPLATE}"')
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": f"{POSTGRES}/{MIGRATED_TEMPLATE}", "QUEUE_URL": REDIS})
    with app.app_context():
        flask_migrate.upgrade()
        from clinicfinder.extensions import db

        db.engine.dispose()
    yield


@pytest.fixture(autouse=True, scope="session")
def _scaled_pass_ready(postgres_templates: None) -> None:
    """Every test may call make_environment directly, so the templates exist before the first one."""


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory, postgres_templates: None) -> Path:
    """Migrate and import clinics.csv once; tests that need the directory copy it with `copy_seeded`."""
    instance = tmp_path_factory.mktemp("seeded")
    app = migrated_app(make_environment(instance))
    result = app.test_cli_runner().invoke(args=["clinics", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from clinicfinder.extensions import db

        db.engine.dispose()
    if POSTGRES:
        _copy_database(SEEDED_TEMPLATE, _database_for(instance))
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
    copy_seeded(seeded_database, Path(environment["INSTANCE_DIR"]))
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
